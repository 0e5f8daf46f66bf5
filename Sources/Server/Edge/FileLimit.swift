#if canImport(Glibc)
import Glibc
#endif

/// The process's open-file limit, raised as far as the system allows: every connection is
/// a descriptor, and the store, the probes and the local instances need theirs too.
public enum FileLimit {
    /// Descriptors kept free of connections for everything else the server opens.
    public static let reserve = 256

    /// Raises the soft limit to the hard one; returns the soft limit now in force (nil when
    /// it cannot be read).
    @discardableResult
    public static func raise() -> Int? {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
        #else
        return nil
        #endif
    }
}
