import Foundation
import Model

/// The pool's history for the dashboard's chart: a sample of the counts per minute
/// (`pool_samples`), and the claims agents asked for (`claims`, read by start).
extension SQLPoolStore {
    public func recordSample(_ sample: PoolSample) async throws {
        for (name, value) in [("idle", sample.idle), ("provisioning", sample.provisioning), ("claimed", sample.claimed)] where value < 0 {
            throw StoreError.invalidArgument(name: name, problem: "must not be negative, got \(value)")
        }
        let minute = PoolSample.minute(of: sample.minute)
        try await driver.write("recordSample") { db in
            try await db.run("""
                INSERT INTO pool_samples (minute_at, idle, provisioning, claimed) VALUES ($1, $2, $3, $4)
                ON CONFLICT (minute_at) DO UPDATE
                SET idle = excluded.idle, provisioning = excluded.provisioning, claimed = excluded.claimed
                """, .date(minute), .integer(Int64(sample.idle)), .integer(Int64(sample.provisioning)),
                .integer(Int64(sample.claimed)))
            try await db.run("DELETE FROM pool_samples WHERE minute_at < $1", .date(minute.addingTimeInterval(-PoolSample.kept)))
        }
    }

    public func history(since: Date, until: Date) async throws -> PoolHistoryRows {
        try await driver.read("history") { db in
            let samples = try await db.run("""
                SELECT minute_at, idle, provisioning, claimed FROM pool_samples
                WHERE minute_at >= $1 AND minute_at < $2 ORDER BY minute_at
                """, .date(since), .date(until)).map { row in
                PoolSample(minute: try row.requiredDate("minute_at"), idle: Int(try row.requiredInteger("idle")),
                           provisioning: Int(try row.requiredInteger("provisioning")),
                           claimed: Int(try row.requiredInteger("claimed")))
            }
            // Adoptions have no agent name; imports were served by another system.
            let claims = try await db.run("""
                SELECT started_at, finished_at, error FROM claims
                WHERE started_at >= $1 AND started_at < $2 AND agent_name IS NOT NULL AND NOT imported
                ORDER BY started_at, id
                """, .date(since), .date(until)).map { row in
                let finished = try row.date("finished_at")
                let failed = try row.text("error") != nil
                return ClaimTiming(startedAt: try row.requiredDate("started_at"), finishedAt: finished,
                                   succeeded: finished != nil && !failed)
            }
            return PoolHistoryRows(samples: samples, claims: claims)
        }
    }
}
