import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// The OpenAPI document and the router describe the same API.
@Suite(.timeLimit(.minutes(1))) struct OpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationExists() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let router = world.router
            let registered = Set(router.routes.map { OpenAPIDocument.Operation(method: $0.method.rawValue, path: $0.path.description) })
            let document = try await Self.served(world)
            let documented = Set(document.operations.keys)
            #expect(registered.count >= 13)
            #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(registered.subtracting(documented))")
            #expect(documented.subtracting(registered).isEmpty, "documented but not routed: \(documented.subtracting(registered))")
        }
    }

    @Test func theDocumentIsServedAsYAMLWithoutAKey() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/openapi.yaml", method: .get)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/yaml") == true)
                #expect(r.text.hasPrefix("openapi: 3.0"))
            }
        }
    }

    /// The document as the server serves it.
    static func served(_ world: ServerWorld) async throws -> OpenAPIDocument {
        let text = try await world.app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get).text
        }
        return try OpenAPIDocument(yaml: text)
    }
}
