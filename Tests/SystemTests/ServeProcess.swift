import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `poolctl` (usually `serve`) as a child process, its stdout and stderr kept as
/// they come.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    private let lock = NSLock()
    private var outText = Data()
    private var errText = Data()

    init(_ args: [String], env: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: Poolctl.binary)
        process.arguments = args
        process.environment = ["PATH": "/usr/bin:/bin", "NO_COLOR": "1"].merging(env) { $1 }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        for (pipe, isOut) in [(out, true), (err, false)] {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let chunk = handle.availableData
                guard let self, !chunk.isEmpty else { return }
                self.lock.withLock { if isOut { self.outText += chunk } else { self.errText += chunk } }
            }
        }
        try process.run()
    }

    var stdout: String { lock.withLock { String(decoding: outText, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: errText, as: UTF8.self) } }

    /// The port of its "listening" log line, once logged.
    var port: Int? {
        stderr.split(separator: "\n").first { $0.contains("listening") && $0.contains("port=") }
            .flatMap { $0.components(separatedBy: "port=").dropFirst().first }
            .flatMap { Int($0.prefix { $0.isNumber }) }
    }

    /// Waits for the exit off the cooperative threads, at most `seconds`; nil on timeout.
    /// Whatever the process wrote last is collected before this returns.
    func waitForExit(seconds: Double) async -> Int32? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let deadline = Date().addingTimeInterval(seconds)
                while self.process.isRunning && Date() < deadline { usleep(20_000) }
                guard !self.process.isRunning else { return continuation.resume(returning: nil) }
                for (pipe, isOut) in [(self.out, true), (self.err, false)] {
                    pipe.fileHandleForReading.readabilityHandler = nil
                    let rest = pipe.fileHandleForReading.readDataToEndOfFile()
                    self.lock.withLock { if isOut { self.outText += rest } else { self.errText += rest } }
                }
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }

    /// SIGTERM, then SIGKILL after 15 s: a graceful stop lets `serve` stop its own instance
    /// processes, which a SIGKILL would orphan. Safe to call on every exit path of a test.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(100_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs a command to its end (at most a minute): status, stdout, stderr.
    static func run(_ args: [String], env: [String: String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let p = try ServeProcess(args, env: env)
        guard let status = await p.waitForExit(seconds: 60) else {
            p.stop()
            throw TimedOut(description: "poolctl \(args) did not finish within a minute")
        }
        return (status, p.stdout, p.stderr)
    }

    /// GET `path` on the server; status and body.
    static func get(_ url: String, headers: [String: String] = [:]) async throws -> (Int, String) {
        try await request("GET", url, headers: headers)
    }

    /// Any method, with an optional body; status and body.
    static func request(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
