@testable import Controller
import Foundation
import Model
import Ports
import Railway
import RailwayFake
import Store
import TestSupport
import Testing

/// Full ticks against the fake Railway with the real client, executor and a SQLite store.
@Suite struct ReconcileTests {
    @Test func fromAnEmptyEnvironmentToMinIdleThenOneCallPerSteadyTick() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec()) { w in
            let r = w.reconciler()
            let first = await r.tick()
            #expect(first.results.count == 3 && first.failed == 0, "\(first.results)")
            #expect(await w.poolServices().count == 3)
            // Each create: 5 calls, one build, nothing wasted; one list call for the tick.
            for op in ["ServiceCreate", "ServiceInstanceConfigure", "ServiceDomainCreate", "ServiceConnect", "ServiceDisconnect"] {
                #expect(await w.fake.calls(of: op) == 3, "\(op)")
            }
            #expect(await w.fake.calls(of: "EnvironmentServices") == 1)
            #expect(await w.fake.buildsStarted == 3)
            #expect(await w.fake.wastedBuilds == 0)
            let records = try await w.store.instances()
            #expect(records.count == 3 && records.allSatisfy { $0.createStep == .pinned && $0.serviceId != nil })

            await w.advance(.seconds(90))
            let marking = await r.tick()
            #expect(marking.plan.actions.map(\.kind) == [.mark, .mark, .mark])
            let marked = try await w.store.instances()
            #expect(marked.allSatisfy { $0.marked == .idle })

            let before = await w.fake.calls.count
            let steady = await r.tick()
            #expect(!steady.plan.hasChanges)
            #expect(await w.fake.calls.count - before == 1, "a steady tick makes exactly one Railway call")
        }
    }

    /// One pass each way: a steady tick reads the store once (every kind of record in one
    /// `observe`) and writes only the healthy answers; a tick with a pending drain reads
    /// nothing more, and completes the request after applying.
    @Test func aTickReadsTheStoreOnce() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            let store = try #require(w.store as? SQLPoolStore)
            func delta(_ body: () async -> Void) async -> [String: Int] {
                let before = store.operationCounts
                await body()
                return store.operationCounts.merging(before) { $0 - $1 }.filter { $0.value != 0 }
            }
            let steady = await delta { _ = await r.tick() }
            #expect(steady == ["observe": 1, "recordHealthy": 1], "\(steady)")

            _ = try await w.store.addRequest(kind: .drain, count: 1, at: w.clock.now)
            let draining = await delta { _ = await r.tick() }
            #expect(draining["observe"] == 1, "\(draining)")
            let reads = ["instances", "instance", "pendingRequests", "claimsInFlight", "consecutiveBuildFailures", "lastBuildFailureAt"]
            #expect(reads.allSatisfy { draining[$0] == nil }, "\(draining)")
            #expect(draining["completeRequest"] == 1, "\(draining)")
        }
    }

    @Test func aPushToTheBranchRedeploysNoInstance() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec()) { w in
            #expect(await w.converge(w.reconciler(), idle: 3) != nil)
            #expect(await w.fake.pushToBranch(repo: "example/agents", branch: "main") == 0)
            for s in await w.poolServices() { #expect(await w.fake.deployCount(serviceId: s.id) == 1) }
        }
    }

    @Test func failingBuildsBackOffThenProbeAfterTheCooldown() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec()) { w in
            await w.fake.failBuilds { _ in true }
            let r = w.reconciler()
            var notes: [String] = []
            for _ in 0..<6 {
                let t = await r.tick()
                notes += t.plan.notes
                await w.advance(.seconds(90))
            }
            // 3, then 3 more (3 failures < 5), then nothing: 6 failures.
            #expect(await w.fake.buildsStarted == 6)
            #expect(notes.contains { $0.hasPrefix("not progressing: 6 consecutive failed builds") })
            let failures = try await w.store.consecutiveBuildFailures(revision: w.spec.revision.hex)
            #expect(failures == 6)
            // After the cooldown (15m doubled once), exactly one probe build.
            await w.advance(.seconds(30 * 60))
            _ = await r.tick()
            #expect(await w.fake.buildsStarted == 7)
        }
    }

    /// A process killed at any point of the create sequence: the next process converges
    /// with no duplicate service, no leaked service and no second build.
    @Test(arguments: 0...5)
    func aCrashAtAnyCreateStepConverges(afterCall: Int) async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 1, maxTotal: 3, pacing: 1)) { w in
            let crashing = CrashingPlatform(RailwayPlatformFactory.make(w), afterCall: afterCall)
            let dying = await w.reconciler(platform: crashing).tick()
            #expect(dying.failed == 1)
            // A fresh process: new reconciler, same store, same Railway.
            let ticks = await w.converge(w.reconciler(seed: 99), idle: 1)
            #expect(ticks != nil, "no convergence after a crash at call \(afterCall)")
            let services = await w.poolServices()
            #expect(services.count == 1, "services: \(services.map(\.name))")
            #expect(await w.fake.buildsStarted == 1)
            #expect(await w.fake.wastedBuilds == 0)
            let records = try await w.store.instances()
            #expect(records.count == 1)
            #expect(records.first?.serviceId == services.first?.id)
            #expect(records.first?.createStep == .pinned)
            #expect(services.first?.branchTriggerConnected == false, "pinned: a push must not redeploy it")
        }
    }

    @Test func a429StormIsABlindTickThatDeletesNothingAndHonoursRetryAfter() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            await w.fake.failBuilds { _ in true }
            await w.fake.inject(.rateLimited(retryAfterSeconds: 7), operation: "EnvironmentServices", times: 50)
            for _ in 0..<3 {
                let t = await r.tick()
                #expect(!t.observed.complete)
                #expect(t.plan.actions.isEmpty)
            }
            #expect(await w.poolServices().count == 2)
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            #expect(await w.fake.calls(of: "ServiceCreate") == 2)
            #expect(w.retryWaits.all.contains(.seconds(7)), "Retry-After honoured: \(w.retryWaits.all)")
            await w.fake.clearFaults()
            #expect(await !r.tick().plan.hasChanges)
        }
    }

    @Test func anEmptyListingIsBelievedOnlyTwice() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            await w.fake.inject(.emptyEnvironment, times: 1)
            let blind = await r.tick()
            #expect(!blind.observed.complete && blind.plan.actions.isEmpty)
            #expect(await !r.tick().plan.hasChanges)
            #expect(await w.fake.calls(of: "ServiceCreate") == 2)
            // Twice in a row, it is believed: the instances are gone, the pool refills.
            await w.fake.inject(.emptyEnvironment, times: 2)
            #expect(await !r.tick().observed.complete)
            let believed = await r.tick()
            #expect(believed.observed.complete)
            #expect(believed.plan.actions.filter { $0.kind == .create }.count == 2)
        }
    }

    @Test func aFailedListingBetweenTwoEmptyOnesBreaksTheRow() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            // Empty, failed, empty: never twice in a row, so never believed.
            await w.fake.inject(.emptyEnvironment, times: 1)
            #expect(await !r.tick().observed.complete)
            await w.fake.inject(.serverError(status: 503), operation: "EnvironmentServices", times: 10)
            #expect(await !r.tick().observed.complete)
            await w.fake.clearFaults()
            await w.fake.inject(.emptyEnvironment, times: 1)
            let third = await r.tick()
            #expect(!third.observed.complete && third.plan.actions.isEmpty)
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            #expect(await w.fake.calls(of: "ServiceCreate") == 2)
        }
    }

    @Test func pagingPastFiveHundredAndForeignServicesNeverTouched() async throws {
        // Past Railway's reported cap of 100 services per project: raised, to page.
        let railway = "{projectId: project-1, environmentId: environment-1, maxServicesPerProject: 2000}"
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, railway: railway)) { w in
            let foreign = await w.fake.addServices(count: 1_203, namePrefix: "seeded", projectId: "project-1", environmentId: "environment-1")
            let r = w.reconciler()
            let t = await r.tick()
            #expect(t.observed.instances.count == 1_203)
            #expect(await w.fake.calls(of: "EnvironmentServices") == 3)
            #expect(t.results.allSatisfy { $0.action.kind == .create })
            #expect(await w.converge(r, idle: 2) != nil)
            let left = await w.fake.services(projectId: "project-1", environmentId: "environment-1").map(\.id)
            #expect(Set(foreign).isSubset(of: Set(left)))
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            #expect(await w.fake.calls(of: "ServiceRename") == 0)
        }
    }

    @Test func aSavedPlanAppliesOnlyToTheWorldItWasMadeFor() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 1)) { w in
            let r = w.reconciler()
            let (observed, plan) = await r.plan()
            let saved = SavedPlan(plan: plan, observed: observed, savedAt: w.clock.now)
            // The world moves: someone else creates an instance first.
            _ = await w.reconciler(seed: 5).tick()
            await #expect(throws: SavedPlan.Rejection.self) { try await r.apply(saved: saved) }
            #expect(await w.poolServices().count == 1)

            let (o2, p2) = await r.plan()
            await w.advance(.seconds(90))
            let fresh = SavedPlan(plan: p2, observed: o2, savedAt: w.clock.now)
            // Time passed and a build finished: the world changed again.
            await #expect(throws: SavedPlan.Rejection.self) { try await r.apply(saved: fresh) }
            let (o3, p3) = await r.plan()
            let applied = try await r.apply(saved: SavedPlan(plan: p3, observed: o3, savedAt: w.clock.now))
            #expect(applied.results.map(\.action) == p3.actions)
        }
    }

    @Test func aDrainRequestReplacesIdleInstancesOnce() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            _ = try await w.store.addRequest(kind: .drain, count: 1, at: w.clock.now)
            let t = await r.tick()
            #expect(t.results.filter { $0.action.kind == .delete && $0.action.cause == .drained && $0.ok }.count == 1)
            #expect(t.results.filter { $0.action.kind == .create && $0.ok }.count == 1)
            #expect(try await w.store.pendingRequests().isEmpty, "served once")
            #expect(await !r.tick().plan.actions.contains { $0.kind == .delete })
        }
    }

    /// The whole life of a pool: fill, claim, rename and backfill, a new revision rolled
    /// out surge-first, a lowered maxTotal. Claimed instances are never touched.
    @Test func theFullLoop() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, maxTotal: 5)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2) != nil)
            guard case .took(let taken) = try await w.store.beginClaim(agentName: "Tokyo Trip", idempotencyKey: nil, at: w.clock.now)
            else { Issue.record("no idle instance"); return }
            try await w.store.completeClaim(instanceId: taken.instanceId, conversationId: "c1", inviteUrl: nil, joined: false, at: w.clock.now)
            let claimedService = try #require(taken.serviceId)
            #expect(await w.converge(r, idle: 2) != nil, "backfilled")
            #expect(await w.fake.service(id: claimedService)?.name == "convos-agent-tokyo-trip", "renamed to its agent")

            // A new revision: every idle instance replaced, idle never below minIdle.
            let next = try ReconcileWorld.spec(minIdle: 2, maxTotal: 5, branch: "release")
            let rolled = w.reconciler(seed: 7, spec: next)
            var done = false
            for _ in 0..<12 where !done {
                let t = await rolled.tick()
                #expect(t.plan.counts[.idle] >= 2, "idle dipped: \(t.plan.counts)")
                done = !t.plan.hasChanges && t.plan.counts.outdated == 0 && t.plan.counts[.idle] == 2
                await w.advance(.seconds(90))
            }
            #expect(done, "the rollout finished")
            let rebuilt = await w.poolServices().filter { $0.id != claimedService }
            #expect(rebuilt.allSatisfy { $0.branch == "release" }, "idle instances built from the new branch")
            #expect(await w.fake.service(id: claimedService)?.branch == "main", "the claimed instance is untouched")

            // maxTotal lowered below what exists: idle ones go, the claimed one stays.
            let small = w.reconciler(seed: 8, spec: try ReconcileWorld.spec(minIdle: 1, maxTotal: 2, branch: "release"))
            #expect(await w.converge(small, idle: 1) != nil)
            #expect(await w.poolServices().count == 2)
            #expect(await w.fake.service(id: claimedService) != nil)
        }
    }

    @Test func aReplenishKeepsExtraIdleInstancesForAStuckTimeout() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 1, maxTotal: 6)) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 1) != nil)
            _ = try await w.store.addRequest(kind: .replenish, count: 2, at: w.clock.now)
            #expect(await w.converge(r, idle: 3) != nil, "two extra, built and kept")
            #expect(try await w.store.pendingRequests().count == 1, "still in effect")
            await w.advance(.seconds(16 * 60))
            #expect(await w.converge(r, idle: 1) != nil, "after the window, the extras are excess")
            #expect(try await w.store.pendingRequests().isEmpty)
        }
    }

    @Test func everyActionIsRecordedAsAnEvent() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            let t = await w.reconciler().tick()
            let events = try await w.store.events(limit: 10, before: nil)
            #expect(events.count == t.results.count)
            #expect(events.allSatisfy { $0.kind == "create" && $0.outcome == "ok" })
        }
    }
}

