@testable import Controller
import Foundation
import Model
import Planning
import Spec
import Testing

/// Seeded random observed states: the planner's invariants must hold for every one.
/// A failure prints the seed; rerun that case alone by putting the seed in `cases`.
enum RandomWorld {
    static let statuses: [DeployStatus?] = [nil] + DeployStatus.allCases.map { $0 }

    static func settings(_ g: inout SplitMix64) -> PoolSettings {
        let minIdle = Int.random(in: 0...8, using: &g)
        return F.settings(minIdle: minIdle, maxTotal: Int.random(in: max(minIdle, 1)...16, using: &g),
                          pacing: Int.random(in: 1...5, using: &g), backoff: Int.random(in: 1...6, using: &g))
    }

    static func probe(_ g: inout SplitMix64) -> ProbeResult {
        switch Int.random(in: 0..<10, using: &g) {
        case 0: .notProbed
        case 1: .unreachable("refused")
        case 2: .notJSON("text/html")
        case 3: .unauthorized
        case 4: .status(AgentStatus(usable: true, conversationId: "conv\(Int.random(in: 0..<9, using: &g))", streaming: Bool.random(using: &g)))
        case 5: .status(AgentStatus(usable: false, conversationId: nil))
        default: F.idle
        }
    }

    static func instance(_ n: Int, _ g: inout SplitMix64) -> ObservedInstance {
        let tag = String(format: "%03d", n)
        let age = [10.0, 300, 899, 901, 3600, 50_000].randomElement(using: &g)!
        if Int.random(in: 0..<8, using: &g) == 0 {
            // Not ours: some look almost like ours.
            let names = ["manager-\(n)", "\(F.prefix)-\(tag)", "\(F.prefix)-\(F.id(tag).uppercased())", "other-\(F.id(tag))",
                         "\(F.prefix)-orchestrator", "\(F.prefix)-abcdefghij\(tag.prefix(2))x"]
            return F.unowned(names.randomElement(using: &g)!, statuses.compactMap { $0 }.randomElement(using: &g)!)
        }
        var record: InstanceRecord?
        if Int.random(in: 0..<6, using: &g) != 0 {
            let claims: [InstanceRecord.Claim] = [.none, .none, .none, .claiming, .claimed]
            let claim = claims.randomElement(using: &g)!
            record = F.record(tag, claim: claim, agent: claim == .none || Bool.random(using: &g) && claim == .claimed ? nil : "agent \(n % 4)",
                              revision: [F.current, F.current, F.old, nil].randomElement(using: &g)!,
                              marked: [nil, .idle, .provisioning, .crashed, .adopted].randomElement(using: &g)!,
                              retired: Int.random(in: 0..<10, using: &g) == 0 ? "failed claim" : nil,
                              step: CreateStep.allCases.randomElement(using: &g)!,
                              healthyAgo: [nil, 30, 5000].randomElement(using: &g)!, age: age)
        }
        if record != nil && Int.random(in: 0..<10, using: &g) == 0 {
            return ObservedInstance(service: nil, record: record)
        }
        return F.instance(tag, statuses.randomElement(using: &g)!, probe: probe(&g), record: .some(record), age: age)
    }

    static func world(seed: UInt64) -> (DesiredState, ObservedState) {
        var g = SplitMix64(seed: seed)
        let s = settings(&g)
        let instances = (0..<Int.random(in: 0...24, using: &g)).map { instance($0, &g) }
        var desired = F.desired(s, ids: s.createsPerTick, seed: seed)
        desired.drain = [0, 0, 1, 3].randomElement(using: &g)!
        return (desired,
                ObservedState(complete: Int.random(in: 0..<20, using: &g) != 0, incompleteReason: "partial",
                              consecutiveBuildFailures: Int.random(in: 0...6, using: &g), instances: instances))
    }
}

@Suite struct PlannerPropertyTests {
    static let cases = 1_000

    @Test func totalNeverExceedsMaxTotal() {
        for seed in 0..<UInt64(Self.cases) {
            let (d, o) = RandomWorld.world(seed: seed)
            let plan = Planner.plan(desired: d, observed: o, now: F.now)
            let live = Classifier.classify(o, desired: d, now: F.now).owned.filter { $0.state != .dead && $0.state != .tainted }.count
            let created = plan.actions(.create).filter { $0.resume != true }.count
            if live >= d.settings.maxTotal {
                #expect(created == 0, "seed \(seed)")
            } else {
                #expect(live + created <= d.settings.maxTotal, "seed \(seed)")
            }
        }
    }

