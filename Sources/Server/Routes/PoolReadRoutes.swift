import Controller
import Foundation
import Hummingbird
import Model
import NIOCore
import Store
import Views

extension PoolCounts: ResponseEncodable {}

/// What the pool looks like: counts (public, for a status badge), and behind the key the
/// full status, the plan the next tick would apply, and the audit log.
struct PoolReadRoutes {
    let context: ServerContext

    func registerPublic(on router: Router<PoolRequestContext>) {
        router.get("api/pool/counts") { _, _ in PoolCounts(try await lastTick().result.plan.counts) }
    }

    func registerProtected(on group: RouterGroup<PoolRequestContext>) {
        group.get("status") { _, _ in try await status() }
        group.get("plan") { _, _ in
            let (_, plan) = await context.loop.runtime.reconciler.preview()
            return JSONAnswer(plan)
        }
        group.get("events") { request, _ in try await events(request) }
        group.get("history") { request, _ in JSONAnswer(try await history(request)) }
        group.get("history.svg") { request, _ in
            Response(status: .ok, headers: [.contentType: "image/svg+xml; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: HistoryChart.svg(try await history(request)))))
        }
    }

    /// The last `hours` (default 24, at most a week) of the store's history.
    func history(_ request: Request) async throws -> PoolHistory {
        var hours = 24
        if let text = request.uri.queryParameters["hours"] {
            guard let n = Int(text), (1...PoolHistory.maxHours).contains(n) else {
                throw APIError(.badRequest, "hours: expected an integer from 1 to \(PoolHistory.maxHours)")
            }
            hours = n
        }
        let window = PoolHistory.Window(hours: hours, now: context.clock())
        do {
            return PoolHistory(rows: try await context.store.history(since: window.since, until: window.until), window: window)
        } catch {
            context.logger.error("history: the store is unavailable: \(error)")
            throw APIError.unavailable("the pool's store is unavailable", retryAfter: await context.loop.runtime.retryAfterSeconds)
        }
    }

    func lastTick() async throws -> ReconcileLoop.LastTick {
        guard let last = await context.loop.lastTick else {
            throw APIError.unavailable("no tick has completed yet", retryAfter: await context.loop.runtime.retryAfterSeconds)
        }
        return last
    }

    func status() async throws -> PoolStatus {
        let last = try await lastTick()
        let spec = await context.loop.runtime.spec
        // The tick's own classification: the states it planned from.
        let owned = last.result.classification.owned
        let answers: [String: ClaimOutcome]
        do {
            answers = try await context.store.claimAnswers(instanceIds: owned.filter { $0.record?.conversationId != nil }.map(\.instanceId))
        } catch {
            context.logger.error("status: could not read claim answers: \(error)")
            throw APIError.unavailable("the pool's store is unavailable", retryAfter: await context.loop.runtime.retryAfterSeconds)
        }
        let now = context.clock()
        let observed = last.result.observed
        return PoolStatus(
            leader: await leader(),
            counts: PoolCounts(last.result.plan.counts),
            credentials: last.result.credentials,
            image: last.result.image.map {
                PoolStatus.Image(image: $0.image, digest: $0.digest, checkedAt: $0.checkedAt, error: $0.error,
                                 consecutiveFailures: $0.failures)
            },
            webhooks: context.loop.webhooks.state,
            tick: .init(finishedAt: last.finishedAt, complete: observed.complete, incompleteReason: observed.incompleteReason,
                        listed: observed.report.listed, probed: observed.report.probed),
            instances: owned.map { i in
                var invite: String?
                if case .claimed(_, _, let url, _)? = answers[i.instanceId] { invite = url }
                return InstanceStatus(i, scheme: spec.instanceScheme, now: now, inviteUrl: invite)
            })
    }

    /// Who leads, from this replica's last read of the lease; nil for a lone process.
    func leader() async -> PoolStatus.Leader? {
        guard let lease = context.lease else { return nil }
        let seen = lease.lastSeen
        return PoolStatus.Leader(replica: lease.replica, leading: lease.isLeader,
                                 holder: seen.flatMap { $0.expiresAt > context.clock() ? $0.holder : nil },
                                 expiresAt: seen?.expiresAt)
    }

    struct EventPage: ResponseEncodable {
        var events: [PoolEvent]
        /// Pass as `before` for the next (older) page; null on the last page (written even
        /// then: the last page says so).
        @EncodedAsNull var next: Int64?
    }

    static let maxEventsPerPage = 500

    func events(_ request: Request) async throws -> EventPage {
        let query = request.uri.queryParameters
        var limit = 50
        if let text = query["limit"] {
            guard let n = Int(text), (1...Self.maxEventsPerPage).contains(n) else {
                throw APIError(.badRequest, "limit: expected an integer from 1 to \(Self.maxEventsPerPage)")
            }
            limit = n
        }
        var before: Int64?
        if let text = query["before"] {
            guard let id = Int64(text), id > 0 else { throw APIError(.badRequest, "before: expected a positive event id") }
            before = id
        }
        do {
            let events = try await context.store.events(limit: limit, before: before)
            return EventPage(events: events, next: events.count == limit ? events.last?.id : nil)
        } catch {
            context.logger.error("events: the store is unavailable: \(error)")
            throw APIError.unavailable("the pool's store is unavailable", retryAfter: await context.loop.runtime.retryAfterSeconds)
        }
    }
}
