import Model
import Logging

/// The production store: a Postgres database shared by every replica.
///
/// Lifecycle: the connection pool starts running in `init` (connections open on demand)
/// and stops in `close()`, which every owner must call before dropping the store.
public final class PostgresStore: SQLPoolStore, @unchecked Sendable {
    public struct Options: Sendable {
        /// Schema for the store's tables (created by `migrate()`); nil: the server's default
        /// search path. Lower-case letters, digits and underscores.
        public var schema: String?
        public var maximumConnections: Int
        /// Longest any one operation may take, waiting for a connection included.
        public var operationTimeout: Duration

        public init(schema: String? = nil, maximumConnections: Int = 20, operationTimeout: Duration = .seconds(30)) {
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.operationTimeout = operationTimeout
        }
    }

    /// `url`: `postgres://user:password@host:port/database`, optionally `?sslmode=disable|prefer|require`.
    public init(url: String, options: Options = Options(), logger: Logger) throws {
        if let schema = options.schema, !Self.isPlainIdentifier(schema) {
            throw StoreError.invalidArgument(
                name: "schema", problem: "\"\(schema)\" must be lower-case letters, digits and underscores, starting with a letter")
        }
        guard options.maximumConnections >= 1 else {
            throw StoreError.invalidArgument(name: "maximumConnections", problem: "must be at least 1")
        }
        let driver = try PostgresDriver(url: try PostgresURL(url), schema: options.schema,
                                        maximumConnections: options.maximumConnections,
                                        operationTimeout: options.operationTimeout, logger: logger)
        super.init(driver: driver, logger: logger)
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
