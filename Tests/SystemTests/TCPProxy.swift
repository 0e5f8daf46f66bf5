import Foundation
#if canImport(Glibc)
import Glibc

private let streamType = Int32(SOCK_STREAM.rawValue)
/// A peer that went away must not kill the test process with SIGPIPE.
private let sendFlags = Int32(MSG_NOSIGNAL)
private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Glibc.listen(fd, backlog) }
private func systemPoll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
    Glibc.poll(fds, count, timeout)
}
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    Glibc.connect(fd, address, length)
}
#elseif canImport(Darwin)
import Darwin

private let streamType = SOCK_STREAM
private let sendFlags: Int32 = 0
private func systemListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Darwin.listen(fd, backlog) }
private func systemPoll(_ fds: UnsafeMutablePointer<pollfd>, _ count: nfds_t, _ timeout: Int32) -> Int32 {
    Darwin.poll(fds, count, timeout)
}
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    Darwin.connect(fd, address, length)
}
#endif

/// A TCP proxy on 127.0.0.1 in front of one upstream server, for outages on demand: it
/// forwards, refuses (every new connection is reset at once), or blackholes (new
/// connections are accepted and never answered), and `cut()` ends every connection it
/// carries. Plain blocking sockets on threads of its own: nothing here shares the
/// cooperative pool or an event loop with the code under test.
///
/// With `recording`, it keeps every byte clients sent upstream (`sentUpstream`).
final class TCPProxy: @unchecked Sendable {
    enum Mode: Sendable, Equatable {
        /// Every connection goes to the upstream.
        case forward
        /// New connections are accepted and reset at once (RST): the server is gone.
        case refuse
        /// A partition: new connections are accepted and never answered, and open ones stop
        /// carrying data (both ways) until the mode changes or they are cut.
        case blackhole
    }

    let upstreamHost: String
    let upstreamPort: Int
    /// Where clients connect (127.0.0.1).
    private(set) var port: Int = 0

    private let lock = NSLock()
    private var currentMode: Mode = .forward
    private var listener: Int32 = -1
    private var links: [Int: Link] = [:]
    private var nextLink = 0
    private var held: [Int32] = []
    private var stopping = false
    private var acceptorDone = false
    private let recording: Bool
    private var recorded = Data()
    private var acceptedCount = 0
    /// Counts cuts and mode changes: a connection accepted before one must not escape it.
    private var generation = 0
    private var forwardedCount = 0

