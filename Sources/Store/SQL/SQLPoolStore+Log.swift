import Model
import Foundation

// Runtime requests, build outcomes and the audit log: append-mostly tables.
extension SQLPoolStore {
    public func addRequest(kind: PoolRequest.Kind, count: Int?, at: Date) async throws -> Int64 {
        if let count, count < 1 {
            throw StoreError.invalidArgument(name: "count", problem: "must be at least 1, got \(count)")
        }
        return try await driver.write("addRequest") { db in
            let rows = try await db.run("""
                INSERT INTO requests (kind, count, requested_at) VALUES ($1, $2, $3) RETURNING id
                """, .text(kind.rawValue), .integer(count.map(Int64.init)), .date(at))
            return try rows[0].requiredInteger("id")
        }
    }

    public func pendingRequests() async throws -> [PoolRequest] {
        try await driver.read("pendingRequests") { db in
            try await db.run("""
                SELECT id, kind, count, requested_at FROM requests
                WHERE completed_at IS NULL ORDER BY id
                """).map(PoolRequest.init(row:))
        }
    }

    public func completeRequest(id: Int64, at: Date) async throws {
        let found = try await driver.write("completeRequest") { db in
            try await db.run("""
                UPDATE requests SET completed_at = COALESCE(completed_at, $2) WHERE id = $1 RETURNING id
                """, .integer(id), .date(at))
        }
        if found.isEmpty { throw StoreError.unknownRequest(id) }
    }

    public func recordBuildOutcome(revision: String, succeeded: Bool, at: Date) async throws {
        try requireNonEmpty(revision, "revision")
        try await driver.write("recordBuildOutcome") { db in
            try await db.run("INSERT INTO build_outcomes (revision, succeeded, at) VALUES ($1, $2, $3)",
                             .text(revision), .bool(succeeded), .date(at))
        }
    }

    public func consecutiveBuildFailures(revision: String) async throws -> Int {
        // Ordered by id (the order they were recorded), not by time: two outcomes in the
        // same millisecond still have an order.
        try await driver.read("consecutiveBuildFailures") { db in
            let rows = try await db.run("""
                SELECT COUNT(*) AS failures FROM build_outcomes
                WHERE revision = $1 AND NOT succeeded
                  AND id > COALESCE((SELECT MAX(id) FROM build_outcomes WHERE revision = $1 AND succeeded), 0)
                """, .text(revision))
            return Int(try rows[0].requiredInteger("failures"))
        }
    }

    public func lastBuildFailureAt(revision: String) async throws -> Date? {
        try await driver.read("lastBuildFailureAt") { db in
            let rows = try await db.run("""
                SELECT at FROM build_outcomes WHERE revision = $1 AND NOT succeeded
                ORDER BY id DESC LIMIT 1
                """, .text(revision))
            return try rows.first?.date("at")
        }
    }

    @discardableResult
    public func append(_ event: PoolEvent) async throws -> Int64 {
        try requireNonEmpty(event.kind, "event kind")
        try requireNonEmpty(event.outcome, "event outcome")
        return try await driver.write("append event") { db in
            let rows = try await db.run("""
                INSERT INTO events (at, kind, instance_id, service_id, outcome, detail, replica)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """, .date(event.at), .text(event.kind), .text(event.instanceId), .text(event.serviceId),
                .text(event.outcome), .text(event.detail), .text(event.replica))
            return try rows[0].requiredInteger("id")
        }
    }

    public func events(limit: Int, before: Int64?) async throws -> [PoolEvent] {
        guard limit >= 1 else {
            throw StoreError.invalidArgument(name: "limit", problem: "must be at least 1, got \(limit)")
        }
        return try await driver.read("events") { db in
            let columns = "id, at, kind, instance_id, service_id, outcome, detail, replica"
            let rows = if let before {
                try await db.run("SELECT \(columns) FROM events WHERE id < $1 ORDER BY id DESC LIMIT $2",
                                 .integer(before), .integer(Int64(limit)))
            } else {
                try await db.run("SELECT \(columns) FROM events ORDER BY id DESC LIMIT $1", .integer(Int64(limit)))
            }
            return try rows.map { row in
                PoolEvent(id: try row.requiredInteger("id"), at: try row.requiredDate("at"),
                          kind: try row.requiredText("kind"), instanceId: try row.text("instance_id"),
                          serviceId: try row.text("service_id"), outcome: try row.requiredText("outcome"),
                          detail: try row.requiredText("detail"), replica: try row.text("replica"))
            }
        }
    }
}
