import Model
import Foundation

/// Brings the agents the legacy system handed out into the pool's store as claimed
/// instances, so the pool keeps them, never hands them out again and shows their invite
/// URLs. Running it again changes nothing; it never overwrites what the store already
/// knows otherwise (those rows are reported as conflicts).
public enum LegacyImport {
    /// Imports rows read by `LegacyAgentTable.read`. Rows that do not describe a claimed
    /// instance are skipped.
    public static func run(rows: [LegacyAgentRow], into store: any PoolStore,
                           dryRun: Bool, at: Date) async throws -> LegacyImportReport {
        var lines: [LegacyImportReport.Line] = []
        var claims: [ImportedClaim] = []
        var claimLines: [Int] = []
        for row in rows {
            switch claim(from: row, now: at) {
            case .success(let claim):
                claimLines.append(lines.count)
                claims.append(claim)
                lines.append(.init(legacyId: row.id ?? "", instanceId: claim.instanceId,
                                   agentName: claim.agentName, result: .imported))
            case .failure(let skip):
                lines.append(.init(legacyId: row.id ?? "(null)", instanceId: nil, agentName: row.agentName,
                                   result: .skipped(skip.reason)))
            }
        }
        let outcomes = try await store.importClaimed(claims, dryRun: dryRun, at: at)
        for (index, outcome) in zip(claimLines, outcomes) {
            switch outcome {
            case .imported: lines[index].result = .imported
            case .alreadyKnown: lines[index].result = .alreadyKnown
            case .conflict(let reason): lines[index].result = .conflict(reason)
            }
        }
        return LegacyImportReport(lines: lines, dryRun: dryRun)
    }

    /// The claim a row describes, or why it describes none. A row is a claim when it names
    /// its Railway service (how the pool finds the instance) and its conversation (what
    /// shows it was handed out); the claim time falls back to the creation time, then `now`.
    static func claim(from row: LegacyAgentRow, now: Date) -> Result<ImportedClaim, Skip> {
        guard let id = nonEmpty(row.id) else { return .failure(Skip("no id")) }
        guard let conversationId = nonEmpty(row.conversationId) else {
            return .failure(Skip("no conversation_id: never claimed"))
        }
        guard let serviceId = nonEmpty(row.railwayServiceId) else {
            return .failure(Skip("no railway_service_id: the pool could not find its service"))
        }
        return .success(ImportedClaim(
            instanceId: LegacyInstanceId.instanceId(for: id), serviceId: serviceId,
            agentName: nonEmpty(row.agentName), conversationId: conversationId,
            inviteUrl: nonEmpty(row.inviteUrl), createdAt: row.createdAt,
            claimedAt: row.claimedAt ?? row.createdAt ?? now,
            source: "legacy \(LegacyAgentTable.name) id \(id)"))
    }

    struct Skip: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}
