import Foundation
import Model
import Planning

/// Terraform-style text for a plan: one line per action, then a summary line.
public struct PlanRenderer: Sendable {
    public var color: Bool
    public init(color: Bool) { self.color = color }

    static let symbols: [PlanAction.Kind: (String, String)] = [
        .create: ("+", "32"), .delete: ("-", "31"), .rename: ("~", "33"), .mark: ("*", "36"),
    ]

    public func render(_ plan: Plan) -> String {
        var lines: [String] = []
        let present = InstanceState.allCases.compactMap { s -> String? in
            let n = plan.counts[s]
            return n > 0 ? "\(n) \(s.rawValue)" : nil
        }
        lines.append("Pool \"\(plan.environment)\" at revision \(plan.revision.prefix(12)): \(present.isEmpty ? "no instances" : present.joined(separator: ", "))")
        if !plan.actions.isEmpty { lines.append("") }
        for a in plan.actions { lines.append("  " + line(a)) }
        if !plan.notes.isEmpty { lines.append("") }
        for n in plan.notes { lines.append(paint("Note: ", "1") + n) }
        lines.append("")
        if plan.actions.isEmpty {
            lines.append(paint("No changes.", "1") + " The pool matches pool.yaml.")
        } else {
            lines.append(paint("Plan:", "1") + " \(plan.count(.create)) to create, \(plan.count(.delete)) to delete, \(plan.count(.rename)) to rename, \(plan.count(.mark)) to mark.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func line(_ a: PlanAction) -> String {
        let (symbol, code) = Self.symbols[a.kind] ?? ("?", "0")
        let verb = paint("\(symbol) \(a.kind.rawValue)", code) + String(repeating: " ", count: 7 - a.kind.rawValue.count)
        let target = switch a {
        case .create(let c): c.name + (c.resume ? " (resume)" : "")
        case .delete(let d): (d.name ?? "instance \(d.instanceId)") + (d.serviceId.map { " [\($0)]" } ?? " [no service]")
        case .rename(let r): "\(r.fromName) → \(r.name)"
        case .mark(let m): "\(m.name ?? m.instanceId) \(m.fromState?.rawValue ?? "new") → \(m.toState.rawValue)"
        }
        return "\(verb) \(target)  \(dim("# " + a.reason))"
    }

    func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
}
