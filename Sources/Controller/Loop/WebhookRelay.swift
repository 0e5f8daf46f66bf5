import Foundation
import Logging
import ServiceLifecycle
import Store

/// Railway posts each webhook to whichever replica its request reaches, and only the
/// leader ticks. A follower that accepts a known event writes it to the store
/// (`relayWebhook`); this service, on every replica, reads what was relayed since it last
/// looked, once a `interval`, while its replica leads, and hands each event to the loop as
/// if it had arrived here. A new leader starts from the newest relayed event: its first
/// tick lists the platform anyway, which shows what those events reported. A store that
/// does not answer only delays the events until it does, and on Postgres an event whose
/// id commits after a higher one may be passed over; the resync corrects whatever is lost.
public struct WebhookRelay: Service {
    let store: any PoolStore
    let loop: ReconcileLoop
    let leading: @Sendable () -> Bool
    let interval: Duration
    let logger: Logger
    /// The id to read after when this replica leads first; nil: the newest (tests pass 0).
    let startAfter: Int64?

    public init(store: any PoolStore, loop: ReconcileLoop, leading: @escaping @Sendable () -> Bool,
                interval: Duration = .seconds(1), startAfter: Int64? = nil, logger: Logger) {
        (self.store, self.loop, self.leading, self.interval, self.logger) = (store, loop, leading, interval, logger)
        self.startAfter = startAfter
    }

    public func run() async throws {
        var last = startAfter
        var failing = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if leading() {
                do {
                    let relayed = try await store.relayedWebhooks(after: last)
                    if last != nil {
                        for serviceId in relayed.serviceIds { loop.webhookReceived(serviceId: serviceId) }
                        if !relayed.serviceIds.isEmpty {
                            logger.info("webhooks relayed by followers: \(relayed.serviceIds.count); ticking")
                        }
                    }
                    last = relayed.lastId
                    if failing { logger.notice("webhook relay: the store answers again") }
                    failing = false
                } catch {
                    if !failing { logger.warning("webhook relay: could not read relayed webhooks (the resync covers them): \(error)") }
                    failing = true
                }
            } else {
                last = nil
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
    }
}
