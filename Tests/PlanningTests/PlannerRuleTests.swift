@testable import Controller
import Foundation
import Model
import Planning
import Testing

/// One test (at least) per planner rule of docs/design.md section 4.
@Suite struct PlannerRuleTests {
    @Test func createsTheDeficitOfTheCurrentRevision() {
        let p = F.plan([F.instance("a", record: F.record("a", marked: .idle))])
        #expect(p.actions(.create).count == 2)
        #expect(p.actions(.create).allSatisfy { $0.revision == F.current && $0.name == "convos-agent-\($0.instanceId)" })
        #expect(p.actions(.create).first?.reason == "1 idle + 0 provisioning below minIdle 3")
        // Provisioning ones count toward minIdle.
        let q = F.plan([F.instance("a", .building, probe: .notProbed, age: 10), F.instance("b", .queued, probe: .notProbed, age: 10),
                        F.instance("c", record: F.record("c", marked: .idle))])
        #expect(q.actions(.create).isEmpty)
    }

    @Test func neverExceedsMaxTotal() {
        let claimed = (0..<3).map { F.instance("c\($0)", record: F.record("c\($0)", claim: .claimed, agent: "a\($0)")) }
        let p = F.plan(claimed, F.desired(F.settings(minIdle: 3, maxTotal: 4)))
        #expect(p.actions(.create).count == 1)
        #expect(p.notes.contains { $0.contains("maxTotal 4 reached") })
    }

    @Test func respectsThePacingBudget() {
        let p = F.plan([], F.desired(F.settings(minIdle: 10, maxTotal: 20, pacing: 3)))
        #expect(p.actions(.create).count == 3)
    }

    @Test func createsUseTheIdsGivenInOrder() {
        let d = F.desired()
        #expect(F.plan([], d).targets(.create) == Array(d.newInstanceIds.prefix(3)))
    }

    @Test func outdatedIdleIsReplacedSurgeFirst() {
        let outdated = ["a", "b", "c"].map { F.instance($0, record: F.record($0, revision: F.old, marked: .idle)) }
        let first = F.plan(outdated)
        #expect(first.actions(.create).count == 3)
        #expect(first.targets(.delete).isEmpty, "no outdated idle goes before its replacement is idle")
        // Replacements provisioning: still nothing deleted, nothing more created.
        let provisioning = ["x", "y", "z"].map { F.instance($0, .building, probe: .notProbed, age: 30) }
        let second = F.plan(outdated + provisioning)
        #expect(second.actions(.create).isEmpty && second.targets(.delete).isEmpty)
        // Two replacements idle: two outdated (the oldest) go.
        let partly = [F.instance("x", record: F.record("x", marked: .idle)), F.instance("y", record: F.record("y", marked: .idle)),
                      F.instance("z", .building, probe: .notProbed, age: 30)]
        let aged = [F.instance("a", record: F.record("a", revision: F.old, marked: .idle, age: 9000), age: 9000),
                    F.instance("b", record: F.record("b", revision: F.old, marked: .idle, age: 8000), age: 8000),
                    F.instance("c", record: F.record("c", revision: F.old, marked: .idle, age: 7000), age: 7000)]
        let third = F.plan(aged + partly)
        #expect(third.targets(.delete) == [F.id("a"), F.id("b")])
        #expect(third.actions(.delete).allSatisfy { $0.cause == .outdated })
    }

    @Test func outdatedWithUnknownRevisionIsReplacedToo() {
        let legacy = F.instance("a", record: .some(nil))
        let p = F.plan([legacy], F.desired(F.settings(minIdle: 1)))
        #expect(p.actions(.create).count == 1)
        #expect(p.counts.outdated == 1)
    }

    @Test func noRoomToSurgeReplacesOneAtATime() {
        let outdated = ["a", "b", "c"].map { F.instance($0, record: F.record($0, revision: F.old, marked: .idle)) }
        let p = F.plan(outdated, F.desired(F.settings(minIdle: 3, maxTotal: 3)))
        #expect(p.actions(.create).isEmpty)
        #expect(p.targets(.delete).count == 1)
        #expect(p.actions(.delete).first?.reason.contains("no room to surge") == true)
    }

