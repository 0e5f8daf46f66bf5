import Foundation
import Logging
import PostgresNIO
import Store
import TestSupport
import Testing

/// The Postgres of `scripts/with-postgres`: the legacy database (a fresh schema holding
/// `agent_metadata`) and, in another schema, a Postgres store.
enum TestPostgres {
    /// Runs when a server was given, or when one is required (so that its absence fails
    /// the tests instead of passing silently).
    static var willRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["TEST_DATABASE_URL"] ?? "").isEmpty || environment["REQUIRE_POSTGRES"] == "1"
    }

    static func url() throws -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty { return url }
        Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run the tests under scripts/with-postgres")
        throw MissingPostgres()
    }

    /// A new schema name, so tests never see each other's tables.
    static func newSchema(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// Runs `body` on one plain connection to the test server.
    static func withConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let components = try #require(URLComponents(string: try url()))
        let configuration = PostgresConnection.Configuration(
            host: try #require(components.host), port: components.port ?? 5432,
            username: try #require(components.user), password: components.password,
            database: String(components.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: testLogger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

struct MissingPostgres: Error {}

/// One row as the legacy system wrote it (instructions included: the import must not copy them).
struct LegacyRow {
    var id: String
    var serviceId: String?
    var agentName: String?
    var conversationId: String?
    var inviteUrl: String?
    var instructions: String? = "You are a private assistant. Secret plans inside."
    var createdAt: Date? = Date(timeIntervalSince1970: 1_760_000_000)
    var claimedAt: Date? = Date(timeIntervalSince1970: 1_760_000_600)
}

/// A schema of the test server holding the legacy system's `agent_metadata` table.
struct LegacyDatabase {
    let schema: String

    /// The table as the legacy system made it, with these rows. `columns` replaces the
    /// column list to make a table of another shape (then `rows` must be empty).
    static func make(_ rows: [LegacyRow], columns: String? = nil) async throws -> LegacyDatabase {
        let schema = TestPostgres.newSchema("legacy")
        let definition = columns ?? """
            id TEXT PRIMARY KEY, railway_service_id TEXT, agent_name TEXT, conversation_id TEXT,
            invite_url TEXT, instructions TEXT, created_at TIMESTAMPTZ, claimed_at TIMESTAMPTZ
            """
        try await TestPostgres.withConnection { db in
            try await db.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: testLogger)
            try await db.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(schema).agent_metadata (\(definition))"),
                               logger: testLogger)
            for row in rows {
                var binds = PostgresBindings()
                binds.append(row.id)
                binds.append(row.serviceId)
                binds.append(row.agentName)
                binds.append(row.conversationId)
                binds.append(row.inviteUrl)
                binds.append(row.instructions)
                binds.append(row.createdAt)
                binds.append(row.claimedAt)
                try await db.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(schema).agent_metadata
                        (id, railway_service_id, agent_name, conversation_id, invite_url, instructions, created_at, claimed_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, binds: binds), logger: testLogger)
            }
        }
        return LegacyDatabase(schema: schema)
    }

    func read() async throws -> [LegacyAgentRow] {
        try await LegacyAgentTable.read(url: try TestPostgres.url(), schema: schema, logger: testLogger)
    }

    func importInto(_ store: any PoolStore, dryRun: Bool = false,
                    at: Date = Date(timeIntervalSince1970: 1_770_000_000)) async throws -> LegacyImportReport {
        try await LegacyImport.run(rows: try await read(), into: store, dryRun: dryRun, at: at)
    }
}

/// The stores an import is tested into.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A fresh, migrated store (a new SQLite file or a new Postgres schema), closed after `body`.
    func withStore(_ body: (any PoolStore) async throws -> Void) async throws {
        let sqlitePath = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID()).sqlite").path
        let store: any PoolStore = switch self {
        case .sqlite: try SQLiteStore(path: sqlitePath, logger: testLogger)
        case .postgres: try PostgresStore(url: try TestPostgres.url(),
                                          options: .init(schema: TestPostgres.newSchema("store"), maximumConnections: 4),
                                          logger: testLogger)
        }
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) }
        }
        do {
            _ = try await store.migrate()
            try await body(store)
            await store.close()
        } catch {
            await store.close()
            throw error
        }
    }
}

/// Warnings and errors only, as the store tests log.
let testLogger = StoreBackend.logger
