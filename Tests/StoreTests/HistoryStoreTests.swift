import Foundation
import Model
import Store
import TestSupport
import Testing

/// The chart's history on both stores: one sample per minute (the last write wins), a week
/// kept, and the claims agents asked for, with their outcome and duration.
@Suite struct HistoryStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)  // a whole minute

    @Test(arguments: StoreBackend.underTest)
    func oneSamplePerMinuteTheLastWriteWinsAndAWeekIsKept(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.recordSample(PoolSample(minute: Self.t0, idle: 1, provisioning: 2, claimed: 3))
            // Later in the same minute: replaces it.
            try await store.recordSample(PoolSample(minute: Self.t0.addingTimeInterval(42), idle: 4, provisioning: 0, claimed: 3))
            try await store.recordSample(PoolSample(minute: Self.t0.addingTimeInterval(60), idle: 5, provisioning: 1, claimed: 0))
            var rows = try await store.history(since: Self.t0.addingTimeInterval(-3600), until: Self.t0.addingTimeInterval(3600))
            #expect(rows.samples == [PoolSample(minute: Self.t0, idle: 4, provisioning: 0, claimed: 3),
                                     PoolSample(minute: Self.t0.addingTimeInterval(60), idle: 5, provisioning: 1, claimed: 0)])
            // `until` is exclusive.
            rows = try await store.history(since: Self.t0, until: Self.t0.addingTimeInterval(60))
            #expect(rows.samples.map(\.idle) == [4])

            // A week and a minute later, the first two have aged out.
            let later = Self.t0.addingTimeInterval(PoolSample.kept + 60)
            try await store.recordSample(PoolSample(minute: later, idle: 0, provisioning: 0, claimed: 0))
            rows = try await store.history(since: Self.t0.addingTimeInterval(-60), until: later.addingTimeInterval(60))
            #expect(rows.samples.map(\.minute) == [Self.t0.addingTimeInterval(60), later])
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func aNegativeCountIsRefusedAndNothingIsWritten(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            await #expect(throws: StoreError.self) {
                try await store.recordSample(PoolSample(minute: Self.t0, idle: -1, provisioning: 0, claimed: 0))
            }
            let rows = try await store.history(since: .distantPast, until: .distantFuture)
            #expect(rows.samples.isEmpty)
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func claimsAreAgentsClaimsWithTheirOutcomeNotAdoptionsOrImports(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for id in ["i-ok", "i-failed", "i-flight", "i-adopted", "i-imported"] {
                try await store.recordIntent(instanceId: id, serviceName: "pool-\(id)", revision: "r1", at: Self.t0)
                try await store.mark(instanceId: id, serviceId: "svc-\(id)", state: .idle, at: Self.t0)
            }
            func take(_ agent: String, at offset: TimeInterval) async throws -> String {
                guard case .took(let record) = try await store.beginClaim(agentName: agent, idempotencyKey: nil, at: Self.t0.addingTimeInterval(offset)) else {
                    throw StoreError.invalidArgument(name: "claim", problem: "nothing to take")
                }
                return record.instanceId
            }
            let ok = try await take("ok", at: 10)
            try await store.completeClaim(instanceId: ok, conversationId: "c1", inviteUrl: nil, joined: false, at: Self.t0.addingTimeInterval(10.25))
            let failed = try await take("failed", at: 20)
            try await store.failClaim(instanceId: failed, reason: "500 from the instance", at: Self.t0.addingTimeInterval(21))
            _ = try await take("in flight", at: 30)
            let adoptee = try #require(try await store.instances().first { $0.claim == .none && $0.retiredReason == nil }?.instanceId)
            try await store.adopt(instanceId: adoptee, serviceId: nil, conversationId: "found", at: Self.t0.addingTimeInterval(40))
            let imported = try await store.importClaimed([ImportedClaim(
                instanceId: "i-legacy", serviceId: "svc-legacy", agentName: "legacy", conversationId: "c-legacy", inviteUrl: nil,
                createdAt: nil, claimedAt: Self.t0.addingTimeInterval(50), source: "test")], dryRun: false, at: Self.t0.addingTimeInterval(50))
            #expect(imported == [.imported])

            let rows = try await store.history(since: Self.t0, until: Self.t0.addingTimeInterval(3600))
            #expect(rows.claims == [
                ClaimTiming(startedAt: Self.t0.addingTimeInterval(10), finishedAt: Self.t0.addingTimeInterval(10.25), succeeded: true),
                ClaimTiming(startedAt: Self.t0.addingTimeInterval(20), finishedAt: Self.t0.addingTimeInterval(21), succeeded: false),
                ClaimTiming(startedAt: Self.t0.addingTimeInterval(30), finishedAt: nil, succeeded: false),
            ])
            #expect(rows.claims.first?.latency == 0.25)
        }
    }
}
