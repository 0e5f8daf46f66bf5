import Foundation
import Model
import Planning
import Spec
import Testing

/// The planner's part of images and placements: Railway's pace for projectCreate, reuse
/// of empty projects, the shared project's service cap, an image not resolved yet.
@Suite struct PlacementPlanningTests {
    static func railway(_ placement: Placement, cap: Int = 100, interval: TimeInterval = 30) -> RailwaySpec {
        var r = RailwaySpec()
        r.placement = placement
        r.workspaceId = placement == .projectPerInstance ? "ws" : nil
        r.projectId = placement == .sharedProject ? "p" : nil
        r.environmentId = placement == .sharedProject ? "e" : nil
        r.maxServicesPerProject = cap
        r.projectCreateInterval = interval
        return r
    }

    static func desired(_ s: PoolSettings, _ railway: RailwaySpec, tokens: Int = 1, unresolved: Bool = false) -> DesiredState {
        var d = F.desired(s)
        d.railway = railway
        d.projectCreateTokens = tokens
        d.imageUnresolved = unresolved
        return d
    }

    static func project(_ name: String, services: Int = 0, ago: TimeInterval = 3600) -> PlatformProject {
        PlatformProject(projectId: "prj-\(name)", name: name, createdAt: F.now.addingTimeInterval(-ago),
                        environmentId: "env-\(name)", serviceCount: services)
    }

    static func plan(_ instances: [ObservedInstance], projects: [PlatformProject], _ d: DesiredState) -> Plan {
        var observed = ObservedState(instances: instances)
        observed.projects = projects
        return Planner.plan(desired: d, observed: observed, now: F.now)
    }

    @Test func newProjectsArePacedOnePerIntervalPerToken() {
        let d = Self.desired(F.settings(minIdle: 3, pacing: 3), Self.railway(.projectPerInstance))
        let first = Self.plan([], projects: [], d)
        #expect(first.count(.create) == 1)
        #expect(first.actions(.create).allSatisfy { $0.projectId == nil })
        #expect(first.notes.contains { $0.hasPrefix("paced: 2 create(s) wait for projectCreate") })
        // One made 10 s ago: none this tick.
        let made = Self.project("\(F.prefix)-\(F.id("z"))", services: 1, ago: 10)
        #expect(Self.plan([], projects: [made], d).count(.create) == 0)
        // Three tokens: three at once.
        #expect(Self.plan([], projects: [], Self.desired(F.settings(minIdle: 3, pacing: 3), Self.railway(.projectPerInstance), tokens: 3)).count(.create) == 3)
    }

    @Test func emptyProjectsAreReusedWithoutPaceAndClaimedOnesNever() {
        let d = Self.desired(F.settings(minIdle: 3, pacing: 3), Self.railway(.projectPerInstance))
        let kept = [Self.project("\(F.prefix)-\(F.id("k1"))"), Self.project("\(F.prefix)-\(F.id("k2"))")]
        let claimed = Self.project("\(F.prefix)-alice-\(F.id("c"))")
        let full = Self.project("\(F.prefix)-\(F.id("f"))", services: 1)
        let p = Self.plan([], projects: kept + [claimed, full], d)
        let creates = p.actions(.create)
        #expect(creates.count == 3, "two reused, one new in pace")
        #expect(Set(creates.compactMap(\.projectId)) == Set(kept.map(\.projectId)))
        #expect(!creates.contains { $0.projectId == claimed.projectId || $0.projectId == full.projectId })
        #expect(p.actions(.delete).isEmpty)
    }

    @Test func anInterruptedCreateTakesTheProjectNamedForIt() {
        let d = Self.desired(F.settings(minIdle: 1, pacing: 1), Self.railway(.projectPerInstance))
        let own = Self.project("\(F.prefix)-\(F.id("r"))", ago: 5)
        let other = Self.project("\(F.prefix)-\(F.id("o"))", ago: 4000)
        let interrupted = ObservedInstance(service: nil, record: F.record("r", step: .intentRecorded, age: 5))
        let p = Self.plan([interrupted], projects: [other, own], d)
        let resume = p.actions(.create).first { $0.resume == true }
        #expect(resume?.instanceId == F.id("r"))
        #expect(resume?.projectId == own.projectId, "its own project, not another, and no new one")
    }

