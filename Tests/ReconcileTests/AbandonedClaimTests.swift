import Controller
import Foundation
import Model
import Ports
import Store
import TestSupport
import Testing

/// Claims left in flight by a process that stopped: once past the call's hard timeout, the
/// instance's status decides (bound: claimed and kept; unbound: retired and replaced;
/// silent: left alone).
@Suite struct AbandonedClaimTests {
    /// Answers by the instance's domain; ready and unbound for any other.
    struct ByDomain: StatusProber {
        let answers: [String: ProbeResult]
        func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
            Dictionary(uniqueKeysWithValues: targets.map { t in
                (t.id, answers.first { t.baseURL.hasSuffix("://" + $0.key) }?.value ?? .status(AgentStatus(usable: true, conversationId: nil)))
            })
        }
    }

    @Test func theInstanceDecidesOnceTheClaimIsPastItsTimeout() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 3, maxTotal: 6)) { world in
            #expect(await world.converge(world.reconciler(), idle: 3) != nil)
            var taken: [InstanceRecord] = []
            for agent in ["bound", "unbound", "silent"] {
                guard case .took(let r) = try await world.store.beginClaim(agentName: agent, idempotencyKey: nil, at: world.clock.now)
                else { Issue.record("no idle instance for \(agent)"); return }
                taken.append(r)
            }
            let domains = taken.map { $0.domain! }
            let prober = ByDomain(answers: [
                domains[0]: .status(AgentStatus(usable: false, conversationId: "conv-kept")),
                domains[1]: .status(AgentStatus(usable: true, conversationId: nil)),
                domains[2]: .unreachable("connection refused"),
            ])
            let reconciler = world.reconciler(prober: prober)

            // Within the claim's time, nothing is touched.
            _ = await reconciler.tick()
            for r in taken { #expect(try await world.store.instance(id: r.instanceId)?.claim == .claiming) }

            // Past the longest claim timeout (90 s) and the grace (60 s).
            await world.advance(.seconds(151))
            _ = await reconciler.tick()
            let bound = try #require(try await world.store.instance(id: taken[0].instanceId))
            #expect(bound.claim == .claimed && bound.conversationId == "conv-kept" && bound.agentName == "bound")
            let unbound = try await world.store.instance(id: taken[1].instanceId)
            #expect(unbound == nil || unbound?.retiredReason?.contains("claim interrupted") == true, "\(String(describing: unbound))")
            #expect(!(await world.poolServices()).contains { $0.id == taken[1].serviceId }, "the retired instance's service is deleted")
            #expect(try await world.store.instance(id: taken[2].instanceId)?.claim == .claiming)
            #expect((await world.poolServices()).contains { $0.id == taken[0].serviceId && $0.id != nil })

            // More ticks change nothing for the two that were decided or left alone.
            await world.advance(.seconds(600))
            _ = await reconciler.tick()
            #expect(try await world.store.instance(id: taken[0].instanceId)?.claim == .claimed)
            #expect(try await world.store.instance(id: taken[2].instanceId)?.claim == .claiming)
        }
    }
}
