import AgentClient
import AsyncHTTPClient
@testable import Controller
import Foundation
import Logging
import Planning
import Railway
import RailwayFake
import Spec
import StandInAgent
import Store
import TestSupport
import Testing

/// A fake Railway whose services' domains are real stand-in agents on loopback, probed by
/// the real agent client through the reconciler, with a real store and the test clock.
struct AgentWorld {
    static let key = "pool-key-agent-faults-7e2a"
    /// One per process, as in production; never shut down (the tests' process ends).
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
    static let stuck: Duration = .seconds(180)
    static let probeTimeout: Duration = .seconds(2)
    /// Between ticks: longer than a fake build (30 s), a third of the stuck timeout.
    static let step: Duration = .seconds(60)

    let world: ReconcileWorld
    let agents: [StandInAgent]
    let client: AgentClient

    var spec: EnvironmentSpec { world.spec }
    var fake: RailwayFake { world.fake }
    var store: any PoolStore { world.store }
    var prober: AgentClient { client }

    static func spec(minIdle: Int, maxTotal: Int, pacing: Int = 2,
                     environment: [String: String] = TestCredentials.environment) throws -> EnvironmentSpec {
        let yaml = RailwayFake.poolYAML([
            "minIdle": "\(minIdle)", "maxTotal": "\(maxTotal)", "createsPerTick": "\(pacing)",
            "stuckTimeout": "\(stuck.components.seconds)s", "probeTimeout": "\(probeTimeout.components.seconds)s",
        ])
        return try SpecLoader(processEnvironment: environment).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    /// Starts one stand-in per configuration (the k-th created service gets the k-th), a
    /// fake Railway with 30 s builds and a fresh store, runs `body`, and stops them all.
    static func with(_ spec: EnvironmentSpec, agents configurations: [StandInConfiguration],
                     _ body: (AgentWorld) async throws -> Void) async throws {
        var agents: [StandInAgent] = []
        for c in configurations {
            let agent = StandInAgent(configuration: c, logger: quiet)
            try await agent.start()
            agents.append(agent)
        }
        var configuration = RailwayFake.Configuration(
            accountTokens: [ReconcileWorld.token],
            phases: FakePhaseDurations(queued: .seconds(5), building: .seconds(20), deploying: .seconds(5)),
            epoch: ReconcileWorld.epoch)
        configuration.agentDomains = agents.map { "127.0.0.1:\($0.port!)" }
        // A stand-in started with another key plays an instance that refuses the pool's
        // credential: it keeps that key.
        configuration.onDomain = StandInAgent.takingTokens(agents.filter { $0.state.key == key })
        let fake = try RailwayFake(configuration: configuration)
        let url = try await fake.start()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("agent-faults-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(path: path, logger: quiet)
        _ = try await store.migrate()
        let world = ReconcileWorld(fake: fake, url: url, store: store, spec: spec, clock: TestClock(ReconcileWorld.epoch),
                                   retryWaits: ReconcileWorld.RetryWaits())
        let client = AgentClient(httpClient: http, scheme: "http", logger: quiet)
        var failure: (any Error)?
        do { try await body(AgentWorld(world: world, agents: agents, client: client)) } catch { failure = error }
        for agent in agents { await agent.stop() }
        await store.close()
        await fake.stop()
        try? FileManager.default.removeItem(atPath: path)
        if let failure { throw failure }
    }

    static func good() -> StandInConfiguration { StandInConfiguration(apiKey: key, defaultXMTPEnv: "dev") }

    var claims: ClaimService {
        // The world's parts never fail to build.
        try! buildPoolRuntime(spec: spec, parts: world.parts(prober: client, caller: client)).claims
    }

    func claim(_ agentName: String) async -> ClaimResult {
        await claims.claim(ClaimRequest(agentName: agentName, instructions: "Plan a trip."))
    }

    /// The stand-in behind an instance, by the domain its service was given.
    func agent(of instanceId: String) async throws -> StandInAgent {
        let record = try #require(try await store.instance(id: instanceId))
        let serviceId = try #require(record.serviceId)
        let service = try #require(await fake.service(id: serviceId))
        let domain = try #require(service.domains.first)
        return try #require(agents.first { "127.0.0.1:\($0.port!)" == domain }, "no stand-in at \(domain)")
    }

    /// The instance (and its service) a stand-in serves, once its service exists.
    func instance(on agent: StandInAgent) async throws -> (id: String, serviceId: String) {
        let domain = "127.0.0.1:\(agent.port!)"
        let services = await fake.services(projectId: "project-1", environmentId: "environment-1")
        let service = try #require(services.first { $0.domains.contains(domain) }, "no service at \(domain)")
        let record = try #require(try await store.instances().first { $0.serviceId == service.id })
        return (record.instanceId, service.id)
    }

    /// A checker and reconciler over this world, ticked until one instance is idle.
    func settled(sourceLocation: SourceLocation = #_sourceLocation) async -> (TickChecker, Reconciler) {
        let check = TickChecker(world)
        let r = check.reconciler(prober: prober)
        #expect(await check.converge(r, idle: 1, step: AgentWorld.step) != nil, "never settled with one idle instance",
                sourceLocation: sourceLocation)
        return (check, r)
    }

    /// The only idle instance and its service, per the store.
    func idleInstanceAndService() async throws -> (id: String, serviceId: String) {
        let id = try await idleInstance()
        return (id, try #require(try await store.instance(id: id)?.serviceId))
    }

    /// The only idle instance's id, per the store.
    func idleInstance() async throws -> String {
        let idle = try await store.instances().filter { $0.marked == .idle }
        try #require(idle.count == 1, "idle: \(idle.map(\.instanceId))")
        return idle[0].instanceId
    }

    /// What the planner derived for each instance in that tick's observation.
    func classified(_ t: TickResult) -> [String: ClassifiedInstance] {
        Dictionary(t.classification.owned.map { ($0.instanceId, $0) }, uniquingKeysWith: { a, _ in a })
    }

    func serviceExists(_ id: String) async -> Bool { await fake.service(id: id) != nil }

    func deletes(of serviceId: String) async -> Int {
        await fake.calls.filter { $0.operationName == "ServiceDelete" && $0.variables["id"]?.string == serviceId }.count
    }
}

/// Agents misbehaving (docs/agent-contract.md sections 1, 2 and 7; docs/design.md section 3): real
/// stand-ins probed through the reconciler; every tick checked by `TickChecker`.
@Suite struct AgentFaultTests {
    /// 401: a configuration fault. Marked misconfigured and said so (event, reason),
    /// counted as supply (no snowball of creates), never handed out, never deleted.
    @Test func a401IsAConfigurationFaultReportedAndNeverDeleted() async throws {
        var wrongKey = AgentWorld.good()
        wrongKey.apiKey = "not-the-pool-key"
        let spec = try AgentWorld.spec(minIdle: 2, maxTotal: 4)
        try await AgentWorld.with(spec, agents: [wrongKey] + (0..<3).map { _ in AgentWorld.good() }) { a in
            let check = TickChecker(a.world)
            let r = check.reconciler(prober: a.prober)
            #expect(await check.converge(r, idle: 1, step: AgentWorld.step) != nil, "one idle, one misconfigured, no more")
            let (bad, badService) = try await a.instance(on: a.agents[0])
            #expect(try await a.store.instance(id: bad)?.marked == .misconfigured)
            let events = try await a.store.events(limit: 50, before: nil)
            #expect(events.contains { $0.instanceId == bad && $0.kind == "mark" && $0.outcome == "ok" && $0.detail.contains("401")
                && $0.detail.contains("configuration fault") }, "\(events.map(\.detail))")

            guard case .claimed(let answer) = await a.claim("Tokyo Trip") else { Issue.record("no claim"); return }
            #expect(answer.instanceId != bad, "a misconfigured instance is never handed out")
            #expect(await a.claim("Second") == .poolEmpty)
            for _ in 0..<8 {  // 8 minutes: well past the stuck timeout, twice
                let t = await check.tick(r, "401")
                let i = a.classified(t)[bad]
                #expect(i?.state == .misconfigured && i?.why.contains("401") == true, "\(i?.state.rawValue ?? "gone"): \(i?.why ?? "")")
                #expect((t.plan.counts[.misconfigured]) == 1)
                #expect(await a.serviceExists(badService), "the misconfigured instance's service was deleted")
                #expect(try await a.store.instance(id: bad)?.marked == .misconfigured)
                await a.world.advance(AgentWorld.step)
            }
            #expect(await a.deletes(of: badService) == 0)
            #expect(a.agents[0].state.calls(to: .createConversation) == 0, "never claimed")
        }
    }