    /// Client and upstream sockets of one forwarded connection; closed once both pumps end.
    private final class Link: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        var pumpsRunning = 2
        /// Cut: data held by a partition is dropped.
        var severed = false
        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }
    }

    static let maximumLifetime: TimeInterval = 600

    init(upstreamHost: String, upstreamPort: Int, recording: Bool = false) throws {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.recording = recording
        listener = try Self.listen()
        port = try Self.localPort(listener)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "tcp-proxy-accept"
        thread.start()
    }

    var mode: Mode {
        get { lock.withLock { currentMode } }
        set {
            let release = lock.withLock { () -> [Int32] in
                currentMode = newValue
                generation += 1
                // Connections held by a blackhole end when it ends.
                guard newValue != .blackhole else { return [] }
                let release = held
                held = []
                return release
            }
            for fd in release { Self.reset(fd) }
        }
    }

    /// Connections accepted since start, and how many of them reached the upstream.
    var accepted: Int { lock.withLock { acceptedCount } }
    var forwarded: Int { lock.withLock { forwardedCount } }
    /// Connections open through the proxy now.
    var openConnections: Int { lock.withLock { links.count } }

    /// Every byte clients sent upstream (with `recording`).
    var sentUpstream: Data { lock.withLock { recorded } }

    /// The server goes away: new connections are refused and every open one is cut.
    func goAway() {
        mode = .refuse
        cut()
    }

    /// The server is back: new connections are forwarded again.
    func resume() { mode = .forward }

    /// Ends every connection the proxy carries (both sides), as a server restart does.
    func cut() {
        let blackholed = lock.withLock { () -> [Int32] in
            generation += 1
            // Under the lock: a link's sockets are closed only after it leaves `links`.
            for link in links.values {
                link.severed = true
                shutdown(link.client, Int32(SHUT_RDWR))
                shutdown(link.upstream, Int32(SHUT_RDWR))
            }
            let release = held
            held = []
            return release
        }
        for fd in blackholed { Self.reset(fd) }
    }

    /// Stops accepting, cuts everything and releases the port. Waits for the acceptor.
    func stop() {
        lock.withLock { stopping = true }
        cut()
        let deadline = Date().addingTimeInterval(2)
        while !lock.withLock({ acceptorDone }) && Date() < deadline { usleep(5_000) }
    }

    deinit {
        if listener >= 0 { close(listener) }
    }

    // MARK: - Threads

    private func acceptLoop() {
        defer {
            lock.withLock {
                close(listener)
                listener = -1
                acceptorDone = true
            }
        }
        // A test that hangs past its time limit never calls stop(): the threads end anyway,
        // so they cannot keep the test process alive.
        let end = Date().addingTimeInterval(Self.maximumLifetime)
        while !lock.withLock({ stopping }) {
            if Date() > end {
                lock.withLock { stopping = true }
                cut()
                break
            }
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard systemPoll(&ready, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            Self.configure(client)
            let (mode, acceptedIn) = lock.withLock { () -> (Mode, Int) in
                acceptedCount += 1
                if currentMode == .blackhole { held.append(client) }
                return (currentMode, generation)
            }
            switch mode {
            case .refuse:
                Self.reset(client)
            case .blackhole:
                break
            case .forward:
                guard let upstream = try? Self.connect(host: upstreamHost, port: upstreamPort) else {
                    Self.reset(client)
                    continue
                }
                let link = Link(client: client, upstream: upstream)
                let id = lock.withLock { () -> Int? in
                    // A cut or a mode change while the upstream was dialled: this one goes too.
                    guard generation == acceptedIn else { return nil }
                    nextLink += 1
                    links[nextLink] = link
                    forwardedCount += 1
                    return nextLink
                }
                guard let id else {
                    Self.reset(client)
                    Self.reset(upstream)
                    continue
                }
                for (from, to, upward) in [(client, upstream, true), (upstream, client, false)] {
                    let thread = Thread { [self] in pump(from: from, to: to, upward: upward, link: link, id: id) }
                    thread.name = "tcp-proxy-pump"
                    thread.start()
                }
            }
        }
    }

    private func pump(from: Int32, to: Int32, upward: Bool, link: Link, id: Int) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        outer: while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            if upward && recording {
                lock.withLock { recorded.append(contentsOf: buffer[0..<n]) }
            }
            // A partition: what was sent is held until it heals (or the connection is cut).
            while lock.withLock({ currentMode == .blackhole && !link.severed && !stopping }) { usleep(5_000) }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, sendFlags) }
                if m <= 0 { break outer }
                sent += m
            }
        }
        // One direction ended: the connection is over both ways.
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
        let last = lock.withLock { () -> Bool in
            link.pumpsRunning -= 1
            if link.pumpsRunning == 0 { links[id] = nil }
            return link.pumpsRunning == 0
        }
        if last {
            close(link.client)
            close(link.upstream)
        }
    }

    // MARK: - Sockets

    struct SocketError: Error, CustomStringConvertible {
        var description: String
        init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    }

    private static func listen() throws -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw SocketError("socket") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, systemListen(fd, 128) == 0 else {
            let error = SocketError("bind/listen")
            close(fd)
            throw error
        }
        return fd
    }

    private static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { throw SocketError("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func connect(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = streamType
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw SocketError("getaddrinfo \(host)")
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw SocketError("socket") }
        guard systemConnect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = SocketError("connect \(host):\(port)")
            close(fd)
            throw error
        }
        configure(fd)
        return fd
    }

    /// No Nagle delay (the proxy must not slow small queries down); no SIGPIPE on Darwin.
    private static func configure(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Closes with a reset (RST), as a refused or dropped connection looks to the client.
    private static func reset(_ fd: Int32) {
        var hard = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }
}
