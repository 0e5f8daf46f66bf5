#if canImport(Glibc)
import Foundation
import Glibc

/// One TCP connection to a loopback server on plain blocking sockets, from a chosen
/// loopback source address (so a test can be several clients on one machine), for sending
/// a request byte by byte and watching when the server closes it. Waits block a thread of
/// Dispatch's, never one of the cooperative pool the server's handlers run on.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private(set) var received = ""

    struct Failed: Error, CustomStringConvertible { var description: String }

    init(port: Int, from source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(description: "socket: errno \(errno)") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); throw Failed(description: "bind \(source): errno \(errno)") }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw Failed(description: "connect to \(port): errno \(errno)") }
    }

    deinit { close(fd) }

    /// The client goes away: both directions shut (the server sees the end of the stream).
    func hangUp() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Sends `text`; false when the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads what arrives for up to `timeout`; true when the server closed the connection
    /// (end of stream or reset) within it.
    func waitForClose(within timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.blockingWaitForClose(within: timeout)) }
        }
    }

    private func blockingWaitForClose(within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = deadline - ContinuousClock.now
            let millis = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&poller, 1, millis) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return true }
            received += String(decoding: buffer.prefix(n), as: UTF8.self)
        }
        return false
    }

    /// One request (`METHOD path`, extra header lines) with `Connection: close`: the answer's
    /// status line and body.
    static func request(_ line: String, port: Int, from source: String = "127.0.0.1",
                        headers: String = "") async throws -> (status: String, body: String) {
        let connection = try RawConnection(port: port, from: source)
        connection.send("\(line) HTTP/1.1\r\nHost: pool\r\nConnection: close\r\nContent-Length: 0\r\n\(headers.isEmpty ? "" : headers + "\r\n")\r\n")
        _ = await connection.waitForClose(within: .seconds(5))
        let parts = connection.received.components(separatedBy: "\r\n\r\n")
        return (parts.first?.components(separatedBy: "\r\n").first ?? "", parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// `GET path` with `Connection: close`: the answer's status line and how long it took.
    static func get(_ path: String, port: Int, from source: String) async throws -> (status: String, took: Duration) {
        let started = ContinuousClock.now
        let answer = try await request("GET \(path)", port: port, from: source)
        return (answer.status, ContinuousClock.now - started)
    }
}
#endif
