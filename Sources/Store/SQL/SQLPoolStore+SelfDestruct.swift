import Foundation
import Model

extension SQLPoolStore {
    /// The state check is in the UPDATE itself: a claim that starts meanwhile cannot be
    /// overwritten, whatever the isolation level (Postgres re-checks the row it waited for).
    /// A claimed instance keeps its agent name for the audit; its claim ends.
    public func selfDestruct(instanceId: String, at: Date) async throws -> SelfDestructOutcome {
        try requireNonEmpty(instanceId, "instanceId")
        return try await driver.write("selfDestruct") { db in
            let updated = try await db.run("""
                UPDATE instances
                SET self_destruct_at = $2, claim = 'none',
                    retired_reason = COALESCE(retired_reason, 'the instance asked to be removed')
                WHERE instance_id = $1 AND claim <> 'claiming' AND self_destruct_at IS NULL AND forgotten_at IS NULL
                RETURNING service_id
                """, .text(instanceId), .date(at))
            if let row = updated.first {
                try await db.run("""
                    INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
                    VALUES ($1, 'self-destruct', $2, $3, 'ok', 'the instance asked to be removed; the next tick deletes it')
                    """, .date(at), .text(instanceId), .text(try row.text("service_id")))
                return .retired
            }
            // Not changed: say why.
            let rows = try await db.run("SELECT claim, self_destruct_at, forgotten_at FROM instances WHERE instance_id = $1",
                                        .text(instanceId))
            guard let row = rows.first else { return .unknown }
            if try row.integer("forgotten_at") != nil { return .gone }
            if try row.integer("self_destruct_at") != nil { return .alreadyRetired }
            return .claiming
        }
    }
}
