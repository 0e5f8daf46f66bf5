import Foundation
import Model
import Store
import TestSupport
import Testing

/// `selfDestruct` on both stores: one transaction that never overwrites a claim in flight,
/// records one event, and says what it did.
@Suite struct SelfDestructStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func seedIdle(_ store: any PoolStore, _ id: String) async throws {
        try await store.seedIdleRecord(id, domain: "d", at: Self.t0)
    }

    @Test(arguments: StoreBackend.underTest)
    func outcomesFollowTheRecord(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.selfDestruct(instanceId: "nobody", at: Self.t0) == .unknown)
            try await seedIdle(store, "idle1")
            #expect(try await store.selfDestruct(instanceId: "idle1", at: Self.t0) == .retired)
            #expect(try await store.selfDestruct(instanceId: "idle1", at: Self.t0) == .alreadyRetired)
            let record = try #require(try await store.instance(id: "idle1"))
            #expect(record.selfDestructAt == Self.t0 && record.claim == .none && record.retiredReason != nil)
            // Retired: no claim can take it.
            #expect(try await store.beginClaim(agentName: "a", idempotencyKey: nil, at: Self.t0) == .poolEmpty)

            try await seedIdle(store, "busy1")
            guard case .took = try await store.beginClaim(agentName: "b", idempotencyKey: nil, at: Self.t0) else {
                Issue.record("no take"); return
            }
            #expect(try await store.selfDestruct(instanceId: "busy1", at: Self.t0) == .claiming)
            #expect(try await store.instance(id: "busy1")?.claim == .claiming, "a claim in flight is never overwritten")
            try await store.completeClaim(instanceId: "busy1", conversationId: "c", inviteUrl: nil, joined: false, at: Self.t0)
            #expect(try await store.selfDestruct(instanceId: "busy1", at: Self.t0) == .retired, "claimed: it goes because it asked")
            #expect(try await store.instance(id: "busy1")?.claim == Optional(InstanceRecord.Claim.none))

            try await store.forget(instanceId: "idle1", at: Self.t0)
            #expect(try await store.selfDestruct(instanceId: "idle1", at: Self.t0) == .gone)
            let events = try await store.events(limit: 50, before: nil).filter { $0.kind == "self-destruct" }
            #expect(events.compactMap(\.instanceId).sorted() == ["busy1", "idle1"], "one event per instance")
        }
    }
}
