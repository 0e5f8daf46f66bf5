import Foundation
import Hummingbird

/// `GET /openapi.yaml`: the API's OpenAPI 3.0 document, a resource of this target kept in
/// step with the router by a test.
struct OpenAPIRoute {
    static let document: String? = Bundle.module.url(forResource: "openapi", withExtension: "yaml")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    func register(on router: Router<PoolRequestContext>) {
        router.get("openapi.yaml") { _, _ -> Response in
            guard let text = Self.document else {
                throw APIError(.internalServerError, "the OpenAPI document is missing from this build")
            }
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
