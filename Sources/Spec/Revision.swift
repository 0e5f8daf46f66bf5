import Credentials
import Crypto
import Foundation

/// A stable hash of everything that shapes a built instance. Same inputs, same revision,
/// whatever the key order in pool.yaml; only the hash is ever shown, never the values.
///
/// Keyed: HMAC-SHA256 under the instance secret, so a published plan or snapshot cannot
/// confirm a guessed variable value offline, and a rotated secret is a new revision (idle
/// instances roll to tokens of the new version). Without a secret (`poolctl validate`,
/// which serves nothing) it is a plain SHA-256.
public struct Revision: Hashable, Sendable, Codable, CustomStringConvertible {
    /// 64 lowercase hex characters of SHA-256.
    public var hex: String
    public init(hex: String) { self.hex = hex }

    /// The short form used in names, reasons and summaries.
    public var short: String { String(hex.prefix(12)) }
    public var description: String { short }

    public static func of(repo: String, branch: String, rootDirectory: String, openclawRef: String,
                          xmtpEnv: String, variables: [String: String], image: String? = nil,
                          placement: String? = nil, key: InstanceSecrets? = nil) -> Revision {
        // Length-prefixed fields in a fixed order: no separator can be forged by a value.
        var canonical = ""
        func field(_ s: String) { canonical += "\(s.utf8.count):\(s);" }
        for s in [repo, branch, rootDirectory, openclawRef, xmtpEnv] { field(s) }
        for key in variables.keys.sorted() { field(key); field(variables[key]!) }
        // Appended only when set, so that a repo-built pool in a shared project keeps the
        // revision it had before images and placements existed (an upgrade rolls nothing).
        // Their names hold a '.', which no variable name can: never read as a variable.
        if let image { field("source.image"); field(image) }
        if let placement { field("railway.placement"); field(placement) }
        if let key { return Revision(hex: key.revisionMAC(canonical)) }
        let digest = SHA256.hash(data: Data(canonical.utf8))
        return Revision(hex: Hex.lowercase(digest))
    }
}
