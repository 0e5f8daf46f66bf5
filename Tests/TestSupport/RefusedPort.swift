#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// A port on 127.0.0.1 that refuses connections for as long as `body` runs: bound and not
/// listening, so no other test's server can take it meanwhile (a stopped server's port
/// can be handed to the next server that binds port 0, and then something answers).
public func withRefusedPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let socketFD = socket(AF_INET, streamSocket, 0)
    guard socketFD >= 0 else { throw RefusedPortError(errno: errno) }
    defer { close(socketFD) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socketFD, $0, length) == 0 && getsockname(socketFD, $0, &length) == 0
        }
    }
    guard bound else { throw RefusedPortError(errno: errno) }
    return try await body(Int(UInt16(bigEndian: address.sin_port)))
}

public struct RefusedPortError: Error {
    public var errno: Int32
}
