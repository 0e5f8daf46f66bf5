import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The limits the server holds every connection to, so that a client on the internet
/// cannot hold connections, memory or file descriptors: how long a request head and body
/// may take, how long a kept-alive connection may sit idle, and how many connections may
/// be open at once, in all and from one address. `poolctl serve` exposes each as an option.
public struct EdgeLimits: Sendable, Equatable {
    /// From the moment the server is ready for a request (the connection opened, or the
    /// previous response was sent) until the request head is complete.
    public var headTimeout: Duration
    /// From the end of the request head until the end of its body.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// Connections open at once; the next one is closed as soon as it is accepted.
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

/// The open connections of one server, in all and by client address: what admits or
/// refuses a new one. Shared by every connection's `EdgeLimitsHandler`.
public final class ConnectionGate: Sendable {
    private let limits: EdgeLimits
    private let open = Mutex<(total: Int, byAddress: [String: Int], peak: Int)>((0, [:], 0))

    public init(limits: EdgeLimits) { self.limits = limits }

    /// Counts a new connection in, or says it is over a cap (and counts nothing).
    func admit(address: String) -> Bool {
        open.withLock { open in
            guard open.total < limits.maxConnections,
                  open.byAddress[address, default: 0] < limits.maxConnectionsPerAddress else { return false }
            open.total += 1
            open.byAddress[address, default: 0] += 1
            open.peak = max(open.peak, open.total)
            return true
        }
    }

    func release(address: String) {
        let flooded = open.withLock { open in
            open.total -= 1
            let left = open.byAddress[address, default: 1] - 1
            open.byAddress[address] = left > 0 ? left : nil
            // Back to none after many: the memory those connections held is free again.
            defer { if open.total == 0 { open.peak = 0 } }
            return open.total == 0 && open.peak >= Self.floodSize
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

    /// Connections open now (for tests and logs).
    public var openConnections: Int { open.withLock { $0.total } }
}
