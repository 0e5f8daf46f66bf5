import Crypto
import Foundation

/// One version of the instance secret, `POOL_INSTANCE_SECRET`: the key every instance
/// token and every revision is derived under. Held by the manager only; its description
/// never shows the key.
public struct InstanceSecret: Sendable, Equatable, CustomStringConvertible {
    /// Rises by one at each rotation; recorded with every instance made under it.
    public let version: Int
    let key: SymmetricKey

    /// Shorter secrets are refused: the tokens are only as strong as the key.
    public static let minimumLength = 32

    /// - Parameter variable: where the value came from, for the error (never the value).
    public init(version: Int, value: String, variable: String = InstanceSecrets.variable) throws(InstanceSecretError) {
        guard version >= 1 else { throw .badVersion(String(version)) }
        guard value.utf8.count >= Self.minimumLength else { throw .tooShort(variable: variable, length: value.utf8.count) }
        self.version = version
        self.key = SymmetricKey(data: Data(value.utf8))
    }

    public static func == (a: InstanceSecret, b: InstanceSecret) -> Bool {
        a.version == b.version && a.key == b.key
    }

    public var description: String { "InstanceSecret(version: \(version))" }

    /// HMAC-SHA256 of `message` under this secret, as 64 lowercase hex characters.
    func mac(_ message: String) -> String {
        Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: key))
    }

    /// Whether `hex` is the MAC of `message`, compared in constant time.
    func isMAC(_ hex: String, of message: String) -> Bool {
        guard let bytes = Self.bytes(hex: hex), bytes.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: Data(message.utf8), using: key)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
