import Credentials
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RailwayFake
import TestSupport
import Testing

/// One owner per local state folder, with real `poolctl serve` processes: a second server
/// over a folder in use refuses to start (naming the folder and the running process), on a
/// free port or a busy one, and the first server's instances, claimed ones included, keep
/// answering; a follower over a folder of its own stops none of the leader's instances.
@Suite(.serialized, .timeLimit(.minutes(3))) struct LocalStateOwnerTests {
    static let key = "pool-key-owner-s3cr3t"
    static let spec = "minIdle: 2\nmaxTotal: 4\ntickInterval: 1s\nenvironments:\n  here:\n    platform: local\n"

    struct Server {
        let process: ServeProcess
        let base: String
        let port: Int
    }

    func start(_ folder: URL, state: String, name: String) async throws -> Server {
        let env = ["POOL_API_KEY": Self.key, "POOL_SQLITE_PATH": folder.appendingPathComponent("pool.sqlite").path,
                   "POOL_LOCAL_STATE": folder.appendingPathComponent(state).path]
        let process = try ServeProcess(["serve", "--spec", folder.appendingPathComponent("pool.yaml").path, "--env", "here",
                                        "--host", "127.0.0.1", "--port", "0", "--replica-id", name, "--lease-seconds", "5"], env: env)
        try await eventually("\(name) listening", seconds: 30) { process.port != nil || !process.process.isRunning }
        let port = try #require(process.port, "\(name) did not listen: \(process.stderr)")
        return Server(process: process, base: "http://127.0.0.1:\(port)", port: port)
    }

    /// Every instance of the pool answers its status at its URL.
    /// Each instance answers its own token (and refuses the pool's key).
    func instancesAnswer(_ instances: [(url: String, token: String)], _ when: String,
                         sourceLocation: SourceLocation = #_sourceLocation) async {
        for (url, token) in instances {
            let status = try? await ServeProcess.get(url + "/convos/status", headers: ["Authorization": "Bearer \(token)"]).0
            #expect(status == 200, "\(url) \(when): \(status.map(String.init) ?? "no answer")", sourceLocation: sourceLocation)
            let withPoolKey = try? await ServeProcess.get(url + "/convos/status", headers: ["Authorization": "Bearer \(Self.key)"]).0
            #expect(withPoolKey == 401, "\(url) \(when): the pool key got \(withPoolKey.map(String.init) ?? "no answer")",
                    sourceLocation: sourceLocation)
        }
    }

    /// Runs `poolctl` to its exit while checking, every 100 ms, that `urls` keep answering.
    func runAlongside(_ args: [String], env: [String: String], urls: [(url: String, token: String)]) async throws
        -> (status: Int32, stderr: String) {
        let process = try ServeProcess(args, env: env)
        var checks = 0
        while process.process.isRunning && checks < 300 {
            await instancesAnswer(urls, "while \(args.joined(separator: " ")) runs")
            checks += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let status = await process.waitForExit(seconds: 60) else {
            process.stop()
            throw TimedOut(description: "poolctl \(args) did not finish within a minute")
        }
        return (status, process.stderr)
    }

    /// The URLs of the instances a local state folder records (a port each).
    static func ownURLs(_ state: URL) throws -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(at: state, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }.compactMap { file in
            guard let data = try? Data(contentsOf: file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let port = object["port"] as? Int else { return nil }
            return "http://127.0.0.1:\(port)"
        }
    }

    @Test func aSecondServerOverTheSameStateRefusesAndStopsNothing() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("owner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.spec.write(to: folder.appendingPathComponent("pool.yaml"), atomically: true, encoding: .utf8)
        let first = try await start(folder, state: "local", name: "first")
        defer { first.process.stop() }
        let auth = ["Authorization": "Bearer \(Self.key)"]
        try await eventually("two idle instances", seconds: 60, every: .milliseconds(200)) {
            try await ServeProcess.get(first.base + "/api/pool/counts").1.contains("\"idle\":2")
        }
        var request = URLRequest(url: URL(string: first.base + "/api/pool/claim")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(Self.key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"agentName": "Kept", "instructions": "Stay up."}"#.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        // The instances running now, the claimed one and the idle one (a backfill the claim
        // started is still being built: its process does not run yet).
        try await eventually("the claim in the status", seconds: 30, every: .milliseconds(200)) {
            try await ServeProcess.get(first.base + "/api/pool/status", headers: auth).1.contains(#""state":"claimed""#)
        }
        let status = try await ServeProcess.get(first.base + "/api/pool/status", headers: auth).1
        let instances = (try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])?["instances"] as? [[String: Any]] ?? []
        // Their tokens derive from the secret the local platform keeps in its state folder.
        let secretText = try String(contentsOf: folder.appendingPathComponent("local/instance-secret"), encoding: .utf8)
        let secrets = InstanceSecrets(current: try InstanceSecret(version: 1, value: secretText))
        let urls = instances.filter { ["idle", "claimed"].contains($0["state"] as? String ?? "") }.compactMap { i -> (String, String)? in
            guard let url = i["url"] as? String, let id = i["instanceId"] as? String else { return nil }
            return (url, secrets.currentToken(instanceId: id))
        }
        #expect(urls.count >= 2, "\(status)")
        #expect(instances.contains { $0["state"] as? String == "claimed" && $0["url"] is String }, "the claimed instance is among them: \(status)")
        await instancesAnswer(urls, "before")

        // Over the same folder, on a free port and on the first's (busy) port: refused.
        let state = folder.appendingPathComponent("local").path
        for port in ["0", String(first.port)] {
            let env = ["POOL_API_KEY": Self.key, "POOL_SQLITE_PATH": folder.appendingPathComponent("pool.sqlite").path,
                       "POOL_LOCAL_STATE": state]
            let second = try await runAlongside(["serve", "--spec", folder.appendingPathComponent("pool.yaml").path,
                                                  "--env", "here", "--host", "127.0.0.1", "--port", port], env: env, urls: urls)
            #expect(second.status != 0)
            #expect(second.stderr.contains(state) && second.stderr.contains("pid \(first.process.process.processIdentifier)"),
                    "\(second.stderr)")
            await instancesAnswer(urls, "after a second server on port \(port) was refused")
        }

        // Over a folder and store of its own, on the first's (busy) port: it fails to bind,
        // and stops only what it started itself.
        let other = folder.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let busy = try await runAlongside(["serve", "--spec", folder.appendingPathComponent("pool.yaml").path, "--env", "here",
                                           "--host", "127.0.0.1", "--port", String(first.port)],
                                          env: ["POOL_API_KEY": Self.key, "POOL_SQLITE_PATH": other.appendingPathComponent("pool.sqlite").path,
                                                "POOL_LOCAL_STATE": other.appendingPathComponent("local").path], urls: urls)
        #expect(busy.status != 0, "a server whose port is taken must fail: \(busy.stderr)")
        await instancesAnswer(urls, "after a second server failed to bind its port")
        for url in try Self.ownURLs(other.appendingPathComponent("local")) {
            let answer = try? await ServeProcess.get(url + "/convos/status")
            #expect(answer == nil, "\(url), started by the server that failed, still answers after it exited")
        }

        // A follower over a folder of its own, sharing the store: stopping it stops nothing.
        let follower = try await start(folder, state: "follower", name: "follower")
        try await eventually("the follower to see the leader", seconds: 30, every: .milliseconds(200)) {
            try await ServeProcess.get(follower.base + "/api/pool/status", headers: auth).1.contains("\"leading\":false")
        }
        follower.process.process.terminate()
        #expect(await follower.process.waitForExit(seconds: 30) == 0, "\(follower.process.stderr)")
        await instancesAnswer(urls, "after the follower stopped")
    }
}
