import Foundation
import Model

// The tick's one read of the store.
extension SQLPoolStore {
    public func observe(revision: String) async throws -> StoreObservation {
        try await driver.read("observe") { db in
            let records = try await db.run("""
                SELECT \(InstanceRecord.columns) FROM instances
                WHERE forgotten_at IS NULL ORDER BY instance_id
                """).map(InstanceRecord.init(row:))
            // The streak since the revision's last success, and the last failure (by the order
            // they were recorded, not by time: two outcomes in one millisecond still have one).
            let builds = try await db.run("""
                SELECT COUNT(*) AS failures,
                       (SELECT at FROM build_outcomes WHERE revision = $1 AND NOT succeeded ORDER BY id DESC LIMIT 1) AS last_failure
                FROM build_outcomes
                WHERE revision = $1 AND NOT succeeded
                  AND id > COALESCE((SELECT MAX(id) FROM build_outcomes WHERE revision = $1 AND succeeded), 0)
                """, .text(revision))
            let requests = try await db.run("""
                SELECT id, kind, count, requested_at FROM requests
                WHERE completed_at IS NULL ORDER BY id
                """).map(PoolRequest.init(row:))
            let inFlight = try await db.run("""
                SELECT c.instance_id, MIN(c.started_at) AS started_at FROM claims c
                JOIN instances i ON i.instance_id = c.instance_id
                WHERE c.finished_at IS NULL AND i.claim = 'claiming' AND i.forgotten_at IS NULL
                GROUP BY c.instance_id
                """)
            var claimsInFlight: [String: Date] = [:]
            for row in inFlight {
                claimsInFlight[try row.requiredText("instance_id")] = try row.requiredDate("started_at")
            }
            return StoreObservation(records: records, consecutiveBuildFailures: Int(try builds[0].requiredInteger("failures")),
                                    lastBuildFailureAt: try builds[0].date("last_failure"), requests: requests,
                                    claimsInFlight: claimsInFlight)
        }
    }
}

extension PoolRequest {
    init(row: any SQLRow) throws {
        self.init(id: try row.requiredInteger("id"), kind: try row.requiredEnum("kind", as: PoolRequest.Kind.self),
                  count: try row.integer("count").map(Int.init), requestedAt: try row.requiredDate("requested_at"))
    }
}
