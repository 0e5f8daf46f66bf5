import Credentials
import Foundation

/// The local platform's instance secret when POOL_INSTANCE_SECRET is unset: 32 random
/// bytes kept (owner-only) in its state folder, so trying the pool out needs one key and a
/// restart keeps every instance's token valid. Version 1; set POOL_INSTANCE_SECRET to
/// rotate.
enum LocalInstanceSecret {
    static let fileName = "instance-secret"

    static func loadOrCreate(in folder: URL) throws -> InstanceSecret {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(fileName)
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            return try InstanceSecret(version: 1, value: text.trimmingCharacters(in: .whitespacesAndNewlines),
                                      variable: file.lastPathComponent)
        }
        var generator = SystemRandomNumberGenerator()
        let value = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        // Written to a private temporary name and moved in: never readable by others,
        // never half-written.
        let temporary = folder.appendingPathComponent(".\(fileName).\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(value.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        if rename(temporary.path, file.path) != 0 { throw CocoaError(.fileWriteUnknown) }
        return try loadOrCreate(in: folder)
    }
}
