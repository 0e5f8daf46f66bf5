import Model
import Logging

/// The store the configuration asks for: Postgres when `databaseURL` is a postgres:// or
/// postgresql:// URL (its tables in `schema` when given), otherwise the SQLite file at
/// `sqlitePath`. Call `close()` when done.
public func makeStore(databaseURL: String?, sqlitePath: String, schema: String? = nil, logger: Logger) throws -> any PoolStore {
    if let databaseURL, !databaseURL.isEmpty {
        guard PostgresURL.isPostgres(databaseURL) else {
            throw StoreError.invalidDatabaseURL(url: PostgresURL.masked(databaseURL),
                                                problem: "only postgres:// and postgresql:// URLs are supported")
        }
        return try PostgresStore(url: databaseURL, options: .init(schema: schema), logger: logger)
    }
    return try SQLiteStore(path: sqlitePath, logger: logger)
}
