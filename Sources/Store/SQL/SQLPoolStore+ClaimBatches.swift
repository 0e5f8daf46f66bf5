import Foundation
import Model

/// The two writes every claim makes (take an instance, record the answer), run by group
/// commit: the claims that arrive while a transaction is running share the next one, with
/// set-based statements whose cost barely grows with the batch.
extension SQLPoolStore {
    struct BeginClaim: Sendable {
        var agentName: String
        var idempotencyKey: String?
        var requestHash: String?
        var at: Date
        /// Takes nothing while a claim heard from since then waits in line (it is served first).
        var behindWaitersSince: Date?
    }

    struct CompleteClaim: Sendable {
        var instanceId: String
        var conversationId: String
        var inviteUrl: String?
        var joined: Bool
        var at: Date
    }

    /// Claims per transaction; keeps the statements well under every bind limit.
    static let claimBatchLimit = 100

    static func makeBeginBatcher(_ driver: any SQLDriver) -> GroupCommit<BeginClaim, ClaimStart> {
        GroupCommit(maximumBatch: claimBatchLimit) { inputs in
            do {
                return try await driver.write("beginClaim") { db in try await takeInstances(inputs, driver.dialect, db) }
                    .map { .success($0) }
            } catch is IdempotencyKeyTaken {
                // Another process committed one of these keys first: the whole batch rolled
                // back, so each claim is taken again on its own and sees that key's claim.
                var results: [Result<ClaimStart, any Error>] = []
                for input in inputs {
                    do { results.append(.success(try await beginOne(input, driver))) } catch { results.append(.failure(error)) }
                }
                return results
            } catch {
                return inputs.map { _ in .failure(error) }
            }
        }
    }

    static func makeCompleteBatcher(_ driver: any SQLDriver) -> GroupCommit<CompleteClaim, Void> {
        GroupCommit(maximumBatch: claimBatchLimit) { inputs in
            do {
                return try await driver.write("completeClaim") { db in try await completeClaims(inputs, db) }
            } catch {
                return inputs.map { _ in .failure(error) }
            }
        }
    }

    /// One claim alone, in its own transaction (the fallback of a batch that met a
    /// concurrent idempotency key).
    static func beginOne(_ input: BeginClaim, _ driver: any SQLDriver) async throws -> ClaimStart {
        do {
            return try await driver.write("beginClaim") { db in try await takeInstances([input], driver.dialect, db)[0] }
        } catch is IdempotencyKeyTaken {
            // A concurrent claim with the same key committed first; ours rolled back and
            // released its instance. Answer as a retry would.
            return try await driver.read("beginClaim") { db in
                try await earlierClaims(keys: [input.idempotencyKey!], db)[input.idempotencyKey!]
                    .map { try claimStart($0, requestHash: input.requestHash) } ?? .inProgress
            }
        }
    }

    static let idleCondition = "marked = 'idle' AND claim = 'none' AND retired_reason IS NULL AND forgotten_at IS NULL"

    /// Instances a claim could take now.
    static func countIdle(_ db: any SQLSession) async throws -> Int {
        Int(try await db.run("SELECT COUNT(*) AS n FROM instances WHERE \(idleCondition)").first?.integer("n") ?? 0)
    }

