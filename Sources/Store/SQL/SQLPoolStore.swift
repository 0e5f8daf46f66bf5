import Foundation
import Logging
import Model

/// The store's operations, written once in SQL that SQLite and Postgres both accept.
/// `SQLiteStore` and `PostgresStore` only choose the database.
///
/// `@unchecked Sendable`: a non-final class cannot be checked, but it holds nothing
/// mutable, only the driver (itself Sendable), a logger and the operation counts (locked).
public class SQLPoolStore: PoolStore, @unchecked Sendable {
    let driver: any SQLDriver
    let logger: Logger
    let beginBatcher: GroupCommit<BeginClaim, ClaimStart>
    let completeBatcher: GroupCommit<CompleteClaim, Void>
    private let counted: CountingDriver

    init(driver: any SQLDriver, logger: Logger) {
        counted = CountingDriver(driver)
        self.driver = counted
        self.logger = logger
        beginBatcher = Self.makeBeginBatcher(counted)
        completeBatcher = Self.makeCompleteBatcher(counted)
    }

    public func migrate() async throws -> [String] {
        let dialect = driver.dialect
        var applied: [String] = []
        for migration in try Migration.load(folder: dialect.migrationFolder) {
            let didApply = try await driver.write("migration \(migration.name)") { db in
                for statement in dialect.migrationPreamble { try await db.run(statement) }
                try await db.run("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)
                    """)
                // Checked inside the transaction: another migrator may have just applied it.
                let done = try await db.run("SELECT name FROM schema_migrations WHERE name = $1", .text(migration.name))
                guard done.isEmpty else { return false }
                for statement in migration.statements { try await db.run(statement) }
                try await db.run("INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
                                 .text(migration.name), .date(Date()))
                return true
            }
            if didApply {
                logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
                applied.append(migration.name)
            }
        }
        return applied
    }

    public func close() async {
        await driver.close()
    }

    /// How many times each operation reached the database since the store was opened
    /// ("observe", "recordStep", ...): what the benchmarks count store round trips with.
    public var operationCounts: [String: Int] { counted.counts }
}

/// Argument checks shared by the operations.
func requireNonEmpty(_ value: String, _ name: String) throws {
    if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw StoreError.invalidArgument(name: name, problem: "must not be empty")
    }
}
