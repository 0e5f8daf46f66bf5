import Model
import Foundation
import Logging
import SQLiteNIO

struct SQLiteDriver: SQLDriver {
    let dialect = SQLDialect(claimPickLock: "", migrationPreamble: [], migrationFolder: "sqlite")
    private let connection: SQLiteSerialConnection

    init(path: String, logger: Logger) {
        connection = SQLiteSerialConnection(path: path, logger: logger)
    }

    func write<T: Sendable>(_ operation: String,
                            _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await translatingErrors(operation) {
            try await connection.withTurn { db in
                // IMMEDIATE takes the write lock now, so a transaction that reads then writes
                // cannot be overtaken by another process in between.
                _ = try await SQLiteBusy.retrying { try await db.query("BEGIN IMMEDIATE") }
                do {
                    let result = try await body(SQLiteSession(connection: db))
                    _ = try await db.query("COMMIT")
                    return result
                } catch {
                    _ = try? await db.query("ROLLBACK")
                    throw error
                }
            }
        }
    }

    func read<T: Sendable>(_ operation: String,
                           _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await translatingErrors(operation) {
            try await connection.withTurn { db in try await body(SQLiteSession(connection: db)) }
        }
    }

    func close() async {
        await connection.close()
    }

    private func translatingErrors<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SQLiteError {
            throw StoreError.database(operation: operation, message: error.description)
        }
    }
}

private struct SQLiteSession: SQLSession {
    let connection: SQLiteConnection

    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow] {
        try await connection.query(Self.numberedPlaceholders(sql), binds.map(\.sqliteData))
            .map(SQLiteResultRow.init)
    }

    /// `$1` becomes `?1`: SQLite reads `$1` as a named parameter, numbered by first
    /// appearance, which would misplace binds used out of order or twice.
    static func numberedPlaceholders(_ sql: String) -> String {
        var result = ""
        var previous: Character?
        for character in sql {
            if previous == "$", character.isNumber { result.removeLast(); result.append("?") }
            result.append(character)
            previous = character
        }
        return result
    }
}

private struct SQLiteResultRow: SQLRow {
    let row: SQLiteRow

    func text(_ column: String) throws -> String? {
        switch row.column(column) {
        case .text(let value): value
        case .null, nil: nil
        case let other?: throw StoreError.unexpectedValue(column: column, value: other.description)
        }
    }

    func integer(_ column: String) throws -> Int64? {
        switch row.column(column) {
        case .integer(let value): Int64(value)
        case .null, nil: nil
        case let other?: throw StoreError.unexpectedValue(column: column, value: other.description)
        }
    }

    func bool(_ column: String) throws -> Bool? {
        try integer(column).map { $0 != 0 }
    }
}

extension SQLValue {
    fileprivate var sqliteData: SQLiteData {
        switch self {
        case .text(let value): .text(value)
        case .integer(let value): .integer(Int(value))
        case .bool(let value): .integer(value ? 1 : 0)
        case .null: .null
        }
    }
}
