#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// Ports on 127.0.0.1, with plain sockets: a free one for a new instance, and whether
/// something listens on one (how an instance proves it is the process its record names).
public enum LoopbackPort {
    /// The kernel's pick for port 0, released at once for the instance (or a test's server)
    /// to bind.
    public static func free() throws -> Int {
        let socketFD = socket(AF_INET, streamSocket, 0)
        guard socketFD >= 0 else { throw LocalPlatformError.noFreePort(errno: errno) }
        defer { close(socketFD) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
            }
        }
        guard bound else { throw LocalPlatformError.noFreePort(errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A TCP connect succeeds. On loopback a connect is answered at once, accepted or refused.
    static func answers(_ port: Int) -> Bool {
        let socketFD = socket(AF_INET, streamSocket, 0)
        guard socketFD >= 0 else { return false }
        defer { close(socketFD) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }
}
