/// Why a call to the local platform failed.
public enum LocalPlatformError: Error, CustomStringConvertible, Equatable {
    /// A mutation other than delete or rename named a service that does not exist.
    case serviceNotFound(String)
    /// The platform was shut down; it starts no more services or processes.
    case shutDown
    /// A socket call failed while looking for a free loopback port.
    case noFreePort(errno: Int32)
    /// Another process holds the state folder (its pid when it wrote one).
    case stateInUse(folder: String, pid: Int32?)
    /// The state folder's lock file could not be opened.
    case stateLockFailed(folder: String, errno: Int32)

    public var description: String {
        switch self {
        case .serviceNotFound(let id): "local service \(id) not found"
        case .shutDown: "the local platform is shut down"
        case .noFreePort(let code): "no free loopback port (errno \(code))"
        case .stateInUse(let folder, let pid):
            "the local state folder \(folder) is in use by another poolctl process\(pid.map { " (pid \($0))" } ?? ""): its instances are that process's; stop it first, or give this one another POOL_LOCAL_STATE"
        case .stateLockFailed(let folder, let code): "cannot open the lock of the local state folder \(folder) (errno \(code))"
        }
    }
}
