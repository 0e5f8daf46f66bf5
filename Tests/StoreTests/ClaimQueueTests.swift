import Foundation
import Store
import TestSupport
import Testing

/// The line of waiting claims, on both stores: first come first served, a waiter not heard
/// from is dropped, a dropped waiter that comes back rejoins at its place, leaving is final.
@Suite struct ClaimQueueTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func turn(_ store: any PoolStore, _ id: String, joined: Date = t0, at offset: TimeInterval) async throws -> Bool {
        let now = Self.t0.addingTimeInterval(offset)
        return try await store.claimQueueTurn(waiterId: id, joinedAt: joined, at: now, liveSince: now.addingTimeInterval(-3))
    }

    @Test(arguments: StoreBackend.underTest)
    func theFirstInLineIsServedFirst(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.joinClaimQueue(waiterId: "a", at: Self.t0)
            try await store.joinClaimQueue(waiterId: "b", at: Self.t0.addingTimeInterval(0.5))
            try await store.joinClaimQueue(waiterId: "a", at: Self.t0.addingTimeInterval(1))  // a repeat keeps its place
            #expect(try await turn(store, "b", joined: Self.t0.addingTimeInterval(0.5), at: 1) == false)
            #expect(try await turn(store, "a", at: 1) == true)
            try await store.leaveClaimQueue(waiterId: "a")
            #expect(try await turn(store, "b", joined: Self.t0.addingTimeInterval(0.5), at: 1.2) == true)
            try await store.leaveClaimQueue(waiterId: "b")
            try await store.leaveClaimQueue(waiterId: "b")  // idempotent
        }
    }

    /// A claim behind the line takes only the idle instances its live waiters leave; the
    /// one whose turn it is takes; a waiter not heard from since blocks nobody.
    @Test(arguments: StoreBackend.underTest)
    func claimsBehindTheLineTakeOnlyWhatTheWaitersLeave(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            func idle(_ ids: [String]) async throws {
                for id in ids {
                    try await store.recordIntent(instanceId: id, serviceName: "pool-\(id)", revision: "r", at: Self.t0)
                    try await store.mark(instanceId: id, serviceId: "svc-\(id)", state: .idle, at: Self.t0)
                }
            }
            func behind(_ name: String, at now: Date) async throws -> ClaimStart {
                try await store.beginClaim(agentName: name, idempotencyKey: nil, requestHash: nil,
                                           behindWaitersSince: now.addingTimeInterval(-3), at: now)
            }
            try await idle(["i-1"])
            try await store.joinClaimQueue(waiterId: "w", at: Self.t0)
            let now = Self.t0.addingTimeInterval(1)
            #expect(try await behind("passer", at: now) == .poolEmpty, "the one idle instance is the waiter's")
            try await idle(["i-2"])
            guard case .took = try await behind("spare", at: now) else {
                Issue.record("two idle, one waiter: one is spare")
                return
            }
            guard case .took = try await store.beginClaim(agentName: "waiter", idempotencyKey: nil, requestHash: nil,
                                                          behindWaitersSince: nil, at: now) else {
                Issue.record("the claim whose turn it is takes")
                return
            }
            // 10 s later the waiter was not heard from: it blocks nobody.
            try await idle(["i-3"])
            let later = Self.t0.addingTimeInterval(10)
            guard case .took = try await behind("later", at: later) else {
                Issue.record("a stale waiter blocked a claim")
                return
            }
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func aWaiterNotHeardFromIsDroppedAndMayRejoinAtItsPlace(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.joinClaimQueue(waiterId: "dead", at: Self.t0)
            try await store.joinClaimQueue(waiterId: "live", at: Self.t0.addingTimeInterval(1))
            // 10 s later only "live" renews: "dead" (silent for more than 3 s) is out of line.
            #expect(try await turn(store, "live", joined: Self.t0.addingTimeInterval(1), at: 10) == true)
            // "dead" comes back (its store calls failed for a while): back at its place, first.
            #expect(try await turn(store, "dead", at: 10.5) == true)
            #expect(try await turn(store, "live", joined: Self.t0.addingTimeInterval(1), at: 10.6) == false)
        }
    }
}
