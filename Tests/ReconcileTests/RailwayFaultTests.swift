@testable import Controller
import Foundation
import Ports
@testable import Railway
import RailwayFake
import Spec
import Store
import TestSupport
import Testing

/// Ticks a reconciler and checks, after every tick, the invariants that must hold whatever
/// Railway or the agents do: nothing is created, deleted or renamed on a blind (failed or
/// implausible) observation; the pool's services never exceed maxTotal; the tick's Railway
/// calls stay within what its plan can cost, and all calls within the client's rate budget.
final class TickChecker: @unchecked Sendable {
    let world: ReconcileWorld
    let spec: EnvironmentSpec
    let limit: RailwayRateLimit
    let retry: RailwayRetryPolicy
    private(set) var blindTicks = 0
    private(set) var ticks = 0
    /// Every client this checker made: the rate is counted where their limiters let calls go.
    private var clients: [RailwayClient] = []

    init(_ world: ReconcileWorld, spec: EnvironmentSpec? = nil, limit: RailwayRateLimit = RailwayFaultTests.budget,
         retry: RailwayRetryPolicy = RailwayFaultTests.retry) {
        self.world = world
        self.spec = spec ?? world.spec
        self.limit = limit
        self.retry = retry
    }

    /// The client under test: the world's fake and token, this checker's budget and retries.
    /// Waits between retries are recorded in the world (and not slept: the limiter still
    /// spaces the attempts).
    func client(requestTimeout: Duration = .seconds(10)) -> RailwayClient {
        let waits = world.retryWaits
        let client = RailwayClient(
            config: RailwayConfig(endpoint: world.url, credentials: .accountToken(ReconcileWorld.token), projectId: "project-1",
                                  environmentId: "environment-1", requestTimeout: requestTimeout, rateLimit: limit, retry: retry),
            logger: quiet, sleep: { waits.record($0) })
        clients.append(client)
        return client
    }

    func reconciler(requestTimeout: Duration = .seconds(10), seed: UInt64 = 1,
                    prober: any StatusProber = AlwaysReady()) -> Reconciler {
        world.reconciler(platform: RailwayPlatform(client: client(requestTimeout: requestTimeout)), seed: seed,
                         spec: spec, prober: prober)
    }

