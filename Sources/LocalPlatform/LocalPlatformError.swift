/// Why a call to the local platform failed.
public enum LocalPlatformError: Error, CustomStringConvertible, Equatable {
    /// A mutation other than delete or rename named a service that does not exist.
    case serviceNotFound(String)
    /// The platform was shut down; it starts no more services or processes.
    case shutDown
    /// A socket call failed while looking for a free loopback port.
    case noFreePort(errno: Int32)

    public var description: String {
        switch self {
        case .serviceNotFound(let id): "local service \(id) not found"
        case .shutDown: "the local platform is shut down"
        case .noFreePort(let code): "no free loopback port (errno \(code))"
        }
    }
}
