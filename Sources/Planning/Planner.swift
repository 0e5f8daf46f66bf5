import Foundation
import Model
import Spec

/// What one planning pass returns: the plan, and the classification it was made from, so
/// the executor and the status route use the same states instead of deriving them again.
public struct PlanningResult: Sendable {
    public var plan: Plan
    public var classification: Classification
}

/// `plan(desired, observed, now) -> Plan`: the rules of docs/design.md section 4 as a pure,
/// deterministic function. No I/O, no clock, no randomness: same inputs, same plan. This
/// target depends on nothing but `Spec` and `Model`, so the compiler keeps it that way.
public enum Planner {
    public static func plan(desired: DesiredState, observed: ObservedState, now: Date) -> Plan {
        planAndClassify(desired: desired, observed: observed, now: now).plan
    }

    public static func planAndClassify(desired: DesiredState, observed: ObservedState, now: Date) -> PlanningResult {
        let classification = Classifier.classify(observed, desired: desired, now: now)
        var plan = Plan(environment: desired.environment, revision: desired.revision, counts: classification.counts)
        guard observed.complete else {
            // Blind tick: a partial list must never look like deleted services.
            plan.notes.append("observation incomplete (\(observed.incompleteReason ?? "unknown reason")): nothing is created, deleted, renamed or marked this tick")
            return PlanningResult(plan: plan, classification: classification)
        }
        var rules = Rules(desired: desired, owned: classification.owned, serviceNames: classification.serviceNames,
                          buildFailures: observed.consecutiveBuildFailures,
                          sinceLastFailure: observed.lastBuildFailureAt.map { now.timeIntervalSince($0) },
                          projects: observed.projects,
                          sharedServices: observed.instances.filter { $0.service != nil && $0.service?.project == nil }.count,
                          now: now)
        // The rules in the order docs/design.md section 4 lists them; each adds its deletes
        // to the working set the later ones read.
        let marks = rules.marks()
        let renames = rules.renames()
        guard !desired.imageUnresolved else {
            // The current revision is unknown: every instance would look outdated.
            plan.actions = marks + renames
            plan.notes = rules.notes + ["the image's digest is not known yet (the registry has not answered since start): nothing is created, rolled or deleted until it is"]
            return PlanningResult(plan: plan, classification: classification)
        }
        rules.deleteDeadAndTainted()
        let supply = rules.drain()
        let budget = rules.backoff(supply)
        rules.replaceOutdated(supply, budget)
        rules.scaleDown(supply)
        let (creates, projectDeletes) = rules.creates(supply, budget)
        // An instance leaving this tick is not marked: marking it idle first would let a
        // claim take it just before its service is deleted.
        let leaving = Set(rules.deletes.filter { $0.cause != .duplicate }.map(\.instanceId))
        let deletes = rules.deletes.sorted { ($0.instanceId, $0.serviceId ?? "") < ($1.instanceId, $1.serviceId ?? "") }
        plan.actions = marks.filter { !leaving.contains($0.instanceId) } + renames + deletes + projectDeletes + creates
        plan.notes = rules.notes
        return PlanningResult(plan: plan, classification: classification)
    }
}

/// The planner's working set for one tick: the owned instances, and the deletes the rules
/// have planned so far. Each rule is one method, in Rules/.
struct Rules {
    let desired: DesiredState
    let owned: [ClassifiedInstance]
    let serviceNames: [String: Int]
    let buildFailures: Int
    /// Time since the last recorded build failure, when there is one.
    let sinceLastFailure: TimeInterval?
    /// The pool's own projects (placement projectPerInstance).
    let projects: [PlatformProject]
    /// Their ids, for the deletes that name one.
    let listedProjects: Set<String>
    /// Services in the shared project's environment, the pool's or not (its service cap).
    let sharedServices: Int
    let now: Date
    private(set) var deletes: [PlanAction] = []
    private var deleted: Set<ObjectIdentifier> = []
    var notes: [String] = []

    init(desired: DesiredState, owned: [ClassifiedInstance], serviceNames: [String: Int], buildFailures: Int,
         sinceLastFailure: TimeInterval?, projects: [PlatformProject] = [], sharedServices: Int = 0, now: Date = .distantPast) {
        self.projects = projects
        self.listedProjects = Set(projects.map(\.projectId))
        self.sharedServices = sharedServices
        self.now = now
        self.desired = desired
        self.owned = owned
        self.serviceNames = serviceNames
        self.buildFailures = buildFailures
        self.sinceLastFailure = sinceLastFailure
    }

    var settings: PoolSettings { desired.settings }

    mutating func delete(_ i: ClassifiedInstance, _ cause: DeleteCause, _ reason: String) {
        var action = PlanAction.delete(i, cause: cause, reason: reason)
        // A recorded project the listing no longer shows is gone already (deleted before a
        // crash, or by hand): the service goes by its id, and the record with it.
        if case .delete(var d) = action, let p = d.projectId, !listedProjects.contains(p) {
            d.projectId = nil
            action = .delete(d)
        }
        deletes.append(action)
        deleted.insert(ObjectIdentifier(i))
    }

    func isDeleted(_ i: ClassifiedInstance) -> Bool { deleted.contains(ObjectIdentifier(i)) }

    func short(_ revision: String?) -> String { revision.map { String($0.prefix(8)) } ?? "unknown" }
}

/// The live instances after drain, split the way the supply rules read them.
struct Supply {
    /// Everything not dead or tainted: what counts against maxTotal.
    var live: [ClassifiedInstance]
    var currentIdle: [ClassifiedInstance]
    var currentProvisioning: [ClassifiedInstance]
    /// Oldest first.
    var outdatedIdle: [ClassifiedInstance]
    var outdatedProvisioning: [ClassifiedInstance]
    var misconfigured: Int
    /// minIdle, raised by replenish requests in effect.
    var minIdle: Int
    /// The idle target, said for people.
    var target: String
}

/// Oldest first, ties broken by id so the order never depends on input order.
func oldestFirst(_ a: ClassifiedInstance, _ b: ClassifiedInstance) -> Bool {
    (a.createdAt, a.instanceId) < (b.createdAt, b.instanceId)
}
