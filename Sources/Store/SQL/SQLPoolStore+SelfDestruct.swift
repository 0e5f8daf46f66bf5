import Foundation
import Model

extension SQLPoolStore {
    /// One transaction: the state check and the change cannot be split by a claim starting
    /// in between. A claimed instance keeps its agent name for the audit; its claim ends.
    public func selfDestruct(instanceId: String, at: Date) async throws -> SelfDestructOutcome {
        try requireNonEmpty(instanceId, "instanceId")
        return try await driver.write("selfDestruct") { db in
            let rows = try await db.run("""
                SELECT claim, self_destruct_at, forgotten_at, service_id FROM instances WHERE instance_id = $1
                """, .text(instanceId))
            guard let row = rows.first else { return .unknown }
            guard try row.integer("forgotten_at") == nil else { return .gone }
            if try row.integer("self_destruct_at") != nil { return .alreadyRetired }
            if try row.requiredText("claim") == InstanceRecord.Claim.claiming.rawValue { return .claiming }
            try await db.run("""
                UPDATE instances
                SET self_destruct_at = $2, claim = 'none',
                    retired_reason = COALESCE(retired_reason, 'the instance asked to be removed')
                WHERE instance_id = $1
                """, .text(instanceId), .date(at))
            try await db.run("""
                INSERT INTO events (at, kind, instance_id, service_id, outcome, detail)
                VALUES ($1, 'self-destruct', $2, $3, 'ok', 'the instance asked to be removed; the next tick deletes it')
                """, .date(at), .text(instanceId), .text(try row.text("service_id")))
            return .retired
        }
    }
}
