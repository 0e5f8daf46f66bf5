import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Instance processes by pid: the same calls work for a process this controller started
/// and for one a previous controller started and this one adopted.
enum InstanceProcess {
    /// How long a process gets to exit after SIGTERM before SIGKILL.
    static let stopGracePeriod: Duration = .seconds(3)

    /// Starts `executable` with its output appended to `log` and an environment of its
    /// instance variables and PATH only: the controller's own secrets (pool key, Railway
    /// token, database URL) are none of an instance's business.
    static func spawn(executable: URL, arguments: [String], variables: [String: String], log: URL) throws -> Int32 {
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: log)
        // The child has its own copy of the descriptor once it runs.
        defer { try? output.close() }
        try output.seekToEnd()

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = variables
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process.processIdentifier
    }

    /// The pid names a live process. (Foundation reaps the children it started, so an
    /// exited child does not linger as a zombie that would still look alive.)
    static func isAlive(_ pid: Int32) -> Bool {
        send(0, to: pid) == 0
    }

    /// Alive and listening on its port: a pid alone may have been reused by an unrelated
    /// process since the record was written. A process still booting gets `patience`.
    static func isInstance(pid: Int32, port: Int?, patience: Duration = .seconds(2)) async -> Bool {
        guard let port, isAlive(pid) else { return false }
        let deadline = ContinuousClock.now + patience
        while true {
            if LoopbackPort.answers(port) { return isAlive(pid) }
            guard ContinuousClock.now < deadline, isAlive(pid) else { return false }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// SIGTERM, then SIGKILL if it is still there after the grace period. Returns once
    /// the process is gone.
    static func stop(_ pid: Int32) async {
        guard isAlive(pid) else { return }
        _ = send(SIGTERM, to: pid)
        if await waitForExit(pid, upTo: stopGracePeriod) { return }
        kill(pid)
        _ = await waitForExit(pid, upTo: .seconds(2))
    }

    /// SIGKILL at once: for a process that must not run untracked.
    static func kill(_ pid: Int32) {
        _ = send(SIGKILL, to: pid)
    }

    // `kill(2)` under a name that does not clash with `kill(_:)` above.
    private static func send(_ signal: Int32, to pid: Int32) -> Int32 {
        #if canImport(Glibc)
        Glibc.kill(pid, signal)
        #else
        Darwin.kill(pid, signal)
        #endif
    }

    private static func waitForExit(_ pid: Int32, upTo limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while isAlive(pid) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return true
    }
}
