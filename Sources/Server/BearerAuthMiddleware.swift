import Crypto
import Foundation
import Hummingbird

/// Lets a request through only with `Authorization: Bearer <POOL_API_KEY>`, exactly: the
/// scheme is case-sensitive and nothing may surround the key. The header is compared
/// through SHA-256 digests with a loop that always reads every byte, so the time taken
/// says nothing about how much of the key was right. A refusal closes the connection
/// (`Connection: close`): the body it would carry is never read, so the connection must not
/// wait for it.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Nil when no key is configured: then nothing is let through.
    private let expected: SHA256.Digest?

    init(apiKey: String) {
        expected = apiKey.isEmpty ? nil : SHA256.hash(data: Data(("Bearer " + apiKey).utf8))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let expected, let header = request.headers[.authorization],
              ConstantTime.equal(SHA256.hash(data: Data(header.utf8)), expected) else {
            throw APIError(.unauthorized, "missing or wrong API key: send 'Authorization: Bearer <POOL_API_KEY>'",
                           headers: [.wwwAuthenticate: "Bearer", .connection: "close"])
        }
        return try await next(request, context)
    }

}

/// Secrets compared through SHA-256 digests with a loop that always reads every byte, so
/// the time taken says nothing about how much of a secret was right: the pool key, the
/// webhook secret, a stream ticket's MAC.
enum ConstantTime {
    static func equal(_ a: SHA256.Digest, _ b: SHA256.Digest) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        equal(SHA256.hash(data: Data(a.utf8)), SHA256.hash(data: Data(b.utf8)))
    }
}
