import Foundation
import Hummingbird
import Views

/// `GET /api/pool/status`: the counts, when and how the last tick observed, and every instance.
struct PoolStatus: ResponseEncodable {
    /// Replicas sharing one store: which one this is and which one leads.
    struct Leader: Encodable {
        /// This replica's name.
        var replica: String
        /// Whether this replica runs the reconcile loop.
        var leading: Bool
        /// The replica holding the lease as last read; null when none holds it.
        var holder: String?
        var expiresAt: Date?

        enum CodingKeys: String, CodingKey { case replica, leading, holder, expiresAt }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(replica, forKey: .replica)
            try c.encode(leading, forKey: .leading)
            try c.encode(holder, forKey: .holder)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }
    /// Null for a lone process (no lease).
    public var leader: Leader?
    struct Tick: Encodable {
        var finishedAt: Date
        var complete: Bool
        var incompleteReason: String?
    }
    public var counts: PoolCounts
    public var tick: Tick
    public var instances: [InstanceStatus]
}