    /// An idle instance that starts hanging, answering 500, garbage JSON or an HTML page:
    /// at once not idle (not claimable), kept while younger than stuckTimeout since its last
    /// healthy answer, then dead, deleted and replaced in the same tick. A hang delays a
    /// tick by at most about the probe timeout.
    @Test(arguments: [StandInFailure.hang, .serverError, .malformedJSON, .html])
    func aFailingInstanceIsNeverIdleAndReplacedOnlyAfterStuckTimeout(failure: StandInFailure) async throws {
        let spec = try AgentWorld.spec(minIdle: 1, maxTotal: 3)
        try await AgentWorld.with(spec, agents: (0..<3).map { _ in AgentWorld.good() }) { a in
            let (check, r) = await a.settled()
            let (sick, sickService) = try await a.idleInstanceAndService()
            let healthyAt = try #require(try await a.store.instance(id: sick)?.lastHealthyAt)
            try await a.agent(of: sick).state.setFailure(failure, on: .status)
            let expected = switch failure {
            case .hang: "timed out"
            case .serverError: "HTTP 500"
            case .malformedJSON: "malformed JSON"
            default: "non-JSON"
            }
            var replacedAt: Date?
            for n in 1...6 {
                await a.world.advance(AgentWorld.step)
                let started = ContinuousClock.now
                let t = await check.tick(r, "\(failure)")
                let took = ContinuousClock.now - started
                #expect(took < AgentWorld.probeTimeout + .seconds(5), "tick \(n) took \(took)")
                let silent = a.world.clock.now.timeIntervalSince(healthyAt)
                let creates = t.results.filter { $0.action.kind == .create && $0.ok }.count
                if await a.serviceExists(sickService) {
                    let i = try #require(a.classified(t)[sick])
                    #expect(i.state == .provisioning, "tick \(n): \(i.state.rawValue): \(i.why)")
                    #expect(i.why.contains(expected), "tick \(n): \(i.why)")
                    #expect(try await a.store.instance(id: sick)?.marked == .provisioning, "not claimable")
                    #expect(Double(silent) <= AgentWorld.stuck.inSeconds, "still there \(silent) s after its last healthy answer")
                    #expect(creates == 0, "replaced before stuckTimeout: it still counts as provisioning")
                } else {
                    #expect(Double(silent) > AgentWorld.stuck.inSeconds, "deleted only \(silent) s after its last healthy answer")
                    #expect(t.results.contains { $0.action.kind == .delete && $0.action.serviceId == sickService && $0.ok
                        && $0.action.reason.hasPrefix("dead:") }, "\(t.results.map(\.action.reason))")
                    #expect(creates == 1, "replaced in the same tick")
                    replacedAt = a.world.clock.now
                    break
                }
                if n == 1 { #expect(await a.claim("Tokyo Trip") == .poolEmpty, "the sick instance is never handed out") }
            }
            #expect(replacedAt != nil, "never replaced")
            #expect(await check.converge(r, idle: 1, step: AgentWorld.step) != nil)
            #expect(try await a.idleInstance() != sick)
            #expect(await a.deletes(of: sickService) == 1)
        }
    }

    /// An instance that reports a conversation the pool never gave it: adopted (claimed by
    /// an unknown agent), never handed out, never deleted, whatever it says afterwards, not
    /// even when the pool is at maxTotal and short of idle instances.
    @Test func aConversationThePoolNeverGaveIsAdoptedNeverHandedOutNeverDeleted() async throws {
        let spec = try AgentWorld.spec(minIdle: 1, maxTotal: 3)
        try await AgentWorld.with(spec, agents: (0..<4).map { _ in AgentWorld.good() }) { a in
            let (check, r) = await a.settled()
            let (found, foundService) = try await a.idleInstanceAndService()
            let agent = try await a.agent(of: found)
            agent.state.reportConversationWhileUnbound("0f3a9c2e7b5d41e8a6c4b2d0e9f8a7c6")

            let adopting = await check.tick(r, "reports a conversation")
            #expect(adopting.results.contains { $0.action.kind == .mark && $0.action.toState == .adopted && $0.action.instanceId == found && $0.ok })
            #expect(adopting.results.contains { $0.action.kind == .create && $0.ok }, "backfilled: it is no longer supply")
            #expect(await a.claim("Early") == .poolEmpty, "the adopted instance is not claimable")
            let record = try await a.store.instance(id: found)
            #expect(record?.claim == .claimed && record?.agentName == nil && record?.marked == .adopted
                    && record?.conversationId == "0f3a9c2e7b5d41e8a6c4b2d0e9f8a7c6")

            var handedOut: [String] = []
            for n in 1...10 {
                await a.world.advance(AgentWorld.step)
                if n == 4 { agent.state.reportConversationWhileUnbound(nil) }  // e.g. restarted, binding lost
                let t = await check.tick(r, "adopted")
                let i = a.classified(t)[found]
                #expect(i?.state == .adopted, "tick \(n): \(i?.state.rawValue ?? "gone"): \(i?.why ?? "")")
                #expect(await a.serviceExists(foundService), "tick \(n): the adopted instance's service was deleted")
                #expect(!t.plan.actions.contains { $0.instanceId == found && $0.kind != .mark }, "tick \(n): \(t.plan.actions.map(\.reason))")
                if n >= 7 {  // the adopted one and two claimed ones: maxTotal, and no idle left
                    #expect(t.plan.counts[.idle] == 0 && t.plan.notes.contains { $0.contains("maxTotal 3 reached") }, "\(t.plan.notes)")
                }
                if n == 3 || n == 6, case .claimed(let answer) = await a.claim("Agent \(n)") { handedOut.append(answer.instanceId) }
            }
            #expect(handedOut.count == 2, "other instances were claimable meanwhile: \(handedOut)")
            #expect(!handedOut.contains(found), "the adopted instance was handed out")
            #expect(agent.state.calls(to: .createConversation) == 0 && agent.state.calls(to: .join) == 0)
            #expect(await a.deletes(of: foundService) == 0)
            let marks = try await a.store.events(limit: 200, before: nil).reversed().filter { $0.instanceId == found && $0.kind == "mark" }
            #expect(marks.map(\.detail) == ["ready, no conversation", "holds a conversation of an unknown agent"],
                    "idle once, then adopted once: \(marks.map(\.detail))")
        }
    }

    /// A claimed instance whose message stream stays down (contract state D): said at once,
    /// crashed (kept for the operator) past stuckTimeout, never idle, never deleted, and
    /// claimed again once the stream is back.
    @Test func aStreamDownForLongIsReportedNeverIdleNeverDeleted() async throws {
        let spec = try AgentWorld.spec(minIdle: 1, maxTotal: 3)
        try await AgentWorld.with(spec, agents: (0..<3).map { _ in AgentWorld.good() }) { a in
            let (check, r) = await a.settled()
            guard case .claimed(let answer) = await a.claim("Tokyo Trip") else { Issue.record("no claim"); return }
            let claimed = answer.instanceId
            let service = try #require(try await a.store.instance(id: claimed)?.serviceId)
            #expect(await check.converge(r, idle: 1, step: AgentWorld.step) != nil, "renamed and backfilled")
            let healthyAt = try #require(try await a.store.instance(id: claimed)?.lastHealthyAt)
            let agent = try await a.agent(of: claimed)
            agent.state.setStreamDown(true)

            var crashed = false
            for n in 1...6 {
                await a.world.advance(AgentWorld.step)
                let t = await check.tick(r, "stream down")
                let i = try #require(a.classified(t)[claimed])
                let down = a.world.clock.now.timeIntervalSince(healthyAt)
                #expect(i.why.contains("message stream down"), "tick \(n): \(i.why)")
                #expect(i.state == (down > AgentWorld.stuck.inSeconds ? .crashed : .claimed), "tick \(n), down \(down) s: \(i.state.rawValue)")
                #expect(try await a.store.instance(id: claimed)?.claim == .claimed, "never claimable again")
                #expect(await a.serviceExists(service))
                crashed = crashed || i.state == .crashed
            }
            #expect(crashed)
            #expect(try await a.store.instance(id: claimed)?.marked == .crashed)
            let events = try await a.store.events(limit: 200, before: nil)
            #expect(events.contains { $0.instanceId == claimed && $0.kind == "mark" && $0.detail.contains("message stream down for") })

            agent.state.setStreamDown(false)
            await a.world.advance(AgentWorld.step)
            let back = await check.tick(r, "stream back")
            #expect(a.classified(back)[claimed]?.state == .claimed)
            #expect(back.results.contains { $0.action.instanceId == claimed && $0.action.toState == .claimed && $0.ok })
            #expect(await a.deletes(of: service) == 0)
        }
    }

    /// The same for an adopted instance (a conversation the pool never gave): stream down
    /// for long is crashed, never idle, never deleted; back up, it is adopted again, once.
    @Test func anAdoptedInstanceWhoseStreamStaysDownIsReportedAndRecoversOnce() async throws {
        let spec = try AgentWorld.spec(minIdle: 1, maxTotal: 3)
        try await AgentWorld.with(spec, agents: (0..<3).map { _ in AgentWorld.good() }) { a in
            let (check, r) = await a.settled()
            let (found, service) = try await a.idleInstanceAndService()
            let agent = try await a.agent(of: found)
            agent.state.reportConversationWhileUnbound("5e1f")
            #expect(await check.converge(r, idle: 1, step: AgentWorld.step) != nil, "adopted and backfilled")
            agent.state.setStreamDown(true)
            for _ in 0..<5 {
                await a.world.advance(AgentWorld.step)
                let t = await check.tick(r, "adopted, stream down")
                #expect(a.classified(t)[found]?.why.contains("message stream down") == true)
            }
            #expect(try await a.store.instance(id: found)?.marked == .crashed)
            agent.state.setStreamDown(false)
            for _ in 0..<3 {
                await a.world.advance(AgentWorld.step)
                let t = await check.tick(r, "adopted, stream back")
                #expect(a.classified(t)[found]?.state == .adopted)
            }
            let record = try await a.store.instance(id: found)
            #expect(record?.marked == .adopted && record?.claim == .claimed)
            let marks = try await a.store.events(limit: 200, before: nil).reversed().filter { $0.instanceId == found && $0.kind == "mark" }
            #expect(marks.count == 4, "idle, adopted, crashed, adopted again: \(marks.map(\.detail))")
            #expect(await a.deletes(of: service) == 0)
        }
    }
}

private extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
