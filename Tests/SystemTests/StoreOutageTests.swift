@testable import Controller
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Model
import Planning
import Ports
@testable import Server
import ServiceLifecycle
import Store
import TestSupport
import Testing

/// The database goes away for a few seconds, mid-tick and mid-claim: claims answer 503
/// naming the store, ticks are blind and change nothing, and once it is back claims work,
/// the loop converges and nothing recorded before is lost. A real Postgres
/// (scripts/with-postgres) behind a TCP proxy that can refuse and cut connections.
@Suite(.serialized, .timeLimit(.minutes(2))) struct StoreOutageTests {
    static let body = #"{"agentName":"%@","instructions":"Plan a trip."}"#

    func claim(_ client: some TestClientProtocol, _ agent: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                 body: ByteBuffer(string: String(format: Self.body, agent)))
    }

    @Test(.enabled(if: OutageWorld.postgresWillRun, "TEST_DATABASE_URL is not set: run under scripts/with-postgres"))
    func anOutageMidTickAnswers503ChangesNothingAndLosesNothing() async throws {
        try await OutageWorld.with(minIdle: 3, idle: 3) { w in
            let loop = w.world.loop
            try await w.world.app.test(.router) { client in
                // Before: one claim, and the pool backfilled to 3 idle.
                let a = try await claim(client, "Before")
                #expect(a.status == .ok, "\(a.text)")
                let claimedBefore = try #require(a.json["instanceId"] as? String)
                try await w.converged(idle: 3, claimed: 1)
                let before = try await w.snapshot()
                let idleBefore = Set(before.records.filter { $0.claim == .none }.map(\.instanceId))
                #expect(idleBefore.count == 3)

                // Mid-tick: the tick a claim triggers has read the store (one more claimed,
                // so one create is due) when the database goes away, at its status probes.
                w.ticker.pause()
                _ = await loop.tickNow()
                let servicesBefore = Set(w.world.platform.all.map(\.serviceId))
                let ticksBefore = await loop.ticksRun
                w.platform.beforeNextProbes { w.proxy.goAway() }
                let b = try await claim(client, "Mid-tick")
                #expect(b.status == .ok, "\(b.text)")
                let claimedMidTick = try #require(b.json["instanceId"] as? String)
                try await eventually("the tick cut in the middle", seconds: 30) { await loop.ticksRun > ticksBefore }
                let cutTick = try #require(await loop.lastTick).result
                #expect(w.proxy.mode == .refuse, "the database went away during that tick")
                #expect(cutTick.observed.complete, "the store was read before it went away")
                let creates = cutTick.results.filter { $0.action.kind == .create }
                #expect(!creates.isEmpty, "the tick planned the backfill: \(cutTick.plan.actions.map(\.reason))")
                #expect(creates.allSatisfy { !$0.ok }, "no create without its intent recorded: \(creates)")
                #expect(cutTick.results.filter { $0.action.kind == .delete }.allSatisfy { !$0.ok })
                #expect(Set(w.world.platform.all.map(\.serviceId)) == servicesBefore, "no service created or deleted")

                // During the outage: claims answer 503 with a retry hint, naming the store; ticks are
                // blind and plan nothing; the audit log answers 503 too. Never a 500.
                let callsBefore = w.world.caller.callCount
                let started = ContinuousClock.now
                async let refusedClaim = claim(client, "During")
                async let blindTick = loop.tickNow()
                async let events = client.execute(uri: "/api/pool/events", method: .get, headers: ServerFixtures.auth)
                let c = try await refusedClaim
                let claimTook = ContinuousClock.now - started
                #expect(c.status == .serviceUnavailable, "\(c.status) \(c.text)")
                #expect(Int(c.headers[.retryAfter] ?? "") != nil, "Retry-After: \(c.headers)")
                #expect(c.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(c.error?.contains("store") == true, "\(c.text)")
                #expect(claimTook < OutageWorld.operationTimeout + .seconds(3), "answered in \(claimTook)")
                #expect(w.world.caller.callCount == callsBefore, "no instance was called")
                let tick = try #require(await blindTick)
                #expect(!tick.observed.complete)
                #expect(tick.observed.incompleteReason?.contains("store unavailable") == true, "\(tick.observed.incompleteReason ?? "")")
                #expect(tick.plan.actions.isEmpty && tick.results.isEmpty, "\(tick.plan.actions)")
                let e = try await events
                #expect(e.status == .serviceUnavailable && e.error?.contains("store") == true, "\(e.status) \(e.text)")
                #expect(Set(w.world.platform.all.map(\.serviceId)) == servicesBefore)
                #expect(w.log.lines(atLeast: .error).contains { $0.contains("claim: the store is unavailable") })

                // The database comes back: claims work at once, on an instance idle before.
                w.platform.beforeNextProbes(nil)
                w.proxy.resume()
                w.ticker.resume()
                var d: TestResponse?
                try await eventually("a claim after the outage", seconds: 10) {
                    d = try await claim(client, "After")
                    return d?.status == .ok
                }
                let claimedAfter = try #require(d?.json["instanceId"] as? String)
                #expect(idleBefore.contains(claimedAfter) && ![claimedBefore, claimedMidTick].contains(claimedAfter))

                // The loop ticks again on its own and converges: 3 idle beside the 3 claimed.
                try await w.converged(idle: 3, claimed: 3)
                let after = try await w.snapshot()
                w.expectNothingLost(before, after)
                // Every instance idle before the outage is still there: idle, or claimed since by a claim we made.
                let claimedSince: Set<String> = [claimedMidTick, claimedAfter]
                for id in idleBefore {
                    let r = try #require(after.records.first { $0.instanceId == id })
                    #expect(r.claim == (claimedSince.contains(id) ? .claimed : .none), "\(r)")
                    #expect(w.world.platform.all.contains { $0.serviceId == r.serviceId }, "the service of \(id) is gone")
                }
                #expect(before.answers[claimedBefore] != nil)
                #expect(after.events.count > before.events.count, "the loop recorded its actions again")
                #expect(w.proxy.forwarded > before.forwarded, "the store reconnected")
            }
        }
    }

    /// A partition, not a refusal: packets vanish and no reset ever comes, so only the
    /// store's own deadline can end a call. A claim must still answer 503 in bounded time.
    @Test(.enabled(if: OutageWorld.postgresWillRun, "TEST_DATABASE_URL is not set: run under scripts/with-postgres"))
    func aPartitionedDatabaseStillAnswers503InTime() async throws {
        try await OutageWorld.with(minIdle: 2, idle: 2) { w in
            try await w.world.app.test(.router) { client in
                try await w.converged(idle: 2, claimed: 0)
                w.ticker.pause()
                _ = await w.world.loop.tickNow()
                let before = try await w.snapshot()
                w.proxy.mode = .blackhole
                // Whatever happens, the partition heals: a claim that waits for it fails the
                // deadline check below instead of hanging the test.
                let heal = Task {
                    try? await Task.sleep(for: .seconds(15))
                    w.proxy.resume()
                }
                let started = ContinuousClock.now
                let c = try await claim(client, "Partitioned")
                let took = ContinuousClock.now - started
                w.proxy.resume()
                heal.cancel()
                #expect(c.status == .serviceUnavailable, "\(c.status) \(c.text)")
                #expect(c.error?.contains("store") == true && c.headers[.retryAfter] != nil, "\(c.text)")
                // The deadline, then one direct connection attempt to say why (5 s at most).
                #expect(took < OutageWorld.operationTimeout + .seconds(6), "a claim took \(took) in a partition")

                w.ticker.resume()
                var d: TestResponse?
                try await eventually("a claim after the partition", seconds: 15) {
                    d = try await claim(client, "After")
                    return d?.status == .ok
                }
                // The timed-out claim's take may still commit once the partition heals (its
                // answer was 503, but the statement was on its way): that instance then stays
                // "claiming", is never handed out, and is ended by the abandoned-claim recovery
                // (a later tick, past the claim timeout). Either way the pool refills around it.
                try await Task.sleep(for: .seconds(1))  // the healed connection's last statements land
                let partitioned = (try await w.store.instances()).filter { $0.claim == .claiming }
                #expect(partitioned.allSatisfy { $0.agentName == "Partitioned" }, "\(partitioned)")
                try await w.converged(idle: 2, claimed: 1, claiming: partitioned.count)
                w.expectNothingLost(before, try await w.snapshot())
            }
        }
    }

    @Test(.enabled(if: OutageWorld.postgresWillRun, "TEST_DATABASE_URL is not set: run under scripts/with-postgres"))
    func aClaimWhoseCompletionCannotBeRecordedIsAnsweredAndNeverHandedOutAgain() async throws {
        try await OutageWorld.with(minIdle: 2, idle: 2) { w in
            let loop = w.world.loop
            try await w.world.app.test(.router) { client in
                try await w.converged(idle: 2, claimed: 0)
                w.ticker.pause()
                // The claim takes an instance in the store and calls it; the database goes away
                // while the instance answers, so the completion cannot be written.
                let gate = Gate()
                w.world.caller.gate = gate
                async let stranded = claim(client, "Stranded")
                try await eventually("the instance call") { w.world.caller.callCount == 1 }
                w.proxy.goAway()
                gate.open()
                w.world.caller.gate = nil
                let answer = try await stranded
                // The instance is the agent's now: the caller gets it, and the operator gets a
                // critical line with what could not be recorded.
                #expect(answer.status == .ok, "\(answer.status) \(answer.text)")
                let id = try #require(answer.json["instanceId"] as? String)
                let conversation = try #require(answer.json["conversationId"] as? String)
                let critical = w.log.lines(atLeast: .critical)
                #expect(critical.contains { $0.contains(id) && $0.contains("could not be recorded") && $0.contains(conversation) },
                        "\(critical)")

                w.proxy.resume()
                let ticksBack = await loop.ticksRun
                w.ticker.resume()
                try await eventually("a complete tick after the outage", seconds: 15) {
                    let (ran, last) = await (loop.ticksRun, loop.lastTick)
                    return ran > ticksBack && last?.result.observed.complete == true
                }
                // It stays "claiming": nothing completes it, fails it or deletes it.
                let record = try #require(try await w.store.instance(id: id))
                #expect(record.claim == .claiming && record.conversationId == nil, "\(record)")
                // Every claim from now on gets another instance, until the pool is empty.
                w.ticker.pause()
                _ = await loop.tickNow()
                var handedOut: [String] = []
                while handedOut.count < 5 {
                    let r = try await claim(client, "Next \(handedOut.count)")
                    if r.status == .serviceUnavailable, r.error?.contains("no idle instance") == true { break }
                    #expect(r.status == .ok, "\(r.text)")
                    handedOut.append(try #require(r.json["instanceId"] as? String))
                }
                #expect(!handedOut.isEmpty && handedOut.count < 5 && !handedOut.contains(id), "\(handedOut)")
                // The loop backfills around it and never touches it, tick after tick.
                w.ticker.resume()
                try await w.converged(idle: 2, claimed: handedOut.count, claiming: 1)
                for _ in 0..<3 { _ = await loop.tickNow() }
                #expect(try await w.store.instance(id: id)?.claim == .claiming)
                #expect(w.world.platform.all.contains { $0.serviceId == record.serviceId }, "never deleted")
                let next = try await claim(client, "After the backfill")
                #expect(next.status == .ok && next.json["instanceId"] as? String != id, "\(next.text)")
            }
        }
    }
}

