import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// HEAD on every GET route answers as HTTP says: the GET's status and headers, no body.
@Suite(.timeLimit(.minutes(1))) struct HeadRouteTests {
    @Test func headAnswersEveryDocumentedGetWithItsStatusAndHeadersAndNoBody() async throws {
        try await ServerWorld.with { world in
            let document = try await OpenAPITests.served(world)
            let gets = document.operations.keys.filter { $0.method == "GET" }.map(\.path).sorted()
            #expect(gets.count >= 9, "\(gets)")
            try await world.app.test(.router) { client in
                for path in gets {
                    // The QR route answers 400 without its text; both methods must agree either way.
                    let uri = path == "/api/pool/qr" ? path + "?text=hello" : path
                    let get = try await client.execute(uri: uri, method: .get, headers: ServerFixtures.auth)
                    let head = try await client.execute(uri: uri, method: .head, headers: ServerFixtures.auth)
                    #expect(head.status == get.status, "\(path): HEAD \(head.status), GET \(get.status)")
                    #expect(head.headers[.contentType] == get.headers[.contentType], "\(path)")
                    #expect((head.headers[.contentLength] == nil) == (get.headers[.contentLength] == nil), "\(path)")
                    #expect(head.body.readableBytes == 0, "\(path): HEAD answered a body")
                    #expect(get.status != .notFound, "\(path)")
                }
            }
        }
    }

    @Test func headOfAProtectedRouteWithoutTheKeyIs401() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let head = try await client.execute(uri: "/api/pool/status", method: .head)
                #expect(head.status == .unauthorized)
                #expect(head.body.readableBytes == 0)
            }
        }
    }
}
