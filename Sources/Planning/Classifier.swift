import Foundation
import Model
import Spec

/// An owned instance with the state derived for it this tick and why. A class, immutable:
/// the planner sorts and filters thousands of these, and moving a reference is cheap
/// where copying the whole observation is not.
public final class ClassifiedInstance: Sendable {
    public let instanceId: String
    public let observed: ObservedInstance
    public let state: InstanceState
    /// Why it is in that state, for reasons and the dashboard.
    public let why: String
    /// Built from another revision than the current spec's (or an unknown one).
    public let outdated: Bool
    /// Died without ever becoming healthy: counts toward the build-failure backoff.
    public let failedBuild: Bool
    public let createdAt: Date
    /// A second service carrying a recorded instance's name: deleted by service id only.
    public let duplicate: Bool

    init(instanceId: String, observed: ObservedInstance, state: InstanceState, why: String,
         outdated: Bool, failedBuild: Bool, createdAt: Date, duplicate: Bool = false) {
        self.duplicate = duplicate
        self.instanceId = instanceId
        self.observed = observed
        self.state = state
        self.why = why
        self.outdated = outdated
        self.failedBuild = failedBuild
        self.createdAt = createdAt
    }

    public var service: PlatformService? { observed.service }
    public var record: InstanceRecord? { observed.record }
    public var revision: String? { observed.record?.revision }
    /// Ever handed out, being handed out, adopted, or retired by a failed claim or its own
    /// request: an agent may have written to it, so its project is never reused.
    public var wasClaimed: Bool {
        guard let r = record else { return false }
        return r.claim != .none || r.agentName != nil || r.conversationId != nil || r.marked == .adopted
            || r.marked == .claimed || r.marked == .crashed || r.selfDestructAt != nil
            // Retired by a failed or abandoned claim; not the executor's own reservation of a
            // delete ("deleting: ...", see Executor.delete), which an unclaimed instance gets too.
            || (r.retiredReason.map { !$0.hasPrefix("deleting: ") } ?? false)
    }
}

/// What the classifier derived for one observation: the planner, the executor and the
/// status route all read this one value.
public struct Classification: Sendable {
    /// Instances the pool owns, sorted by instance id.
    public var owned: [ClassifiedInstance]
    /// How many services carry each name, owned or not (renames must avoid them).
    public var serviceNames: [String: Int]
    public var counts: PlanCounts
    /// The pool's own projects (placement projectPerInstance), by id: what the executor may
    /// reuse or delete.
    public var projects: [String: PlatformProject]

    init(owned: [ClassifiedInstance], serviceNames: [String: Int], projects: [PlatformProject] = []) {
        self.projects = Dictionary(projects.map { ($0.projectId, $0) }, uniquingKeysWith: { a, _ in a })
        self.owned = owned
        self.serviceNames = serviceNames
        var counts = PlanCounts()
        for i in owned { counts[i.state] += 1 }
        counts.outdated = owned.filter(\.outdated).count
        self.counts = counts
    }
}

/// Derives each instance's state: the table of docs/design.md section 3, as a pure function.
public enum Classifier {
    public static func classify(_ observed: ObservedState, desired: DesiredState, now: Date) -> Classification {
        var owned: [ClassifiedInstance] = []
        var names: [String: Int] = [:]
        let recorded = Set(observed.instances.compactMap { $0.record?.instanceId })
        for inst in observed.instances {
            if let name = inst.service?.name { names[name, default: 0] += 1 }
            guard let id = Ownership.ownerId(of: inst, prefix: desired.prefix) else { continue }
            if inst.record == nil, recorded.contains(id) {
                // A second service with a recorded instance's name (e.g. a create whose answer
                // was lost). Only this service goes; the record belongs to the other one.
                owned.append(ClassifiedInstance(instanceId: id, observed: inst, state: .dead,
                                                why: "duplicate service of instance \(id)", outdated: false,
                                                failedBuild: false, createdAt: inst.service?.createdAt ?? now,
                                                duplicate: true))
                continue
            }
            owned.append(classify(inst, id: id, desired: desired, now: now))
        }
        owned.sort { ($0.instanceId, $0.service?.serviceId ?? "") < ($1.instanceId, $1.service?.serviceId ?? "") }
        return Classification(owned: owned, serviceNames: names, projects: observed.projects)
    }

