import Controller
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Model
import Planning
@testable import Server
import TestSupport
import Testing

/// What a caller without the key, or with a hostile body, can do to the API: nothing.
/// Extends AuthTests (which walks every route once) and BodyLimitTests (413 per body route)
/// with one test per protected route and per hostile body, each proving that no state
/// changed, plus the agent-name and join-URL rules a claim relies on.
@Suite(.timeLimit(.minutes(2))) struct APISecurityTests {

    // MARK: Protected routes

    /// Every protected operation of openapi.yaml; `theParameterizedRoutesAreTheRoutersProtectedRoutes`
    /// keeps the list in step with the router.
    static let protectedOperations: [OpenAPIDocument.Operation] = {
        guard let text = OpenAPIRoute.document, let document = try? OpenAPIDocument(yaml: text) else { return [] }
        return document.operations.filter(\.value).map(\.key).sorted { $0.description < $1.description }
    }()

    /// A credential that is not `Authorization: Bearer <key>`, exactly.
    struct BadCredential: Sendable, CustomStringConvertible {
        var description: String
        /// Authorization header values, in order (none: no header).
        var authorization: [String] = []
        /// Other headers.
        var other: [(String, String)] = []
        /// Appended to the URI.
        var query: String = ""
    }

    static let key = ServerFixtures.apiKey

    /// The key with the case of its first letter flipped: differs only in case.
    static var keyWithOneLetterFlipped: String {
        let i = key.firstIndex { $0.isLetter }!
        return key.replacingCharacters(in: i...i, with: key[i].isUppercase ? key[i].lowercased() : key[i].uppercased())
    }

    static let badCredentials: [BadCredential] = [
        BadCredential(description: "no Authorization header"),
        BadCredential(description: "empty header", authorization: [""]),
        BadCredential(description: "scheme only", authorization: ["Bearer"]),
        BadCredential(description: "wrong key", authorization: ["Bearer not-the-key"]),
        BadCredential(description: "key in upper case", authorization: ["Bearer \(key.uppercased())"]),
        BadCredential(description: "key differing in the case of one letter", authorization: ["Bearer \(keyWithOneLetterFlipped)"]),
        BadCredential(description: "key with a look-alike letter (Cyrillic e)",
                      authorization: ["Bearer \(key.replacingOccurrences(of: "e", with: "\u{0435}"))"]),
        BadCredential(description: "key with one character more", authorization: ["Bearer \(key)x"]),
        BadCredential(description: "key with one character less", authorization: ["Bearer \(key.dropLast())"]),
        BadCredential(description: "key behind a prefix", authorization: ["Bearer x\(key)"]),
        BadCredential(description: "key twice", authorization: ["Bearer \(key) \(key)"]),
        BadCredential(description: "quoted key", authorization: ["Bearer \"\(key)\""]),
        BadCredential(description: "scheme in lower case", authorization: ["bearer \(key)"]),
        BadCredential(description: "scheme in upper case", authorization: ["BEARER \(key)"]),
        BadCredential(description: "scheme in mixed case", authorization: ["BeArEr \(key)"]),
        BadCredential(description: "two spaces after the scheme", authorization: ["Bearer  \(key)"]),
        BadCredential(description: "a tab after the scheme", authorization: ["Bearer\t\(key)"]),
        BadCredential(description: "a colon after the scheme", authorization: ["Bearer:\(key)"]),
        BadCredential(description: "key without a scheme", authorization: [key]),
        BadCredential(description: "Basic scheme with the key as password",
                      authorization: ["Basic \(Data(":\(key)".utf8).base64EncodedString())"]),
        BadCredential(description: "Basic scheme with the key as user",
                      authorization: ["Basic \(Data("\(key):".utf8).base64EncodedString())"]),
        BadCredential(description: "Token scheme", authorization: ["Token \(key)"]),
        BadCredential(description: "Digest scheme", authorization: ["Digest \(key)"]),
        BadCredential(description: "a wrong key before the right one", authorization: ["Bearer wrong", "Bearer \(key)"]),
        BadCredential(description: "key in X-API-Key", other: [("X-API-Key", key)]),
        BadCredential(description: "key in a cookie", other: [("Cookie", "key=\(key); token=\(key)")]),
        BadCredential(description: "key in Proxy-Authorization", other: [("Proxy-Authorization", "Bearer \(key)")]),
        BadCredential(description: "key in the query", query: "key=\(key)&api_key=\(key)&access_token=\(key)"),
    ]

    /// What the pool looks like from outside the API: anything a request could change.
    struct Snapshot: Equatable {
        var records: [InstanceRecord]
        var services: [PlatformService]
        var pendingRequests: Int
        var events: Int
        var instanceCalls: Int
        var ticks: Int

        init(_ world: ServerWorld) async throws {
            records = try await world.store.instances().sorted { $0.instanceId < $1.instanceId }
            services = world.platform.all.sorted { $0.serviceId < $1.serviceId }
            pendingRequests = try await world.store.pendingRequests().count
            events = try await world.store.events(limit: 500, before: nil).count
            instanceCalls = world.caller.callCount
            ticks = await world.loop.ticksRun
        }
    }

    /// A pool with an idle, a claimed and a crashed instance, so that each protected route
    /// would change something if it let the request through.
    static func withPopulatedPool(_ body: (ServerWorld, _ claimed: String, _ crashed: String) async throws -> Void) async throws {
        // minIdle 3: the tick after the claim refills the pool instead of scaling it down.
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 3), idle: 3) { world in
            let ids = world.seeded
            let claimed = try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                 body: ByteBuffer(string: ClaimRouteTests.body))
                return try #require(r.json["instanceId"] as? String, "\(r.text)")
            }
            // The claim asked for a tick: let it (and its rename) happen before anything is compared.
            _ = await world.loop.tickNow()
            let crashed = try #require(ids.first { $0 != claimed })
            try await world.store.mark(instanceId: crashed, serviceId: nil, state: .crashed, at: Date())
            try await body(world, claimed, crashed)
        }
    }

    /// The request that would act on `operation`: its path with a real instance id, and a valid body.
    static func request(for operation: OpenAPIDocument.Operation, claimed: String, crashed: String) -> (uri: String, body: String?) {
        switch operation.path {
        case "/api/pool/instances/{id}": ("/api/pool/instances/\(claimed)", nil)
        case "/api/pool/crashed/{id}": ("/api/pool/crashed/\(crashed)", nil)
        case "/api/pool/qr": ("/api/pool/qr?text=hello", nil)
        case "/api/pool/claim": (operation.path, #"{"agentName":"Intruder","instructions":"Take an instance."}"#)
        case "/api/pool/drain", "/api/pool/replenish": (operation.path, #"{"count": 1}"#)
        default: (operation.path, nil)
        }
    }

    @Test func theParameterizedRoutesAreTheRoutersProtectedRoutes() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let routed = Set(world.router.routes.map { OpenAPIDocument.Operation(method: $0.method.rawValue, path: $0.path.description) })
            let parameterized = Set(Self.protectedOperations)
            #expect(parameterized.count >= 9)
            #expect(parameterized == routed.filter { !AuthTests.publicOperations.contains($0.description) })
        }
    }

    /// The instances' own tokens, alone and in the successor's `<id>:<token>` form: they
    /// open self-destruct only.
    static func instanceCredentials(_ ids: [String]) -> [BadCredential] {
        ids.flatMap { id in [
            BadCredential(description: "instance \(id)'s own token", authorization: ["Bearer \(TestCredentials.token(id))"]),
            BadCredential(description: "instance \(id)'s id and token", authorization: ["Bearer \(id):\(TestCredentials.token(id))"]),
        ] }
    }

    @Test(arguments: protectedOperations)
    func everyBadCredentialIs401WithAJSONErrorAndChangesNothing(_ operation: OpenAPIDocument.Operation) async throws {
        try await Self.withPopulatedPool { world, claimed, crashed in
            let (uri, body) = Self.request(for: operation, claimed: claimed, crashed: crashed)
            let method = HTTPRequest.Method(operation.method)!
            let before = try await Snapshot(world)
            try await world.app.test(.router) { client in
                for credential in Self.badCredentials + Self.instanceCredentials(world.seeded) {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    for value in credential.authorization { headers.append(HTTPField(name: .authorization, value: value)) }
                    for (name, value) in credential.other { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
                    let target = credential.query.isEmpty ? uri : uri + (uri.contains("?") ? "&" : "?") + credential.query
                    let r = try await client.execute(uri: target, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                    #expect(r.status == .unauthorized, "\(operation) with \(credential): \(r.status) \(r.text)")
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, "\(operation) with \(credential)")
                    #expect(r.error?.contains("API key") == true, "\(operation) with \(credential): \(r.text)")
                    #expect(r.headers[.wwwAuthenticate] == "Bearer", "\(operation) with \(credential)")
                    #expect(!r.text.contains(Self.key) && !r.text.lowercased().contains(Self.key.lowercased()),
                            "\(operation) with \(credential): the key never appears in an answer")
                }
            }
            #expect(try await Snapshot(world) == before, "\(operation): a refused request changed the pool")
            // The same request with the key gets through: the refusals above were the key's doing.
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: uri, method: method, headers: ServerFixtures.jsonAuth, body: body.map { ByteBuffer(string: $0) })
                #expect(r.status != .unauthorized && r.status.code < 500, "\(operation) with the key: \(r.status) \(r.text)")
            }
        }
    }

    // MARK: Hostile bodies

    /// A body that must be refused with `status`, its error starting with `message` when given.
    struct HostileBody: Sendable, CustomStringConvertible {
        var path: String
        var what: String
        var status: Int = 400
        var message: String?
        var bytes: @Sendable () -> [UInt8]

        init(_ path: String, _ what: String, status: Int = 400, _ message: String? = nil, json: @autoclosure @escaping @Sendable () -> String) {
            self.path = path
            self.what = what
            self.status = status
            self.message = message
            self.bytes = { Array(json().utf8) }
        }

        init(_ path: String, _ what: String, status: Int = 400, _ message: String? = nil, bytes: @escaping @Sendable () -> [UInt8]) {
            self.path = path
            self.what = what
            self.status = status
            self.message = message
            self.bytes = bytes
        }

        var description: String { "\(path): \(what)" }
    }

    static let claim = "/api/pool/claim"
    static let limit = PoolRequestContext.maxBodyBytes

    /// A claim body whose one field is `value` (raw JSON), the others valid.
    static func claimWith(_ field: String, _ value: String) -> String {
        var fields = [("agentName", #""Tokyo Trip""#), ("instructions", #""Plan a trip.""#)]
        if let i = fields.firstIndex(where: { $0.0 == field }) { fields[i].1 = value } else { fields.append((field, value)) }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    static let hostileBodies: [HostileBody] = {
        var cases: [HostileBody] = []
        // Malformed JSON, on every body route.
        for path in [claim, "/api/pool/drain", "/api/pool/replenish"] {
            cases += [
                HostileBody(path, "an unclosed object", "malformed JSON body", json: #"{"count": 1"#),
                HostileBody(path, "single quotes", "malformed JSON body", json: #"{'count': 1}"#),
                HostileBody(path, "trailing garbage", json: #"{"count": 1} and more"#),
                HostileBody(path, "a bare word", "malformed JSON body", json: "nul"),
                HostileBody(path, "NaN", json: #"{"count": NaN}"#),
                HostileBody(path, "invalid UTF-8", bytes: { Array(#"{"agentName":""#.utf8) + [0xFF, 0xFE, 0xC3] + Array(#"","count":1}"#.utf8) }),
                HostileBody(path, "100,000 nested arrays", json: String(repeating: "[", count: 100_000)),
                HostileBody(path, "10,000 nested objects under an unknown key",
                            json: #"{"count":1,"agentName":"A","instructions":"x","extra":"# + String(repeating: #"{"a":"#, count: 10_000)
                                + "1" + String(repeating: "}", count: 10_001)),
                HostileBody(path, "an array body", "body: expected a JSON object", json: "[1]"),
                HostileBody(path, "a string body", "body: expected a JSON object", json: #""count""#),
                HostileBody(path, "a number body", "body: expected a JSON object", json: "1"),
                HostileBody(path, "one byte over the limit", status: 413, "the request body is larger than 1 MiB",
                            json: { let s = #"{"count":1,"pad":""#; return s + String(repeating: "x", count: limit + 1 - s.utf8.count - 2) + #""}"# }()),
                HostileBody(path, "2 MiB of whitespace", status: 413, json: String(repeating: " ", count: 2 * limit)),
            ]
        }
        // Every field of the claim with every wrong type.
        for (field, wrong) in [("agentName", "7"), ("agentName", "true"), ("agentName", "null"), ("agentName", "[]"), ("agentName", #"{"a":1}"#),
                               ("agentName", "1.5"), ("agentName", #"["Tokyo"]"#),
                               ("instructions", "[]"), ("instructions", #"["Plan a trip."]"#), ("instructions", "42"), ("instructions", "false"),
                               ("instructions", "null"), ("instructions", #"{"text":"x"}"#),
                               ("joinUrl", "7"), ("joinUrl", "true"), ("joinUrl", "[]"), ("joinUrl", #"{"url":"https://dev.convos.org/v2"}"#)] {
            cases.append(HostileBody(claim, "\(field) as \(wrong)", "\(field): expected", json: claimWith(field, wrong)))
        }
        cases += [
            HostileBody(claim, "null body", "body: expected", json: "null"),
            HostileBody(claim, "no agentName", "agentName: required", json: #"{"instructions":"x"}"#),
            HostileBody(claim, "no instructions", "instructions: required", json: #"{"agentName":"A"}"#),
            HostileBody(claim, "a blank agentName", "agentName: required", json: claimWith("agentName", #"" \t\n ""#)),
            HostileBody(claim, "a control character in agentName", "agentName: must not contain control characters",
                        json: claimWith("agentName", #""Tokyo\u0000Trip""#)),
            HostileBody(claim, "an agentName of 100,000 characters", "agentName: at most 64 characters",
                        json: claimWith("agentName", "\"" + String(repeating: "a", count: 100_000) + "\"")),
            HostileBody(claim, "an agentName of 65 two-byte characters", "agentName: at most 64 characters",
                        json: claimWith("agentName", "\"" + String(repeating: "é", count: 65) + "\"")),
            HostileBody(claim, "an agentName of 500,000 characters", "agentName: at most 64 characters",
                        json: claimWith("agentName", "\"" + String(repeating: "ab", count: 250_000) + "\"")),
            HostileBody(claim, "instructions one byte over 64 KiB", "instructions: at most 64 KiB",
                        json: claimWith("instructions", "\"" + String(repeating: "x", count: 64 * 1024 + 1) + "\"")),
            HostileBody(claim, "instructions over 64 KiB in three-byte characters", "instructions: at most 64 KiB",
                        json: claimWith("instructions", "\"" + String(repeating: "€", count: 21_846) + "\"")),
            HostileBody(claim, "instructions over 64 KiB as escapes", "instructions: at most 64 KiB",
                        json: claimWith("instructions", "\"" + String(repeating: #"\u00e9"#, count: 40_000) + "\"")),
            HostileBody(claim, "a blank instructions", "instructions: required and not blank", json: claimWith("instructions", #""  \n""#)),
            HostileBody(claim, "a joinUrl of 900,000 characters on an invite host", "joinUrl:",
                        json: claimWith("joinUrl", "\"https://dev.convos.org/v2?i=" + String(repeating: "a", count: 900_000) + "\"")),
            HostileBody(claim, "a body exactly at the limit (decoded, then refused)", "instructions: at most 64 KiB",
                        json: { let s = #"{"agentName":"A","instructions":""#; return s + String(repeating: "x", count: limit - s.utf8.count - 2) + #""}"# }()),
        ]
        // Counts that are not what drain and replenish take.
        for path in ["/api/pool/drain", "/api/pool/replenish"] {
            for wrong in [#""1""#, "true", "[1]", #"{"n":1}"#, "1.5", "-1", "0", "1e400", "99999999999999999999999",
                          "9223372036854775807", "-9223372036854775808", "1e-7", "-0.0"] {
                cases.append(HostileBody(path, "count \(wrong)", json: #"{"count": \#(wrong)}"#))
            }
        }
        cases.append(HostileBody("/api/pool/drain", "count null", "count: required", json: #"{"count": null}"#))
        cases.append(HostileBody("/api/pool/drain", "no body", "a JSON body is required", json: ""))
        return cases
    }()

    @Test(arguments: hostileBodies)
    func hostileBodiesAre4xxNever5xxAndChangeNothing(_ hostile: HostileBody) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let ids = try await world.seedIdle(1)
            let before = try await Snapshot(world)
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: hostile.path, method: .post, headers: ServerFixtures.jsonAuth,
                                                 body: ByteBuffer(bytes: hostile.bytes()))
                #expect(r.status.code == hostile.status, "\(hostile): \(r.status) \(r.text.prefix(300))")
                #expect((400..<500).contains(r.status.code), "\(hostile): never a 5xx")
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, "\(hostile)")
                #expect(r.error != nil, "\(hostile): a JSON error: \(r.text.prefix(300))")
                if let message = hostile.message {
                    #expect(r.error?.hasPrefix(message) == true, "\(hostile): \(r.text.prefix(300))")
                }
                #expect(r.text.utf8.count < 2_000, "\(hostile): the error does not echo the body back")
            }
            #expect(try await Snapshot(world) == before, "\(hostile): a refused body changed the pool")
            #expect(try await world.store.instance(id: ids[0])?.claim == InstanceRecord.Claim.none)
        }
    }

    @Test func hostileHeadersAndQueriesAre4xx() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.seedIdle(1)
            try await world.app.test(.router) { client in
                for key in [String(repeating: "k", count: 10_000), "ключ", "a b", "tab\there", ""] {
                    var headers = ServerFixtures.jsonAuth
                    headers[HTTPField.Name("Idempotency-Key")!] = key
                    let r = try await client.execute(uri: Self.claim, method: .post, headers: headers,
                                                     body: ByteBuffer(string: ClaimRouteTests.body))
                    #expect(r.status == .badRequest, "Idempotency-Key \(key.prefix(20)): \(r.text)")
                    #expect(r.error?.hasPrefix("Idempotency-Key:") == true, "\(r.text)")
                }
                for query in ["limit=99999999999999999999999", "before=9223372036854775808", "limit=1e2", "limit=%00",
                              "limit=" + String(repeating: "9", count: 50_000)] {
                    let r = try await client.execute(uri: "/api/pool/events?\(query)", method: .get, headers: ServerFixtures.auth)
                    #expect(r.status == .badRequest, "\(query.prefix(40)): \(r.text.prefix(200))")
                }
                let qr = try await client.execute(uri: "/api/pool/qr?text=" + String(repeating: "%E2%82%AC", count: 100_000),
                                                  method: .get, headers: ServerFixtures.auth)
                #expect(qr.status == .badRequest, "\(qr.text.prefix(200))")
            }
            #expect(world.caller.callCount == 0)
        }
    }

    // MARK: Join URLs

    /// The test environment's XMTP network is dev: its one invite host is dev.convos.org.
    static let foreignJoinUrls = [
        "https://evil.com/v2?i=abc",
        "https://dev.convos.org@evil.com/v2?i=abc",
        "https://dev.convos.org:pass@evil.com/v2?i=abc",
        "https://evil.com@dev.convos.org/v2?i=abc",
        "https://user:pass@dev.convos.org/v2?i=abc",
        "http://dev.convos.org/v2?i=abc",
        "HTTP://dev.convos.org/v2?i=abc",
        "https://dev.convos.org:8443/v2?i=abc",
        "https://dev.convos.org:443/v2?i=abc",
        "https://dev.convos.org:0/v2?i=abc",
        "https://evil-convos.org/v2?i=abc",
        "https://evildev.convos.org/v2?i=abc",
        "https://convos.org.evil.com/v2?i=abc",
        "https://dev.convos.org.evil.com/v2?i=abc",
        "https://sub.dev.convos.org/v2?i=abc",
        "https://dev.convos.org./v2?i=abc",
        "https://convos.org/v2?i=abc",
        "https://popup.convos.org/v2?i=abc",
        "https://evil.com/dev.convos.org/v2?i=abc",
        "https://evil.com?dev.convos.org",
        "https://evil.com#@dev.convos.org",
        "https://evil.com\\@dev.convos.org/v2",
        "https://dev%2Econvos%2Eorg/v2?i=abc",
        "https://dev.convos.org%2Eevil.com/v2?i=abc",
        "https://127.0.0.1/v2?i=abc",
        "https://[::1]/v2?i=abc",
        "https://localhost/v2?i=abc",
        "//dev.convos.org/v2?i=abc",
        "dev.convos.org/v2?i=abc",
        "https:dev.convos.org/v2?i=abc",
        "https:///dev.convos.org/v2?i=abc",
        "https://",
        "javascript:alert(1)//dev.convos.org",
        "file:///etc/passwd",
        "ftp://dev.convos.org/v2?i=abc",
        "wss://dev.convos.org/v2?i=abc",
        " https://dev.convos.org/v2?i=abc",
        "https://dev.convos.org /v2?i=abc",
        "https://dev.convos.org\n.evil.com/v2",
        "",
    ]

    @Test(arguments: foreignJoinUrls)
    func joinUrlsOffTheInviteHostAreRefusedNamingJoinUrl(_ url: String) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let ids = try await world.seedIdle(1)
            let body = String(decoding: try JSONEncoder().encode(ClaimRequest(agentName: "A", instructions: "x", joinUrl: url)), as: UTF8.self)
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: Self.claim, method: .post, headers: ServerFixtures.jsonAuth, body: ByteBuffer(string: body))
                #expect(r.status == .badRequest, "\(url.debugDescription): \(r.status) \(r.text)")
                #expect(r.error?.hasPrefix("joinUrl:") == true, "\(url.debugDescription): \(r.text)")
            }
            #expect(world.caller.callCount == 0, "\(url.debugDescription): the instance was called")
            #expect(try await world.store.instance(id: ids[0])?.claim == InstanceRecord.Claim.none)
        }
    }

    @Test(arguments: ["https://dev.convos.org/v2?i=abc", "https://DEV.Convos.ORG/v2?i=abc", "https://dev.convos.org/v2?i=abc#fragment"])
    func joinUrlsOnTheInviteHostAreJoined(_ url: String) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.seedIdle(1)
            let body = String(decoding: try JSONEncoder().encode(ClaimRequest(agentName: "A", instructions: "x", joinUrl: url)), as: UTF8.self)
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: Self.claim, method: .post, headers: ServerFixtures.jsonAuth, body: ByteBuffer(string: body))
                #expect(r.status == .ok, "\(url): \(r.text)")
                #expect(r.json["joined"] as? Bool == true)
            }
        }
    }

    // MARK: Agent names and service names

    static let prefix = ServerFixtures.prefix
    static let instanceId = "k3x9p2m7q4w8"

    /// Services in the environment the pool does not own, and one it does.
    static let existingServices = [
        "convos-agent-orchestrator", "convos-agent-manager", "pool-manager", "postgres", "Postgres", "redis",
        "convos-agent-trip", "convos-agent-tokyo-trip", "convos-agent-tokyo-trip-k3x9p2",
        "convos-agent-agent", "convos-agent-staging-a1b2c3d4e5f6", "convos-agent-a1b2c3d4e5f6",
        "\(prefix)-\(instanceId)-agent",
    ]

    static let adversarialAgentNames: [String] = [
        "", " ", "-", "---", "🙂", "🙂🙂🙂", "\u{200B}", "\u{202E}piT oykoT", "\u{0000}", "Tokyo\u{0000}Trip",
        "../../etc/passwd", "..", "./", "/", "a/../../b", "%2e%2e%2f", "$(reboot)", "`id`", "; rm -rf /",
        "Trip", "Tokyo Trip", "TOKYO TRIP", "tokyo-trip", "Ｔｏｋｙｏ", "İstanbul", "ß", "Émile's  bot",
        "orchestrator", "Orchestrator", "convos-agent-orchestrator", "manager", "agent", "Postgres", "pool manager",
        "a1b2c3d4e5f6", "A1B2C3D4E5F6", instanceId, "staging a1b2c3d4e5f6", "staging-a1b2c3d4e5f6",
        "convos-agent-a1b2c3d4e5f6", "convos agent a1b2c3d4e5f6", "x-\(instanceId)", "trip \(instanceId) agent",
        "000000000000", "abcdefghijkl", "abcdefghijk1", "Trip a1b2c3", "Trip-a1b2c3-d4e5f6",
        String(repeating: "a", count: 100_000), String(repeating: "a1", count: 50), String(repeating: "ab-", count: 30),
        String(repeating: "x", count: 28) + "-a1b2c3d4e5f6", String(repeating: "x", count: 39) + " a1b2c3d4e5f6",
        String(repeating: "🙂", count: 64), String(repeating: "-", count: 100) + "a",
    ] + existingServices

    /// Whether `name` is `<p>-<instance id>` for some prefix `p`: a service any pool, with any
    /// prefix, would take for one of its unclaimed instances (and might delete).
    static func looksLikeAnUnclaimedInstance(_ name: String) -> Bool {
        name.indices.contains { i in
            name[i] == "-" && InstanceNaming.instanceId(fromServiceName: name, prefix: String(name[..<i])) != nil
        }
    }

    /// What is wrong with `name` as the service name of a claimed instance; empty when nothing.
    static func problems(with name: String, taken: Set<String>) -> [String] {
        var problems: [String] = []
        if !name.hasPrefix("\(prefix)-") { problems.append("does not carry the pool's prefix") }
        if taken.contains(name) { problems.append("equals an existing service") }
        if InstanceNaming.instanceId(fromServiceName: name, prefix: prefix) != nil { problems.append("looks like an unclaimed instance of this pool") }
        if looksLikeAnUnclaimedInstance(name) { problems.append("looks like an unclaimed instance of another pool") }
        if !name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) { problems.append("not only a-z, 0-9 and -") }
        if name.contains("--") || name.hasSuffix("-") { problems.append("empty part") }
        if name.count > prefix.count + 1 + 40 + 1 + 13 + 6 { problems.append("too long") }
        return problems
    }

    @Test(arguments: adversarialAgentNames)
    func adversarialAgentNamesGiveServiceNamesThatAreOursAndCollideWithNothing(_ agentName: String) {
        // Round after round, every name given so far is taken too, so each fallback is reached.
        var taken = Set(Self.existingServices)
        for round in 1...6 {
            let name = InstanceNaming.claimedName(prefix: Self.prefix, agentName: agentName, instanceId: Self.instanceId,
                                                  taken: { taken.contains($0) })
            let problems = Self.problems(with: name, taken: taken)
            #expect(problems.isEmpty, "round \(round): \(agentName.prefix(40).debugDescription) -> \(name): \(problems)")
            // Stable: a service already carrying its name keeps it.
            let again = InstanceNaming.claimedName(prefix: Self.prefix, agentName: agentName, instanceId: Self.instanceId,
                                                   current: name, taken: { taken.contains($0) })
            #expect(again == name, "round \(round): \(agentName.prefix(40).debugDescription): \(name) renamed again to \(again)")
            if !problems.isEmpty { return }
            taken.insert(name)
        }
    }

    @Test func aServiceNamedForItsAgentIsNeverTakenForAnotherPoolsInstance() {
        // Two pools in one environment: ours ("convos-agent") and one whose prefix extends ours.
        for (agentName, otherPrefix) in [("staging a1b2c3d4e5f6", "convos-agent-staging"), ("Trip \(Self.instanceId)", "convos-agent-trip"),
                                         ("convos-agent-a1b2c3d4e5f6", "convos-agent-convos-agent")] {
            let name = InstanceNaming.claimedName(prefix: Self.prefix, agentName: agentName, instanceId: Self.instanceId, taken: { _ in false })
            let service = PlatformService(serviceId: "svc-1", name: name, createdAt: Date(), deployStatus: .success,
                                          deploymentId: "dep-1", domain: "x.test")
            #expect(Ownership.ownerId(of: ObservedInstance(service: service, record: nil), prefix: otherPrefix) == nil,
                    "\(agentName) -> \(name) is owned by the pool with prefix \(otherPrefix)")
        }
    }

    /// Through the API and the loop: claims with hostile agent names rename their services
    /// apart from the services the pool does not own, which stay as they were.
    @Test func claimsWithHostileAgentNamesNeverTouchServicesThePoolDoesNotOwn() async throws {
        let agents = ["orchestrator", "Trip", "🙂", "../../postgres", "staging a1b2c3d4e5f6", "Orchestrator!"]
        let unowned = ["convos-agent-orchestrator", "convos-agent-trip", "convos-agent-agent", "postgres"]
        let platform = MemoryPlatform()
        let others = unowned.map { platform.add(name: $0) }
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: agents.count), platform: platform, idle: agents.count) { world in
            let claimed: [String: String] = try await world.app.test(.router) { client in
                var claimed: [String: String] = [:]
                for agent in agents {
                    let body = String(decoding: try JSONEncoder().encode(ClaimRequest(agentName: agent, instructions: "x")), as: UTF8.self)
                    let r = try await client.execute(uri: Self.claim, method: .post, headers: ServerFixtures.jsonAuth, body: ByteBuffer(string: body))
                    #expect(r.status == .ok, "\(agent): \(r.text)")
                    claimed[try #require(r.json["instanceId"] as? String)] = agent
                }
                return claimed
            }
            #expect(claimed.count == agents.count)
            let ids = Array(claimed.keys)
            _ = await world.loop.tickNow()
            _ = await world.loop.tickNow()
            let services = world.platform.all
            for other in others {
                #expect(services.first { $0.serviceId == other.serviceId }?.name == other.name, "\(other.name) was renamed")
            }
            let names = services.map(\.name)
            #expect(Set(names).count == names.count, "two services share a name: \(names.sorted())")
            for id in ids {
                let record = try #require(try await world.store.instance(id: id))
                let name = try #require(services.first { $0.serviceId == record.serviceId }?.name)
                #expect(record.claim == .claimed && record.agentName == claimed[id])
                #expect(name != InstanceNaming.serviceName(prefix: Self.prefix, instanceId: id), "\(claimed[id]!): not renamed")
                #expect(name.hasPrefix("\(Self.prefix)-") && !Self.looksLikeAnUnclaimedInstance(name), "\(claimed[id]!) -> \(name)")
            }
            // Every claimed instance is still the pool's, shown as claimed by its agent.
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/status", method: .get, headers: ServerFixtures.auth)
                let instances = try #require(r.json["instances"] as? [[String: Any]])
                for id in ids {
                    let shown = instances.first { $0["instanceId"] as? String == id }
                    #expect(shown?["state"] as? String == "claimed", "\(id): \(shown ?? [:])")
                    #expect(shown?["agentName"] as? String == claimed[id])
                }
                #expect(!instances.contains { unowned.contains($0["name"] as? String ?? "") })
            }
        }
    }
}
