import Foundation

/// The line of waiting claims (`claim_waiters`): one row per claim waiting for an idle
/// instance, in order of arrival, across every replica sharing the store.
extension SQLPoolStore {
    public func joinClaimQueue(waiterId: String, at: Date) async throws {
        try requireNonEmpty(waiterId, "waiter id")
        try await driver.write("joinClaimQueue") { db in
            try await db.run("""
                INSERT INTO claim_waiters (waiter_id, enqueued_at, heartbeat_at) VALUES ($1, $2, $2)
                ON CONFLICT (waiter_id) DO NOTHING
                """, .text(waiterId), .date(at))
        }
    }

    public func claimQueueTurn(waiterId: String, joinedAt: Date, at: Date, liveSince: Date) async throws -> Bool {
        try await driver.write("claimQueueTurn") { db in
            try await db.run("""
                INSERT INTO claim_waiters (waiter_id, enqueued_at, heartbeat_at) VALUES ($1, $2, $3)
                ON CONFLICT (waiter_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """, .text(waiterId), .date(joinedAt), .date(at))
            try await db.run("DELETE FROM claim_waiters WHERE heartbeat_at < $1", .date(liveSince))
            let first = try await db.run("SELECT waiter_id FROM claim_waiters ORDER BY enqueued_at, waiter_id LIMIT 1").first
            return try first?.requiredText("waiter_id") == waiterId
        }
    }

    public func leaveClaimQueue(waiterId: String) async throws {
        try await driver.write("leaveClaimQueue") { db in
            try await db.run("DELETE FROM claim_waiters WHERE waiter_id = $1", .text(waiterId))
        }
    }
}