    @Test func outdatedProvisioningIsRemovedAtOnce() {
        let i = F.instance("a", .building, probe: .notProbed, record: F.record("a", revision: F.old), age: 30)
        let p = F.plan([i], F.desired(F.settings(minIdle: 1)))
        #expect(p.actions(.delete).map(\.cause) == [.outdated])
        #expect(p.actions(.create).count == 1)
    }

    @Test func loweringMinIdleRemovesProvisioningBeforeIdleNeverClaimed() {
        let idle = ["a", "b", "c"].map { F.instance($0, record: F.record($0, marked: .idle)) }
        let prov = F.instance("p", .building, probe: .notProbed, age: 10)
        let claimed = F.instance("k", record: F.record("k", claim: .claimed, agent: "k"), name: "convos-agent-k")
        let p = F.plan(idle + [prov, claimed], F.desired(F.settings(minIdle: 2)))
        #expect(p.actions(.delete).map(\.cause) == [.excess, .excess])
        #expect(Set(p.targets(.delete)).contains(F.id("p")))
        #expect(!p.targets(.delete).contains(F.id("k")))
    }

    @Test func loweringMaxTotalRemovesOutdatedIdleBeforeCurrentIdleNeverClaimed() {
        let claimed = (0..<3).map { F.instance("k\($0)", record: F.record("k\($0)", claim: .claimed, agent: "k\($0)"), name: "convos-agent-k\($0)") }
        let current = F.instance("a", record: F.record("a", marked: .idle))
        let outdated = F.instance("o", record: F.record("o", revision: F.old, marked: .idle))
        let p = F.plan(claimed + [current, outdated], F.desired(F.settings(minIdle: 1, maxTotal: 4)))
        #expect(p.targets(.delete) == [F.id("o")])
        // Below what claimed ones alone need: a note, never a claimed delete.
        let q = F.plan(claimed + [current], F.desired(F.settings(minIdle: 0, maxTotal: 2)))
        #expect(q.targets(.delete) == [F.id("a")])
        #expect(q.notes.contains { $0.contains("never removed automatically") })
    }

    @Test func buildFailureBackoffStopsCreatingAndSaysSo() {
        let failed = F.instance("f", .failed, probe: .notProbed, age: 300)
        let p = F.plan([failed], failures: 4)
        #expect(p.actions(.create).isEmpty)
        #expect(p.actions(.delete).map(\.cause) == [.failedBuild])
        #expect(p.notes.contains { $0.hasPrefix("not progressing: 5 consecutive failed builds") })
        // Below the threshold it keeps creating.
        #expect(F.plan([failed], failures: 3).actions(.create).count == 3)
        // Failures of an older revision do not count against the new one.
        let oldFailed = F.instance("f", .failed, probe: .notProbed, record: F.record("f", revision: F.old), age: 300)
        #expect(F.plan([oldFailed], failures: 4).actions(.create).count == 3)
        // An instance that was healthy once and then failed is not a failed build.
        let wasIdle = F.instance("f", .crashed, probe: .notProbed, record: F.record("f", marked: .idle))
        #expect(F.plan([wasIdle], failures: 4).actions(.delete).map(\.cause) == [.dead])
    }

    @Test func servicesThePoolDoesNotOwnAreNeverTouched() {
        let others = [F.unowned("convos-agent-pool-manager"), F.unowned("postgres", .crashed),
                      F.unowned("convos-agent-ABCDEFGHIJKL"), F.unowned("convos-agent-abc"),
                      F.unowned("other-prefix-aaaaaaaaaaa0"), F.unowned("convos-agent-aaaaaaaaaaa0-x"),
                      F.unowned("convos-agent-orchestrator")]
        let p = F.plan(others)
        #expect(p.actions.allSatisfy { $0.kind == .create })
        #expect(p.counts[.dead] == 0)
    }