    @Test func leftoverEmptyProjectsGoOnceOlderThanStuckTimeout() {
        let d = Self.desired(F.settings(minIdle: 0, pacing: 3, stuck: 900), Self.railway(.projectPerInstance))
        let old = Self.project("\(F.prefix)-\(F.id("o"))", ago: 901)
        let young = Self.project("\(F.prefix)-\(F.id("y"))", ago: 60)
        let claimed = Self.project("\(F.prefix)-bob-\(F.id("c"))", ago: 99_999)
        let deletes = Self.plan([], projects: [old, young, claimed], d).actions(.delete)
        #expect(deletes.map(\.projectId) == [old.projectId])
        #expect(deletes.first?.cause == .emptyProject && deletes.first?.serviceId == nil)
    }

    @Test func aClaimedInstancesProjectGoesWithItAndAnUnclaimedOneIsKept() {
        let d = Self.desired(F.settings(minIdle: 0, maxTotal: 10), Self.railway(.projectPerInstance))
        func inProject(_ i: ObservedInstance) -> ObservedInstance {
            var i = i
            let name = i.service?.name ?? ""
            i.service?.project = Self.project(name, services: 1)
            return i
        }
        // Never handed out: a build that failed.
        let tainted = inProject(F.instance("t", .failed, record: F.record("t", marked: .provisioning)))
        // A failed claim retired it: the agent may have written to it.
        let retired = inProject(F.instance("r", record: F.record("r", retired: "claim failed")))
        // A claimed agent that asked to go (self-destruct): it goes, project and all.
        var leaving = F.record("x", claim: .claimed, agent: "Ann", marked: .claimed)
        leaving.selfDestructAt = F.now
        let claimed = inProject(F.instance("x", record: leaving))
        let p = Self.plan([tainted, claimed, retired], projects: [tainted, claimed, retired].map { $0.service!.project! }, d)
        let byId = Dictionary(uniqueKeysWithValues: p.actions(.delete).map { ($0.instanceId, $0) })
        #expect(byId[F.id("t")] != nil && byId[F.id("t")]?.projectId == nil, "an unclaimed instance's project is kept for reuse")
        #expect(byId[F.id("x")]?.projectId == claimed.service?.project?.projectId, "a claimed instance's project is never reused")
        #expect(byId[F.id("r")]?.projectId == retired.service?.project?.projectId, "nor one a failed claim may have written to")
    }

    @Test func theSharedProjectsCapBoundsCreates() {
        let d = Self.desired(F.settings(minIdle: 5, maxTotal: 10, pacing: 5), Self.railway(.sharedProject, cap: 4))
        let foreign = (0..<2).map { F.unowned("other-\($0)", .success) }
        let p = Self.plan(foreign, projects: [], d)
        #expect(p.count(.create) == 2)
        #expect(p.notes.contains { $0.hasPrefix("at the project's service cap: 2 services in the shared project (maxServicesPerProject 4)") })
        // projectPerInstance has no such cap.
        let q = Self.plan(foreign, projects: [], Self.desired(F.settings(minIdle: 5, maxTotal: 10, pacing: 5), Self.railway(.projectPerInstance), tokens: 5))
        #expect(q.count(.create) == 5)
    }

    @Test func anUnresolvedImageCreatesRollsAndDeletesNothing() {
        let d = Self.desired(F.settings(minIdle: 3), Self.railway(.sharedProject), unresolved: true)
        let outdated = F.instance("o", record: F.record("o", revision: F.old, marked: .idle))
        let dead = F.instance("d", .failed, record: F.record("d", marked: .provisioning))
        let p = Self.plan([outdated, dead], projects: [], d)
        #expect(p.count(.create) == 0 && p.count(.delete) == 0)
        #expect(p.notes.contains { $0.contains("the image's digest is not known yet") })
    }

