import Foundation
import Hummingbird

/// Reads a JSON request body with answers a caller can act on: 413 above the context's
/// limit, 400 for malformed JSON (invalid UTF-8 included), and 400 naming the field for a
/// missing or mistyped one.
/// A decoding problem never becomes a 500.
enum JSONBody {
    /// The decoded body; 400 when there is none.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        guard let value = try await decodeIfPresent(type, from: request, context: context) else {
            throw APIError(.badRequest, "a JSON body is required")
        }
        return value
    }

    /// The decoded body, or nil when the body is empty.
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T? {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer.readableBytesView)
        if data.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return nil }
        // JSON is UTF-8 (RFC 8259); this decoder only checks the strings it decodes, so a
        // body with bad bytes in a field it skips would otherwise be taken.
        guard String(validating: data, as: UTF8.self) != nil else {
            throw APIError(.badRequest, "malformed JSON body: not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw APIError(.badRequest, describe(error, data: data))
        }
    }

    static func describe(_ error: DecodingError, data: Data) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(name(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(name(of: type)), got null"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // This Foundation also says "not valid JSON" for a number that does not fit its field.
            if (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) != nil {
                return "body: a number does not fit its field (whole numbers expected)"
            }
            return "malformed JSON body: \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "the body does not match the expected JSON"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "body" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "a JSON object"
        }
    }
}