    @Test func renamesNeverCollideWithOtherServices() {
        let claimed = F.instance("a", record: F.record("a", claim: .claimed, agent: "Trip"))
        let p = F.plan([claimed, F.unowned("convos-agent-trip", .success)])
        #expect(p.actions(.rename).map(\.name) == ["convos-agent-trip-\(F.id("a").prefix(6))"])
        // Two agents with the same name get distinct service names.
        let twin = F.instance("b", record: F.record("b", claim: .claimed, agent: "Trip"))
        let names = F.plan([claimed, twin]).actions(.rename).compactMap(\.name)
        #expect(Set(names).count == 2)
        // A name that looks like an instance id would make it look unclaimed: suffixed.
        let idLike = F.instance("c", record: F.record("c", claim: .claimed, agent: "abcdefghijk1"))
        let renamed = F.plan([idLike]).actions(.rename).first?.name ?? ""
        #expect(InstanceNaming.instanceId(fromServiceName: renamed, prefix: F.prefix) == nil)
        #expect(renamed.hasPrefix("convos-agent-abcdefghijk1-"))
    }

    @Test func slugs() {
        #expect(InstanceNaming.slug("Tokyo Trip Planner!") == "tokyo-trip-planner")
        #expect(InstanceNaming.slug("  --Émile's  bot-- ") == "mile-s-bot")
        #expect(InstanceNaming.slug("🙂") == "agent")
        #expect(InstanceNaming.slug(String(repeating: "ab ", count: 40)).count <= 40)
    }

    @Test func aBlindTickChangesNothing() {
        let p = F.plan([F.instance("a", .failed, probe: .notProbed)], complete: false)
        #expect(p.actions.isEmpty)
        #expect(p.notes.first?.contains("observation incomplete (HTTP 503)") == true)
    }

    @Test func interruptedCreatesResumeOrAreAbandoned() {
        let noService = ObservedInstance(service: nil, record: F.record("a", step: .intentRecorded, age: 30))
        let p = F.plan([noService], F.desired(F.settings(minIdle: 1)))
        #expect(p.actions(.create).map(\.resume) == [true])
        #expect(p.actions(.create).first?.instanceId == F.id("a"))
        let building = F.instance("b", .building, probe: .notProbed, record: F.record("b", step: .buildStarted, age: 30), age: 30)
        let q = F.plan([building], F.desired(F.settings(minIdle: 1)))
        #expect(q.actions(.create).map(\.serviceId) == ["svc-b"])
        let stale = ObservedInstance(service: nil, record: F.record("a", step: .serviceCreated, age: 5000))
        let r = F.plan([stale], F.desired(F.settings(minIdle: 0)))
        #expect(r.actions(.delete).map(\.cause) == [.abandoned])
        // The record names a service the listing does not show: deleting it is harmless if
        // it is gone, and no leak if it exists.
        #expect(r.actions(.delete).first?.serviceId == "svc-a")
        let never = ObservedInstance(service: nil, record: InstanceRecord(instanceId: F.id("n"), revision: F.current,
                                                                          createdAt: F.now.addingTimeInterval(-5000), createStep: .intentRecorded))
        #expect(F.plan([never], F.desired(F.settings(minIdle: 0))).actions(.delete).first?.serviceId == nil)
    }

    @Test func misconfiguredInstancesDoNotSnowballIntoCreates() {
        let bad = ["a", "b", "c"].map { F.instance($0, probe: .unauthorized) }
        #expect(F.plan(bad).actions(.create).isEmpty)
    }

    @Test func samePlanWhateverTheInputOrder() throws {
        var instances = [F.instance("a", record: F.record("a", marked: .idle)), F.instance("b", .failed, probe: .notProbed),
                         F.instance("c", record: F.record("c", claim: .claimed, agent: "C")), F.unowned("x"),
                         F.instance("d", record: F.record("d", revision: F.old, marked: .idle))]
        let first = try PoolJSON.encoder().encode(F.plan(instances))
        var g = SplitMix64(seed: 1)
        for _ in 0..<20 {
            instances.shuffle(using: &g)
            #expect(try PoolJSON.encoder().encode(F.plan(instances)) == first)
        }
    }
}

