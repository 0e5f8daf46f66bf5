import Foundation
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The limits the server holds every connection to, so that a client on the internet
/// cannot hold connections, memory or file descriptors: how long a request head and body
/// may take, how long a kept-alive connection may sit idle, and how many connections may
/// be open at once, in all and from one address. `poolctl serve` exposes each as an option.
public struct EdgeLimits: Sendable, Equatable {
    /// From the moment the connection opened until its first request head is complete.
    public var headTimeout: Duration
    /// From the end of the request head until the end of its body.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request in progress is closed after this long: the
    /// next request's whole head must arrive within it, counted from the previous response.
    public var idleTimeout: Duration
    /// Connections open at once. The next one takes the place of the longest-idle one, or
    /// is closed as soon as it is accepted when none is idle.
    public var maxConnections: Int
    /// Connections open at once from one client address (the TCP peer: behind a proxy,
    /// such as Railway's edge, that is the proxy's address, so keep it well above what the
    /// proxy carries).
    public var maxConnectionsPerAddress: Int

    public init(headTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
                maxConnections: Int = 1_024, maxConnectionsPerAddress: Int = 256) {
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }
}

/// The open connections of one server, in all and by client address: what admits a new
/// one or refuses it. At the total cap a new connection takes the place of the one that has
/// been idle longest (no request in progress: a kept-alive client, or one that never sent
/// a request), which is closed; it is refused only when none is idle. So a flood of idle
/// connections cannot lock clients out, while the cap still bounds memory and descriptors.
/// Shared by every connection's `EdgeLimitsHandler`.
public final class ConnectionGate: Sendable {
    private struct Connection {
        var address: String
        var channel: any Channel
        /// When it last became idle, in the gate's own order; nil while a request is in progress.
        var idleSince: UInt64?
    }

    private struct State {
        var open: [ObjectIdentifier: Connection] = [:]
        var byAddress: [String: Int] = [:]
        var order: UInt64 = 0
        var peak = 0

        mutating func remove(_ id: ObjectIdentifier) -> Connection? {
            guard let gone = open.removeValue(forKey: id) else { return nil }
            let left = byAddress[gone.address, default: 1] - 1
            byAddress[gone.address] = left > 0 ? left : nil
            return gone
        }
    }

    private let limits: EdgeLimits
    private let state = Mutex(State())

    public init(limits: EdgeLimits) { self.limits = limits }

    /// Counts a new connection in (idle until its first request head), making room by
    /// closing the longest-idle one when the total cap is reached; false when it is over its
    /// address's cap, or the total one with nothing idle (then nothing is counted).
    func admit(_ channel: any Channel, address: String) -> Bool {
        let (admitted, evicted) = state.withLock { s -> (Bool, (any Channel)?) in
            guard s.byAddress[address, default: 0] < limits.maxConnectionsPerAddress else { return (false, nil) }
            var evicted: (any Channel)?
            if s.open.count >= limits.maxConnections {
                guard let oldest = s.open.filter({ $0.value.idleSince != nil })
                    .min(by: { $0.value.idleSince! < $1.value.idleSince! })?.key else { return (false, nil) }
                evicted = s.remove(oldest)?.channel
            }
            s.order += 1
            s.open[ObjectIdentifier(channel)] = Connection(address: address, channel: channel, idleSince: s.order)
            s.byAddress[address, default: 0] += 1
            s.peak = max(s.peak, s.open.count)
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    /// A request head arrived: the connection is busy and no longer one to make room with.
    func busy(_ channel: any Channel) {
        state.withLock { $0.open[ObjectIdentifier(channel)]?.idleSince = nil }
    }

    /// Its last response ended: idle again.
    func idle(_ channel: any Channel) {
        state.withLock { s in
            guard s.open[ObjectIdentifier(channel)] != nil else { return }
            s.order += 1
            s.open[ObjectIdentifier(channel)]?.idleSince = s.order
        }
    }

    /// The connection closed (a connection closed to make room was released already).
    func release(_ channel: any Channel) {
        let flooded = state.withLock { s in
            _ = s.remove(ObjectIdentifier(channel))
            // Back to none after many: the memory those connections held is free again.
            defer { if s.open.isEmpty { s.peak = 0 } }
            return s.open.isEmpty && s.peak >= Self.floodSize
        }
        // Off the event loop: trimming can take a few milliseconds.
        if flooded { DispatchQueue.global(qos: .utility).async { Self.returnFreedMemory() } }
    }

    /// So many connections open at once that the memory they held is worth handing back
    /// to the system once they are all closed.
    static let floodSize = 64

    /// The C allocator keeps freed memory for reuse; after a flood that is tens of MiB the
    /// server will not need again, so it is given back with glibc's `malloc_trim`, looked
    /// up at run time (Swift's Glibc module does not declare it; another C library may lack it).
    static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

}
