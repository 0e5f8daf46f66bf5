import Foundation
@testable import Store
import TestSupport
import Testing

/// Claims that arrive together share a transaction (group commit): each must still get
/// exactly the answer it would get alone.
@Suite struct ClaimBatchTests {
    let t0 = time(1_764_000_000_000)

    func seedIdle(_ store: any PoolStore, _ count: Int) async throws {
        for i in 0..<count {
            let id = String(format: "b%03d", i)
            try await store.seedIdleRecord(id, tokenVersion: nil, at: t0.addingTimeInterval(Double(i)))
        }
    }

    /// A tick's write holding an idle row (a mark, recordHealthy) while a claim picks: the
    /// claim waits for it instead of answering "pool empty" with an instance idle.
    @Test(arguments: StoreBackend.underTest)
    func aClaimWaitsForATicksShortWriteInsteadOfAnsweringEmpty(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await seedIdle(store, 1)
            let sql = try #require(store as? SQLPoolStore)
            let (locked, lockedInput) = AsyncStream<Void>.makeStream()
            let writer = Task {
                try await sql.driver.write("test: a tick's write") { db in
                    _ = try await db.run("UPDATE instances SET last_healthy_at = $1 WHERE instance_id = $2",
                                         .date(t0), .text("b000"))
                    lockedInput.yield()
                    try await Task.sleep(for: .milliseconds(150))
                }
            }
            for await _ in locked { break }
            let start = try await store.beginClaim(agentName: "waiting", idempotencyKey: "k-wait", at: t0)
            #expect(try takenId(start) == "b000", "answered \(start) while an instance was idle")
            try await writer.value
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func concurrentClaimsTakeTheOldestAndRecordEveryAnswer(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await seedIdle(store, 40)
            let taken = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<25 {
                    group.addTask {
                        let id = try takenId(try await store.beginClaim(agentName: "agent \(i)", idempotencyKey: "key-\(i)", at: t0))
                        try await store.completeClaim(instanceId: id, conversationId: "conv-\(i)",
                                                      inviteUrl: i.isMultiple(of: 2) ? "https://dev.convos.org/v2?i=\(i)" : nil,
                                                      joined: !i.isMultiple(of: 2), at: t0)
                        return (i, id)
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            // The 25 oldest, each once.
            #expect(Set(taken.values) == Set((0..<25).map { String(format: "b%03d", $0) }))
            let records = Dictionary(uniqueKeysWithValues: try await store.instances().map { ($0.instanceId, $0) })
            let answers = try await store.claimAnswers(instanceIds: Array(taken.values))
            let events = try await store.events(limit: 100, before: nil).filter { $0.kind == "claim" }
            #expect(events.count == 25)
            for (i, id) in taken {
                let record = try #require(records[id])
                #expect(record.claim == .claimed)
                #expect(record.agentName == "agent \(i)")
                #expect(record.conversationId == "conv-\(i)")
                #expect(answers[id] == .claimed(instanceId: id, conversationId: "conv-\(i)",
                                                inviteUrl: i.isMultiple(of: 2) ? "https://dev.convos.org/v2?i=\(i)" : nil,
                                                joined: !i.isMultiple(of: 2)))
                let event = try #require(events.first { $0.instanceId == id })
                #expect(event.serviceId == "svc-\(id)")
                #expect(event.detail == "claimed by \"agent \(i)\"" + (i.isMultiple(of: 2) ? "" : " (joined)"))
                // A replay answers what the claim got.
                #expect(try await store.beginClaim(agentName: "agent \(i)", idempotencyKey: "key-\(i)", at: t0) == .replay(answers[id]!))
            }
            #expect(records.values.filter { $0.claim == .none }.count == 15)
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func oneKeyUsedConcurrentlyTakesOneInstance(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await seedIdle(store, 10)
            let starts = try await withThrowingTaskGroup(of: ClaimStart.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await store.beginClaim(agentName: "same", idempotencyKey: "shared",
                                                   requestHash: i < 10 ? "h1" : "h2", at: t0)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let took = starts.filter { if case .took = $0 { true } else { false } }
            #expect(took.count == 1)
            #expect(starts.allSatisfy { start in
                switch start {
                case .took, .inProgress, .keyReused: true
                default: false
                }
            })
            #expect(try await store.instances().filter { $0.claim == .claiming }.count == 1)
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func oneKeyUsedConcurrentlyOnAnEmptyPoolIsPoolEmptyForAll(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let starts = try await withThrowingTaskGroup(of: ClaimStart.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await store.beginClaim(agentName: "same", idempotencyKey: "empty", requestHash: "h", at: t0) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(starts.allSatisfy { $0 == .poolEmpty }, "\(starts)")
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func completingOneInstanceTwiceConcurrentlySucceedsOnce(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await seedIdle(store, 1)
            let id = try takenId(try await store.beginClaim(agentName: "a", idempotencyKey: nil, at: t0))
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        (try? await store.completeClaim(instanceId: id, conversationId: "conv-\(i)", inviteUrl: nil,
                                                        joined: false, at: t0)) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await store.events(limit: 10, before: nil).filter { $0.kind == "claim" }.count == 1)
        }
    }
}

@Suite struct ClaimsInFlightTests {
    let t0 = time(1_764_000_000_000)

    @Test(arguments: StoreBackend.underTest)
    func onlyClaimsStartedBeforeTheDeadlineAndStillInFlight(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            for id in ["old", "done", "new"] {
                try await store.mark(instanceId: id, serviceId: "svc-\(id)", state: .idle, at: t0)
            }
            _ = try await store.beginClaim(agentName: "a", idempotencyKey: nil, at: t0)
            _ = try await store.beginClaim(agentName: "b", idempotencyKey: nil, at: t0)
            _ = try await store.beginClaim(agentName: "c", idempotencyKey: nil, at: t0.addingTimeInterval(100))
            let taken = try await store.instances().filter { $0.claim == .claiming }.map(\.instanceId).sorted()
            #expect(taken == ["done", "new", "old"])
            try await store.completeClaim(instanceId: "done", conversationId: "conv", inviteUrl: nil, joined: false, at: t0)
            // Equal ages: claims take instances by id, so a took "done", b "new", c (later) "old".
            let stale = try await store.claimsInFlight(startedBefore: t0.addingTimeInterval(50))
            #expect(stale.map(\.instanceId) == ["new"])
            #expect(stale.first?.agentName == "b" && stale.first?.claim == .claiming)
            #expect(try await store.claimsInFlight(startedBefore: t0).isEmpty)
            #expect(try await store.claimsInFlight(startedBefore: t0.addingTimeInterval(200)).map(\.instanceId) == ["new", "old"])
        }
    }
}

/// The batching itself, without a database.
@Suite struct GroupCommitTests {
    actor Flushes {
        var sizes: [Int] = []
        func add(_ n: Int) { sizes.append(n) }
    }