    /// Up to `count` idle instances, oldest first, locked for this transaction. Postgres
    /// skips rows another transaction holds (another claim batch takes them), but a
    /// tick's short writes (a mark, `recordHealthy` over every healthy instance) hold idle
    /// rows too: when fewer were picked than are idle, the pick is tried again for up to
    /// 250 ms rather than answering "pool empty" while instances are idle.
    static func pickIdle(_ count: Int, _ dialect: SQLDialect, _ db: any SQLSession) async throws -> [String] {
        var picked: [String] = []
        for attempt in 0..<11 {
            let exclude = picked.isEmpty ? "" : " AND instance_id NOT IN (\((0..<picked.count).map { "$\($0 + 2)" }.joined(separator: ", ")))"
            picked += try await db.run("""
                SELECT instance_id FROM instances
                WHERE \(idleCondition)\(exclude)
                ORDER BY COALESCE(created_at, 0), instance_id
                LIMIT $1\(dialect.claimPickLock)
                """, [.integer(Int64(count - picked.count))] + picked.map { .text($0) }).map { try $0.requiredText("instance_id") }
            guard picked.count < count, !dialect.claimPickLock.isEmpty, attempt < 10 else { break }
            guard try await countIdle(db) > picked.count else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        return picked
    }

    /// Answers the keys already used, then takes one instance per remaining claim, oldest
    /// first, in three statements whatever the batch size.
    private static func takeInstances(_ inputs: [BeginClaim], _ dialect: SQLDialect, _ db: any SQLSession) async throws -> [ClaimStart] {
        var answers = [ClaimStart?](repeating: nil, count: inputs.count)
        let earlier = try await earlierClaims(keys: inputs.compactMap(\.idempotencyKey), db)
        var firstHashInBatch: [String: String?] = [:]
        for (k, input) in inputs.enumerated() {
            guard let key = input.idempotencyKey else { continue }
            if let row = earlier[key] {
                answers[k] = try claimStart(row, requestHash: input.requestHash)
            } else if let first = firstHashInBatch[key] {
                // The same key twice in one batch: the second is a retry of a claim in flight.
                answers[k] = if let mine = input.requestHash, let first, first != mine { .keyReused } else { .inProgress }
            } else {
                firstHashInBatch[key] = input.requestHash
            }
        }
        var takers = inputs.indices.filter { answers[$0] == nil }
        // Claims behind the line take only the idle instances its live waiters leave: those
        // waiting are served first, first come first served.
        if let since = takers.compactMap({ inputs[$0].behindWaitersSince }).min() {
            let live = try await db.run("SELECT heartbeat_at FROM claim_waiters WHERE heartbeat_at >= $1", .date(since))
                .map { try $0.requiredDate("heartbeat_at") }
            let behind = takers.filter { k in inputs[k].behindWaitersSince.map { since in live.contains { $0 >= since } } ?? false }
            if !behind.isEmpty {
                let refused = Set(behind.dropFirst(max(0, try await countIdle(db) - live.count)))
                takers.removeAll { refused.contains($0) }
            }
        }
        guard !takers.isEmpty else { return settled(answers, inputs, earlier) }

        let picked = try await pickIdle(takers.count, dialect, db)
        let pairs = zip(takers, picked).map { (request: $0, instanceId: $1) }
        var taken: [String: InstanceRecord] = [:]
        if !pairs.isEmpty {
            let rows = try await db.run("""
                UPDATE instances SET claim = 'claiming', agent_name = v.column2
                FROM (VALUES \(valuesList(rows: pairs.count, columns: 2))) AS v
                WHERE instances.instance_id = v.column1 AND instances.claim = 'none'
                RETURNING \(InstanceRecord.columns)
                """, pairs.flatMap { [.text($0.instanceId), .text(inputs[$0.request].agentName)] })
            for row in rows {
                let record = try InstanceRecord(row: row)
                taken[record.instanceId] = record
            }
        }
        // In key order: two batches (two replicas) inserting the same keys in opposite orders
        // would otherwise wait on each other's unique-index entries (a deadlock).
        let claimed = pairs.filter { taken[$0.instanceId] != nil }
            .sorted { (inputs[$0.request].idempotencyKey ?? "") < (inputs[$1.request].idempotencyKey ?? "") }
        if !claimed.isEmpty {
            let inserted = try await db.run("""
                INSERT INTO claims (idempotency_key, instance_id, agent_name, started_at, request_hash)
                VALUES \(valuesList(rows: claimed.count, columns: 5))
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING id
                """, claimed.flatMap { pair -> [SQLValue] in
                    let input = inputs[pair.request]
                    return [.text(input.idempotencyKey), .text(pair.instanceId), .text(input.agentName),
                            .date(input.at), .text(input.requestHash)]
                })
            if inserted.count != claimed.count { throw IdempotencyKeyTaken() }
        }
        for pair in claimed { answers[pair.request] = .took(taken[pair.instanceId]!) }
        return settled(answers, inputs, earlier)
    }

    /// The answers of a batch: pool empty for every claim that took nothing.
    private static func settled(_ answers: [ClaimStart?], _ inputs: [BeginClaim], _ earlier: [String: any SQLRow]) -> [ClaimStart] {
        var settled = answers.map { $0 ?? .poolEmpty }
        // A key repeated in the batch answered "in progress" for a first use that took
        // nothing: nothing is in progress, so it gets the same "pool empty".
        for (k, input) in inputs.enumerated() where answers[k] == .inProgress && earlier[input.idempotencyKey ?? ""] == nil {
            if let first = inputs.indices.first(where: { inputs[$0].idempotencyKey == input.idempotencyKey }),
               first != k, settled[first] == .poolEmpty {
                settled[k] = .poolEmpty
            }
        }
        return settled
    }

    /// Records the answers of finished claims: instance, claim row and audit event commit
    /// together. An instance not claiming (or named twice) fails alone; the others commit.
    private static func completeClaims(_ inputs: [CompleteClaim], _ db: any SQLSession) async throws -> [Result<Void, any Error>] {
        var seen = Set<String>()
        let firsts = inputs.indices.filter { seen.insert(inputs[$0].instanceId).inserted }
        let updated = Set(try await db.run("""
            UPDATE instances SET claim = 'claimed', conversation_id = v.column2
            FROM (VALUES \(valuesList(rows: firsts.count, columns: 2))) AS v
            WHERE instances.instance_id = v.column1 AND instances.claim = 'claiming'
            RETURNING instance_id
            """, firsts.flatMap { [.text(inputs[$0].instanceId), .text(inputs[$0].conversationId)] })
            .map { try $0.requiredText("instance_id") })
        let done = firsts.filter { updated.contains(inputs[$0].instanceId) }
        if !done.isEmpty {
            try await db.run("""
                UPDATE claims SET finished_at = v.column2, conversation_id = v.column3, invite_url = v.column4, joined = v.column5
                FROM (VALUES \(valuesList(rows: done.count, columns: 5))) AS v
                WHERE claims.instance_id = v.column1 AND claims.finished_at IS NULL
                """, done.flatMap { k -> [SQLValue] in
                    let i = inputs[k]
                    return [.text(i.instanceId), .date(i.at), .text(i.conversationId), .text(i.inviteUrl), .bool(i.joined)]
                })
            // The audit lines commit with the claims, in the order the claims finished.
            try await db.run("""
                INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
                SELECT v.column2, 'claim', instances.instance_id, instances.service_id, 'ok',
                       'claimed by "' || COALESCE(instances.agent_name, '?') || '"' || v.column3
                FROM instances JOIN (VALUES \(valuesList(rows: done.count, columns: 4))) AS v
                  ON instances.instance_id = v.column1
                ORDER BY v.column4
                """, done.flatMap { k -> [SQLValue] in
                    let i = inputs[k]
                    return [.text(i.instanceId), .date(i.at), .text(i.joined ? " (joined)" : ""), .integer(Int64(k))]
                })
        }
        let ok = Set(done)
        return inputs.indices.map { k in
            ok.contains(k) ? .success(()) : .failure(StoreError.notClaiming(instanceId: inputs[k].instanceId))
        }
    }

    /// The claim rows of these idempotency keys, by key.
    static func earlierClaims(keys: [String], _ db: any SQLSession) async throws -> [String: any SQLRow] {
        let distinct = Array(Set(keys))
        guard !distinct.isEmpty else { return [:] }
        let rows = try await db.run("""
            SELECT idempotency_key, instance_id, finished_at, conversation_id, invite_url, joined, error, request_hash
            FROM claims WHERE idempotency_key IN (\(distinct.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))
            """, distinct.map { .text($0) })
        var out: [String: any SQLRow] = [:]
        for row in rows { out[try row.requiredText("idempotency_key")] = row }
        return out
    }

    /// What an earlier claim with the key says to a claim that uses it again.
    static func claimStart(_ row: any SQLRow, requestHash: String?) throws -> ClaimStart {
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

/// `($1, $2), ($3, $4)` for rows of bound values.
func valuesList(rows: Int, columns: Int) -> String {
    (0..<rows).map { r in
        "(" + (1...columns).map { "$\(r * columns + $0)" }.joined(separator: ", ") + ")"
    }.joined(separator: ", ")
}
