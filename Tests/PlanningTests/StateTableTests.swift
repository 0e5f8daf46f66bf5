@testable import Controller
import Foundation
import Model
import Planning
import Testing

/// One test per row of the state table (docs/design.md section 3).
@Suite struct StateTableTests {
    @Test(arguments: [DeployStatus.queued, .waiting, .initializing, .building, .deploying])
    func inProgressIsProvisioningThenDeadAfterStuckTimeout(status: DeployStatus) {
        #expect(F.state(F.instance("a", status, probe: .notProbed, age: 60)) == .provisioning)
        let old = F.plan([F.instance("a", status, probe: .notProbed, age: 901)])
        #expect(old.targets(.delete) == [F.id("a")])
        #expect(old.actions(.delete).first?.reason.contains("stuck") == true)
    }

    @Test func successReadyNoConversationNeverClaimedIsIdle() {
        #expect(F.state(F.instance("a")) == .idle)
        // The later status shape: {conversationId: null, clean: true}.
        #expect(F.state(F.instance("a", probe: .status(AgentStatus(usable: true, conversationId: nil)))) == .idle)
        let p = F.plan([F.instance("a")], F.desired(F.settings(minIdle: 1)))
        #expect(p.actions.map(\.kind) == [.mark])
        #expect(p.actions.first?.toState == .idle)
    }

    @Test func successUnreachableYoungIsProvisioning() {
        for probe in [ProbeResult.unreachable("connection refused"), .notJSON("text/html")] {
            let i = F.instance("a", probe: probe, age: 120)
            #expect(F.state(i) == .provisioning)
            #expect(F.plan([i]).targets(.delete).isEmpty)
        }
    }

    @Test func successUnreachablePastStuckTimeoutUnclaimedIsDeleted() {
        let i = F.instance("a", probe: .unreachable("timeout"), age: 2000)
        #expect(F.state(i) == .dead)
        #expect(F.plan([i]).targets(.delete) == [F.id("a")])
        // It was healthy a minute ago: the clock restarts from its last good answer.
        let recent = F.instance("a", probe: .unreachable("timeout"), record: F.record("a", healthyAgo: 60), age: 2000)
        #expect(F.state(recent) == .provisioning)
    }

    @Test func claimInFlightIsLeftAlone() {
        let i = F.instance("a", .crashed, probe: .notProbed, record: F.record("a", claim: .claiming, agent: "x"))
        #expect(F.state(i) == .claiming)
        #expect(F.plan([i]).actions.filter { $0.instanceId == F.id("a") }.isEmpty)
    }

    @Test func claimedAliveIsRenamedToItsAgent() {
        let i = F.instance("a", record: F.record("a", claim: .claimed, agent: "Tokyo Trip Planner"))
        #expect(F.state(i) == .claimed)
        let p = F.plan([i])
        #expect(p.actions(.rename).map(\.name) == ["convos-agent-tokyo-trip-planner"])
        #expect(p.targets(.delete).isEmpty)
        // Already named: nothing to do.
        let named = F.instance("a", record: F.record("a", claim: .claimed, agent: "Tokyo Trip Planner"),
                               name: "convos-agent-tokyo-trip-planner")
        #expect(F.plan([named]).actions(.rename).isEmpty)
    }

    @Test(arguments: [DeployStatus.failed, .crashed, .removed, .sleeping])
    func claimedWithDeadDeployIsCrashedMarkedAndKept(status: DeployStatus) {
        let i = F.instance("a", status, probe: .notProbed, record: F.record("a", claim: .claimed, agent: "x"))
        #expect(F.state(i) == .crashed)
        let p = F.plan([i])
        #expect(p.targets(.delete).isEmpty)
        #expect(p.actions(.mark).map(\.toState) == [.crashed])
        #expect(p.actions(.rename).isEmpty)
    }

    @Test func claimedUnreachablePastTimeoutIsCrashed() {
        let i = F.instance("a", probe: .unreachable("timeout"),
                           record: F.record("a", claim: .claimed, agent: "x", healthyAgo: 1000))
        #expect(F.state(i) == .crashed)
        #expect(F.plan([i]).targets(.delete).isEmpty)
    }

    @Test(arguments: [DeployStatus.failed, .crashed, .removed, .skipped, .sleeping])
    func unclaimedWithDeadDeployIsDeleted(status: DeployStatus) {
        let i = F.instance("a", status, probe: .notProbed)
        #expect(F.state(i) == .dead)
        let p = F.plan([i])
        #expect(p.targets(.delete) == [F.id("a")])
        #expect(p.actions(.delete).first?.reason == "dead: deploy \(status.rawValue)")
    }

    @Test func conversationNotHandedOutByUsIsAdoptedNeverDeletedNeverClaimable() {
        let probe = ProbeResult.status(AgentStatus(usable: true, conversationId: "0f3a9c", streaming: true))
        let i = F.instance("a", probe: probe, record: F.record("a", marked: .idle))
        #expect(F.state(i) == .adopted)
        let p = F.plan([i])
        #expect(p.actions(.mark).map(\.toState) == [.adopted])
        #expect(p.targets(.delete).isEmpty && p.actions(.rename).isEmpty)
        // Recorded as claimed by an unknown agent: stays adopted, still never touched.
        let recorded = F.instance("a", probe: probe, record: F.record("a", claim: .claimed, marked: .adopted))
        #expect(F.state(recorded) == .adopted)
        #expect(F.plan([recorded], F.desired(F.settings(minIdle: 0))).actions.isEmpty)
    }

    @Test func retiredAfterAFailedClaimIsTaintedAndDeleted() {
        let i = F.instance("a", record: F.record("a", marked: .idle, retired: "join timed out"))
        #expect(F.state(i) == .tainted)
        let p = F.plan([i])
        #expect(p.actions(.delete).map(\.cause) == [.tainted])
    }

    @Test func unauthorizedIsAConfigurationFaultNeverDeleted() {
        let i = F.instance("a", probe: .unauthorized, age: 99_999)
        #expect(F.state(i) == .misconfigured)
        let p = F.plan([i])
        #expect(p.targets(.delete).isEmpty)
        #expect(p.actions(.mark).map(\.toState) == [.misconfigured])
    }

    @Test func readyFalseIsNotIdle() {
        let i = F.instance("a", probe: .status(AgentStatus(usable: false, conversationId: nil)), age: 60)
        #expect(F.state(i) == .provisioning)
    }

    @Test func idleThatStopsAnsweringIsMarkedBackToProvisioning() {
        let i = F.instance("a", probe: .unreachable("refused"), record: F.record("a", marked: .idle, healthyAgo: 30))
        let p = F.plan([i], F.desired(F.settings(minIdle: 1)))
        #expect(p.actions(.mark).map(\.toState) == [.provisioning])
    }
}