/// Races and reentrancy found in review, kept as tests.
@Suite struct ReconcileRaceTests {
    @Test func concurrentTicksNeverOverlap() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec()) { w in
            let r = w.reconciler()
            async let a = r.tick()
            async let b = r.tick()
            _ = await (a, b)
            #expect(await w.poolServices().count == 3, "one tick at a time: no double create")
        }
    }

    @Test func aClaimDuringATickIsNeverDeletedByIt() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2)) { w in
            #expect(await w.converge(w.reconciler(), idle: 2) != nil)
            // The tick observes with minIdle 1, plans one excess delete; a claim takes both
            // instances after the observation, before the delete.
            let lowered = try ReconcileWorld.spec(minIdle: 1)
            let r = w.reconciler(spec: lowered)
            let observation = await r.observeOnly()
            let (observed, plan) = (observation.observed, observation.plan)
            #expect(plan.actions.filter { $0.kind == .delete }.count == 1)
            for _ in 0..<2 { _ = try await w.store.beginClaim(agentName: "late", idempotencyKey: nil, at: w.clock.now) }
            // A saved plan is refused outright (the world moved); the executor itself must
            // stand down too, for the tick that observed before the claims.
            await #expect(throws: SavedPlan.Rejection.self) {
                try await r.apply(saved: SavedPlan(plan: plan, observed: observed, savedAt: w.clock.now))
            }
            let results = await r.executor.apply(plan, classification: observation.classification)
            #expect(results.contains { if case .refused = $0.outcome { true } else { false } })
            #expect(await w.poolServices().count == 2, "the claimed instance's service survives")
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
        }
    }

    @Test func anAdoptedInstanceConverges() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 1)) { w in
            let r = w.reconciler(prober: ReportsConversation())
            var adoptedMarks: [String] = []
            for _ in 0..<5 {
                let t = await r.tick()
                adoptedMarks += t.plan.actions.filter { $0.kind == .mark && $0.toState == .adopted }.map(\.instanceId)
                await w.advance(.seconds(90))
            }
            #expect(!adoptedMarks.isEmpty)
            #expect(Set(adoptedMarks).count == adoptedMarks.count, "each instance adopted once, not re-marked every tick")
            #expect(await w.fake.calls(of: "ServiceDelete") == 0, "adopted instances are never deleted")
        }
    }
}

/// Every instance reports a conversation the pool never handed out.
struct ReportsConversation: StatusProber {
    func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0.id, .status(AgentStatus(usable: true, conversationId: "someone"))) })
    }
}

enum RailwayPlatformFactory {
    static func make(_ w: ReconcileWorld) -> any Platform {
        RailwayPlatform(client: w.client())
    }
}
