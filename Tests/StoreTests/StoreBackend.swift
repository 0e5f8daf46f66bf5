import Foundation
import Logging
import Store
import Testing

/// The databases every store test runs against.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; Postgres when a server was given, or when it is required (so that
    /// its absence fails every Postgres case instead of passing silently).
    static let underTest: [StoreBackend] = postgresWillRun ? [.sqlite, .postgres] : [.sqlite]

    static var postgresWillRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["TEST_DATABASE_URL"] ?? "").isEmpty || environment["REQUIRE_POSTGRES"] == "1"
    }

    /// A fresh, migrated, empty store: a new SQLite file, or a new schema in the database of
    /// `TEST_DATABASE_URL`. Closed after `body`, whatever happens.
    func withStore(_ body: (any PoolStore) async throws -> Void) async throws {
        let store = try makeStore()
        do {
            _ = try await store.migrate()
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    func makeStore() throws -> any PoolStore {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("store-test-\(UUID().uuidString).sqlite").path
            return try SQLiteStore(path: path, logger: testLogger)
        case .postgres:
            let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            return try PostgresStore(url: try Self.postgresURL(),
                                     options: .init(schema: schema, maximumConnections: 8),
                                     logger: testLogger)
        }
    }

    /// The server `scripts/with-postgres` started.
    static func postgresURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty { return url }
        Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run the tests under scripts/with-postgres")
        throw MissingPostgres()
    }
}

struct MissingPostgres: Error {}

/// Says in the test output when the Postgres half does not run.
@Test(.enabled(if: StoreBackend.postgresWillRun,
               "TEST_DATABASE_URL is not set: the Postgres half of StoreTests is skipped (run under scripts/with-postgres)"))
func postgresHalfRuns() {}

/// Warnings and errors only: the unreachable-server test makes the driver log every retry.
let testLogger: Logger = {
    var logger = Logger(label: "store-tests")
    logger.logLevel = .warning
    return logger
}()

/// Test times at whole milliseconds, as the store keeps them.
func time(_ millisecondsSince1970: Int64) -> Date {
    Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000)
}