/// A pool (ServerWorld's loop, claim service and routes, a memory platform, stub claim
/// calls) whose store is Postgres through a `TCPProxy`: `proxy.goAway()` takes the database
/// away, `proxy.resume()` brings it back. Ticks come from the test's ticker, not a timer, so
/// a test can hold them.
struct OutageWorld {
    let world: ServerWorld
    let store: PostgresStore
    let proxy: TCPProxy
    let platform: OutagePlatform
    let ticker: OutageTicker
    let log: OutageLog

    static let operationTimeout: Duration = .seconds(2)

    static var databaseURL: String? {
        ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var postgresWillRun: Bool {
        databaseURL != nil || ProcessInfo.processInfo.environment["REQUIRE_POSTGRES"] == "1"
    }

    struct Snapshot {
        var records: [InstanceRecord]
        var events: [PoolEvent]
        var answers: [String: ClaimOutcome]
        var forwarded: Int
    }

    func snapshot() async throws -> Snapshot {
        let records = try await store.instances()
        return Snapshot(records: records, events: try await store.events(limit: 500, before: nil),
                        answers: try await store.claimAnswers(instanceIds: records.map(\.instanceId)),
                        forwarded: proxy.forwarded)
    }

    /// Every record, stored claim answer and event of `before` is in `after`, unchanged but
    /// for claims made since (an unclaimed instance may have been claimed).
    func expectNothingLost(_ before: Snapshot, _ after: Snapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        for r in before.records {
            guard let now = after.records.first(where: { $0.instanceId == r.instanceId }) else {
                Issue.record("instance \(r.instanceId) was lost", sourceLocation: sourceLocation)
                continue
            }
            #expect(now.serviceId == r.serviceId && now.revision == r.revision && now.createdAt == r.createdAt
                    && now.createStep == r.createStep && now.retiredReason == r.retiredReason, "\(r) -> \(now)",
                    sourceLocation: sourceLocation)
            if r.claim != .none {
                #expect(now.claim == r.claim && now.agentName == r.agentName && now.conversationId == r.conversationId,
                        "\(r) -> \(now)", sourceLocation: sourceLocation)
            }
        }
        for (id, answer) in before.answers {
            #expect(after.answers[id] == answer, "the claim answer of \(id) was lost or changed", sourceLocation: sourceLocation)
        }
        let afterEvents = Dictionary(uniqueKeysWithValues: after.events.compactMap { e in e.id.map { ($0, e) } })
        for event in before.events {
            #expect(afterEvents[event.id!] == event, "event \(event.id!) \(event.kind) was lost or changed", sourceLocation: sourceLocation)
        }
    }

    /// Waits for a complete tick that plans nothing, with these counts.
    func converged(idle: Int, claimed: Int, claiming: Int = 0) async throws {
        do {
            try await eventually("\(idle) idle, \(claimed) claimed, \(claiming) claiming, nothing planned", seconds: 20) {
                guard let last = await world.loop.lastTick?.result, last.observed.complete else { return false }
                let c = last.plan.counts
                return c[.idle] == idle && c[.claimed] == claimed
                    && c[.claiming] == claiming && c[.provisioning] == 0 && last.plan.actions.isEmpty
            }
        } catch {
            let last = await world.loop.lastTick?.result
            let records = (try? await store.instances())?.map { "\($0.instanceId) \($0.claim) \($0.agentName ?? "-")" } ?? []
            Issue.record("last tick: \(last.map { "\($0.plan.counts)" } ?? "none") \(last?.plan.actions.map(\.reason) ?? []) \(last?.observed.incompleteReason ?? ""); records: \(records)")
            throw error
        }
    }

    static func with(minIdle: Int, idle: Int, _ body: (OutageWorld) async throws -> Void) async throws {
        guard let url = databaseURL else {
            Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run under scripts/with-postgres")
            return
        }
        var components = try #require(URLComponents(string: url))
        let proxy = try TCPProxy(upstreamHost: try #require(components.host), upstreamPort: components.port ?? 5432)
        components.host = "127.0.0.1"
        components.port = proxy.port
        let log = OutageLog()
        let logger = log.logger("outage")
        let schema = "outage_\(UInt32.random(in: 0...UInt32.max))"
        // Migrated directly, with the default timeout: migrations of the parallel tests take
        // turns on one lock, which can take longer than the short timeout under test.
        let migrator = try PostgresStore(url: url, options: .init(schema: schema, maximumConnections: 1), logger: quiet)
        do { _ = try await migrator.migrate() } catch { await migrator.close(); throw error }
        await migrator.close()
        let store = try PostgresStore(
            url: try #require(components.string),
            options: .init(schema: schema, maximumConnections: 4, operationTimeout: operationTimeout),
            logger: logger)
        let platform = OutagePlatform()
        let spec = try ServerFixtures.spec(minIdle: minIdle, tickInterval: "1h")
        let ticker = OutageTicker()
        do {
            // The store goes away through the platform's hook: at the tick's first status
            // probe, after the tick has read the store and before it acts.
            let world = try ServerWorld.make(spec: spec, store: store, platform: platform.memory, listing: platform,
                                             prober: platform, logger: logger)
            let loop = world.loop
            _ = try await world.seedIdle(idle)
            let group = ServiceGroup(configuration: .init(services: [loop], logger: quiet))
            let running = Task { try await group.run() }
            ticker.start(loop)
            let w = OutageWorld(world: world, store: store, proxy: proxy, platform: platform, ticker: ticker, log: log)
            func finish() async {
                ticker.stop()
                proxy.resume()
                await group.triggerGracefulShutdown()
                _ = try? await running.value
            }
            do {
                try await eventually("the first tick") { await loop.ticksRun >= 1 }
                try await body(w)
            } catch {
                await finish()
                throw error
            }
            await finish()
        } catch {
            proxy.resume()
            await store.close()
            proxy.stop()
            throw error
        }
        await store.close()
        proxy.stop()
    }
}

