import Foundation
import Model

extension SQLPoolStore {
    public func beginClaim(agentName: String, idempotencyKey: String?, requestHash: String?,
                           behindWaitersSince: Date?, at: Date) async throws -> ClaimStart {
        try requireNonEmpty(agentName, "agentName")
        if let idempotencyKey { try requireNonEmpty(idempotencyKey, "idempotencyKey") }
        return try await beginBatcher.submit(BeginClaim(agentName: agentName, idempotencyKey: idempotencyKey,
                                                        requestHash: requestHash, at: at, behindWaitersSince: behindWaitersSince))
    }

    public func completeClaim(instanceId: String, conversationId: String, inviteUrl: String?,
                              joined: Bool, at: Date) async throws {
        try requireNonEmpty(conversationId, "conversationId")
        try await completeBatcher.submit(CompleteClaim(instanceId: instanceId, conversationId: conversationId,
                                                       inviteUrl: inviteUrl, joined: joined, at: at))
    }

    public func failClaim(instanceId: String, reason: String, at: Date) async throws {
        try await endFailedClaim(instanceId, reason: reason, at: at, operation: "failClaim",
                                 set: "claim = 'none', agent_name = NULL, retired_reason = $2", outcome: "retired")
    }

    public func releaseClaim(instanceId: String, reason: String, at: Date) async throws {
        try await endFailedClaim(instanceId, reason: reason, at: at, operation: "releaseClaim",
                                 set: "claim = 'none', agent_name = NULL, marked = 'misconfigured'",
                                 outcome: "released (configuration fault)")
    }

    public func claimFoundBound(instanceId: String, reason: String, at: Date) async throws {
        try await endFailedClaim(instanceId, reason: reason, at: at, operation: "claimFoundBound",
                                 set: "claim = 'claimed', agent_name = NULL, marked = 'adopted'",
                                 outcome: "it already holds a conversation: kept as adopted, never handed out")
    }

    /// Ends a claim in flight that did not bind: the instance's new state (`set`, where $2
    /// is the reason), the claim's stored error for an idempotent replay, and the audit
    /// event, in one transaction.
    private func endFailedClaim(_ instanceId: String, reason: String, at: Date, operation: String,
                                set: String, outcome: String) async throws {
        try requireNonEmpty(reason, "reason")
        try await driver.write(operation) { db in
            let updated = try await db.run("""
                UPDATE instances SET \(set)
                WHERE instance_id = $1 AND claim = 'claiming'
                RETURNING instance_id, service_id
                """, set.contains("$2") ? [.text(instanceId), .text(reason)] : [.text(instanceId)])
            guard let row = updated.first else { throw StoreError.notClaiming(instanceId: instanceId) }
            try await db.run("""
                UPDATE claims SET finished_at = $2, error = $3
                WHERE instance_id = $1 AND finished_at IS NULL
                """, .text(instanceId), .date(at), .text(reason))
            try await db.run("""
                INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
                VALUES ($1, 'claim', $2, $3, 'failed', $4)
                """, .date(at), .text(instanceId), .text(try row.text("service_id")), .text("\(reason); \(outcome)"))
        }
    }

    public func claimsInFlight(startedBefore: Date) async throws -> [InstanceRecord] {
        try await driver.read("claimsInFlight") { db in
            try await db.run("""
                SELECT \(InstanceRecord.columns) FROM instances
                WHERE claim = 'claiming' AND forgotten_at IS NULL
                  AND instance_id IN (SELECT instance_id FROM claims WHERE finished_at IS NULL AND started_at < $1)
                ORDER BY instance_id
                """, .date(startedBefore)).map { try InstanceRecord(row: $0) }
        }
    }

    public func claimAnswers(instanceIds: [String]) async throws -> [String: ClaimOutcome] {
        guard !instanceIds.isEmpty else { return [:] }
        let placeholders = instanceIds.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        return try await driver.read("claimAnswers") { db in
            let rows = try await db.run("""
                SELECT instance_id, conversation_id, invite_url, joined FROM claims
                WHERE instance_id IN (\(placeholders)) AND finished_at IS NOT NULL
                  AND error IS NULL AND conversation_id IS NOT NULL
                ORDER BY id
                """, instanceIds.map { .text($0) })
            var out: [String: ClaimOutcome] = [:]
            for row in rows {
                let id = try row.requiredText("instance_id")
                out[id] = .claimed(instanceId: id, conversationId: try row.requiredText("conversation_id"),
                                   inviteUrl: try row.text("invite_url"), joined: try row.bool("joined") ?? false)
            }
            return out
        }
    }

    public func adopt(instanceId: String, serviceId: String?, conversationId: String, at: Date) async throws {
        try requireNonEmpty(instanceId, "instanceId")
        try requireNonEmpty(conversationId, "conversationId")
        try await driver.write("adopt") { db in
            let adopted = try await db.run("""
                INSERT INTO instances (instance_id, service_id, claim, conversation_id, marked)
                VALUES ($1, $2, 'claimed', $3, 'adopted')
                ON CONFLICT (instance_id) DO UPDATE
                SET claim = 'claimed', agent_name = NULL, marked = 'adopted',
                    conversation_id = excluded.conversation_id,
                    service_id = COALESCE(excluded.service_id, instances.service_id),
                    forgotten_at = NULL
                WHERE instances.claim = 'none'
                RETURNING instance_id
                """, .text(instanceId), .text(serviceId), .text(conversationId))
            // The claim history shows when it was found, with no agent.
            if !adopted.isEmpty {
                try await db.run("""
                    INSERT INTO claims (instance_id, started_at, finished_at, conversation_id)
                    VALUES ($1, $2, $2, $3)
                    """, .text(instanceId), .date(at), .text(conversationId))
            }
        }
    }
}

/// Thrown inside the claim transaction to roll it back when the idempotency key was
/// inserted by a concurrent claim.
struct IdempotencyKeyTaken: Error {}
