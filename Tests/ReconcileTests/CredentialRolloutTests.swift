@testable import AgentClient
@testable import Controller
import Credentials
import Foundation
import Model
import Planning
import Railway
import Spec
import StandInAgent
import Store
import TestSupport
import Testing

/// The move to instance tokens and a rotation of the instance secret, with real stand-ins
/// probed and claimed over HTTP by the real agent client: idle instances roll surge-first
/// (idle never below minIdle), claimed ones are never touched and keep answering their
/// old credential, and the counts say when the old credential is no longer held by anyone.
@Suite(.timeLimit(.minutes(3))) struct CredentialRolloutTests {
    static let rotatedSecret = "rotated-instance-secret-9a8b7c6d5e4f3a2b1c0d"
    static let minIdle = 2

    /// Old-key instances as a pool made before instance tokens left them: deployed services
    /// whose stand-ins take the pool key, records without a secret version, of a revision
    /// from before keyed revisions. The first is claimed (a real claim call, with the key).
    static func seedOldKeyPool(_ a: AgentWorld, agents: [StandInAgent]) async throws -> [String] {
        var g = SplitMix64(seed: 99)
        let ids = InstanceNaming.ids(agents.count, using: &g)
        let names = ids.map { InstanceNaming.serviceName(prefix: a.spec.prefix, instanceId: $0) }
        let domains = agents.map { "127.0.0.1:\($0.port!)" }
        let serviceIds = await a.fake.addDeployedServices(names: names, domains: domains, projectId: "project-1", environmentId: "environment-1")
        let now = a.world.clock.now
        for k in ids.indices {
            // The first is the oldest: the claim below takes it.
            let at = now.addingTimeInterval(Double(k - 60))
            try await a.store.recordIntent(instanceId: ids[k], serviceName: names[k], revision: "sha256-of-an-older-spec",
                                           tokenVersion: nil, at: at)
            try await a.store.recordStep(instanceId: ids[k], step: .pinned, serviceId: serviceIds[k])
            try await a.store.mark(instanceId: ids[k], serviceId: serviceIds[k], domain: domains[k], state: .idle, at: at)
        }
        guard case .took(let taken) = try await a.store.beginClaim(agentName: "Old Friend", idempotencyKey: nil, at: now) else {
            throw TimedOut(description: "no old-key instance to claim")
        }
        let bound = try await a.client.createConversation(instanceId: taken.instanceId, baseURL: "http://\(taken.domain!)",
                                                          bearer: TestCredentials.poolKey, body: .init(name: "Old Friend",
                                                          profileName: "Old Friend", env: "dev", instructions: "Keep going.")).get()
        try await a.store.completeClaim(instanceId: taken.instanceId, conversationId: bound.conversationId,
                                        inviteUrl: bound.inviteUrl, joined: false, at: now)
        #expect(taken.instanceId == ids[0])
        return ids
    }

    /// Ticks until idle instances hold only `kind` credentials and nothing is left to do,
    /// checking after every tick that idle never went below minIdle (once reached) and that
    /// the claimed instances are still claimed, probed with their own credential.
    func roll(_ a: AgentWorld, _ check: TickChecker, _ r: Reconciler, until done: (TickResult) -> Bool,
              claimed: [String], label: String) async -> TickResult? {
        var reachedMinIdle = false
        for _ in 0..<14 {
            let t = await check.tick(r, label)
            let idle = t.plan.counts[.idle]
            if reachedMinIdle { #expect(idle >= Self.minIdle, "\(label): idle fell to \(idle)") }
            reachedMinIdle = reachedMinIdle || idle >= Self.minIdle
            let states = a.classified(t)
            for id in claimed {
                #expect(states[id]?.state == .claimed, "\(label): claimed \(id) is \(states[id]?.state.rawValue ?? "gone"): \(states[id]?.why ?? "")")
                if case .status(let s)? = states[id]?.observed.probe {
                    #expect(s.conversationId != nil, "\(label): \(id) answers its probe, bound")
                } else {
                    Issue.record("\(label): \(id)'s probe did not succeed: \(String(describing: states[id]?.observed.probe))")
                }
            }
            for result in t.results where result.action.kind == .delete {
                #expect(!claimed.contains(result.action.instanceId), "\(label): a claimed instance was deleted")
            }
            if t.observed.complete, !t.plan.hasChanges, idle == Self.minIdle, done(t) { return t }
            await a.world.advance(AgentWorld.step)
        }
        return nil
    }

    @Test func oldKeyInstancesThenARotatedSecretRollIdleInstancesAndKeepClaimedOnes() async throws {
        let spec = try AgentWorld.spec(minIdle: Self.minIdle, maxTotal: 6)
        try await AgentWorld.with(spec, agents: (0..<8).map { _ in AgentWorld.good() }) { a in
            let oldKey = (0..<3).map { _ in StandInAgent(configuration: .init(apiKey: TestCredentials.poolKey, defaultXMTPEnv: "dev"), logger: quiet) }
            for agent in oldKey { try await agent.start() }
            defer { Task { for agent in oldKey { await agent.stop() } } }
            let legacy = try await Self.seedOldKeyPool(a, agents: oldKey)
            let legacyClaimed = legacy[0]

            // 1. Instance tokens come in: the two old-key idle instances are replaced.
            // One Railway client (one rate limiter) for the reconcilers before and after the rotation.
            let check = TickChecker(a.world, spec: spec)
            let railway = RailwayPlatform(client: check.client())
            let r = a.world.reconciler(platform: railway, spec: spec, prober: a.prober)
            let first = try #require(await roll(a, check, r, until: { $0.credentials.idle.poolKey == 0 },
                                                claimed: [legacyClaimed], label: "tokens"))
            #expect(first.credentials.instances.poolKey == 1, "only the claimed old-key instance keeps the pool key")
            #expect(first.credentials.idle.current == Self.minIdle)
            for id in legacy.dropFirst() { #expect(try await a.store.instance(id: id) == nil, "old-key idle \(id) replaced") }
            #expect(oldKey[0].state.calls(to: .status) > 0, "the claimed old-key instance was probed with the pool key")
            let records = try await a.store.instances()
            #expect(records.filter { $0.instanceId != legacyClaimed }.allSatisfy { $0.tokenVersion == 1 })

            // An instance of version 1 is claimed, with its own token.
            guard case .claimed(let v1Claim) = await a.claim("Version One") else { Issue.record("no claim"); return }
            let v1Agent = try await a.agent(of: v1Claim.instanceId)
            #expect(v1Agent.state.key == TestCredentials.token(v1Claim.instanceId))
            #expect(v1Claim.gatewayUrl == "http://127.0.0.1:\(v1Agent.port!)")
            #expect(await roll(a, check, r, until: { _ in true }, claimed: [legacyClaimed, v1Claim.instanceId], label: "refill") != nil)

            // 2. The secret rotates: version 2, with version 1 kept as the previous secret.
            let rotated = try AgentWorld.spec(minIdle: Self.minIdle, maxTotal: 6, environment: [
                "POOL_INSTANCE_SECRET": Self.rotatedSecret, "POOL_INSTANCE_SECRET_VERSION": "2",
                "POOL_INSTANCE_SECRET_PREVIOUS": TestCredentials.secret])
            #expect(rotated.revision != spec.revision, "a rotation is a new revision")
            let r2 = a.world.reconciler(platform: railway, spec: rotated, prober: a.prober)
            let probesBefore = v1Agent.state.calls(to: .status)
            let end = try #require(await roll(a, check, r2, until: { $0.credentials.idle.previous == 0 },
                                              claimed: [legacyClaimed, v1Claim.instanceId], label: "rotation"))
            #expect(end.credentials.version == 2 && end.credentials.previousVersion == 1)
            #expect(end.credentials.idle == .init(current: Self.minIdle), "no idle instance on an old credential")
            #expect(end.credentials.instances.previous == 1 && end.credentials.instances.poolKey == 1,
                    "the claimed instances keep theirs: \(end.credentials.instances)")
            #expect(v1Agent.state.calls(to: .status) > probesBefore, "the version 1 instance answers probes with its old token")
            let v2 = try await a.store.instances().filter { $0.tokenVersion == 2 }
            #expect(v2.count == Self.minIdle)
            for record in v2 {
                let agent = try await a.agent(of: record.instanceId)
                #expect(agent.state.key == Self.rotatedSecrets.currentToken(instanceId: record.instanceId))
            }
        }
    }

    static let rotatedSecrets = try! InstanceSecrets.fromEnvironment([
        "POOL_INSTANCE_SECRET": rotatedSecret, "POOL_INSTANCE_SECRET_VERSION": "2", "POOL_INSTANCE_SECRET_PREVIOUS": TestCredentials.secret])!
}