    /// Whatever the projects look like: a project is reused at most once, only when empty
    /// and unclaimed, and new projects never exceed the pace.
    @Test func reuseAndPaceHoldForAnyProjects() {
        var g = SplitMix64(seed: 2026)
        for round in 0..<300 {
            let tokens = Int(g.next() % 3) + 1
            let minIdle = Int(g.next() % 8)
            let d = Self.desired(F.settings(minIdle: minIdle, maxTotal: 12, pacing: Int(g.next() % 5) + 1),
                                 Self.railway(.projectPerInstance), tokens: tokens)
            let projects: [PlatformProject] = (0..<Int(g.next() % 8)).map { k in
                let claimed = g.next() % 4 == 0
                let name = claimed ? "\(F.prefix)-agent\(k)-\(F.id("p\(k)"))" : "\(F.prefix)-\(F.id("p\(k)"))"
                return Self.project(name, services: g.next() % 3 == 0 ? 1 : 0, ago: Double(g.next() % 3_000))
            }
            let p = Self.plan([], projects: projects, d)
            let byId = Dictionary(uniqueKeysWithValues: projects.map { ($0.projectId, $0) })
            let reused = p.actions(.create).compactMap(\.projectId)
            #expect(Set(reused).count == reused.count, "round \(round): a project reused twice")
            for id in reused {
                let project = byId[id]
                #expect(project?.serviceCount == 0, "round \(round): reused a project that holds a service")
                #expect(InstanceNaming.instanceId(fromServiceName: project?.name ?? "", prefix: F.prefix) != nil,
                        "round \(round): reused a claimed project")
            }
            let recent = projects.filter { F.now.timeIntervalSince($0.createdAt) < 30 }.count
            let fresh = p.actions(.create).filter { $0.projectId == nil }.count
            #expect(fresh <= max(0, tokens - recent), "round \(round): \(fresh) new projects past the pace")
            #expect(!p.actions(.delete).contains { d in reused.contains(d.projectId ?? "") }, "round \(round): reused and deleted")
        }
    }
}

extension PlacementPlanningTests {
    /// An adopted instance (claimed by an unknown agent, never renamed) that asks to go:
    /// its project goes with it.
    @Test func anAdoptedInstancesProjectGoesWithItWhenItAsksToGo() {
        let d = Self.desired(F.settings(minIdle: 0), Self.railway(.projectPerInstance))
        // As the store leaves it: adopted, no agent, a conversation, and its request to go.
        var record = F.record("a", claim: .none, marked: .adopted)
        record.conversationId = "conv-a"
        record.selfDestructAt = F.now
        var adopted = F.instance("a", record: record)
        let project = Self.project(adopted.service!.name, services: 1)
        adopted.service?.project = project
        let delete = Self.plan([adopted], projects: [project], d).actions(.delete).first
        #expect(delete?.projectId == project.projectId)
    }

    /// The executor's own reservation of a delete ("deleting: ...") is no claim: an
    /// unclaimed instance whose delete is retried keeps its project for reuse.
    @Test func aRetriedDeleteOfAnUnclaimedInstanceKeepsItsProject() {
        let d = Self.desired(F.settings(minIdle: 0), Self.railway(.projectPerInstance))
        var record = F.record("u", marked: .provisioning)
        record.retiredReason = "deleting: dead: deploy FAILED"
        var dead = F.instance("u", .failed, record: record)
        let project = Self.project(dead.service!.name, services: 1)
        dead.service?.project = project
        let delete = Self.plan([dead], projects: [project], d).actions(.delete).first
        #expect(delete != nil && delete?.projectId == nil)
    }

    /// A recorded project the listing no longer shows is gone: the delete goes by service
    /// (and forgets the record) instead of being refused every tick.
    @Test func aRecordedProjectThatIsGoneIsNotNamedByTheDelete() {
        let d = Self.desired(F.settings(minIdle: 0), Self.railway(.projectPerInstance))
        var record = F.record("g", claim: .claimed, agent: "Gus", marked: .claimed)
        record.selfDestructAt = F.now
        record.projectId = "prj-deleted-before-a-crash"
        let delete = Self.plan([ObservedInstance(service: nil, record: record)], projects: [], d).actions(.delete).first
        #expect(delete != nil && delete?.projectId == nil)
    }

    /// A project a record names is that instance's, whatever its name: never reused.
    @Test func aProjectARecordNamesIsNeverReused() {
        let d = Self.desired(F.settings(minIdle: 1, pacing: 1), Self.railway(.projectPerInstance))
        // A claimed instance that went into a kept project named for another id, whose
        // service has vanished before its project was renamed.
        let kept = Self.project("\(F.prefix)-\(F.id("old"))")
        var record = F.record("b", claim: .claimed, agent: "Bea", marked: .claimed)
        record.projectId = kept.projectId
        let vanished = ObservedInstance(service: nil, record: record)
        let creates = Self.plan([vanished], projects: [kept], d).actions(.create)
        #expect(!creates.contains { $0.projectId == kept.projectId })
    }
}