/// Counterexamples found in review, kept as tests.
@Suite struct PlannerReviewTests {
    @Test func anAdoptedInstanceIsNeverDeletedEvenWhenItStopsAnswering() {
        for status in [DeployStatus.success, .sleeping, .crashed] {
            let i = F.instance("a", status, probe: .unreachable("timeout"), record: F.record("a", marked: .adopted))
            let p = F.plan([i])
            #expect(!p.targets(.delete).contains(F.id("a")), "\(status)")
            let withConversation = F.instance("b", status, probe: .unreachable("timeout"),
                                              record: InstanceRecord(instanceId: F.id("b"), conversationId: "c1"))
            #expect(!F.plan([withConversation]).targets(.delete).contains(F.id("b")), "\(status)")
        }
    }

    @Test func aClaimedOrClaimingRecordIsNeverDeletedEvenIfRetired() {
        for claim in [InstanceRecord.Claim.claimed, .claiming] {
            let i = F.instance("a", record: F.record("a", claim: claim, agent: "Trip", retired: "x"))
            #expect(F.plan([i]).targets(.delete).isEmpty, "\(claim)")
        }
    }

    @Test func aTightRolloutNeverDipsIdleBelowMinIdle() {
        // minIdle 3, maxTotal 4: one current idle and three outdated. One outdated may go
        // (4 idle -> 3), a second must not go in the same tick.
        let current = F.instance("c", record: F.record("c", marked: .idle))
        let outdated = ["x", "y", "z"].map { F.instance($0, record: F.record($0, revision: F.old, marked: .idle)) }
        let p = F.plan([current] + outdated, F.desired(F.settings(minIdle: 3, maxTotal: 4)))
        #expect(p.targets(.delete).count == 1)
    }

    @Test func aRedeployOfAHealthyInstanceGetsTheStuckTimeout() {
        let i = F.instance("a", .deploying, probe: .notProbed, record: F.record("a", marked: .idle, healthyAgo: 30))
        let p = F.plan([i], F.desired(F.settings(minIdle: 1)))
        #expect(p.targets(.delete).isEmpty)
        #expect(p.actions(.mark).map(\.toState) == [.provisioning])
    }

    @Test func anInstanceLeavingThisTickIsNotMarkedIdleFirst() {
        let current = ["a", "b", "c"].map { F.instance($0, record: F.record($0, marked: .idle)) }
        let outdated = F.instance("o", record: F.record("o", revision: F.old, marked: .provisioning))
        let p = F.plan(current + [outdated])
        #expect(p.targets(.delete) == [F.id("o")])
        #expect(p.actions(.mark).isEmpty)
    }

    @Test func theBackoffAllowsOneProbeBuildAfterItsCooldown() {
        // Within the cooldown (stuckTimeout 15m): nothing.
        #expect(F.plan([], failures: 5, lastFailureAgo: 60).actions(.create).isEmpty)
        // After it: exactly one probe build, and none while it is still building.
        let probe = F.plan([], failures: 5, lastFailureAgo: 901)
        #expect(probe.actions(.create).count == 1)
        #expect(probe.notes.contains { $0.contains("one probe build at a time") })
        let building = F.instance("p", .building, probe: .notProbed, age: 60)
        #expect(F.plan([building], failures: 5, lastFailureAgo: 901).actions(.create).isEmpty)
        // Each further failure doubles the cooldown.
        #expect(F.plan([], failures: 6, lastFailureAgo: 901).actions(.create).isEmpty)
        #expect(F.plan([], failures: 6, lastFailureAgo: 1801).actions(.create).count == 1)
    }

