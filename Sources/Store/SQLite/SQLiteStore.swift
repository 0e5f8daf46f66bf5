import Model
import Logging

/// The default store: one SQLite file, no server. Several processes may share the file
/// (WAL mode, busy timeout); within a process, statements run one at a time.
public final class SQLiteStore: SQLPoolStore, @unchecked Sendable {
    /// Opens the file (created if missing) on first use.
    public init(path: String, logger: Logger) throws {
        try requireNonEmpty(path, "SQLite path")
        super.init(driver: SQLiteDriver(path: path, logger: logger), logger: logger)
    }
}
