import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on the state folder, held for the life of the platform (`flock` on
/// `<folder>/.lock`, which the kernel releases when the process ends, however it ends).
/// One process owns a folder's instances at a time: a second one over the same folder
/// would adopt the first's running processes and stop them when it stops.
final class StateLock: Sendable {
    /// The open lock file while the lock is held.
    private let descriptor: Mutex<Int32?>
    let file: URL

    /// Takes the lock, or throws `LocalPlatformError.stateInUse` naming the folder and the
    /// process that holds it. Writes this process's id into the lock file.
    init(folder: URL) throws {
        file = folder.appendingPathComponent(".lock")
        let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LocalPlatformError.stateLockFailed(folder: folder.path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPid(fd)
            close(fd)
            throw LocalPlatformError.stateInUse(folder: folder.path, pid: holder)
        }
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = Mutex(fd)
    }

    /// Releases the lock (closing the file drops it); releasing twice is harmless.
    func release() {
        descriptor.withLock { fd in
            if let open = fd { close(open) }
            fd = nil
        }
    }

    deinit {
        release()
    }

    private static func readPid(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
