import Foundation
import Planning
import RailwayFake
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `poolctl serve` as an operator runs it, against a fake Railway on loopback.
@Suite(.timeLimit(.minutes(2))) struct ServeEndToEndTests {
    static let token = "acct-token-serve-77d1"
    static let key = "pool-key-serve-s3cr3t"

    static let spec = RailwayFake.poolYAML(["minIdle": "1", "maxTotal": "3", "tickInterval": "1s"],
                                           environmentLines: "  here:\n    platform: local")

    func withFake(_ body: (_ env: [String: String], _ fake: RailwayFake, _ specPath: String) async throws -> Void) async throws {
        try await withFakeRailway(spec: Self.spec, token: Self.token, key: Self.key, body)
    }

    @Test func servesBecomesReadyAndExitsZeroOnSIGTERM() async throws {
        try await withFake { env, fake, specPath in
            let serve = try ServeProcess(["serve", "--spec", specPath, "--env", "test", "--host", "127.0.0.1", "--port", "0"], env: env)
            defer { serve.stop() }
            try await eventually("the listening line", seconds: 30) { serve.port != nil || !serve.process.isRunning }
            let port = try #require(serve.port, "no port in: \(serve.stderr)")
            let base = "http://127.0.0.1:\(port)"

            #expect(try await ServeProcess.get(base + "/healthz").0 == 200)
            try await eventually("readiness", seconds: 30) { try await ServeProcess.get(base + "/readyz").0 == 200 }
            let counts = try await ServeProcess.get(base + "/api/pool/counts")
            #expect(counts.0 == 200 && counts.1.contains("\"total\""), "\(counts.1)")
            #expect(try await ServeProcess.get(base + "/api/pool/status").0 == 401)
            let status = try await ServeProcess.get(base + "/api/pool/status", headers: ["Authorization": "Bearer \(Self.key)"])
            #expect(status.0 == 200, "\(status.1)")
            // The loop filled the pool to minIdle on the fake.
            try await eventually("a create on the fake", seconds: 30) { await fake.calls(of: "ServiceCreate") >= 1 }
            // Railway's calls and budget reach /metrics.
            let metrics = try await ServeProcess.get(base + "/metrics").1
            #expect(metrics.contains("pool_railway_calls_total{operation=\"EnvironmentServices\",outcome=\"success\"}"), "\(metrics)")
            #expect(metrics.contains("pool_railway_calls_total{operation=\"ServiceCreate\",outcome=\"success\"}"))
            #expect(metrics.contains("pool_railway_rate_limit_remaining"))

            // SIGHUP with a broken file: rejected, logged, and the server keeps serving.
            try "minIdle: -1\n".write(toFile: specPath, atomically: true, encoding: .utf8)
            kill(serve.process.processIdentifier, SIGHUP)
            try await eventually("the rejected reload", seconds: 10) { serve.stderr.contains("reload rejected") }
            #expect(serve.stderr.contains("pool.yaml"), "the file's errors are logged")
            #expect(try await ServeProcess.get(base + "/healthz").0 == 200)

            let started = Date()
            serve.process.terminate()  // SIGTERM
            let status0 = await serve.waitForExit(seconds: 30)
            #expect(status0 == 0, "\(serve.stderr)")
            #expect(Date().timeIntervalSince(started) < 30)
            #expect(serve.stderr.contains("tick:"), "one line per tick")
            #expect(!serve.stderr.contains(Self.key) && !serve.stderr.contains(Self.token), "no secret in the logs")
        }
    }

    @Test func refusesToStartWithoutAKey() async throws {
        try await withFake { env, _, specPath in
            var noKey = env
            noKey["POOL_API_KEY"] = nil
            let missing = try ServeProcess(["serve", "--spec", specPath, "--env", "test", "--port", "0"], env: noKey)
            #expect(await missing.waitForExit(seconds: 30) == 1)
            #expect(missing.stderr.contains("POOL_API_KEY is not set"), "\(missing.stderr)")
        }
    }

    /// The out-of-the-box pool: stand-in agents as local processes, claimed over REST.
    @Test func theLocalPlatformFillsThePoolServesAClaimAndLeavesNothingRunning() async throws {
        try await withFake { env, _, specPath in
            var env = env
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("serve-local-\(UUID().uuidString)")
            env["POOL_LOCAL_STATE"] = state.path
            let serve = try ServeProcess(["serve", "--spec", specPath, "--env", "here", "--host", "127.0.0.1", "--port", "0"], env: env)
            defer { serve.stop() }
            try await eventually("the listening line", seconds: 30) { serve.port != nil || !serve.process.isRunning }
            let base = "http://127.0.0.1:\(try #require(serve.port, "no port in: \(serve.stderr)"))"
            let auth = ["Authorization": "Bearer \(Self.key)"]
            try await eventually("an idle instance", seconds: 60) {
                try await ServeProcess.get(base + "/api/pool/counts").1.contains("\"idle\":1")
            }
            var request = URLRequest(url: URL(string: base + "/api/pool/claim")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(Self.key)", forHTTPHeaderField: "Authorization")
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(#"{"agentName": "Tokyo Trip", "instructions": "Plan it."}"#.utf8)
            let (body, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: body, as: UTF8.self))")
            let answer = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            #expect((answer?["inviteUrl"] as? String)?.hasPrefix("https://dev.convos.org/v2?i=") == true)
            try await eventually("the rename", seconds: 30) {
                try await ServeProcess.get(base + "/api/pool/status", headers: auth).1.contains("convos-agent-tokyo-trip")
            }
            let status = try await ServeProcess.get(base + "/api/pool/status", headers: auth).1
            let urls = status.components(separatedBy: "\"url\":\"").dropFirst().compactMap { $0.split(separator: "\"").first }
                .map { $0.replacingOccurrences(of: "\\/", with: "/") }
            #expect(!urls.isEmpty)

            serve.process.terminate()
            #expect(await serve.waitForExit(seconds: 30) == 0, "\(serve.stderr)")
            for url in urls {
                let answered = (try? await ServeProcess.get(url + "/convos/status", headers: auth)) != nil
                #expect(!answered, "\(url) still answers after shutdown: an instance process leaked")
            }
            try? FileManager.default.removeItem(at: state)
        }
    }
}