    @Test func claimedAndClaimingInstancesAreNeverDeletedRenamedAwayOrMarkedIdle() {
        for seed in 0..<UInt64(Self.cases) {
            let (d, o) = RandomWorld.world(seed: seed)
            let plan = Planner.plan(desired: d, observed: o, now: F.now)
            for inst in o.instances {
                guard let r = inst.record, r.claim != .none || r.marked == .adopted else { continue }
                let acts = plan.actions.filter { $0.instanceId == r.instanceId }
                #expect(!acts.contains { $0.kind == .delete }, "seed \(seed): deletes claimed \(r.instanceId)")
                #expect(!acts.contains { $0.kind == .create }, "seed \(seed)")
                #expect(!acts.contains { $0.kind == .mark && [.idle, .provisioning, .dead].contains($0.toState) }, "seed \(seed)")
                if r.claim == .claiming { #expect(acts.isEmpty, "seed \(seed): touches a claim in flight") }
                for rename in acts where rename.kind == .rename {
                    let agent = r.agentName.map(InstanceNaming.slug) ?? "<none>"
                    #expect(rename.name?.hasPrefix("\(F.prefix)-\(agent)") == true, "seed \(seed): renames away to \(rename.name ?? "")")
                }
            }
        }
    }

    @Test func servicesThePoolDoesNotOwnAreNeverTouched() {
        for seed in 0..<UInt64(Self.cases) {
            let (d, o) = RandomWorld.world(seed: seed)
            let plan = Planner.plan(desired: d, observed: o, now: F.now)
            // An oracle written apart from the classifier: recorded, or named exactly
            // <prefix>-<12 of a-z0-9 with a digit>.
            let pattern = try! NSRegularExpression(pattern: "^convos-agent-(?=[a-z]*[0-9])[a-z0-9]{12}$")
            var ownedServices = Set(o.instances.compactMap { i -> String? in
                guard let s = i.service else { return nil }
                let byName = pattern.firstMatch(in: s.name, range: NSRange(s.name.startIndex..., in: s.name)) != nil
                return i.record != nil || byName ? s.serviceId : nil
            })
            // A record names its own service even when the listing does not show it.
            ownedServices.formUnion(o.instances.compactMap { $0.service == nil ? $0.record?.serviceId : nil })
            let allNames = Set(o.instances.compactMap { $0.service?.name })
            for a in plan.actions {
                if let s = a.serviceId { #expect(ownedServices.contains(s), "seed \(seed): \(a.kind) on \(s)") }
                if a.kind == .rename, let n = a.name { #expect(!allNames.contains(n), "seed \(seed): rename onto \(n)") }
                if a.kind == .create, a.resume != true { #expect(!allNames.contains(a.name ?? ""), "seed \(seed)") }
            }
        }
    }

    @Test func blindTicksNeverAct() {
        for seed in 0..<UInt64(Self.cases) {
            var (d, o) = RandomWorld.world(seed: seed)
            o.complete = false
            #expect(Planner.plan(desired: d, observed: o, now: F.now).actions.isEmpty, "seed \(seed)")
        }
    }

    @Test func planningIsDeterministicAndOrderIndependent() throws {
        for seed in 0..<UInt64(Self.cases) {
            var (d, o) = RandomWorld.world(seed: seed)
            let a = try PoolJSON.encoder().encode(Planner.plan(desired: d, observed: o, now: F.now))
            var g = SplitMix64(seed: seed ^ 0xFFFF)
            o.instances.shuffle(using: &g)
            let b = try PoolJSON.encoder().encode(Planner.plan(desired: d, observed: o, now: F.now))
            #expect(a == b, "seed \(seed)")
        }
    }

    @Test func simulatingThePlanConverges() {
        for seed in 0..<UInt64(Self.cases) {
            let (d, o) = RandomWorld.world(seed: seed)
            var world = Simulation(desired: d, observed: o)
            world.observed.complete = true
            let rounds = world.runUntilStable(maxRounds: 25)
            #expect(rounds != nil, "seed \(seed): no fixpoint in 25 rounds")
            guard rounds != nil else { continue }
            let c = Classifier.classify(world.observed, desired: world.desired, now: F.now).owned
            let s = d.settings
            let currentIdle = c.filter { $0.state == .idle && !$0.outdated }.count
            let provisioning = c.filter { $0.state == .provisioning }.count
            let live = c.filter { $0.state != .dead && $0.state != .tainted }.count
            #expect(provisioning == 0, "seed \(seed)")
            #expect(currentIdle <= s.minIdle, "seed \(seed): excess idle left")
            let misconfigured = c.filter { $0.state == .misconfigured }.count
            let backedOff = world.observed.consecutiveBuildFailures >= s.failureBackoff
            #expect(backedOff || currentIdle + misconfigured >= s.minIdle || live >= s.maxTotal,
                    "seed \(seed): stable below minIdle with room (\(currentIdle) idle, \(live)/\(s.maxTotal))")
            // Misconfigured instances count as supply (so a key mismatch cannot snowball),
            // which can leave an outdated idle one in place until the fault is fixed.
            #expect(!c.contains { $0.state == .idle && $0.outdated } || live >= s.maxTotal || backedOff || misconfigured > 0,
                    "seed \(seed): outdated idle left with room")
        }
    }

    @Test func anOutdatedRolloutNeverDipsIdleBelowMinIdleWhenCapacityAllows() {
        for seed in 0..<UInt64(Self.cases) {
            var g = SplitMix64(seed: seed)
            let minIdle = Int.random(in: 1...6, using: &g)
            let claimed = Int.random(in: 0...4, using: &g)
            // From no surge room at all (one at a time) to room for a full surge.
            let s = F.settings(minIdle: minIdle, maxTotal: minIdle + claimed + Int.random(in: 0...(minIdle + 2), using: &g),
                               pacing: Int.random(in: 1...4, using: &g))
            let surgeRoom = s.maxTotal - minIdle - claimed
            let idle = (0..<minIdle).map { F.instance("o\($0)", record: F.record("o\($0)", revision: F.old, marked: .idle)) }
            let agents = (0..<claimed).map { F.instance("k\($0)", record: F.record("k\($0)", claim: .claimed, agent: "k\($0)")) }
            var world = Simulation(desired: F.desired(s, ids: s.createsPerTick, seed: seed), observed: ObservedState(instances: idle + agents))
            for _ in 0..<40 {
                if !world.step() { break }
                let c = Classifier.classify(world.observed, desired: world.desired, now: F.now).owned
                // With room to surge, idle never dips; with none, by one at most.
                #expect(c.filter { $0.state == .idle }.count >= minIdle - (surgeRoom == 0 ? 1 : 0), "seed \(seed): idle dipped")
            }
            let end = Classifier.classify(world.observed, desired: world.desired, now: F.now).owned
            #expect(end.filter { $0.state == .idle && !$0.outdated }.count == minIdle, "seed \(seed): rollout incomplete")
            #expect(!end.contains { $0.outdated }, "seed \(seed)")
        }
    }
}

/// Applies plans to an observed state the way a healthy platform would, then lets the
/// provisioning instances finish, so re-planning can be checked for convergence.
struct Simulation {
    var desired: DesiredState
    var observed: ObservedState
    var round: UInt64 = 0

    /// One tick: plan, apply, let time pass. False when the plan had no actions at all.
    mutating func step() -> Bool {
        let plan = Planner.plan(desired: desired, observed: observed, now: F.now)
        apply(plan)
        settle()
        round += 1
        desired.drain = 0  // a drain request is served by one tick
        var g = SplitMix64(seed: round &* 7919)
        desired.newInstanceIds = InstanceNaming.ids(desired.settings.createsPerTick, using: &g)
        return plan.hasChanges
    }

    mutating func runUntilStable(maxRounds: Int) -> Int? {
        for r in 0..<maxRounds where !step() { return r }
        return nil
    }

    mutating func apply(_ plan: Plan) {
        for a in plan.actions {
            switch a.kind {
            case .delete:
                // The service named (if listed), or the record-only instance.
                observed.instances.removeAll { i in
                    if let s = a.serviceId, i.service?.serviceId == s { return true }
                    return i.service == nil && i.record?.instanceId == a.instanceId
                }
                if a.cause == .failedBuild {
                    observed.consecutiveBuildFailures += 1
                    observed.lastBuildFailureAt = F.now
                }
            case .create:
                guard case .create(let c) = a else { continue }
                observed.instances.removeAll { $0.record?.instanceId == c.instanceId }
                let rec = InstanceRecord(instanceId: c.instanceId, serviceId: "svc-\(c.instanceId)", revision: c.revision,
                                         createdAt: F.now, createStep: .pinned)
                observed.instances.append(ObservedInstance(
                    service: PlatformService(serviceId: "svc-\(c.instanceId)", name: c.name, createdAt: F.now, deployStatus: .building),
                    probe: .notProbed, record: rec))
            case .rename:
                guard case .rename(let r) = a else { continue }
                if let i = observed.instances.firstIndex(where: { $0.service?.serviceId == r.serviceId }) {
                    observed.instances[i].service?.name = r.name
                }
            case .mark:
                guard let i = index(of: a) else { continue }
                var r = observed.instances[i].record ?? InstanceRecord(instanceId: a.instanceId, serviceId: a.serviceId)
                r.marked = a.toState
                if a.toState == .adopted { r.claim = .claimed; r.agentName = nil }
                if a.toState == .idle, r.revision == desired.revision { observed.consecutiveBuildFailures = 0 }
                observed.instances[i].record = r
            }
        }
    }

    func index(of a: PlanAction) -> Int? {
        observed.instances.firstIndex { $0.record?.instanceId == a.instanceId }
            ?? observed.instances.firstIndex { $0.service?.serviceId == a.serviceId && a.serviceId != nil }
    }

    /// Every provisioning instance finishes its build and answers ready.
    mutating func settle() {
        let owned = Classifier.classify(observed, desired: desired, now: F.now).owned
        for c in owned where c.state == .provisioning {
            guard let i = observed.instances.firstIndex(where: { $0 == c.observed }) else { continue }
            if observed.instances[i].service == nil {
                observed.instances[i].service = PlatformService(serviceId: "svc-\(c.instanceId)", name: "\(F.prefix)-\(c.instanceId)",
                                                                createdAt: F.now, deployStatus: .success)
            }
            observed.instances[i].service?.deployStatus = .success
            observed.instances[i].probe = F.idle
            observed.instances[i].record?.createStep = .pinned
        }
    }
}