    /// One tick and the invariants after it.
    @discardableResult
    func tick(_ r: Reconciler, _ label: String = "", sourceLocation: SourceLocation = #_sourceLocation) async -> TickResult {
        let fake = world.fake
        let before = await fake.calls.count
        let servicesBefore = await fake.services(projectId: "project-1", environmentId: "environment-1").count
        let t = await r.tick()
        ticks += 1
        let calls = (await fake.calls).dropFirst(before)
        let where_ = "tick \(ticks)\(label.isEmpty ? "" : " (\(label))")"
        if !t.observed.complete {
            blindTicks += 1
            #expect(t.plan.actions.isEmpty, "\(where_): a blind tick planned \(t.plan.actions.map(\.kind))", sourceLocation: sourceLocation)
            #expect(t.results.isEmpty, "\(where_): a blind tick applied \(t.results.map(\.action.kind))", sourceLocation: sourceLocation)
            let mutations = calls.compactMap(\.operationName).filter { $0 != "EnvironmentServices" }
            #expect(mutations.isEmpty, "\(where_): Railway mutations on a blind tick: \(mutations)", sourceLocation: sourceLocation)
        }
        let owned = await world.poolServices()
        #expect(owned.count <= spec.settings.maxTotal,
                "\(where_): \(owned.count) services above maxTotal \(spec.settings.maxTotal)", sourceLocation: sourceLocation)
        // What this tick may cost: every page of the listing with all its retries, five calls
        // per create (mutations that may have been applied are never retried), retries for
        // deletes and renames.
        let pages = servicesBefore / 500 + 1  // the fake's (and Railway's) largest page
        let bound = retry.maxAttempts * pages + t.plan.actions.reduce(0) { sum, a in
            sum + (a.kind == .create ? 5 : a.kind == .delete || a.kind == .rename ? retry.maxAttempts : 0)
        }
        #expect(calls.count <= bound, "\(where_): \(calls.count) Railway calls, at most \(bound) for its plan", sourceLocation: sourceLocation)
        await checkRate(sourceLocation: sourceLocation)
        return t
    }

    /// Every call fits the client's per-second and per-hour budget, counted where the
    /// limiter let each call go: where calls arrive, a machine busy with other work can
    /// deliver calls sent a second apart in one bunch, which says nothing of the limiter.
    func checkRate(sourceLocation: SourceLocation = #_sourceLocation) async {
        var sent: [ContinuousClock.Instant] = []
        for client in clients { sent += await client.limiter.sent }
        let arrivals = sent.sorted()
        #expect(await world.fake.calls.count <= limit.perHour, "calls above the hourly budget", sourceLocation: sourceLocation)
        var busiest = 0
        var start = 0
        for (end, t) in arrivals.enumerated() {
            while t - arrivals[start] >= .seconds(1) { start += 1 }
            busiest = max(busiest, end - start + 1)
        }
        #expect(busiest <= limit.perSecond, "\(busiest) calls within one second, budget \(limit.perSecond)", sourceLocation: sourceLocation)
    }

    /// Checked ticks (advancing `step` between them) until a tick plans nothing with
    /// `idle` idle instances; the number of ticks, or nil after `limit`.
    func converge(_ r: Reconciler, idle: Int, step: Duration = .seconds(90), limit: Int = 8,
                  sourceLocation: SourceLocation = #_sourceLocation) async -> Int? {
        for n in 1...limit {
            let t = await tick(r, "converging", sourceLocation: sourceLocation)
            if t.observed.complete, !t.plan.hasChanges, t.plan.counts[.idle] == idle { return n }
            await world.advance(step)
        }
        return nil
    }

    /// The end state after the faults: `idle` instances, one service per record and one
    /// record per service (nothing leaked, nothing duplicated), each built once and pinned.
    func expectClean(idle: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let services = await world.poolServices()
        let names = services.map(\.name)
        #expect(Set(names).count == names.count, "duplicate service names: \(names.sorted())", sourceLocation: sourceLocation)
        let records = try await world.store.instances()
        #expect(Set(services.map(\.id)) == Set(records.compactMap(\.serviceId)),
                "services \(services.map(\.id).sorted()) vs records \(records.compactMap(\.serviceId).sorted())",
                sourceLocation: sourceLocation)
        #expect(records.count == services.count, "records without a service: \(records.filter { $0.serviceId == nil }.map(\.instanceId))",
                sourceLocation: sourceLocation)
        #expect(records.filter { $0.marked == .idle && $0.claim == .none }.count == idle, sourceLocation: sourceLocation)
        #expect(records.allSatisfy { $0.createStep == nil || $0.createStep == .pinned }, "unfinished creates: \(records.map { "\($0.instanceId):\($0.createStep?.rawValue ?? "-")" })",
                sourceLocation: sourceLocation)
        for s in services {
            #expect(await world.fake.deployCount(serviceId: s.id) == 1, "\(s.name) built more than once", sourceLocation: sourceLocation)
            #expect(!s.branchTriggerConnected, "\(s.name) still redeploys on a push", sourceLocation: sourceLocation)
        }
        #expect(await world.fake.wastedBuilds == 0, sourceLocation: sourceLocation)
    }
}

