/// What an import did (or, in a dry run, would do), row by row, and its summary.
public struct LegacyImportReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var legacyId: String
        /// nil for a skipped row.
        public var instanceId: String?
        public var agentName: String?
        public var result: Result
    }

    public enum Result: Sendable, Equatable {
        case imported
        case alreadyKnown
        case conflict(String)
        /// The row does not describe a claimed instance; the reason says what it lacks.
        case skipped(String)
    }

    public var lines: [Line]
    public var dryRun: Bool

    public var imported: Int { lines.count(where: { $0.result == .imported }) }
    public var alreadyKnown: Int { lines.count(where: { $0.result == .alreadyKnown }) }
    public var conflicts: Int { lines.count(where: { if case .conflict = $0.result { true } else { false } }) }
    public var skipped: Int { lines.count(where: { if case .skipped = $0.result { true } else { false } }) }

    /// `Imported N claimed instances (M already known, K conflicts).`; a dry run says
    /// "Would import" and that nothing was written.
    public var summary: String {
        let counts = "\(imported) claimed instances (\(alreadyKnown) already known, \(conflicts) conflicts)."
        return dryRun ? "Would import \(counts) Dry run: nothing was written." : "Imported \(counts)"
    }

    /// One line per row that is not already known, then the summary: `+` imported,
    /// `!` conflict, `-` skipped.
    public var text: [String] {
        var out: [String] = []
        for line in lines {
            let who = line.agentName.map { " \"\($0)\"" } ?? ""
            let instance = line.instanceId.map { "instance \($0)" } ?? "row"
            let origin = line.instanceId == line.legacyId ? "" : " (legacy id \(line.legacyId))"
            switch line.result {
            case .imported: out.append("+ \(dryRun ? "would import" : "imported") \(instance)\(who)\(origin)")
            case .alreadyKnown: continue
            case .conflict(let reason): out.append("! conflict \(instance)\(who)\(origin): \(reason)")
            case .skipped(let reason): out.append("- skipped legacy id \(line.legacyId): \(reason)")
            }
        }
        if skipped > 0 { out.append("Skipped \(skipped) legacy row(s) that describe no claimed instance.") }
        out.append(summary)
        return out
    }
}
