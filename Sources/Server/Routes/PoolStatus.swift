import Foundation
import Hummingbird
import Controller
import Model
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
        @EncodedAsNull var holder: String?
        @EncodedAsNull var expiresAt: Date?
    }
    /// Null for a lone process (no lease).
    var leader: Leader?
    /// When the last tick ended, whether it saw everything, whether it listed the platform
    /// (false: the last listing, reused while webhooks are healthy), and how many it probed.
    struct Tick: Encodable { var finishedAt: Date, complete: Bool, incompleteReason: String?, listed: Bool, probed: Int }
    var counts: PoolCounts
    /// Which credential instances hold (instance secret versions, the pool key).
    var credentials: CredentialCounts
    /// The image instances run, when they run one: tag, digest in force, last check and
    /// its error (a failing registry leaves the last digest in force).
    struct Image: Encodable {
        var image: String
        @EncodedAsNull var digest: String?
        @EncodedAsNull var checkedAt: Date?
        @EncodedAsNull var error: String?
        var consecutiveFailures: Int
    }
    @EncodedAsNull var image: Image?
    /// Railway's webhooks: `off` (and why), `healthy`, or `polling` (and why); the last
    /// event, the last full observation, and the notification rule's last check.
    var webhooks: WebhookWatch.State
    var tick: Tick
    var instances: [InstanceStatus]
}