    @Test func wordsAreNotInstanceIds() {
        #expect(InstanceNaming.instanceId(fromServiceName: "convos-agent-orchestrator", prefix: "convos-agent") == nil)
        #expect(InstanceNaming.instanceId(fromServiceName: "convos-agent-orchestrat0r", prefix: "convos-agent") == "orchestrat0r")
        let manager = ObservedInstance(service: PlatformService(serviceId: "svc-mgr", name: "convos-agent-orchestrator",
                                                                createdAt: F.now.addingTimeInterval(-86_400), deployStatus: .success),
                                       probe: .unreachable("404"))
        #expect(F.plan([manager]).actions.allSatisfy { $0.kind == .create })
        var g = SplitMix64(seed: 3)
        #expect(InstanceNaming.ids(500, using: &g).allSatisfy { InstanceNaming.isInstanceId(Substring($0)) })
    }

    @Test func aDuplicateServiceIsDeletedByServiceIdAndTheRecordKept() {
        let claimed = F.instance("a", record: F.record("a", claim: .claimed, agent: "Trip"), name: "convos-agent-trip")
        let duplicate = ObservedInstance(service: PlatformService(serviceId: "svc-dup", name: "convos-agent-\(F.id("a"))",
                                                                  createdAt: F.now, deployStatus: .success), probe: F.idle)
        let p = F.plan([claimed, duplicate])
        #expect(p.actions(.delete).map(\.serviceId) == ["svc-dup"])
        #expect(p.actions(.delete).map(\.cause) == [.duplicate])
        #expect(p.actions(.mark).isEmpty)
    }

    @Test func aRecordWithoutAServiceOrACreationTimeIsAbandoned() {
        let r = InstanceRecord(instanceId: F.id("a"), revision: F.current, createStep: .configured)
        #expect(F.plan([ObservedInstance(service: nil, record: r)], F.desired(F.settings(minIdle: 0))).actions(.delete).map(\.cause) == [.abandoned])
    }

    @Test func aDrainReplacesIdleInstancesOutdatedAndOldestFirst() {
        let current = [F.instance("a", record: F.record("a", marked: .idle, age: 9000), age: 9000),
                       F.instance("b", record: F.record("b", marked: .idle, age: 5000), age: 5000),
                       F.instance("c", record: F.record("c", marked: .idle, age: 1000), age: 1000)]
        let outdated = F.instance("o", record: F.record("o", revision: F.old, marked: .idle, age: 100), age: 100)
        let claimed = F.instance("k", record: F.record("k", claim: .claimed, agent: "k"), name: "convos-agent-k")
        var d = F.desired()
        d.drain = 2
        let p = F.plan(current + [outdated, claimed], d)
        #expect(p.actions(.delete).map(\.cause) == [.drained, .drained])
        #expect(Set(p.targets(.delete)) == [F.id("o"), F.id("a")])
        #expect(p.actions(.create).count == 1, "2 current idle left below minIdle 3: replaced in the same tick")
        var all = F.desired()
        all.drain = 100
        #expect(!F.plan(current + [outdated, claimed], all).targets(.delete).contains(F.id("k")), "never a claimed one")
    }

    @Test func aReplenishRaisesTheIdleTargetWithinMaxTotal() {
        let idle = ["a", "b", "c"].map { F.instance($0, record: F.record($0, marked: .idle)) }
        var d = F.desired(F.settings(minIdle: 3, maxTotal: 5, pacing: 1))
        d.extraIdle = 4
        let p = F.plan(idle, d)
        #expect(p.actions(.create).count == 2, "4 extra asked, maxTotal leaves room for 2, pacing raised with the request")
        #expect(p.actions(.create).first?.reason.contains("minIdle 3 + 4 replenish") == true)
        // While it lasts, the extra idle instances are not excess.
        let five = idle + ["d", "e"].map { F.instance($0, record: F.record($0, marked: .idle)) }
        var two = F.desired(F.settings(minIdle: 3, maxTotal: 5))
        two.extraIdle = 2
        #expect(F.plan(five, two).actions.isEmpty)
        #expect(F.plan(five, F.desired(F.settings(minIdle: 3, maxTotal: 5))).actions(.delete).count == 2, "then they are")
    }
}
