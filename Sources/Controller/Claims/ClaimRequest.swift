import Crypto
import Foundation
import Ports
import Spec

/// The body of `POST /api/pool/claim`, validated before anything is touched.
public struct ClaimRequest: Codable, Sendable, Equatable {
    public var agentName: String
    public var instructions: String
    /// Join the user's conversation instead of creating one.
    public var joinUrl: String?

    public init(agentName: String, instructions: String, joinUrl: String? = nil) {
        self.agentName = agentName
        self.instructions = instructions
        self.joinUrl = joinUrl
    }

    /// A hash of the request, so an Idempotency-Key reused with another body is refused.
    public var fingerprint: String {
        var canonical = ""
        for field in [agentName, instructions, joinUrl ?? ""] { canonical += "\(field.utf8.count):\(field);" }
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static let maxAgentName = 64
    public static let maxInstructionsBytes = 64 * 1024
    public static let maxIdempotencyKey = 200
    public static let maxJoinUrlBytes = 4096

    /// A bad field, named, with what was expected.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "\(field): \(message)" }
    }

    /// Every rule of the claim body; the first violation is reported with its field.
    public func validate(allowedInviteHosts: [String], idempotencyKey: String?) throws(Invalid) {
        let name = agentName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw Invalid(field: "agentName", message: "required, 1 to \(Self.maxAgentName) characters") }
        guard name.count <= Self.maxAgentName else {
            throw Invalid(field: "agentName", message: "at most \(Self.maxAgentName) characters, got \(name.count)")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Invalid(field: "agentName", message: "must not contain control characters")
        }
        guard !instructions.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Invalid(field: "instructions", message: "required and not blank")
        }
        guard instructions.utf8.count <= Self.maxInstructionsBytes else {
            throw Invalid(field: "instructions", message: "at most 64 KiB, got \(instructions.utf8.count) bytes")
        }
        if let joinUrl {
            try Self.validate(joinUrl: joinUrl, allowedInviteHosts: allowedInviteHosts)
        }
        if let key = idempotencyKey {
            guard !key.isEmpty, key.count <= Self.maxIdempotencyKey,
                  key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F }) else {
                throw Invalid(field: "Idempotency-Key", message: "1 to \(Self.maxIdempotencyKey) visible ASCII characters")
            }
        }
    }

    /// An invite URL is `https://<host>/...` with `host` exactly one of the invite hosts,
    /// read from the raw text: no user name or password, no port, no percent-encoding,
    /// nothing but visible ASCII and no backslash (which the agent's WHATWG URL parser
    /// takes for `/`, so `https://evil.com\@convos.org` would reach evil.com).
    static func validate(joinUrl: String, allowedInviteHosts: [String]) throws(Invalid) {
        let expected = "expected an https invite URL such as https://\(allowedInviteHosts.first ?? "convos.org")/v2?i=..."
        guard joinUrl.utf8.count <= maxJoinUrlBytes else {
            throw Invalid(field: "joinUrl", message: "at most \(maxJoinUrlBytes) bytes, got \(joinUrl.utf8.count)")
        }
        guard !joinUrl.isEmpty, joinUrl.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x5C }) else {
            throw Invalid(field: "joinUrl", message: "\(expected) (visible ASCII only: no spaces, control characters or backslashes)")
        }
        let scheme = "https://"
        guard joinUrl.lowercased().hasPrefix(scheme), let url = URLComponents(string: joinUrl), url.scheme?.lowercased() == "https" else {
            throw Invalid(field: "joinUrl", message: expected)
        }
        let authority = joinUrl.dropFirst(scheme.count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }.lowercased()
        guard !authority.contains("@") else { throw Invalid(field: "joinUrl", message: "must not carry a user name or password") }
        guard !authority.contains(":") || authority.hasPrefix("[") else { throw Invalid(field: "joinUrl", message: "must not name a port") }
        guard allowedInviteHosts.map({ $0.lowercased() }).contains(authority) else {
            throw Invalid(field: "joinUrl", message: "host \(authority.prefix(100)) is not an invite host of this pool's XMTP network; expected one of: \(allowedInviteHosts.joined(separator: ", "))")
        }
    }
}

/// How a claim ended.
public enum ClaimResult: Sendable, Equatable {
    case claimed(ClaimedConversation)
    /// No idle instance: try again later (the pool is being refilled).
    case poolEmpty
    case invalid(ClaimRequest.Invalid)
    /// The call to the instance failed; said for people. Retired unless a configuration fault.
    case failed(instanceId: String, message: String)
    /// The same Idempotency-Key is still being served.
    case inProgress
    /// The Idempotency-Key was first used with another request.
    case keyReused
    /// The store could not be reached: nothing was taken.
    case unavailable(String)
}
