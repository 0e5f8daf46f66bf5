import Foundation
import Observers
import Spec

/// `plan(desired, observed, now) -> Plan`: the rules of DESIGN.md section 4 as a pure,
/// deterministic function. No I/O, no clock, no randomness: same inputs, same plan.
public enum Planner {
    public static func plan(desired: DesiredState, observed: ObservedState, now: Date) -> Plan {
        let result = Classifier.classify(observed, desired: desired, now: now)
        var counts = Dictionary(uniqueKeysWithValues: InstanceState.allCases.map { ($0.rawValue, 0) })
        for i in result.owned { counts[i.state.rawValue, default: 0] += 1 }
        counts["outdated"] = result.owned.filter(\.outdated).count
        var plan = Plan(environment: desired.environment, revision: desired.revision,
                        actions: [], notes: [], counts: counts)

        guard observed.complete else {
            // Blind tick: a partial list must never look like deleted services.
            plan.notes.append("observation incomplete (\(observed.incompleteReason ?? "unknown reason")): nothing is created, deleted, renamed or marked this tick")
            return plan
        }
        var rules = Rules(desired: desired, owned: result.owned, serviceNames: result.serviceNames,
                          buildFailures: observed.consecutiveBuildFailures,
                          sinceLastFailure: observed.lastBuildFailureAt.map { now.timeIntervalSince($0) })
        let changes = rules.deletesAndCreates()
        // An instance leaving this tick is not marked: marking it idle first would let a
        // claim take it just before its service is deleted.
        let leaving = Set(changes.filter { $0.kind == .delete && $0.cause != .duplicate }.map(\.instanceId))
        plan.actions = rules.marks().filter { !leaving.contains($0.instanceId) } + rules.renames() + changes
        plan.notes = rules.notes
        return plan
    }
}

/// The planner's working set for one tick. Each method applies one group of rules.
struct Rules {
    let desired: DesiredState
    let owned: [ClassifiedInstance]
    let serviceNames: [String: Int]
    let buildFailures: Int
    /// Time since the last recorded build failure, when there is one.
    let sinceLastFailure: TimeInterval?
    var notes: [String] = []

    init(desired: DesiredState, owned: [ClassifiedInstance], serviceNames: [String: Int], buildFailures: Int,
         sinceLastFailure: TimeInterval?) {
        self.desired = desired
        self.owned = owned
        self.serviceNames = serviceNames
        self.buildFailures = buildFailures
        self.sinceLastFailure = sinceLastFailure
    }

    /// How long creates stay paused after the backoff triggers: the stuck timeout, doubled
    /// for each further failure, at most a day. Then one probe build is allowed.
    func cooldown(failures: Int) -> TimeInterval {
        let doublings = min(max(0, failures - settings.failureBackoff), 10)
        return min(settings.stuckTimeout * Double(1 << doublings), 86_400)
    }

    var settings: PoolSettings { desired.settings }

    func short(_ revision: String?) -> String { revision.map { String($0.prefix(8)) } ?? "unknown" }

    /// Record state transitions the store must know: idle (claimable), leaving idle,
    /// crashed, adopted, misconfigured. Dead and tainted ones are deleted instead.
    func marks() -> [PlanAction] {
        owned.compactMap { i in
            let recorded = i.record?.marked
            guard i.state != recorded else { return nil }
            switch i.state {
            case .idle, .crashed, .adopted, .misconfigured:
                return .mark(i, reason: i.why)
            case .provisioning where recorded != nil:
                // e.g. idle -> provisioning: it stopped answering, so it must not be claimable.
                return .mark(i, reason: i.why)
            case .claimed where recorded == .crashed:
                return .mark(i, reason: "recovered: \(i.why)")
            default:
                return nil
            }
        }
    }

    /// Claimed instances carry their agent's name. Crashed ones wait for the operator.
    mutating func renames() -> [PlanAction] {
        var names = serviceNames
        var out: [PlanAction] = []
        for i in owned where i.state == .claimed {
            guard let service = i.service, let agent = i.record?.agentName else { continue }
            // Taken: carried by any other service, or planned for one.
            let taken: (String) -> Bool = { ($0 == service.name ? (names[$0] ?? 0) - 1 : names[$0] ?? 0) > 0 }
            let target = InstanceNaming.claimedName(prefix: desired.prefix, agentName: agent,
                                                    instanceId: i.instanceId, current: service.name, taken: taken)
            if target != service.name {
                names[service.name, default: 1] -= 1
                names[target, default: 0] += 1
                out.append(.rename(i, to: target, reason: "claimed by \"\(agent)\""))
            }
        }
        return out
    }

