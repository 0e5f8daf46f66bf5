import Foundation
import Logging
import Store
import Model
import Testing

/// The databases every store test runs against.
public enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    public var testDescription: String { rawValue }

    /// SQLite always; Postgres when a server was given, or when it is required (so that
    /// its absence fails every Postgres case instead of passing silently).
    public static let underTest: [StoreBackend] = postgresWillRun ? [.sqlite, .postgres] : [.sqlite]

    public static var postgresWillRun: Bool {
        let environment = ProcessInfo.processInfo.environment
        return !(environment["TEST_DATABASE_URL"] ?? "").isEmpty || environment["REQUIRE_POSTGRES"] == "1"
    }

    /// A fresh, migrated, empty store: a new SQLite file, or a new schema in the database of
    /// `TEST_DATABASE_URL`. Closed after `body`, whatever happens.
    public func withStore(_ body: (any PoolStore) async throws -> Void) async throws {
        let location = newLocation()
        let store = try makeStore(at: location)
        try await closing([store], at: location) {
            _ = try await store.migrate()
            try await body(store)
        }
    }

    /// Deletes a test's SQLite file (a Postgres schema goes with the throwaway server).
    public func remove(_ location: String) {
        guard self == .sqlite else { return }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: location + suffix) }
    }

    public func makeStore() throws -> any PoolStore {
        try makeStore(at: newLocation())
    }

    /// Where a fresh store keeps its tables: a new SQLite file or a new Postgres schema.
    public func newLocation() -> String {
        switch self {
        case .sqlite:
            FileManager.default.temporaryDirectory.appendingPathComponent("store-test-\(UUID().uuidString).sqlite").path
        case .postgres:
            "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        }
    }

    /// A store on `location`; several stores on one location share their data, as
    /// processes or replicas would.
    public func makeStore(at location: String) throws -> any PoolStore {
        switch self {
        case .sqlite:
            try SQLiteStore(path: location, logger: StoreBackend.logger)
        case .postgres:
            try PostgresStore(url: try Self.postgresURL(),
                              options: .init(schema: location, maximumConnections: 8),
                              logger: StoreBackend.logger)
        }
    }

    /// The server `scripts/with-postgres` started.
    public static func postgresURL() throws -> String {
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty { return url }
        Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run the tests under scripts/with-postgres")
        throw MissingPostgres()
    }
}

public struct MissingPostgres: Error {}

extension StoreBackend {
    /// Runs `body`, then closes the stores and removes their location, whatever happened.
    public func closing<T>(_ stores: [any PoolStore], at location: String, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            for store in stores { await store.close() }
            remove(location)
            return result
        } catch {
            for store in stores { await store.close() }
            remove(location)
            throw error
        }
    }
}

    /// Warnings and errors only: the unreachable-server test makes the driver log every retry.
extension StoreBackend {
    public static let logger: Logger = {
        var logger = Logger(label: "store-tests")
        logger.logLevel = .warning
        return logger
    }()
}

