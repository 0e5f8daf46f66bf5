import Foundation
import Hummingbird
import NIOCore

/// A claim request body read the way the instance reads it (docs/agent-contract.md section 1):
/// at most 1 MiB, empty means `{}`, unknown fields ignored, a field of the wrong JSON type
/// treated as missing.
struct ClaimBody {
    static let maxBytes = 1 << 20

    enum Failure: Error {
        case tooLarge
        case malformed(String)
    }

    private let fields: [String: Any]

    static var empty: ClaimBody { ClaimBody(fields: [:]) }

    static func read(_ request: inout Request) async throws(Failure) -> ClaimBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw .tooLarge
        } catch {
            throw .malformed("could not read the body: \(error)")
        }
        guard buffer.readableBytes > 0 else { return ClaimBody(fields: [:]) }
        do {
            let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
            return ClaimBody(fields: object as? [String: Any] ?? [:])
        } catch {
            throw .malformed("Unexpected token in JSON: \(error.localizedDescription)")
        }
    }

    func string(_ key: String) -> String? { fields[key] as? String }

    /// The network for this claim: the body's `env` when valid, else the instance's own.
    func env(default defaultEnv: String) -> String {
        switch string("env") {
        case "dev": "dev"
        case "production": "production"
        default: defaultEnv
        }
    }
}
