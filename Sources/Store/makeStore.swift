import Logging

/// The store the configuration asks for: Postgres when `databaseURL` is a postgres:// or
/// postgresql:// URL, otherwise the SQLite file at `sqlitePath`. Call `close()` when done.
public func makeStore(databaseURL: String?, sqlitePath: String, logger: Logger) throws -> any PoolStore {
    if let databaseURL, !databaseURL.isEmpty {
        guard PostgresURL.isPostgres(databaseURL) else {
            throw StoreError.invalidDatabaseURL(url: PostgresURL.masked(databaseURL),
                                                problem: "only postgres:// and postgresql:// URLs are supported")
        }
        return try PostgresStore(url: databaseURL, logger: logger)
    }
    return try SQLiteStore(path: sqlitePath, logger: logger)
}
