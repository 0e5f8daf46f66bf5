import Model
import Foundation

/// The few things the store needs from a database driver. The store's statements are
/// written once, with `$1`-style placeholders, in SQL that SQLite and Postgres both accept;
/// a driver runs them and reports the differences that remain in its `dialect`.
protocol SQLDriver: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction that takes the write lock up front: commits when it
    /// returns, rolls back when it throws.
    @discardableResult
    func write<T: Sendable>(_ operation: String,
                            _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T
    /// Runs `body` outside an explicit transaction (each statement on its own).
    func read<T: Sendable>(_ operation: String,
                           _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T
    func close() async
}

/// A connection lent to one `write` or `read` body.
protocol SQLSession: Sendable {
    @discardableResult
    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow]
}

extension SQLSession {
    @discardableResult
    func run(_ sql: String, _ binds: SQLValue...) async throws -> [any SQLRow] {
        try await run(sql, binds)
    }
}

/// One result row, read by column name.
protocol SQLRow: Sendable {
    func text(_ column: String) throws -> String?
    func integer(_ column: String) throws -> Int64?
    func bool(_ column: String) throws -> Bool?
}

/// A bound parameter.
enum SQLValue: Sendable {
    case text(String)
    case integer(Int64)
    case bool(Bool)
    case null

    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func integer(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
    static func date(_ value: Date?) -> SQLValue { value.map { .integer($0.storeMillis) } ?? .null }
}

/// What differs between the databases in the statements the store shares.
struct SQLDialect: Sendable {
    /// Appended to the row pick of a claim: lets concurrent claims skip a row another
    /// transaction is taking instead of waiting for it (Postgres); SQLite has one writer.
    var claimPickLock: String
    /// Run first in each migration transaction: makes concurrent migrators take turns
    /// (and creates the Postgres schema the store was told to use).
    var migrationPreamble: [String]
    /// Folder of `Migrations/` holding this database's files.
    var migrationFolder: String
}
