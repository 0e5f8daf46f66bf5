import Foundation

/// Webhooks a follower received, relayed to the leader through the store
/// (`relayed_webhooks`): Railway posts to whichever replica its request reaches.
extension SQLPoolStore {
    /// How long a relayed webhook is kept: the leader reads them within a second or two.
    static let relayedWebhooksKept: TimeInterval = 3600

    public func relayWebhook(serviceId: String?, at: Date) async throws {
        try await driver.write("relayWebhook") { db in
            try await db.run("INSERT INTO relayed_webhooks (service_id, at) VALUES ($1, $2)", .text(serviceId), .date(at))
            try await db.run("DELETE FROM relayed_webhooks WHERE at < $1", .date(at.addingTimeInterval(-Self.relayedWebhooksKept)))
        }
    }

    public func relayedWebhooks(after: Int64?) async throws -> RelayedWebhooks {
        try await driver.read("relayedWebhooks") { db in
            guard let after else {
                let newest = try await db.run("SELECT COALESCE(MAX(id), 0) AS newest FROM relayed_webhooks")
                return RelayedWebhooks(serviceIds: [], lastId: try newest[0].requiredInteger("newest"))
            }
            let rows = try await db.run("SELECT id, service_id FROM relayed_webhooks WHERE id > $1 ORDER BY id LIMIT 1000", .integer(after))
            return RelayedWebhooks(serviceIds: try rows.map { try $0.text("service_id") },
                                   lastId: try rows.last?.requiredInteger("id") ?? after)
        }
    }
}
