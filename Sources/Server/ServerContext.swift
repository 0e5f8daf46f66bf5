import Controller
import Foundation
import Logging
import Store

/// What the HTTP API serves from: the loop (its current runtime and last tick), the store
/// (events, requests, claim answers) and the key callers must present.
public struct ServerContext: Sendable {
    public var loop: ReconcileLoop
    public var store: any PoolStore
    /// POOL_API_KEY. Compared, never logged; an empty key refuses every protected call.
    public var apiKey: String
    public var logger: Logger
    public var clock: @Sendable () -> Date
    public var metrics: PoolMetrics
    /// The leader lease when replicas share the store; nil for a lone process.
    public var lease: LeaderLease?
    /// `POOL_WEBHOOK_SECRET` with webhooks on: the last segment of the webhook route. Nil:
    /// the route answers 404 like any unknown path.
    public var webhookSecret: String?

    public init(loop: ReconcileLoop, store: any PoolStore, apiKey: String, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }, metrics: PoolMetrics = PoolMetrics(),
                lease: LeaderLease? = nil, webhookSecret: String? = nil) {
        (self.loop, self.store, self.apiKey, self.logger) = (loop, store, apiKey, logger)
        (self.clock, self.metrics, self.lease, self.webhookSecret) = (clock, metrics, lease, webhookSecret)
    }
}
