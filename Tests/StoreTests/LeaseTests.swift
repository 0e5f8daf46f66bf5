import Foundation
@testable import Store
import TestSupport
import Testing

/// The leader lease in the store: one holder at a time, renewals keep it, expiry and
/// release hand it over.
@Suite struct LeaseTests {
    let t0 = time(1_764_000_000_000)

    @Test(arguments: StoreBackend.underTest)
    func oneHolderAtATimeUntilExpiryOrRelease(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.lease("loop") == nil)
            let a = try await store.acquireLease("loop", holder: "a", duration: 10, at: t0)
            #expect(a == Lease(name: "loop", holder: "a", acquiredAt: t0, expiresAt: t0.addingTimeInterval(10)))
            // b is refused while a's lease runs, and changes nothing.
            #expect(try await store.acquireLease("loop", holder: "b", duration: 10, at: t0.addingTimeInterval(5)) == a)
            // a renews: same acquisition time, later expiry.
            let renewed = try await store.acquireLease("loop", holder: "a", duration: 10, at: t0.addingTimeInterval(6))
            #expect(renewed.holder == "a" && renewed.acquiredAt == t0 && renewed.expiresAt == t0.addingTimeInterval(16))
            #expect(try await store.acquireLease("loop", holder: "b", duration: 10, at: t0.addingTimeInterval(15.9)).holder == "a")
            // Expired: b takes it.
            let b = try await store.acquireLease("loop", holder: "b", duration: 10, at: t0.addingTimeInterval(16))
            #expect(b == Lease(name: "loop", holder: "b", acquiredAt: t0.addingTimeInterval(16), expiresAt: t0.addingTimeInterval(26)))
            // a's late renewal does not take it back; a's release does not release b's lease.
            #expect(try await store.acquireLease("loop", holder: "a", duration: 10, at: t0.addingTimeInterval(17)).holder == "b")
            try await store.releaseLease("loop", holder: "a")
            #expect(try await store.lease("loop")?.holder == "b")
            // b releases: a takes it at once.
            try await store.releaseLease("loop", holder: "b")
            #expect(try await store.acquireLease("loop", holder: "a", duration: 10, at: t0.addingTimeInterval(18)).holder == "a")
            // Another lease name is independent.
            #expect(try await store.acquireLease("other", holder: "b", duration: 10, at: t0.addingTimeInterval(18)).holder == "b")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func concurrentReplicasNeverBothTakeIt(backend: StoreBackend) async throws {
        let location = backend.newLocation()
        let stores = try (0..<4).map { _ in try backend.makeStore(at: location) }
        try await backend.closing(stores, at: location) {
            _ = try await stores[0].migrate()
            for round in 0..<10 {
                // Each round the lease has expired: every replica races for it.
                let at = t0.addingTimeInterval(Double(round) * 100)
                let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                    for (k, store) in stores.enumerated() {
                        group.addTask {
                            let lease = try await store.acquireLease("loop", holder: "r\(k)", duration: 10, at: at)
                            return lease.isHeld(by: "r\(k)", at: at) ? "r\(k)" : nil
                        }
                    }
                    return try await group.reduce(into: [String]()) { if let w = $1 { $0.append(w) } }
                }
                #expect(winners.count == 1, "round \(round): \(winners)")
            }
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func eventsKeepTheReplicaThatRecordedThem(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.append(PoolEvent(at: t0, kind: "create", outcome: "ok", detail: "x", replica: "r1"))
            try await store.append(PoolEvent(at: t0, kind: "tick", outcome: "ok", detail: "y"))
            let events = try await store.events(limit: 10, before: nil)
            #expect(events.map(\.replica) == [nil, "r1"])
        }
    }
}
