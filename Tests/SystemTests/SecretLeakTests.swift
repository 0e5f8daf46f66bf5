import AsyncHTTPClient
import Credentials
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Planning
import RailwayFake
import StandInAgent
import Store
import TestSupport
import Testing

/// A full run of the real `poolctl serve` (fake Railway, stand-in agents, Postgres when
/// there is one) with a distinctive value in every secret variable: the pool fills, a claim
/// succeeds, one fails, an instance is killed, the spec is reloaded (once rejected), bad
/// requests and bad keys come in. Then everything an operator or a caller can see is
/// searched for every secret, as is and encoded: none may appear. The fake Railway must
/// have received the instance secrets, so they were really used.
@Suite(.timeLimit(.minutes(3))) struct SecretLeakTests {
    /// Distinctive, high-entropy values; one has the characters that encodings change.
    static let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    static let apiKey = "pool-key-LEAK1-\(run)-7f3a9c"
    static let railwayToken = "railway-token-LEAK2-\(run)-b81e"
    static let openRouterKey = "sk-or-v1-LEAK3-\(run)-0c5d2e"
    static let webhookSecret = "whsec_LEAK4/\(run)+Zq=="
    static let smtpPassword = "smtp pass LEAK5 \(run) ä&?#"
    static let instanceSecret = "instance-secret-LEAK6-\(run)-5e0d8a41c9b7"

    static let idle = 2
    static let agents = 10

    static func spec(minIdle: Int, extra: String = "") -> String {
        RailwayFake.poolYAML([
            "minIdle": "\(minIdle)", "maxTotal": "6", "createsPerTick": "3", "tickInterval": "1s",
            "claimTimeouts": "{create: 5s, join: 5s}",
        ], environmentLines: """
        \(extra)
            variables:
              OPENROUTER_API_KEY: ${OPENROUTER_API_KEY}
              WEBHOOK_SECRET: ${WEBHOOK_SECRET}
              SMTP_PASSWORD: ${SMTP_PASSWORD}
              LOG_FORMAT: plain
        """)
    }

    struct Secret {
        var name: String
        var value: String
    }

    @Test func noSecretAppearsAnywhereDuringAFullRun() async throws {
        let environment = ProcessInfo.processInfo.environment
        let database = environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if database == nil, environment["REQUIRE_POSTGRES"] == "1" {
            Issue.record("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set: the DATABASE_URL password goes unchecked")
        }
        var secrets = [Secret(name: "POOL_API_KEY", value: Self.apiKey),
                       Secret(name: "POOL_INSTANCE_SECRET", value: Self.instanceSecret),
                       Secret(name: "RAILWAY_API_TOKEN", value: Self.railwayToken),
                       Secret(name: "OPENROUTER_API_KEY", value: Self.openRouterKey),
                       Secret(name: "WEBHOOK_SECRET", value: Self.webhookSecret),
                       Secret(name: "SMTP_PASSWORD", value: Self.smtpPassword)]
        if let database {
            let password = try #require(URLComponents(string: database)?.password, "no password in TEST_DATABASE_URL")
            try #require(password.count >= 12, "the test database's password is too short to search for")
            secrets.append(Secret(name: "DATABASE_URL password", value: password))
        }

        // Stand-in agents behind the fake's domains; the fake behind a recording proxy.
        let world = try await RailwayWithAgents.start(token: Self.railwayToken, apiKey: Self.apiKey, agents: Self.agents,
                                                      phase: .milliseconds(200))
        defer { Task { await world.stop() } }
        let fake = world.fake
        let fakeURL = try #require(URLComponents(string: world.url))
        let recorder = try TCPProxy(upstreamHost: "127.0.0.1", upstreamPort: try #require(fakeURL.port), recording: true)
        var railwayURL = fakeURL
        railwayURL.port = recorder.port
        defer { recorder.stop() }

        // Railway's GraphQL layer quotes a rejected variable's value in its error, as
        // graphql-js does ("got invalid value ..."): the first create meets one.
        await fake.inject(.graphQLError(message: #"Variable "$variables" got invalid value { OPENROUTER_API_KEY: "\#(Self.openRouterKey)", WEBHOOK_SECRET: "\#(Self.webhookSecret)" }; Expected type "EnvironmentVariables""#),
                          operation: "ServiceCreate", times: 1)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("secret-leak-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let specPath = dir.appendingPathComponent("pool.yaml").path
        try Self.spec(minIdle: Self.idle).write(toFile: specPath, atomically: true, encoding: .utf8)
        var env = ["RAILWAY_API_URL": try #require(railwayURL.string), "RAILWAY_API_TOKEN": Self.railwayToken,
                   "POOL_API_KEY": Self.apiKey, "POOL_INSTANCE_SECRET": Self.instanceSecret,
                   "OPENROUTER_API_KEY": Self.openRouterKey,
                   "WEBHOOK_SECRET": Self.webhookSecret, "SMTP_PASSWORD": Self.smtpPassword,
                   // Everything the process can log is logged.
                   "LOG_LEVEL": "trace"]
        let schema = "leak_\(UInt32.random(in: 0...UInt32.max))"
        let sqlitePath = dir.appendingPathComponent("pool.sqlite").path
        if let database {
            env["DATABASE_URL"] = database
            env["POOL_DATABASE_SCHEMA"] = schema
        } else {
            env["POOL_SQLITE_PATH"] = sqlitePath
        }

        let serve = try ServeProcess(["serve", "--spec", specPath, "--env", "test", "--host", "127.0.0.1", "--port", "0"], env: env)
        defer { serve.stop() }
        try await eventually("the listening line", seconds: 60) { serve.port != nil || !serve.process.isRunning }
        let base = "http://127.0.0.1:\(try #require(serve.port, "no port in: \(serve.stderr.suffix(3_000))"))"
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        let api = LeakAPI(http: http, base: base, key: Self.apiKey)
        var seen: [(String, Data)] = []
        func keep(_ what: String, _ answer: LeakAPI.Answer) {
            seen.append((what, Data((answer.headers + "\n" + answer.body).utf8)))
        }

        // The pool fills.
        try await eventually("\(Self.idle) idle instances", seconds: 60, every: .milliseconds(200)) {
            let counts = try await api.call(.GET, "/api/pool/counts", auth: false).body
            return counts.contains("\"idle\":\(Self.idle)") && counts.contains("\"provisioning\":0")
        }
        // A claim succeeds; its invite link is drawn as the dashboard would.
        let claimed = try await api.call(.POST, "/api/pool/claim", body: #"{"agentName": "Leak Test", "instructions": "Plan a trip."}"#)
        keep("claim answer", claimed)
        #expect(claimed.status == 200, "\(claimed.body)")
        let claim = try JSONSerialization.jsonObject(with: Data(claimed.body.utf8)) as? [String: Any]
        let claimedId = try #require(claim?["instanceId"] as? String)
        let invite = try #require(claim?["inviteUrl"] as? String)
        let qr = invite.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        keep("QR code", try await api.call(.GET, "/api/pool/qr?text=\(qr)"))
        try await eventually("the claimed instance renamed", seconds: 30, every: .milliseconds(200)) {
            try await api.call(.GET, "/api/pool/status").body.contains("convos-agent-leak-test")
        }
        // A claim fails: the instance answers 500 (once an idle instance is there to take it).
        try await eventually("an idle instance", seconds: 60, every: .milliseconds(200)) {
            try await api.call(.GET, "/api/pool/counts", auth: false).body.contains(#""idle":0"#) == false
        }
        for agent in world.agents { agent.state.setFailure(.serverError, on: .createConversation) }
        let failed = try await api.call(.POST, "/api/pool/claim", body: #"{"agentName": "Failing", "instructions": "Fail."}"#)
        for agent in world.agents { agent.state.setFailure(nil) }
        keep("failed claim answer", failed)
        #expect(failed.status == 502, "\(failed.status) \(failed.body)")
        // Bad requests and bad keys, an instance's own token among them.
        let secrets0 = try #require(try InstanceSecrets.fromEnvironment(["POOL_INSTANCE_SECRET": Self.instanceSecret]))
        let claimedToken = secrets0.currentToken(instanceId: claimedId)
        for (what, answer) in [
            ("an instance token on status", try await api.call(.GET, "/api/pool/status", key: claimedToken)),
            ("self-destruct with a wrong token", try await api.call(.POST, "/api/pool/self-destruct", auth: false,
                body: #"{"instanceId": "\#(claimedId)", "instanceToken": "\#(String(claimedToken.reversed()))"}"#)),
            ("self-destruct with the pool key", try await api.call(.POST, "/api/pool/self-destruct", auth: false,
                body: #"{"instanceId": "\#(claimedId)", "instanceToken": "\#(Self.apiKey)"}"#)),
            ("self-destruct of an unknown instance", try await api.call(.POST, "/api/pool/self-destruct", auth: false,
                body: #"{"instanceId": "nosuchinstance", "instanceToken": "\#(secrets0.currentToken(instanceId: "nosuchinstance"))"}"#)),
            ("bad JSON", try await api.call(.POST, "/api/pool/claim", body: #"{"agentName": "#)),
            ("missing field", try await api.call(.POST, "/api/pool/claim", body: #"{"agentName": "x"}"#)),
            ("bad join URL", try await api.call(.POST, "/api/pool/claim",
                                                 body: #"{"agentName": "x", "instructions": "y", "joinUrl": "https://evil.example/\#(Self.run)"}"#)),
            ("bad drain", try await api.call(.POST, "/api/pool/drain", body: #"{"count": -1}"#)),
            ("bad events query", try await api.call(.GET, "/api/pool/events?limit=0")),
            ("unknown instance", try await api.call(.DELETE, "/api/pool/instances/nosuchinstance")),
            ("no key", try await api.call(.GET, "/api/pool/status", auth: false)),
            ("wrong key", try await api.call(.GET, "/api/pool/status", key: "wrong")),
            ("almost the key", try await api.call(.POST, "/api/pool/claim", key: String(Self.apiKey.dropLast()),
                                                  body: #"{"agentName": "x", "instructions": "y"}"#)),
            ("unknown route", try await api.call(.GET, "/api/pool/secrets")),
        ] {
            keep(what, answer)
            #expect((400..<500).contains(answer.status), "\(what): \(answer.status) \(answer.body)")
        }
        // The operator kills the claimed instance, asks for a tick and a replenish.
        let killed = try await api.call(.DELETE, "/api/pool/instances/\(claimedId)")
        keep("kill answer", killed)
        #expect((200..<300).contains(killed.status), "\(killed.body)")
        keep("reconcile answer", try await api.call(.POST, "/api/pool/reconcile"))
        keep("replenish answer", try await api.call(.POST, "/api/pool/replenish"))
        keep("drain answer", try await api.call(.POST, "/api/pool/drain", body: #"{"count": 1}"#))
        // SIGHUP: a spec whose secrets land in invalid places is rejected (its errors are
        // logged), then a good one with a higher minIdle is taken.
        try Self.spec(minIdle: Self.idle, extra: "    xmtpEnv: ${OPENROUTER_API_KEY}\n    openclawRef: ''\n    instancePort: ${SMTP_PASSWORD}\n")
            .write(toFile: specPath, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        try await eventually("the rejected reload", seconds: 10, every: .milliseconds(200)) { serve.stderr.contains("reload rejected") }
        try Self.spec(minIdle: Self.idle + 1).write(toFile: specPath, atomically: true, encoding: .utf8)
        kill(serve.process.processIdentifier, SIGHUP)
        try await eventually("the reload", seconds: 10, every: .milliseconds(200)) { serve.stderr.contains("reloaded the spec") }
        try await eventually("\(Self.idle + 1) idle after the reload", seconds: 60, every: .milliseconds(200)) {
            let counts = try await api.call(.GET, "/api/pool/counts", auth: false).body
            return counts.contains("\"idle\":\(Self.idle + 1)") && counts.contains("\"provisioning\":0")
                && counts.contains("\"tainted\":0")
        }

        // What the server shows.
        for path in ["/", "/healthz", "/readyz", "/openapi.yaml", "/metrics", "/api/pool/counts"] {
            keep("GET \(path)", try await api.call(.GET, path, auth: false))
        }
        for path in ["/api/pool/status", "/api/pool/plan", "/api/pool/events?limit=500"] {
            let answer = try await api.call(.GET, path)
            #expect(answer.status == 200, "\(path): \(answer.body)")
            keep("GET \(path)", answer)
        }
        let events = try await api.call(.GET, "/api/pool/events?limit=500").body
        for kind in ["create", "claim", "kill", "delete", "rename"] {
            #expect(events.contains("\"kind\":\"\(kind)\""), "the run produced no \(kind) event")
        }

        serve.process.terminate()
        #expect(await serve.waitForExit(seconds: 30) == 0)
        seen.append(("serve stderr", Data(serve.stderr.utf8)))
        seen.append(("serve stdout", Data(serve.stdout.utf8)))
        #expect(serve.stderr.contains("reloaded the spec") && serve.stderr.contains("tick:"))

        // The command line against the same fake and store.
        let savedPlan = dir.appendingPathComponent("plan.json").path
        for args in [["plan", "--json"], ["plan"], ["plan", "--save", savedPlan], ["validate"], ["plan", "--detailed-exitcode"]] {
            let r = try await ServeProcess.run(args + ["--spec", specPath, "--env", "test"], env: env)
            #expect(r.status == 0 || (args.contains("--detailed-exitcode") && r.status == 2), "poolctl \(args): \(r.stderr)")
            seen.append(("poolctl \(args.joined(separator: " ")) stdout", Data(r.stdout.utf8)))
            seen.append(("poolctl \(args.joined(separator: " ")) stderr", Data(r.stderr.utf8)))
        }
        seen.append(("saved plan file", try Data(contentsOf: URL(fileURLWithPath: savedPlan))))

        // The store's rows.
        if let database {
            let store = try PostgresStore(url: database, options: .init(schema: schema, maximumConnections: 2),
                                          logger: quiet)
            let rows = try await store.events(limit: 10_000, before: nil)
            let records = try await store.instances()
            let answers = try await store.claimAnswers(instanceIds: records.map(\.instanceId) + [claimedId])
            await store.close()
            #expect(rows.count > 10)
            seen.append(("events table", Data(rows.map { "\($0)" }.joined(separator: "\n").utf8)))
            seen.append(("instances table", Data(records.map { "\($0)" }.joined(separator: "\n").utf8)))
            seen.append(("claims table", Data(answers.map { "\($0)" }.joined(separator: "\n").utf8)))
        } else {
            // The whole SQLite database, byte for byte, journal included.
            for suffix in ["", "-wal", "-shm"] {
                if let bytes = FileManager.default.contents(atPath: sqlitePath + suffix) { seen.append(("pool.sqlite\(suffix)", bytes)) }
            }
        }

        // The instances' own tokens are secrets too: the stand-ins took them from the
        // services' variables.
        let tokens = Set(world.agents.map(\.state.key)).subtracting([Self.apiKey])
        #expect(tokens.count >= Self.idle + 3, "instances made with tokens of their own: \(tokens.count)")
        for (k, token) in tokens.sorted().enumerated() { secrets.append(Secret(name: "instance token \(k)", value: token)) }

        // None of it holds a secret, in any common encoding.
        for secret in secrets {
            for (encoding, needle) in Self.encodings(of: secret.value) {
                for (what, haystack) in seen where haystack.range(of: Data(needle.utf8)) != nil {
                    Issue.record("\(secret.name) appears \(encoding) in \(what): …\(Self.context(of: needle, in: haystack))…")
                }
            }
        }

        // The secrets were really used: the fake Railway received every instance secret as a
        // variable of the services it created, and the token as the credential.
        let sent = String(decoding: recorder.sentUpstream, as: UTF8.self)
        for secret in secrets where !["RAILWAY_API_TOKEN", "DATABASE_URL password", "POOL_API_KEY", "POOL_INSTANCE_SECRET"].contains(secret.name) {
            let json = try Self.jsonString(secret.value)
            #expect(sent.contains(json) || sent.contains(json.replacingOccurrences(of: "/", with: "\\/")),
                    "the fake Railway never received \(secret.name)")
        }
        #expect(sent.contains("Bearer \(Self.railwayToken)"), "the fake Railway never received the token")
        for name in ["INSTANCE_ID", "INSTANCE_TOKEN", "OPENROUTER_API_KEY", "WEBHOOK_SECRET", "SMTP_PASSWORD"] {
            #expect(sent.contains("\"\(name)\""), "no variable \(name) in the creates")
        }
        // The manager's own secrets never reach Railway, and so no instance, in any encoding.
        for secret in secrets where ["POOL_API_KEY", "POOL_INSTANCE_SECRET"].contains(secret.name) {
            for (encoding, needle) in Self.encodings(of: secret.value) where sent.contains(needle) {
                Issue.record("\(secret.name) was sent to Railway \(encoding)")
            }
        }
        #expect(await fake.calls(of: "ServiceCreate") >= Self.idle + 3)
        #expect(world.agents.contains { $0.state.calls(to: .status) > 0 }, "the instances were probed with the key")
    }

    static func encodings(of secret: String) -> [(String, String)] { SecretEncodings.of(secret) }

    static func jsonString(_ s: String) throws -> String { try SecretEncodings.jsonString(s) }

    static func context(of needle: String, in haystack: Data) -> String {
        guard let r = haystack.range(of: Data(needle.utf8)) else { return "" }
        let lower = max(haystack.startIndex, r.lowerBound - 120), upper = min(haystack.endIndex, r.upperBound + 120)
        return String(decoding: haystack[lower..<upper], as: UTF8.self)
    }
}

/// Calls to the running server: status, headers and body of every answer, whatever its status.
struct LeakAPI: Sendable {
    let http: HTTPClient
    let base: String
    let key: String

    struct Answer {
        var status: Int
        var headers: String
        var body: String
    }

    func call(_ method: HTTPMethod, _ path: String, auth: Bool = true, key: String? = nil, body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        else if auth { request.headers.add(name: "Authorization", value: "Bearer \(self.key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
        return Answer(status: Int(response.status.code),
                      headers: response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n"), body: text)
    }
}
