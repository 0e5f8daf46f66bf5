import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// Every protected route refuses a missing, wrong or mis-spelled key; the public ones are
/// exactly the probes, the counts, the document, the metrics and the dashboard page.
@Suite(.timeLimit(.minutes(1))) struct AuthTests {
    static let publicOperations: Set<String> = [
        "GET /", "GET /healthz", "GET /readyz", "GET /api/pool/counts", "GET /openapi.yaml", "GET /metrics",
        // Opened by an instance's own token, never by the pool key (SelfDestructTests).
        "POST /api/pool/self-destruct",
        // Behind POOL_WEBHOOK_SECRET in its path, never the pool key (WebhookTests).
        "POST /webhooks/railway/{secret}",
        // A ticket from the key opens it, never the key (EventStreamTests).
        "GET /api/pool/events/stream",
    ]

    static let badHeaders: [(String, String?)] = [
        ("no header", nil),
        ("wrong key", "Bearer not-the-key"),
        ("lowercase scheme", "bearer \(ServerFixtures.apiKey)"),
        ("uppercase scheme", "BEARER \(ServerFixtures.apiKey)"),
        ("uppercased key", "Bearer \(ServerFixtures.apiKey.uppercased())"),
        ("key without scheme", ServerFixtures.apiKey),
        ("basic scheme", "Basic \(ServerFixtures.apiKey)"),
        ("two spaces", "Bearer  \(ServerFixtures.apiKey)"),
        // (No trailing-space case: HTTP strips whitespace around a field value before any server sees it.)
        ("key prefix", "Bearer \(ServerFixtures.apiKey.dropLast())"),
        ("empty", ""),
    ]

    @Test func protectedRoutesRefuseEveryBadKeyAndPublicOnesNeedNone() async throws {
        try await ServerWorld.with { world in
            let document = try await OpenAPITests.served(world)
            let routes = world.router.routes.map { (method: $0.method, path: $0.path.description) }
            #expect(routes.count == document.operations.count)
            try await world.app.test(.router) { client in
                for route in routes {
                    let operation = OpenAPIDocument.Operation(method: route.method.rawValue, path: route.path)
                    let uri = route.path.replacingOccurrences(of: "{id}", with: "abcdef123456")
                    let protected = try #require(document.operations[operation], "\(operation) is not documented")
                    #expect(protected == !Self.publicOperations.contains(operation.description), "\(operation): security in openapi.yaml")
                    if Self.publicOperations.contains(operation.description) {
                        let r = try await client.execute(uri: uri, method: route.method)
                        #expect(r.status != .unauthorized, "\(operation) must not need a key")
                        continue
                    }
                    for (what, header) in Self.badHeaders {
                        var headers: HTTPFields = [.contentType: "application/json"]
                        if let header { headers[.authorization] = header }
                        let r = try await client.execute(uri: uri, method: route.method, headers: headers,
                                                         body: ByteBuffer(string: #"{"count": 1}"#))
                        #expect(r.status == .unauthorized, "\(operation) with \(what)")
                        #expect(r.error?.contains("API key") == true, "\(operation) with \(what): \(r.text)")
                        #expect(!r.text.contains(ServerFixtures.apiKey), "the key never appears in an answer")
                    }
                    let ok = try await client.execute(uri: uri, method: route.method, headers: ServerFixtures.jsonAuth,
                                                      body: ByteBuffer(string: #"{"count": 1}"#))
                    #expect(ok.status != .unauthorized, "\(operation) with the right key")
                }
            }
        }
    }

    @Test func anEmptyConfiguredKeyLetsNobodyIn() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            var context = world.context
            context.apiKey = ""
            try await Application(router: buildRouter(context)).test(.router) { client in
                for header in ["Bearer ", "Bearer", ""] {
                    let r = try await client.execute(uri: "/api/pool/status", method: .get, headers: [.authorization: header])
                    #expect(r.status == .unauthorized, "\(header)")
                }
            }
        }
    }
}
