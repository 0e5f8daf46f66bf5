import Foundation
import Store
import TestSupport
import Testing

/// Several stores on one database, as several processes (SQLite) or replicas (Postgres).
@Suite struct SharedDatabaseTests {
    let t0 = time(1_764_000_000_000)

    @Test(arguments: StoreBackend.underTest)
    func concurrentMigratorsApplyEachMigrationOnce(backend: StoreBackend) async throws {
        let location = backend.newLocation()
        let stores = try (0..<3).map { _ in try backend.makeStore(at: location) }
        let applied = try await backend.closing(stores, at: location) {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for store in stores { group.addTask { try await store.migrate() } }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        // Each file once, across all migrators (one may apply 0001 and another 0002).
        #expect(applied.sorted() == allMigrations)
    }

    @Test(arguments: StoreBackend.underTest)
    func storesSharingADatabaseNeverShareAnInstance(backend: StoreBackend) async throws {
        let location = backend.newLocation()
        let stores = try (0..<2).map { _ in try backend.makeStore(at: location) }
        let starts = try await backend.closing(stores, at: location) {
            _ = try await stores[0].migrate()
            for i in 0..<20 {
                try await stores[0].mark(instanceId: "s\(i)", serviceId: nil, state: .idle, at: t0)
            }
            return try await withThrowingTaskGroup(of: ClaimStart.self) { group in
                for i in 0..<100 {
                    let store = stores[i % 2]
                    group.addTask { try await store.beginClaim(agentName: "agent-\(i)", idempotencyKey: nil, at: t0) }
                }
                return try await group.reduce(into: [ClaimStart]()) { $0.append($1) }
            }
        }
        let taken = starts.compactMap { start -> String? in
            if case .took(let record) = start { record.instanceId } else { nil }
        }
        #expect(taken.count == 20)
        #expect(Set(taken).count == 20)
    }
}

