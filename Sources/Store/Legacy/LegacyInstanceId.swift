import Model
import Crypto

/// How an agent of the legacy system gets one of our instance ids.
///
/// A legacy id that already is a valid instance id (12 characters of `a-z0-9` with at
/// least one digit) is kept, so its service name `<prefix>-<id>` keeps matching. Any other
/// id is derived, the same on every run and machine: the SHA-256 of the id's UTF-8 bytes,
/// its first 12 bytes each taken modulo 36 as an index into `a-z0-9`; when none of the 12
/// is a digit, the last becomes the digit at index byte 12 modulo 10.
public enum LegacyInstanceId {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
    private static let length = 12

    public static func instanceId(for legacyId: String) -> String {
        if isInstanceId(legacyId) { return legacyId }
        let digest = Array(SHA256.hash(data: Array(legacyId.utf8)))
        var id = digest.prefix(length).map { alphabet[Int($0) % alphabet.count] }
        if !id.contains(where: isDigit) {
            id[length - 1] = alphabet[26 + Int(digest[length]) % 10]
        }
        return String(decoding: id, as: UTF8.self)
    }

    /// The rule of `InstanceNaming.isInstanceId` in Controller, which the store may not
    /// import; LegacyImportTests checks that the two agree.
    public static func isInstanceId(_ s: String) -> Bool {
        s.utf8.count == length && s.utf8.allSatisfy { alphabet.contains($0) } && s.utf8.contains(where: isDigit)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