/// What a create hands an instance on Railway: its own id and token, the spec's variables,
/// and never a secret of the manager's.
@Suite struct InstanceVariableTests {
    @Test func noInstanceVariableHoldsThePoolKeyAndEachHasItsOwnToken() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 3, maxTotal: 6)) { world in
            #expect(await world.converge(world.reconciler(), idle: 3) != nil)
            let services = await world.fake.allServices
            #expect(services.count == 3)
            var tokens: Set<String> = []
            for service in services {
                let id = try #require(service.variables["INSTANCE_ID"], "\(service.name): no INSTANCE_ID")
                let token = try #require(service.variables["INSTANCE_TOKEN"], "\(service.name): no INSTANCE_TOKEN")
                #expect(service.name.hasSuffix(id))
                #expect(token == TestCredentials.token(id) && token.count == 64)
                tokens.insert(token)
                #expect(service.variables["POOL_API_KEY"] == nil)
                for (encoding, needle) in SecretEncodings.of(TestCredentials.poolKey) + SecretEncodings.of(TestCredentials.secret) {
                    for (name, value) in service.variables where value.contains(needle) {
                        Issue.record("\(service.name): \(name) holds a manager secret \(encoding)")
                    }
                }
                #expect(try await world.store.instance(id: id)?.tokenVersion == 1)
            }
            #expect(tokens.count == 3, "one token per instance")
            // And the call log the fake keeps shows names, never the token values.
            let logged = await world.fake.calls.map { "\($0.variables)" }.joined()
            #expect(tokens.allSatisfy { !logged.contains($0) })
        }
    }
}
