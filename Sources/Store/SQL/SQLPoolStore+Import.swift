import Foundation
import Model

extension SQLPoolStore {
    public func importClaimed(_ claims: [ImportedClaim], dryRun: Bool, at: Date) async throws -> [ImportOutcome] {
        for claim in claims {
            try requireNonEmpty(claim.instanceId, "instanceId")
            try requireNonEmpty(claim.serviceId, "serviceId")
            try requireNonEmpty(claim.conversationId, "conversationId")
        }
        do {
            return try await driver.write("importClaimed") { db in
                var outcomes: [ImportOutcome] = []
                for claim in claims { outcomes.append(try await Self.importOne(claim, at: at, db)) }
                // Rolling back the very statements a real run commits makes the dry run's
                // answers exact, conflicts between rows of the same batch included.
                if dryRun { throw DryRunRollback(outcomes: outcomes) }
                return outcomes
            }
        } catch let rollback as DryRunRollback {
            return rollback.outcomes
        }
    }

    private static func importOne(_ claim: ImportedClaim, at: Date, _ db: any SQLSession) async throws -> ImportOutcome {
        let inserted = try await db.run("""
            INSERT INTO instances (instance_id, service_id, created_at, claim, agent_name, conversation_id, holds_pool_key)
            VALUES ($1, $2, $3, 'claimed', $4, $5, 1)
            ON CONFLICT (instance_id) DO NOTHING
            RETURNING instance_id
            """, .text(claim.instanceId), .text(claim.serviceId), .date(claim.createdAt),
            .text(claim.agentName), .text(claim.conversationId))
        // A record may be taken over only when nobody holds it: never claimed (the pool may
        // have found the service by name), or adopted in this very conversation (found
        // holding it, agent unknown). The conditions sit in the UPDATE, so a claim racing
        // the import cannot slip in between a read and this write.
        let takenOver = inserted.isEmpty ? try await db.run("""
            UPDATE instances
            SET claim = 'claimed', agent_name = $3, conversation_id = $4,
                service_id = COALESCE(service_id, $2)
            WHERE instance_id = $1 AND forgotten_at IS NULL AND retired_reason IS NULL
              AND (service_id IS NULL OR service_id = $2)
              AND (claim = 'none'
                   OR (claim = 'claimed' AND agent_name IS NULL AND $3 IS NOT NULL AND conversation_id = $4))
            RETURNING instance_id
            """, .text(claim.instanceId), .text(claim.serviceId), .text(claim.agentName),
            .text(claim.conversationId)) : inserted
        guard !takenOver.isEmpty else { return try await existingOutcome(claim, db) }

        // A finished claim row is what the dashboard reads the invite URL from.
        try await db.run("""
            INSERT INTO claims (instance_id, agent_name, started_at, finished_at, conversation_id, invite_url, imported)
            VALUES ($1, $2, $3, $3, $4, $5, $6)
            """, .text(claim.instanceId), .text(claim.agentName), .date(claim.claimedAt),
            .text(claim.conversationId), .text(claim.inviteUrl), .bool(true))
        try await db.run("""
            INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
            VALUES ($1, 'import', $2, $3, 'ok', $4)
            """, .date(at), .text(claim.instanceId), .text(claim.serviceId),
            .text("imported as claimed from \(claim.source)"))
        return .imported
    }

    /// Why a claim that could not be recorded was left alone: already there, or a conflict.
    private static func existingOutcome(_ claim: ImportedClaim, _ db: any SQLSession) async throws -> ImportOutcome {
        guard let row = try await db.run("""
            SELECT claim, agent_name, conversation_id, service_id, retired_reason, forgotten_at
            FROM instances WHERE instance_id = $1
            """, .text(claim.instanceId)).first else {
            return .conflict("the record changed during the import; run it again")
        }
        if try row.integer("forgotten_at") != nil {
            return .conflict("the pool deleted its service and forgot it")
        }
        if let reason = try row.text("retired_reason") {
            return .conflict("retired after a failed claim (\(reason))")
        }
        if let serviceId = try row.text("service_id"), serviceId != claim.serviceId {
            return .conflict("recorded with service \(serviceId), not \(claim.serviceId)")
        }
        let agent = try row.text("agent_name")
        let holder = agent.map { "agent \"\($0)\"" } ?? "an unknown agent"
        switch try row.requiredEnum("claim", as: InstanceRecord.Claim.self) {
        case .claiming:
            return .conflict("a claim for \(holder) is in flight")
        case .claimed:
            let conversation = try row.text("conversation_id")
            if conversation == claim.conversationId, claim.agentName == nil || agent == claim.agentName {
                return .alreadyKnown
            }
            return .conflict("claimed by \(holder) in conversation \(conversation ?? "(none)")")
        case .none:
            return .conflict("the record changed during the import; run it again")
        }
    }
}

/// Thrown at the end of a dry run's transaction to roll it back, carrying its answers out.
struct DryRunRollback: Error {
    var outcomes: [ImportOutcome]
}
