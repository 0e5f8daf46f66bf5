import Crypto
import Foundation
import Model
import Planning
import Spec

/// A plan written by `poolctl plan --save` with a fingerprint of the observation it came
/// from, so `poolctl apply --plan` applies exactly it, or refuses when the world moved.
public struct SavedPlan: Codable, Sendable {
    public var plan: Plan
    public var fingerprint: String
    public var savedAt: Date

    public enum Rejection: Error, CustomStringConvertible {
        case blind(String)
        case changed
        case otherSpec(String)

        public var description: String {
            switch self {
            case .blind(let why): "cannot check the saved plan: \(why)"
            case .changed: "the pool changed since the plan was made; make a new plan"
            case .otherSpec(let why): "the saved plan is for \(why); make a new plan"
            }
        }
    }

    public init(plan: Plan, observed: ObservedState, savedAt: Date) {
        self.plan = plan
        self.fingerprint = Self.fingerprint(observed)
        self.savedAt = savedAt
    }

    public func check(against observed: ObservedState, spec: EnvironmentSpec) throws {
        guard plan.environment == spec.name else { throw Rejection.otherSpec("environment \(plan.environment)") }
        guard plan.revision == spec.revision.hex else { throw Rejection.otherSpec("revision \(plan.revision.prefix(12))") }
        guard Self.fingerprint(observed) == fingerprint else { throw Rejection.changed }
    }

    /// A hash of what decides the plan: services, deploy statuses, probe classes and store
    /// records. Timestamps that move every tick (last healthy answer) are left out.
    public static func fingerprint(_ o: ObservedState) -> String {
        var lines: [String] = ["complete=\(o.complete)", "failures=\(o.consecutiveBuildFailures)"]
        for i in o.instances {
            var parts: [String] = []
            if let s = i.service {
                parts += [s.serviceId, s.name, s.deployStatus?.rawValue ?? "-", s.domain ?? "-"]
            }
            switch i.probe {
            case .status(let st): parts.append("status:\(st.usable):\(st.conversationId ?? "-")")
            case .notProbed: parts.append("notProbed")
            case .unreachable: parts.append("unreachable")
            case .notJSON: parts.append("notJSON")
            case .unauthorized: parts.append("unauthorized")
            }
            if let r = i.record {
                parts += [r.instanceId, r.claim.rawValue, r.createStep?.rawValue ?? "-", r.marked?.rawValue ?? "-",
                          r.revision ?? "-", r.retiredReason == nil ? "" : "retired", r.agentName ?? "-"]
            }
            lines.append(parts.joined(separator: "|"))
        }
        lines.sort()
        return SHA256.hash(data: Data(lines.joined(separator: "\n").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