/// The memory platform, and status probes that answer ready, plus a hook run once at the
/// start of the next round of probes: the moment a tick has read the store and not yet acted.
final class OutagePlatform: Platform, StatusProber, @unchecked Sendable {
    let memory = MemoryPlatform()
    private let lock = NSLock()
    private var hook: (@Sendable () -> Void)?

    var all: [PlatformService] { memory.all }

    func beforeNextProbes(_ body: (@Sendable () -> Void)?) { lock.withLock { hook = body } }

    func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
        let run = lock.withLock { () -> (@Sendable () -> Void)? in
            defer { hook = nil }
            return hook
        }
        run?()
        return await AlwaysReady().probeAll(targets, timeout: timeout)
    }

    func listServices() async throws -> [PlatformService] { try await memory.listServices() }
    func createService(_ b: InstanceBlueprint) async throws -> String { try await memory.createService(b) }
    func configureService(serviceId: String, _ b: InstanceBlueprint) async throws {
        try await memory.configureService(serviceId: serviceId, b)
    }
    func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String {
        try await memory.createDomain(serviceId: serviceId, b)
    }
    func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws { try await memory.startBuild(serviceId: serviceId, b) }
    func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws { try await memory.pinSource(serviceId: serviceId, b) }
    func deleteService(serviceId: String) async throws { try await memory.deleteService(serviceId: serviceId) }
    func renameService(serviceId: String, to name: String) async throws {
        try await memory.renameService(serviceId: serviceId, to: name)
    }
}

/// Triggers a tick every 200 ms while running: the loop's timer, made holdable.
final class OutageTicker: @unchecked Sendable {
    private let lock = NSLock()
    private var paused = false
    private var task: Task<Void, Never>?

    func start(_ loop: ReconcileLoop) {
        task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                if !lock.withLock({ paused }) { loop.trigger() }
            }
        }
    }

    func pause() { lock.withLock { paused = true } }
    func resume() { lock.withLock { paused = false } }
    func stop() { task?.cancel() }
}

/// Every line logged, with its level and metadata, for assertions.
final class OutageLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(level: Logger.Level, text: String)] = []

    func logger(_ label: String) -> Logger {
        Logger(label: label) { _ in Handler(sink: self) }
    }

    func lines(atLeast level: Logger.Level) -> [String] {
        lock.withLock { entries.filter { $0.level >= level }.map(\.text) }
    }

    var all: String { lock.withLock { entries.map(\.text).joined(separator: "\n") } }

    fileprivate func append(_ level: Logger.Level, _ text: String) {
        lock.withLock { entries.append((level, text)) }
    }

    struct Handler: LogHandler {
        let sink: OutageLog
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let tail = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.append(event.level, "\(event.level): \(event.message)\(tail)")
        }
    }
}
