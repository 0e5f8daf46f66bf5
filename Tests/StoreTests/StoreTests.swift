import Foundation
import Model
import Store
import TestSupport
import Testing

/// The same cases against SQLite and Postgres.
@Suite struct StoreTests {
    let t0 = time(1_764_000_000_123)

    @Test(arguments: StoreBackend.underTest)
    func migrationsApplyOnce(backend: StoreBackend) async throws {
        let location = backend.newLocation()
        let store = try backend.makeStore(at: location)
        try await backend.closing([store], at: location) { () async throws in
            #expect(try await store.migrate() == allMigrations)
            #expect(try await store.migrate() == [])
            #expect(try await store.instances() == [])
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func intentIsRecordedOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.recordIntent(instanceId: "a1", serviceName: "pool-a1", revision: "rev1", tokenVersion: 3, at: t0)
            try await store.recordIntent(instanceId: "a1", serviceName: "pool-a1", revision: "rev2", tokenVersion: 4,
                                         at: t0.addingTimeInterval(5))
            // Without a secret version: made with the pool key, as before instance tokens.
            try await store.recordIntent(instanceId: "b1", serviceName: "pool-b1", revision: "rev1", at: t0)
            let records = try await store.instances()
            #expect(records == [InstanceRecord(instanceId: "a1", revision: "rev1", createdAt: t0,
                                               createStep: .intentRecorded, claim: .none, tokenVersion: 3),
                                InstanceRecord(instanceId: "b1", revision: "rev1", createdAt: t0,
                                               createStep: .intentRecorded, claim: .none, holdsPoolKey: true)])
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func createStepOnlyMovesForward(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.recordIntent(instanceId: "a1", serviceName: "pool-a1", revision: "rev1", at: t0)
            try await store.recordStep(instanceId: "a1", step: .serviceCreated, serviceId: "svc-1")
            try await store.recordStep(instanceId: "a1", step: .domainCreated, serviceId: nil)
            try await store.recordStep(instanceId: "a1", step: .configured, serviceId: nil)
            let record = try #require(try await store.instance(id: "a1"))
            #expect(record.createStep == .domainCreated)
            #expect(record.serviceId == "svc-1")
            await #expect(throws: StoreError.unknownInstance("nope")) {
                try await store.recordStep(instanceId: "nope", step: .pinned, serviceId: nil)
            }
        }
    }

    /// Placement projectPerInstance: the project is recorded with the service and kept by
    /// the later steps, which name none.
    @Test(arguments: StoreBackend.underTest)
    func theProjectIsRecordedWithTheService(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.recordIntent(instanceId: "p1", serviceName: "pool-p1", revision: "rev1", tokenVersion: 1, at: t0)
            #expect(try await store.instance(id: "p1")?.projectId == nil)
            try await store.recordStep(instanceId: "p1", step: .serviceCreated, serviceId: "svc-p", projectId: "prj-1")
            try await store.recordStep(instanceId: "p1", step: .domainCreated, serviceId: nil)
            let record = try #require(try await store.instance(id: "p1"))
            #expect(record.projectId == "prj-1" && record.serviceId == "svc-p")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func markCreatesOrUpdates(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // Adopted by name: no intent, so the mark creates the record.
            try await store.mark(instanceId: "b2", serviceId: "svc-b2", state: .idle, at: t0)
            #expect(try await store.instance(id: "b2")
                    == InstanceRecord(instanceId: "b2", serviceId: "svc-b2", claim: .none, marked: .idle))
            try await store.mark(instanceId: "b2", serviceId: nil, state: .dead, at: t0)
            let record = try #require(try await store.instance(id: "b2"))
            #expect(record.marked == .dead)
            #expect(record.serviceId == "svc-b2")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func healthyTimesAreRecordedTogether(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for id in ["h1", "h2", "h3"] {
                try await store.mark(instanceId: id, serviceId: nil, state: .idle, at: t0)
            }
            try await store.recordHealthy(instanceIds: ["h1", "h3"], at: t0)
            try await store.recordHealthy(instanceIds: [], at: t0)
            let healthy = try await store.instances().map { "\($0.instanceId):\($0.lastHealthyAt == t0)" }
            #expect(healthy == ["h1:true", "h2:false", "h3:true"])
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func forgottenRecordsLeaveTheList(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.mark(instanceId: "f1", serviceId: "svc-f1", state: .dead, at: t0)
            try await store.mark(instanceId: "f2", serviceId: "svc-f2", state: .idle, at: t0)
            try await store.forget(instanceId: "f1", at: t0)
            try await store.forget(instanceId: "f1", at: t0)
            #expect(try await store.instances().map(\.instanceId) == ["f2"])
            #expect(try await store.instance(id: "f1") == nil)
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func timesRoundTripAtMilliseconds(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let subMillisecond = Date(timeIntervalSince1970: 1_764_000_000.123_456_7)
            try await store.recordIntent(instanceId: "t1", serviceName: "pool-t1", revision: "r", at: subMillisecond)
            let createdAt = try #require(try await store.instance(id: "t1")?.createdAt)
            #expect(createdAt == subMillisecond.storeRounded)
            #expect(createdAt == time(1_764_000_000_123))
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func concurrentClaimsNeverShareAnInstance(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for i in 0..<50 {
                let id = String(format: "c%02d", i)
                try await store.recordIntent(instanceId: id, serviceName: "pool-\(id)", revision: "r",
                                             at: t0.addingTimeInterval(Double(i)))
                try await store.mark(instanceId: id, serviceId: "svc-\(id)", state: .idle, at: t0)
            }
            let starts = try await withThrowingTaskGroup(of: ClaimStart.self) { group in
                for i in 0..<500 {
                    group.addTask { try await store.beginClaim(agentName: "agent-\(i)", idempotencyKey: "key-\(i)", at: t0) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let taken = starts.compactMap { start -> String? in
                if case .took(let record) = start { return record.instanceId } else { return nil }
            }
            #expect(taken.count == 50)
            #expect(Set(taken).count == 50)
            #expect(starts.filter { $0 == .poolEmpty }.count == 450)
            #expect(try await store.instances().allSatisfy { $0.claim == .claiming })
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func claimTakesTheOldestClaimableInstance(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            // Created oldest first: gone, retired, booting, older, newer.
            let instances: [(id: String, state: InstanceState)] = [
                ("gone", .idle), ("retired", .idle), ("booting", .provisioning), ("older", .idle), ("newer", .idle),
            ]
            for (offset, instance) in instances.enumerated() {
                try await store.recordIntent(instanceId: instance.id, serviceName: "pool-\(instance.id)",
                                             revision: "r", at: t0.addingTimeInterval(Double(offset)))
                try await store.mark(instanceId: instance.id, serviceId: nil, state: instance.state, at: t0)
            }
            try await store.forget(instanceId: "gone", at: t0)
            #expect(try takenId(try await store.beginClaim(agentName: "a", idempotencyKey: nil, at: t0)) == "retired")
            try await store.failClaim(instanceId: "retired", reason: "join failed", at: t0)
            // Still marked idle until the next tick, but retired: never handed out again.
            #expect(try takenId(try await store.beginClaim(agentName: "b", idempotencyKey: nil, at: t0)) == "older")
            #expect(try takenId(try await store.beginClaim(agentName: "c", idempotencyKey: nil, at: t0)) == "newer")
            #expect(try await store.beginClaim(agentName: "d", idempotencyKey: nil, at: t0) == .poolEmpty)
            let record = try #require(try await store.instance(id: "older"))
            #expect(record.claim == .claiming)
            #expect(record.agentName == "b")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func idempotencyKeyReplaysTheAnswer(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.mark(instanceId: "i1", serviceId: "svc-i1", state: .idle, at: t0)
            try await store.mark(instanceId: "i2", serviceId: "svc-i2", state: .idle, at: t0)
            let first = try await store.beginClaim(agentName: "trip", idempotencyKey: "k1", at: t0)
            let instanceId = try takenId(first)
            #expect(try await store.beginClaim(agentName: "trip", idempotencyKey: "k1", at: t0) == .inProgress)
            try await store.completeClaim(instanceId: instanceId, conversationId: "conv-1",
                                          inviteUrl: "https://example.test/i/abc", joined: false, at: t0)
            let answer = ClaimOutcome.claimed(instanceId: instanceId, conversationId: "conv-1",
                                              inviteUrl: "https://example.test/i/abc", joined: false)
            #expect(try await store.beginClaim(agentName: "trip", idempotencyKey: "k1", at: t0) == .replay(answer))
            let record = try #require(try await store.instance(id: instanceId))
            #expect(record.claim == .claimed)
            #expect(record.conversationId == "conv-1")
            #expect(record.agentName == "trip")
            // The replays took nothing: the other instance is still claimable.
            #expect(try await store.instances().filter { $0.claim == .none }.count == 1)
            await #expect(throws: StoreError.notClaiming(instanceId: instanceId)) {
                try await store.completeClaim(instanceId: instanceId, conversationId: "conv-2",
                                              inviteUrl: nil, joined: true, at: t0)
            }
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func failedClaimRetiresTheInstance(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.mark(instanceId: "r1", serviceId: "svc-r1", state: .idle, at: t0)
            let instanceId = try takenId(try await store.beginClaim(agentName: "trip", idempotencyKey: "k2", at: t0))
            try await store.failClaim(instanceId: instanceId, reason: "POST /convos/join answered 500", at: t0)
            let record = try #require(try await store.instance(id: instanceId))
            #expect(record.claim == .none)
            #expect(record.retiredReason == "POST /convos/join answered 500")
            #expect(try await store.beginClaim(agentName: "trip", idempotencyKey: "k2", at: t0)
                    == .replay(.failed(instanceId: instanceId, message: "POST /convos/join answered 500")))
            #expect(try await store.beginClaim(agentName: "other", idempotencyKey: "k3", at: t0) == .poolEmpty)
            // A pool-empty answer is not stored: the same key may try again later.
            try await store.mark(instanceId: "r2", serviceId: nil, state: .idle, at: t0)
            #expect(try takenId(try await store.beginClaim(agentName: "other", idempotencyKey: "k3", at: t0)) == "r2")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func adoptionRecordsAnUnknownAgent(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.adopt(instanceId: "x1", serviceId: "svc-x1", conversationId: "conv-x", at: t0)
            #expect(try await store.instance(id: "x1")
                    == InstanceRecord(instanceId: "x1", serviceId: "svc-x1", claim: .claimed, conversationId: "conv-x",
                                      marked: .adopted))
            // An instance we handed out keeps its agent.
            try await store.mark(instanceId: "x2", serviceId: nil, state: .idle, at: t0)
            _ = try await store.beginClaim(agentName: "trip", idempotencyKey: nil, at: t0)
            try await store.completeClaim(instanceId: "x2", conversationId: "conv-2", inviteUrl: nil, joined: true, at: t0)
            try await store.adopt(instanceId: "x2", serviceId: nil, conversationId: "conv-other", at: t0)
            let record = try #require(try await store.instance(id: "x2"))
            #expect(record.agentName == "trip")
            #expect(record.conversationId == "conv-2")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func requestsQueueUntilCompleted(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let drain = try await store.addRequest(kind: .drain, count: nil, at: t0)
            let replenish = try await store.addRequest(kind: .replenish, count: 3, at: t0.addingTimeInterval(1))
            #expect(try await store.pendingRequests() == [
                PoolRequest(id: drain, kind: .drain, count: nil, requestedAt: t0),
                PoolRequest(id: replenish, kind: .replenish, count: 3, requestedAt: t0.addingTimeInterval(1)),
            ])
            try await store.completeRequest(id: drain, at: t0)
            try await store.completeRequest(id: drain, at: t0)
            #expect(try await store.pendingRequests().map(\.id) == [replenish])
            await #expect(throws: StoreError.unknownRequest(9_999)) {
                try await store.completeRequest(id: 9_999, at: t0)
            }
            await #expect(throws: StoreError.invalidArgument(name: "count", problem: "must be at least 1, got 0")) {
                try await store.addRequest(kind: .replenish, count: 0, at: t0)
            }
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func buildFailuresCountSinceTheLastSuccess(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            #expect(try await store.consecutiveBuildFailures(revision: "r1") == 0)
            for succeeded in [false, false] {
                try await store.recordBuildOutcome(revision: "r1", succeeded: succeeded, at: t0)
            }
            try await store.recordBuildOutcome(revision: "r2", succeeded: false, at: t0)
            #expect(try await store.consecutiveBuildFailures(revision: "r1") == 2)
            try await store.recordBuildOutcome(revision: "r1", succeeded: true, at: t0)
            #expect(try await store.consecutiveBuildFailures(revision: "r1") == 0)
            #expect(try await store.lastBuildFailureAt(revision: "r1") == t0)
            let later = t0.addingTimeInterval(90)
            try await store.recordBuildOutcome(revision: "r1", succeeded: false, at: later)
            #expect(try await store.consecutiveBuildFailures(revision: "r1") == 1)
            #expect(try await store.consecutiveBuildFailures(revision: "r2") == 1)
            #expect(try await store.lastBuildFailureAt(revision: "r1") == later)
            #expect(try await store.lastBuildFailureAt(revision: "r3") == nil)
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func eventsPageNewestFirst(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            var appended: [PoolEvent] = []
            for i in 1...5 {
                var event = PoolEvent(at: t0.addingTimeInterval(Double(i)), kind: "create", instanceId: "e\(i)",
                                      serviceId: i == 3 ? nil : "svc-\(i)", outcome: i == 2 ? "failed" : "ok",
                                      detail: "event \(i)")
                event.id = try await store.append(event)
                appended.append(event)
            }
            let newest = Array(appended.reversed())
            let firstPage = try await store.events(limit: 2, before: nil)
            #expect(firstPage == Array(newest[0..<2]))
            let secondPage = try await store.events(limit: 2, before: firstPage.last?.id)
            #expect(secondPage == Array(newest[2..<4]))
            let lastPage = try await store.events(limit: 2, before: secondPage.last?.id)
            #expect(lastPage == [newest[4]])
            await #expect(throws: StoreError.self) { try await store.events(limit: 0, before: nil) }
        }
    }
}