/// Railway misbehaving (docs/design.md sections 1 and 8): 5xx, 429 storms, `errors` in a 200,
/// HTML pages, latency past the request timeout, an empty listing while services exist.
/// Every tick is checked by `TickChecker`; after the faults stop the pool converges clean.
@Suite struct RailwayFaultTests {
    /// The client's budget in these tests: Railway Hobby's limits, as the client defaults.
    static let budget = RailwayRateLimit(perSecond: 10, perHour: 1_000)
    static let retry = RailwayRetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(1))

    /// What the store says of each instance, minus health timestamps.
    static func essentials(_ store: any PoolStore) async throws -> [String] {
        try await store.instances().map {
            [$0.instanceId, $0.serviceId ?? "-", $0.claim.rawValue, $0.marked?.rawValue ?? "-", $0.agentName ?? "-",
             $0.conversationId ?? "-", $0.retiredReason ?? "-", $0.createStep?.rawValue ?? "-"].joined(separator: " ")
        }.sorted()
    }

    /// A seeded 20% of all calls fail with a 5xx while the pool fills from nothing.
    @Test func aFifthOfCallsFailingWith5xxWhileFillingThenConverges() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 3, maxTotal: 5, pacing: 3)) { w in
            let check = TickChecker(w)
            let r = check.reconciler()
            // One fault placed for sure: the call that pins a new service's source fails, and
            // the service is healthy by the next tick. It must not become idle unpinned.
            await w.fake.inject(.serverError(status: 500), operation: "ServiceDisconnect", times: 1)
            await w.fake.inject(.serverError(status: 503), probability: 0.2, seed: 20)
            for _ in 0..<6 {
                await check.tick(r, "20% 5xx")
                await w.advance(.seconds(90))
            }
            let failed = await w.fake.calls.filter { $0.status == 503 }.count
            #expect(failed > 0, "the faults fired")
            await w.fake.clearFaults()
            #expect(await check.converge(r, idle: 3) != nil, "no convergence after the 5xx stopped")
            #expect(await w.fake.calls(of: "ServiceDelete") == 0, "nothing was ever deleted")
            try await check.expectClean(idle: 3)
        }
    }

    /// A 429 storm on every operation (reads and creates) with Retry-After: blind ticks,
    /// Retry-After waited for, half-made creates resumed afterwards, never a second service.
    @Test func a429StormOnEveryOperationIsWaitedOutAndResumed() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 3, maxTotal: 4, pacing: 3)) { w in
            let check = TickChecker(w)
            let r = check.reconciler()
            // The first tick lists fine and starts its creates; then the storm.
            await w.fake.inject(.rateLimited(retryAfterSeconds: 3), operation: "ServiceDomainCreate", times: 3)
            let first = await check.tick(r, "storm on domains")
            #expect(first.observed.complete && first.failed == 3, "\(first.results.map(\.outcome))")
            await w.fake.inject(.rateLimited(retryAfterSeconds: 3), times: 16)
            for _ in 0..<4 {
                let t = await check.tick(r, "storm")
                #expect(!t.observed.complete)
                await w.advance(.seconds(90))
            }
            #expect(w.retryWaits.all.contains(.seconds(3)), "Retry-After honoured: \(w.retryWaits.all)")
            await w.fake.clearFaults()
            #expect(await check.converge(r, idle: 3) != nil)
            #expect(await w.fake.calls(of: "ServiceCreate") == 3, "each instance created once")
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            try await check.expectClean(idle: 3)
        }
    }

    /// GraphQL `errors` inside an HTTP 200 and HTML "Access denied" pages, on reads and
    /// writes, at random: a failed read is a blind tick (never an empty list), a failed write
    /// is resumed; then it converges.
    @Test func errorsInside200sAndHTMLPagesAreFailuresNeverEmptyLists() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, maxTotal: 4, pacing: 2)) { w in
            let check = TickChecker(w)
            let r = check.reconciler()
            #expect(await check.converge(r, idle: 2) != nil)
            // The listing fails both ways: nothing may look deleted.
            await w.fake.inject(.graphQLError(message: "Problem processing request"), operation: "EnvironmentServices", times: 1)
            #expect(await !check.tick(r, "errors in a 200").observed.complete)
            await w.fake.inject(.htmlPage, operation: "EnvironmentServices", times: 1)
            #expect(await !check.tick(r, "HTML page").observed.complete)
            // Then both at random on every call, while a drain asks for replacements.
            _ = try await w.store.addRequest(kind: .drain, count: 2, at: w.clock.now)
            await w.fake.inject(.graphQLError(message: "Problem processing request"), probability: 0.15, seed: 7)
            await w.fake.inject(.htmlPage, probability: 0.1, seed: 8)
            for _ in 0..<5 {
                await check.tick(r, "errors and HTML at random")
                await w.advance(.seconds(90))
            }
            await w.fake.clearFaults()
            #expect(await check.converge(r, idle: 2) != nil)
            #expect(check.blindTicks >= 2)
            try await check.expectClean(idle: 2)
        }
    }

    /// Railway answering after 15 s, past a 2 s request timeout: the read is retried, a create
    /// whose answer was lost (the service exists) is resumed by name, never sent again. A
    /// tick waits at most the timeouts it could hit (about 4 s), far from what waiting for
    /// the answers would take (30 s), so a machine loaded by other work cannot blur the two.
    @Test func latencyPastTheTimeoutLeavesNoDuplicateAndNoLeak() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 3, maxTotal: 4, pacing: 3)) { w in
            let check = TickChecker(w)
            let timeout = Duration.seconds(2)
            let r = check.reconciler(requestTimeout: timeout)
            await w.fake.inject(.latency(.seconds(15)), operation: "EnvironmentServices", times: 1)
            await w.fake.inject(.latency(.seconds(15)), operation: "ServiceCreate", times: 2)
            let started = ContinuousClock.now
            let first = await check.tick(r, "slow")
            let took = ContinuousClock.now - started
            #expect(first.observed.complete, "the listing was retried after its timeout")
            #expect(first.failed == 2, "\(first.results.map(\.outcome))")
            // One timed-out listing, then the creates (in parallel): two timeouts, plus slack.
            #expect(took < timeout * 2 + .seconds(10), "the tick took \(took)")
            #expect(await w.poolServices().count == 3, "the lost answers' services exist")
            await w.advance(.seconds(90))
            // Latency below the timeout is only slow.
            await w.fake.inject(.latency(.seconds(1)), times: 3)
            #expect(await check.converge(r, idle: 3) != nil)
            #expect(await w.fake.calls(of: "ServiceCreate") == 3, "a create whose answer was lost is never sent again")
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            try await check.expectClean(idle: 3)
        }
    }

    /// An empty listing once while services exist (one of them claimed), amid other faults:
    /// blind, nothing touched, the store unchanged; the next good listing changes nothing.
    /// (ReconcileTests.anEmptyListingIsBelievedOnlyTwice covers the twice-in-a-row case.)
    @Test func anEmptyListingOnceAmidFaultsTouchesNothing() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, maxTotal: 4, pacing: 2)) { w in
            let check = TickChecker(w)
            let r = check.reconciler()
            #expect(await check.converge(r, idle: 2) != nil)
            guard case .took(let taken) = try await w.store.beginClaim(agentName: "Tokyo Trip", idempotencyKey: nil, at: w.clock.now)
            else { Issue.record("no idle instance"); return }
            try await w.store.completeClaim(instanceId: taken.instanceId, conversationId: "c1", inviteUrl: nil, joined: false, at: w.clock.now)
            #expect(await check.converge(r, idle: 2) != nil, "renamed and backfilled")
            let records = try await Self.essentials(w.store)
            let services = await w.poolServices().map(\.id).sorted()

            // Empty once, answered between good listings, again and again: never believed.
            for round in 0..<3 {
                await w.fake.inject(.emptyEnvironment, times: 1)
                #expect(await !check.tick(r, "empty listing \(round)").observed.complete)
                let good = await check.tick(r, "good listing \(round)")
                #expect(good.observed.complete && !good.plan.hasChanges, "\(good.plan.actions.map(\.reason))")
            }
            await w.fake.inject(.serverError(status: 502), operation: "EnvironmentServices", times: 4)
            #expect(await !check.tick(r, "502 on every attempt").observed.complete)
            await w.fake.inject(.serverError(status: 500), probability: 0.2, seed: 3)
            for _ in 0..<3 { await check.tick(r, "20% 5xx") }
            await w.fake.clearFaults()
            let after = await check.tick(r, "faults over")
            #expect(after.observed.complete && !after.plan.hasChanges, "\(after.plan.actions.map(\.reason))")
            #expect(try await Self.essentials(w.store) == records, "the store is unchanged")
            #expect(await w.poolServices().map(\.id).sorted() == services)
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            try await check.expectClean(idle: 2)
        }
    }
}