    mutating func deletesAndCreates() -> [PlanAction] {
        var deletes: [PlanAction] = []
        var deleted: Set<ObjectIdentifier> = []
        func delete(_ i: ClassifiedInstance, _ cause: DeleteCause, _ reason: String) {
            deletes.append(.delete(i, cause: cause, reason: reason))
            deleted.insert(ObjectIdentifier(i))
        }

        // Dead and tainted: gone for good.
        for i in owned {
            switch i.state {
            case .dead where i.duplicate: delete(i, .duplicate, "duplicate: \(i.why)")
            case .dead where i.service == nil: delete(i, .abandoned, "abandoned: \(i.why)")
            case .dead: delete(i, i.failedBuild ? .failedBuild : .dead, "dead: \(i.why)")
            case .tainted: delete(i, .tainted, "tainted: \(i.why)")
            default: break
            }
        }

        // The idle target: minIdle, raised by replenish requests in effect.
        let minIdle = settings.minIdle + max(0, desired.extraIdle)
        let target = desired.extraIdle > 0 ? "minIdle \(settings.minIdle) + \(desired.extraIdle) replenish" : "minIdle \(settings.minIdle)"
        let live = owned.filter { $0.state != .dead && $0.state != .tainted }
        // Drain: replace up to N idle instances (outdated first, then the oldest). They
        // leave the supply, so the creates below replace them in the same tick.
        let idleByDrainOrder = live.filter { $0.state == .idle && $0.outdated }.sorted(by: oldestFirst)
            + live.filter { $0.state == .idle && !$0.outdated }.sorted(by: oldestFirst)
        for i in idleByDrainOrder.prefix(max(0, desired.drain)) {
            delete(i, .drained, "drained by request (\(desired.drain) asked)")
        }
        let currentIdle = live.filter { $0.state == .idle && !$0.outdated && !deleted.contains(ObjectIdentifier($0)) }
        let currentProvisioning = live.filter { $0.state == .provisioning && !$0.outdated }
        let outdatedIdle = live.filter { $0.state == .idle && $0.outdated && !deleted.contains(ObjectIdentifier($0)) }
            .sorted(by: oldestFirst)
        let outdatedProvisioning = live.filter { $0.state == .provisioning && $0.outdated }
        let misconfigured = live.filter { $0.state == .misconfigured }.count
        let to = short(desired.revision)

        // Outdated provisioning: not idle yet, so removing it never lowers idle.
        for i in outdatedProvisioning {
            delete(i, .outdated, "outdated provisioning (revision \(short(i.revision)) → \(to))")
        }

        let newFailures = owned.filter { $0.state == .dead && $0.failedBuild }.count
        let failures = buildFailures + newFailures
        // Past the cooldown (and with no failure seen this tick) one probe build may go:
        // a passing outage must not leave the pool empty until someone edits the spec.
        let probeAllowed = newFailures == 0 && (sinceLastFailure.map { $0 >= cooldown(failures: failures) } ?? true)
        let backedOff = failures >= settings.failureBackoff && !probeAllowed
        // Misconfigured instances count as supply, so a key mismatch cannot snowball into
        // creating up to maxTotal instances that all answer 401.
        let supply = currentIdle.count + currentProvisioning.count + misconfigured
        let deficit = max(0, minIdle - supply)
        // Planned deletes free no room until they happened: a failed delete plus a
        // successful create must still stay within maxTotal.
        let room = max(0, settings.maxTotal - live.count)
        let existingIds = Set(owned.map(\.instanceId))
        let freshIds = desired.newInstanceIds.filter { !existingIds.contains($0) }
        let probing = failures >= settings.failureBackoff && !backedOff
        let provisioningNow = currentProvisioning.count
        let createCount = backedOff || (probing && provisioningNow > 0) ? 0
            : min(deficit, room, probing ? 1 : settings.createsPerTick + max(0, desired.extraIdle), freshIds.count)
        if backedOff && deficit > 0 {
            notes.append("not progressing: \(failures) consecutive failed builds of revision \(to) (failureBackoff \(settings.failureBackoff)); creates are paused, a probe build goes after \(DurationText.format(cooldown(failures: failures))) (or fix the build and change the spec)")
        } else if probing && deficit > 0 {
            notes.append("not progressing: \(failures) consecutive failed builds of revision \(to); cooldown over, one probe build at a time")
        } else if deficit > room {
            notes.append("maxTotal \(settings.maxTotal) reached with \(live.count) instances: \(deficit - createCount) short of \(target)")
        }

        // Outdated idle, surge-first: delete only what the current idle already cover.
        var removable = max(0, currentIdle.count + outdatedIdle.count - minIdle)
        for i in outdatedIdle where removable > 0 {
            delete(i, .outdated, "outdated idle (revision \(short(i.revision)) → \(to)); \(currentIdle.count) current idle cover \(target)")
            removable -= 1
        }
        // No room to surge under maxTotal and nothing else freeing any: replace one at a time.
        let outdatedLeft = outdatedIdle.filter { !deleted.contains(ObjectIdentifier($0)) }
        if let oldest = outdatedLeft.first, outdatedLeft.count == outdatedIdle.count,
           deficit > 0, createCount == 0, room == 0, !backedOff,
           currentProvisioning.isEmpty, outdatedProvisioning.isEmpty {
            delete(oldest, .outdated, "outdated idle (revision \(short(oldest.revision)) → \(to)); maxTotal \(settings.maxTotal) leaves no room to surge, replacing one at a time")
        }

        // Scale down: lowered minIdle removes current provisioning then idle; lowered
        // maxTotal also takes outdated idle first. Never claimed, crashed or adopted ones.
        let newestFirst: (ClassifiedInstance, ClassifiedInstance) -> Bool = { !oldestFirst($0, $1) }
        var overIdle = currentIdle.count + currentProvisioning.count - minIdle
        var overTotal = live.count - deleted.intersection(live.map(ObjectIdentifier.init)).count - settings.maxTotal
        for i in currentProvisioning.sorted(by: newestFirst) + currentIdle.sorted(by: newestFirst)
        where overIdle > 0 && !deleted.contains(ObjectIdentifier(i)) {
            delete(i, .excess, "excess \(i.state.rawValue): \(currentIdle.count) idle + \(currentProvisioning.count) provisioning above \(target)")
            overIdle -= 1
            overTotal -= 1
        }
        let byTotal = currentProvisioning.sorted(by: newestFirst) + outdatedIdle + currentIdle.sorted(by: newestFirst)
        for i in byTotal where overTotal > 0 && !deleted.contains(ObjectIdentifier(i)) {
            delete(i, .excess, "over maxTotal \(settings.maxTotal): \(live.count) instances")
            overTotal -= 1
        }
        if overTotal > 0 {
            notes.append("over maxTotal \(settings.maxTotal) by \(overTotal) with only claimed, crashed or adopted instances left: they are never removed automatically")
        }

        // Creates: resumes of interrupted sequences first, then the deficit.
        var creates: [PlanAction] = []
        for i in live where i.state == .provisioning && !deleted.contains(ObjectIdentifier(i)) {
            guard let step = i.record?.createStep, !step.isComplete, let revision = i.revision else { continue }
            creates.append(.create(id: i.instanceId, name: i.service?.name ?? InstanceNaming.serviceName(prefix: desired.prefix, instanceId: i.instanceId),
                                   revision: revision, serviceId: i.service?.serviceId, resume: true,
                                   reason: "resume interrupted create (last completed step: \(step.rawValue))"))
        }
        for id in freshIds.prefix(createCount) {
            creates.append(.create(id: id, name: InstanceNaming.serviceName(prefix: desired.prefix, instanceId: id),
                                   revision: desired.revision,
                                   reason: "\(currentIdle.count) idle + \(currentProvisioning.count) provisioning below \(target)"))
        }
        if !desired.newInstanceIds.isEmpty && freshIds.count < min(deficit, room, settings.createsPerTick + max(0, desired.extraIdle)) && !backedOff {
            notes.append("fewer new instance ids than the deficit: the caller passed \(desired.newInstanceIds.count)")
        }
        deletes.sort { ($0.instanceId, $0.serviceId ?? "") < ($1.instanceId, $1.serviceId ?? "") }
        return deletes + creates
    }
}

/// Oldest first, ties broken by id so the order never depends on input order.
func oldestFirst(_ a: ClassifiedInstance, _ b: ClassifiedInstance) -> Bool {
    (a.createdAt, a.instanceId) < (b.createdAt, b.instanceId)
}
