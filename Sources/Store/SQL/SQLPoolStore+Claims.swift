import Foundation
import Observers

extension SQLPoolStore {
    public func beginClaim(agentName: String, idempotencyKey: String?, requestHash: String?, at: Date) async throws -> ClaimStart {
        try requireNonEmpty(agentName, "agentName")
        if let idempotencyKey { try requireNonEmpty(idempotencyKey, "idempotencyKey") }
        let pickLock = driver.dialect.claimPickLock
        do {
            return try await driver.write("beginClaim") { db in
                if let idempotencyKey, let earlier = try await Self.claimStart(forKey: idempotencyKey, requestHash: requestHash, db) {
                    return earlier
                }
                // One conditional UPDATE: the row is picked and taken in the same statement,
                // so two claims can never take the same instance.
                let taken = try await db.run("""
                    UPDATE instances SET claim = 'claiming', agent_name = $1
                    WHERE instance_id = (
                        SELECT instance_id FROM instances
                        WHERE marked = 'idle' AND claim = 'none'
                          AND retired_reason IS NULL AND forgotten_at IS NULL
                        ORDER BY COALESCE(created_at, 0), instance_id
                        LIMIT 1\(pickLock))
                      AND claim = 'none'
                    RETURNING \(InstanceRecord.columns)
                    """, .text(agentName))
                guard let row = taken.first else { return .poolEmpty }
                let record = try InstanceRecord(row: row)
                let inserted = try await db.run("""
                    INSERT INTO claims (idempotency_key, instance_id, agent_name, started_at, request_hash)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING id
                    """, .text(idempotencyKey), .text(record.instanceId), .text(agentName), .date(at), .text(requestHash))
                if inserted.isEmpty { throw IdempotencyKeyTaken() }
                return .took(record)
            }
        } catch is IdempotencyKeyTaken {
            // A concurrent claim with the same key committed first; ours rolled back and
            // released its instance. Answer as a retry would.
            return try await driver.read("beginClaim") { db in
                try await Self.claimStart(forKey: idempotencyKey!, requestHash: requestHash, db) ?? .inProgress
            }
        }
    }

    public func completeClaim(instanceId: String, conversationId: String, inviteUrl: String?,
                              joined: Bool, at: Date) async throws {
        try requireNonEmpty(conversationId, "conversationId")
        try await driver.write("completeClaim") { db in
            let updated = try await db.run("""
                UPDATE instances SET claim = 'claimed', conversation_id = $2
                WHERE instance_id = $1 AND claim = 'claiming'
                RETURNING instance_id
                """, .text(instanceId), .text(conversationId))
            if updated.isEmpty { throw StoreError.notClaiming(instanceId: instanceId) }
            try await db.run("""
                UPDATE claims SET finished_at = $2, conversation_id = $3, invite_url = $4, joined = $5
                WHERE instance_id = $1 AND finished_at IS NULL
                """, .text(instanceId), .date(at), .text(conversationId), .text(inviteUrl), .bool(joined))
            // The audit line commits with the claim: one transaction, never one without the other.
            try await db.run("""
                INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
                SELECT $2, 'claim', instance_id, service_id, 'ok',
                       'claimed by "' || COALESCE(agent_name, '?') || '"' || $3
                FROM instances WHERE instance_id = $1
                """, .text(instanceId), .date(at), .text(joined ? " (joined)" : ""))
        }
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

    /// What an earlier claim with this key says, nil when the key is new.
    private static func claimStart(forKey key: String, requestHash: String?, _ db: any SQLSession) async throws -> ClaimStart? {
        guard let row = try await db.run("""
            SELECT instance_id, finished_at, conversation_id, invite_url, joined, error, request_hash
            FROM claims WHERE idempotency_key = $1
            """, .text(key)).first else { return nil }
        if let requestHash, let first = try row.text("request_hash"), first != requestHash { return .keyReused }
        guard try row.integer("finished_at") != nil else { return .inProgress }
        let instanceId = try row.requiredText("instance_id")
        if let error = try row.text("error") {
            return .replay(.failed(instanceId: instanceId, message: error))
        }
        return .replay(.claimed(instanceId: instanceId,
                                conversationId: try row.requiredText("conversation_id"),
                                inviteUrl: try row.text("invite_url"),
                                joined: try row.bool("joined") ?? false))
    }
}

/// Thrown inside the claim transaction to roll it back when the idempotency key was
/// inserted by a concurrent claim.
struct IdempotencyKeyTaken: Error {}
