import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a flood of idle connections costs `poolctl serve`, and whether it gets the memory
/// back: the server's resident memory before, during and after rounds of `--connections`
/// idle connections held `--hold` seconds from `--addresses` client addresses, with
/// `/healthz` answered from another address meanwhile. Linux only (reads /proc).
struct FloodBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flood", abstract: "Resident memory of poolctl serve before, during and after floods of idle connections.")

    @Option(help: "Idle connections per round (the server admits up to its cap and refuses the rest).") var connections = 10_000

    @Option(help: "Loopback source addresses the flood comes from (127.0.0.1 and up), spread evenly.") var addresses = 8

    @Option(help: "Rounds.") var rounds = 3

    @Option(help: "Seconds each flood is held.") var hold = 5.0

    @Option(help: "Seconds to wait after a flood before measuring again.") var settle = 5.0

    @Option(help: "The poolctl that serves (default: this one), to compare with another build under the same flood.")
    var server: String?

    func run() async throws {
        #if canImport(Glibc)
        Self.raiseFileLimit()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let specPath = folder.appendingPathComponent("pool.yaml").path
        try "minIdle: 0\nenvironments:\n  bench:\n    platform: local\n".write(toFile: specPath, atomically: true, encoding: .utf8)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: try self.server ?? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        serve.arguments = ["serve", "--spec", specPath, "--env", "bench", "--host", "127.0.0.1", "--port", "0"]
        let log = folder.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        serve.standardError = try FileHandle(forWritingTo: log)
        serve.standardOutput = FileHandle.nullDevice
        var environment = ["PATH": "/usr/bin:/bin", "POOL_API_KEY": "bench-flood-key", "NO_COLOR": "1",
                           "POOL_SQLITE_PATH": folder.appendingPathComponent("pool.sqlite").path,
                           "POOL_LOCAL_STATE": folder.appendingPathComponent("local").path]
        if let arenas = ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] { environment["MALLOC_ARENA_MAX"] = arenas }
        serve.environment = environment
        try serve.run()
        defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }
        var port = 0
        for _ in 0..<300 where port == 0 {
            try await Task.sleep(for: .milliseconds(100))
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            port = text.components(separatedBy: "port=").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        }
        guard port != 0 else { throw CLIError("poolctl serve did not listen: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")") }
        try await Task.sleep(for: .seconds(2))
        let pid = serve.processIdentifier
        let start = Self.residentKiB(pid)
        print("connections \(connections) per round, held \(hold) s, settle \(settle) s; serve resident at start \(start / 1024) MiB")
        print("round  before MiB  during MiB  after MiB  after/before  open after 1 s  closed  healthz median ms (max)")
        var ratios: [Double] = []
        for round in 1...rounds {
            let before = Self.residentKiB(pid)
            var sockets: [Int32] = []
            for k in 0..<connections {
                let fd = Self.connect(port: port, from: "127.0.0.\(1 + k % max(1, addresses))")
                if fd >= 0 { sockets.append(fd) }
            }
            try await Task.sleep(for: .seconds(1))
            let refused = sockets.filter(Self.isClosed).count
            var healthz: [Double] = []
            for _ in 0..<10 {
                healthz.append(Self.healthz(port: port, from: "127.0.0.200"))
                try await Task.sleep(for: .milliseconds(max(0, Int(hold * 100) - 10)))
            }
            let during = Self.residentKiB(pid)
            for fd in sockets { close(fd) }
            try await Task.sleep(for: .seconds(settle))
            let after = Self.residentKiB(pid)
            let ratio = Double(after) / Double(max(1, before))
            ratios.append(ratio)
            healthz.sort()
            print(String(format: "%5d  %10.1f  %10.1f  %9.1f  %12.3f  %14d  %6d  %8.2f (%.2f)", round, Double(before) / 1024,
                         Double(during) / 1024, Double(after) / 1024, ratio, sockets.count - refused, refused,
                         healthz[healthz.count / 2], healthz.last ?? 0))
        }
        print(String(format: "after/before over the rounds: median %.3f, min %.3f, max %.3f; after the last round / at start: %.3f",
                     ratios.sorted()[ratios.count / 2], ratios.min() ?? 0, ratios.max() ?? 0,
                     Double(Self.residentKiB(pid)) / Double(max(1, start))))
        #else
        throw CLIError("bench flood reads /proc: Linux only")
        #endif
    }

    #if canImport(Glibc)
    /// Room for the flood's sockets: the soft limit up to the hard one.
    static func raiseFileLimit() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// A blocking TCP connection from `source` to the server; -1 when it failed.
    static func connect(port: Int, from source: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var local = sockaddr_in(), remote = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } } == 0
            && withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) } } == 0
        if !ok { close(fd); return -1 }
        return fd
    }

    /// Whether the server has closed this connection (end of stream or reset), without waiting.
    static func isClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Milliseconds a `GET /healthz` took on a new connection from `source` (to the end of
    /// the answer); 10,000 when it failed.
    static func healthz(port: Int, from source: String) -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        let fd = connect(port: port, from: source)
        guard fd >= 0 else { return 10_000 }
        defer { close(fd) }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 1024)
        var answer = ""
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += String(decoding: buffer.prefix(n), as: UTF8.self)
        }
        guard answer.hasPrefix("HTTP/1.1 200") else { return 10_000 }
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
    }
    #endif
}