    static func classify(_ inst: ObservedInstance, id: String, desired: DesiredState, now: Date) -> ClassifiedInstance {
        let created = inst.service?.createdAt ?? inst.record?.createdAt ?? now
        let stuck = desired.settings.stuckTimeout
        let revision = inst.record?.revision
        func make(_ state: InstanceState, _ why: String, failedBuild: Bool = false) -> ClassifiedInstance {
            let outdated = (state == .idle || state == .provisioning) && revision != desired.revision
            return ClassifiedInstance(instanceId: id, observed: inst, state: state, why: why,
                                      outdated: outdated, failedBuild: failedBuild && revision == desired.revision,
                                      createdAt: created)
        }
        let age = now.timeIntervalSince(created)
        let record = inst.record
        // Except when the instance itself asked to go (self-destruct): the store took it out
        // of its claim in the same step, and no claim can be in flight on it.
        if record?.selfDestructAt != nil, record?.claim != .claiming {
            return make(.tainted, "the instance asked to be removed (self-destruct)")
        }
        // Claims come first: a claimed or claiming instance is never deleted, whatever else
        // its record says. A record that already holds a conversation (adopted earlier)
        // counts as claimed by an unknown agent even if its claim column was never set.
        var claim = record?.claim ?? .none
        if claim == .none, record?.marked == .adopted || record?.conversationId != nil { claim = .claimed }
        let claimedOnRecord = claim == .claimed

        // An instance that reports a conversation is never deleted, retired or not (a 409
        // on a claim, or a claim whose record was lost): someone may be talking to it.
        if claim == .none, case .status(let s) = inst.probe, s.conversationId != nil { claim = .claimed }
        if claim == .none, let reason = record?.retiredReason {
            return make(.tainted, "retired after a failed claim: \(reason)")
        }
        switch claim {
        case .claiming:
            return make(.claiming, "a claim is in flight")
        case .claimed:
            let who = record?.agentName.map { "claimed by \"\($0)\"" } ?? "holds a conversation of an unknown agent"
            guard let service = inst.service else { return make(.crashed, "\(who); its service is gone") }
            if let s = service.deployStatus, s.isTerminalFailure {
                return make(.crashed, "\(who); deploy \(s.rawValue)")
            }
            if service.deployStatus == .success, let silence = unreachable(inst.probe) {
                let since = record?.lastHealthyAt ?? created
                if now.timeIntervalSince(since) > stuck {
                    return make(.crashed, "\(who); \(silence) for \(DurationText.format(now.timeIntervalSince(since).rounded()))")
                }
            }
            // Bound but its message stream is down (docs/agent-contract.md section 2, state D): said
            // at once, unhealthy (crashed, kept for the operator) once it lasts past stuckTimeout.
            // Never idle either way. A conversation the store does not know yet is adopted first.
            if claimedOnRecord, service.deployStatus == .success, case .status(let s) = inst.probe,
               s.conversationId != nil, s.streaming == false {
                let down = now.timeIntervalSince(record?.lastHealthyAt ?? created)
                if down > stuck {
                    return make(.crashed, "\(who); message stream down for \(DurationText.format(down.rounded())) (stuckTimeout \(DurationText.format(stuck)))")
                }
                return make(record?.agentName == nil ? .adopted : .claimed, "\(who); message stream down")
            }
            return make(record?.agentName == nil ? .adopted : .claimed, who)
        case .none:
            break
        }

        guard let service = inst.service else {
            // A record without a service: a create that has not made its service yet.
            if record?.createStep.map({ !$0.isComplete }) ?? false, record?.createdAt != nil, age <= stuck {
                return make(.provisioning, "create in progress (step: \(record!.createStep!.rawValue))")
            }
            return make(.dead, "its service no longer exists")
        }
        let everHealthy = record?.lastHealthyAt != nil || record?.marked == .idle
        if service.deployStatus != .success {
            if service.deployStatus == .removing {
                return make(.dead, "deploy REMOVING")
            }
            if let s = service.deployStatus, s.isTerminalFailure {
                return make(.dead, "deploy \(s.rawValue)", failedBuild: !everHealthy && (s == .failed || s == .crashed))
            }
            let what = service.deployStatus.map { "deploy \($0.rawValue)" } ?? "no deployment yet"
            // A redeploy of a healthy instance gets the same grace as a new one.
            let waiting = now.timeIntervalSince(max(created, record?.lastHealthyAt ?? created))
            if waiting > stuck {
                return make(.dead, "stuck: \(what) after \(DurationText.format(waiting.rounded())) (stuckTimeout \(DurationText.format(stuck)))",
                            failedBuild: !everHealthy)
            }
            return make(.provisioning, what)
        }
        func provisioningOrDead(_ what: String, since: Date) -> ClassifiedInstance {
            let silent = now.timeIntervalSince(since)
            if silent > stuck {
                return make(.dead, "\(what) for \(DurationText.format(silent.rounded())) (stuckTimeout \(DurationText.format(stuck)))",
                            failedBuild: !everHealthy)
            }
            return make(.provisioning, "deploy SUCCESS, \(what)")
        }
        switch inst.probe {
        case .status(let s):
            if let conversation = s.conversationId {
                return make(.adopted, "reports conversation \(conversation.prefix(12)) that the pool never handed out")
            }
            // Healthy, but its create sequence did not finish (e.g. the call that pins its
            // source failed): not claimable until the resumed create completes it, or a push
            // to the branch would redeploy it under a user's conversation.
            if s.usable, let step = record?.createStep, !step.isComplete {
                return provisioningOrDead("ready, but its create stopped after step \(step.rawValue)", since: created)
            }
            if s.usable { return make(.idle, "ready, no conversation") }
            return provisioningOrDead("status says not ready", since: record?.lastHealthyAt ?? created)
        case .unauthorized:
            return make(.misconfigured, "answers 401 to its credential (configuration fault)")
        case .notProbed:
            return make(.provisioning, "deploy SUCCESS, not probed yet")
        case .unreachable, .notJSON:
            return provisioningOrDead(unreachable(inst.probe)!, since: record?.lastHealthyAt ?? created)
        }
    }

    /// A short description when the probe shows the instance is not answering usefully.
    static func unreachable(_ probe: ProbeResult) -> String? {
        switch probe {
        case .unreachable(let d): "unreachable (\(d))"
        case .notJSON(let d): "answers non-JSON (\(d))"
        default: nil
        }
    }
}
