@testable import Controller
import Foundation
import Model
import Planning
import Spec

/// Builders for observed states, so each test reads as the row of the table it checks.
enum F {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let current = String(repeating: "c", count: 64)
    static let old = String(repeating: "0", count: 64)
    static let prefix = "convos-agent"
    static let idle = ProbeResult.status(AgentStatus(usable: true, conversationId: nil, streaming: false))

    static func settings(minIdle: Int = 3, maxTotal: Int = 10, pacing: Int = 3, backoff: Int = 5,
                         stuck: TimeInterval = 900) -> PoolSettings {
        var s = PoolSettings()
        s.minIdle = minIdle
        s.maxTotal = maxTotal
        s.createsPerTick = pacing
        s.failureBackoff = backoff
        s.stuckTimeout = stuck
        return s
    }

    static func desired(_ s: PoolSettings = settings(), ids: Int = 20, seed: UInt64 = 7) -> DesiredState {
        var g = SplitMix64(seed: seed)
        return DesiredState(environment: "test", prefix: prefix, settings: s, revision: current,
                            newInstanceIds: InstanceNaming.ids(ids, using: &g))
    }

    /// A 12-character id from a short tag: "a" -> "aaaaaaaaaaa0", "b1" -> "b1b1b1b1b1b0"
    /// (ids carry at least one digit).
    static func id(_ tag: String) -> String {
        String(String(repeating: tag, count: 12 / max(tag.count, 1) + 1).prefix(11)) + "0"
    }

    static func record(_ tag: String, claim: InstanceRecord.Claim = .none, agent: String? = nil,
                       revision: String? = current, marked: InstanceState? = nil, retired: String? = nil,
                       step: CreateStep? = .pinned, healthyAgo: TimeInterval? = nil, age: TimeInterval = 3600) -> InstanceRecord {
        InstanceRecord(instanceId: id(tag), serviceId: "svc-\(tag)", revision: revision,
                       createdAt: now.addingTimeInterval(-age), createStep: step, claim: claim,
                       agentName: agent, retiredReason: retired, marked: marked,
                       lastHealthyAt: healthyAgo.map { now.addingTimeInterval(-$0) })
    }

    static func instance(_ tag: String, _ status: DeployStatus? = .success, probe: ProbeResult = idle,
                         record: InstanceRecord?? = .none, age: TimeInterval = 3600, name: String? = nil) -> ObservedInstance {
        let rec: InstanceRecord? = switch record {
        case .none: Self.record(tag, age: age)
        case .some(let r): r
        }
        return ObservedInstance(
            service: PlatformService(serviceId: "svc-\(tag)", name: name ?? "\(prefix)-\(id(tag))",
                                     createdAt: now.addingTimeInterval(-age), deployStatus: status,
                                     domain: "\(tag).example.test"),
            probe: probe, record: rec)
    }

    static func unowned(_ name: String, _ status: DeployStatus = .failed) -> ObservedInstance {
        ObservedInstance(service: PlatformService(serviceId: "svc-\(name)", name: name,
                                                  createdAt: now.addingTimeInterval(-99_999), deployStatus: status))
    }

    static func plan(_ instances: [ObservedInstance], _ d: DesiredState = desired(), failures: Int = 0,
                     lastFailureAgo: TimeInterval? = 60, complete: Bool = true) -> Plan {
        Planner.plan(desired: d, observed: ObservedState(complete: complete, incompleteReason: complete ? nil : "HTTP 503",
                                                         consecutiveBuildFailures: failures,
                                                         lastBuildFailureAt: failures > 0 ? lastFailureAgo.map { now.addingTimeInterval(-$0) } : nil,
                                                         instances: instances), now: now)
    }

    static func state(_ i: ObservedInstance, _ d: DesiredState = desired()) -> InstanceState? {
        Classifier.classify(ObservedState(instances: [i]), desired: d, now: now).owned.first?.state
    }
}

extension Plan {
    func actions(_ kind: PlanAction.Kind) -> [PlanAction] { actions.filter { $0.kind == kind } }
    func targets(_ kind: PlanAction.Kind) -> [String] { actions(kind).map(\.instanceId) }
}