    @Test func concurrentSubmissionsShareFlushesAndGetTheirOwnAnswers() async throws {
        let flushes = Flushes()
        let batcher = GroupCommit<Int, Int>(maximumBatch: 16) { inputs in
            await flushes.add(inputs.count)
            try? await Task.sleep(for: .milliseconds(5))
            return inputs.map { $0 % 7 == 0 ? .failure(StoreError.notClaiming(instanceId: "\($0)")) : .success($0 * 10) }
        }
        let results = await withTaskGroup(of: (Int, Int?).self) { group in
            for i in 0..<100 { group.addTask { (i, try? await batcher.submit(i)) } }
            return await group.reduce(into: [Int: Int?]()) { $0[$1.0] = $1.1 }
        }
        for i in 0..<100 { #expect(results[i]! == (i % 7 == 0 ? nil : i * 10)) }
        let sizes = await flushes.sizes
        #expect(sizes.reduce(0, +) == 100)
        #expect(sizes.allSatisfy { $0 <= 16 })
        // While one flush sleeps, the others queue: far fewer flushes than submissions.
        #expect(sizes.count < 50)
    }

    @Test func aLoneSubmissionIsFlushedAtOnce() async throws {
        let batcher = GroupCommit<String, String>(maximumBatch: 8) { inputs in inputs.map { .success($0.uppercased()) } }
        #expect(try await batcher.submit("a") == "A")
        #expect(try await batcher.submit("b") == "B")
    }
}
