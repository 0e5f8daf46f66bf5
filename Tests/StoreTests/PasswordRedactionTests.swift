import Foundation
import Logging
import Store
import TestSupport
import Testing

/// The database password must never reach an error message (they end up in logs and API
/// answers). These need no running server.
@Suite struct PasswordRedactionTests {
    let password = "s3cret-Pa55word"

    @Test func unreachableServerErrorHidesThePassword() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        let url = "postgres://pool:\(password)@127.0.0.1:1/pool"
        let store = try PostgresStore(url: url, options: .init(operationTimeout: .seconds(2)), logger: StoreBackend.logger)
        let error = await #expect(throws: StoreError.self) { try await store.migrate() }
        await store.close()
        let text = String(describing: try #require(error))
        #expect(!text.contains(password))
        #expect(text.contains("127.0.0.1:1"), "the error should say which server: \(text)")
        #expect(text.contains("refused"), "the error should say why: \(text)")
    }

    @Test func invalidURLErrorHidesThePassword() throws {
        let error = #expect(throws: StoreError.self) {
            try PostgresStore(url: "postgres://pool:\(password)@db.internal:5432/pool?sslmode=maybe", logger: StoreBackend.logger)
        }
        let text = String(describing: try #require(error))
        #expect(!text.contains(password))
        #expect(text.contains("sslmode"))
    }

    @Test func unsupportedSchemeErrorHidesThePassword() throws {
        let error = #expect(throws: StoreError.self) {
            try makeStore(databaseURL: "mysql://pool:\(password)@db.internal/pool", sqlitePath: "unused", logger: StoreBackend.logger)
        }
        let text = String(describing: try #require(error))
        #expect(!text.contains(password))
        #expect(text.contains("postgres://"))
    }
}

@Suite struct MakeStoreTests {
    @Test func choosesTheDatabaseFromTheURL() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("make-store-\(UUID()).sqlite").path
        let sqlite = try makeStore(databaseURL: nil, sqlitePath: path, logger: StoreBackend.logger)
        #expect(sqlite is SQLiteStore)
        await sqlite.close()
        for scheme in ["postgres", "postgresql"] {
            let postgres = try makeStore(databaseURL: "\(scheme)://u:p@127.0.0.1:5432/db", sqlitePath: path, logger: StoreBackend.logger)
            #expect(postgres is PostgresStore)
            await postgres.close()
        }
    }
}
