import Credentials
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local platform's instance secret when POOL_INSTANCE_SECRET is unset: 32 random
/// bytes kept (owner-only) in its state folder, so trying the pool out needs one key and a
/// restart keeps every instance's token valid. It is version 1; to rotate it, set
/// POOL_INSTANCE_SECRET to a new value with POOL_INSTANCE_SECRET_VERSION=2 and this
/// file's value as POOL_INSTANCE_SECRET_PREVIOUS.
enum LocalInstanceSecret {
    static let fileName = "instance-secret"

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the kept secret, or makes it when there is none. A file that exists but cannot
    /// be read is an error, never replaced: that would invalidate every instance's token.
    /// Two processes making it at once agree: the file is published with `link`, which
    /// fails for the second, which then reads the first's.
    static func loadOrCreate(in folder: URL) throws -> InstanceSecret {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Owner-only, as the local platform keeps it: the secret and instances' records live here.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        let file = folder.appendingPathComponent(fileName)
        if !FileManager.default.fileExists(atPath: file.path) {
            try publish(freshSecret(), at: file)
        }
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw Unreadable(description: "\(file.path) exists but cannot be read as text; fix or remove it (removing it invalidates every local instance's token)")
        }
        return try InstanceSecret(version: 1, value: text.trimmingCharacters(in: .whitespacesAndNewlines),
                                  variable: file.path)
    }

    static func freshSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Written owner-only under a private name, then linked into place (never replacing a
    /// file another process published first).
    static func publish(_ value: String, at file: URL) throws {
        let temporary = file.deletingLastPathComponent()
            .appendingPathComponent(".\(fileName).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: Data(value.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw Unreadable(description: "cannot write \(temporary.path)")
        }
        defer { unlink(temporary.path) }
        if link(temporary.path, file.path) != 0, errno != EEXIST {
            throw Unreadable(description: "cannot create \(file.path): \(String(cString: strerror(errno)))")
        }
    }
}
