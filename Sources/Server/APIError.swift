import Foundation
import Hummingbird
import NIOCore

/// An error answer of the API: a status and `{"error": "..."}`. Messages are for people
/// and never carry a secret (no key, no token, no database password).
struct APIError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    var description: String { "\(status.code) \(message)" }

    /// 503 with a retry hint (seconds), for an empty pool or an unreachable store.
    static func unavailable(_ message: String, retryAfter seconds: Int) -> APIError {
        APIError(.serviceUnavailable, message, headers: [.retryAfter: String(seconds)])
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"internal error"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
