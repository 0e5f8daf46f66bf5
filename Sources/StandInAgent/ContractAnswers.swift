import Foundation
import Hummingbird

/// The answers of the contract, byte-shaped as the reference instance sends them.
enum ContractAnswers {
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        // Objects built here from strings, bools and NSNull always serialise. Slashes stay
        // unescaped, as the instance (Node's JSON.stringify) sends them.
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return body(status, "application/json; charset=utf-8", ByteBuffer(bytes: data))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }

    static func text(_ status: HTTPResponse.Status, _ contentType: String, _ text: String) -> Response {
        body(status, contentType, ByteBuffer(string: text))
    }

    private static func body(_ status: HTTPResponse.Status, _ contentType: String, _ buffer: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static let methodNotAllowed = error(.methodNotAllowed, "Method Not Allowed")
    static let unauthorized = error(.unauthorized, "Unauthorized")
    static let alreadyBound = error(.conflict, "Conversation already bound; the instance serves one conversation for life")

    /// The Control UI's single-page fallback, served when the Convos plugin did not load.
    static let controlUIPage = text(.ok, "text/html; charset=utf-8",
                                    "<!doctype html><html><head><title>OpenClaw Control</title></head><body><div id=\"app\"></div></body></html>")

    /// `GET /convos/status` in the chosen shape.
    static func status(_ state: StandInState.Values) -> Response {
        let conversationId = state.boundConversationId ?? state.reportedConversationWhileUnbound
        switch state.statusShape {
        case .old:
            return json(.ok, [
                "ready": true,
                "conversation": conversationId.map { ["id": $0] as Any } ?? NSNull(),
                // The stand-in has no stream child: it streams whenever it is bound, unless
                // a test took the stream down.
                "streaming": conversationId != nil && !state.streamDown,
            ])
        case .new:
            let clean = !state.dirty && conversationId == nil
            return json(.ok, [
                "conversationId": conversationId ?? NSNull(),
                "pending": false,
                "clean": clean,
                "inboxId": clean ? NSNull() : "stand-in-inbox",
            ])
        }
    }
}