/// The instance id of a `.took`, or a failure naming what came instead.
func takenId(_ start: ClaimStart) throws -> String {
    guard case .took(let record) = start else {
        Issue.record("expected .took, got \(start)")
        throw UnexpectedClaimStart()
    }
    return record.instanceId
}

struct UnexpectedClaimStart: Error {}

@Suite struct DeleteReservationTests {
    let t0 = time(1_764_000_000_000)

    @Test(arguments: StoreBackend.underTest)
    func onlyUnclaimedInstancesAreReservedForDeletion(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for id in ["free", "taken"] {
                try await store.recordIntent(instanceId: id, serviceName: "p-\(id)", revision: "r", at: t0)
                try await store.mark(instanceId: id, serviceId: "svc-\(id)", domain: "h:1", state: .idle, at: t0)
            }
            guard case .took(let taken) = try await store.beginClaim(agentName: "a", idempotencyKey: nil, at: t0) else {
                Issue.record("no claim"); return
            }
            let free = taken.instanceId == "free" ? "taken" : "free"
            #expect(try await store.reserveForDelete(instanceId: taken.instanceId, reason: "excess", at: t0) == false)
            #expect(try await store.reserveForDelete(instanceId: free, reason: "excess", at: t0))
            #expect(try await store.instance(id: free)?.retiredReason == "excess")
            // Reserved: no claim can take it any more.
            #expect(try await store.beginClaim(agentName: "b", idempotencyKey: nil, at: t0) == .poolEmpty)
            // Unknown to the store (owned by name only): free to delete.
            #expect(try await store.reserveForDelete(instanceId: "unknown", reason: "dead", at: t0))
        }
    }
}
