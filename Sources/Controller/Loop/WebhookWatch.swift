import Foundation
import Model
import Observers
import Spec

/// Railway's webhooks as the loop sees them: the edge that starts a tick now, on a loop
/// that stays level-triggered. Decides how much each tick observes (`ObservationScope`):
///
/// - off (no public URL or secret) or polling: every tick lists and probes everything, as
///   without webhooks;
/// - healthy: a tick lists only when something may have changed on Railway (a webhook, a
///   claim, an operator action, the last tick's own actions) and probes only what may
///   have changed, plus its share; a quiet timer tick lists nothing. The resync corrects
///   what webhooks missed: a full listing every `resyncInterval` while the listing is one
///   page; a larger one is read a page per tick, at the pace `resyncCallsPerHour` allows
///   (20 pages at 12 calls an hour: a page every 5 minutes, a round in 100).
///
/// Polling comes back when no webhook has arrived for `webhookStaleAfter` while deploys
/// are in flight, or when a resync finds a change no webhook reported; the next webhook
/// makes it healthy again. A webhook never changes state by itself: it only names
/// services to look at.
public final class WebhookWatch: @unchecked Sendable {
    /// Guards every field below: the route, the loop and the claim service call in from any task.
    private let lock = NSLock()
    public enum Mode: String, Sendable, Codable {
        /// No public URL or no secret: the loop polls, as before webhooks.
        case off
        /// Webhooks arrive: the loop lists on events and at resyncs.
        case healthy
        /// Webhooks went quiet or missed a change: every tick observes everything.
        case polling
    }

    /// What status and metrics show (`GET /api/pool/status`, `webhooks`; absent values as null).
    public struct State: Sendable, Equatable, Encodable {
        public var mode: Mode
        /// Why the loop polls (or why webhooks are off); nil while healthy.
        @EncodedAsNull public var reason: String?
        @EncodedAsNull public var lastWebhookAt: Date?
        @EncodedAsNull public var lastResyncAt: Date?
        /// Seconds a resync round takes now: `resyncInterval` for a listing of one page, or
        /// `listingPages` pages at the pace of the call budget.
        public var resyncEvery: Double
        /// Calls the last full listing (or round) took.
        public var listingPages: Int
        /// Known events received since start.
        public var received: Int
        /// The notification rule: when it was last confirmed, and the last registration error.
        @EncodedAsNull public var ruleCheckedAt: Date?
        @EncodedAsNull public var ruleError: String?
    }

    private let clock: @Sendable () -> Date
    private var mode: Mode
    private var reason: String?
    private let startedAt: Date
    private var lastWebhookAt: Date?
    private var lastResyncAt: Date?
    private var resyncEvery: TimeInterval = 0
    /// Pages of the last listing: what the next resync will cost.
    private var listingPages = 1
    /// When the last listing call went out (a full listing or a round's page): the round
    /// reads its next page one page interval later.
    private var lastPageAt: Date?
    private var received = 0
    /// Services named by webhooks and not yet observed, with how many events named each: a
    /// name is cleared only by a tick that began after its last event.
    private var named: [String: Int] = [:]
    private var namedAtScope: [String: Int] = [:]
    /// Shares given so far (which one comes next), and when the last was.
    private var sharesGiven = 0
    private var lastShareAt: Date?
    /// Since when deploys have been in flight: silence counts from then, not from before.
    private var inFlightSince: Date?
    /// Something other than the timer asked for this tick (a claim, an operator, a webhook).
    private var demanded = false
    /// The last tick applied actions, or an operator acted since: Railway changed by our
    /// own hand. The next tick lists, and what its listing finds changed is no missed webhook.
    private var acted = false
    /// Demands so far, and as of the last `scope()`: one that comes during a tick is kept
    /// for the next.
    private var demands = 0
    private var demandsAtScope = 0
    private var ruleCheckedAt: Date?
    private var ruleError: String?

    /// - Parameter offReason: why webhooks are off, or nil when they are on.
    public init(offReason: String?, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
        self.mode = offReason == nil ? .healthy : .off
        self.reason = offReason
        self.startedAt = clock()
    }

    public var enabled: Bool { lock.withLock { mode != .off } }

    public var state: State {
        lock.withLock {
            State(mode: mode, reason: reason, lastWebhookAt: lastWebhookAt, lastResyncAt: lastResyncAt,
                  resyncEvery: resyncEvery, listingPages: listingPages, received: received,
                  ruleCheckedAt: ruleCheckedAt, ruleError: ruleError)
        }
    }

    /// A known event about `serviceId`: the next tick lists and probes it. A webhook after
    /// polling began makes webhooks healthy again.
    public func received(serviceId: String?) {
        lock.withLock {
            guard mode != .off else { return }
            received += 1
            lastWebhookAt = clock()
            if let serviceId { named[serviceId, default: 0] += 1 }
            demanded = true
            demands += 1
            if mode == .polling {
                mode = .healthy
                reason = nil
            }
        }
    }

    /// A claim, an operator action or a reload asked for a tick: it lists. (What such an
    /// action changes on Railway is a delete or a rename, which no webhook reports and no
    /// listing counts as missed.)
    public func demand() {
        lock.withLock {
            demanded = true
            demands += 1
        }
    }

    /// What the next tick observes, for a pool with `settings` and deploys in flight or not.
    public func scope(settings: PoolSettings, deploysInFlight: Bool) -> ObservationScope {
        lock.withLock {
            let now = clock()
            demandsAtScope = demands
            namedAtScope = named
            guard mode != .off else { return .full }
            let pageEvery = Self.pageInterval(settings: settings, pages: listingPages)
            resyncEvery = pageEvery * Double(listingPages)
            inFlightSince = deploysInFlight ? (inFlightSince ?? now) : nil
            if mode == .healthy, let since = inFlightSince,
               now.timeIntervalSince(max(lastWebhookAt ?? startedAt, since)) >= settings.webhookStaleAfter {
                mode = .polling
                reason = "no webhook for \(DurationText.format(settings.webhookStaleAfter)) while deploys are in flight"
            }
            let names = Set(named.keys)
            if mode == .polling { return ObservationScope(list: true, probeAll: true, named: names, resync: true) }
            // The probes of a resync, spread over the ticks of its interval: a tick at the
            // timer's pace (one tickInterval after the last share) takes the next share, so
            // each instance is probed about once per interval, no tick probes the whole
            // pool, and a burst of event ticks probes no more than the timer would.
            var share: ObservationScope.Share?
            if now.timeIntervalSince(lastShareAt ?? .distantPast) >= settings.tickInterval * 0.9 {
                share = ObservationScope.Share(index: sharesGiven, of: Int(settings.resyncInterval / settings.tickInterval))
                sharesGiven += 1
                lastShareAt = now
            }
            let changed = demanded || acted || !names.isEmpty
            let due = now.timeIntervalSince(lastPageAt ?? .distantPast) >= pageEvery
            if lastResyncAt == nil || (due && listingPages <= 1) {
                return ObservationScope(list: true, probeAll: false, named: names, share: share, resync: true)
            }
            if due && !changed {
                return ObservationScope(list: false, probeAll: false, named: names, share: share, resync: true, page: true)
            }
            return ObservationScope(list: changed, probeAll: false, named: names, share: share)
        }
    }

    /// After a tick observed with `scope`: a full one is a resync; a listing that found a
    /// change no webhook reported sends the loop back to polling.
    public func observed(scope: ObservationScope, report: ObservationReport, complete: Bool, acted: Bool) {
        lock.withLock {
            let ownChanges = self.acted
            let demandedSince = demands != demandsAtScope
            self.acted = acted || !complete
            guard complete else { return }
            // By what the tick did: a page tick lists everything after a blind tick, or
            // before a delete.
            guard report.listed else {
                if scope.page { roundRead(report, ownChanges: ownChanges) }
                return
            }
            // A name is answered by a listing that shows its deploy ended; one still on its
            // way up (the listing lags the event) keeps the next ticks listing until it ends.
            for (service, count) in namedAtScope where named[service] == count && !report.inProgress.contains(service) {
                named[service] = nil
            }
            demanded = demandedSince
            // Any full listing is a whole observation: the resync's round starts again after it.
            if report.pages > 0 { listingPages = report.pages }
            lastResyncAt = clock()
            lastPageAt = lastResyncAt
            unreportedFallsBack(report, ownChanges: ownChanges)
        }
    }

    /// A page of the resync's round was read: its end says what a listing costs now. What
    /// a whole round did not find may be gone, or may have moved between pages while it
    /// ran: the next tick lists everything to tell (under the lock).
    private func roundRead(_ report: ObservationReport, ownChanges: Bool) {
        lastPageAt = clock()
        if let pages = report.roundPages {
            listingPages = max(1, pages)
            lastResyncAt = lastPageAt
        }
        if !report.missing.isEmpty {
            demanded = true
            demands += 1
        }
        unreportedFallsBack(report, ownChanges: ownChanges)
    }

    /// A change no webhook reported sends a healthy loop back to polling (under the lock).
    private func unreportedFallsBack(_ report: ObservationReport, ownChanges: Bool) {
        if mode == .healthy, !report.unreported.isEmpty, !ownChanges {
            mode = .polling
            reason = "a listing found \(report.unreported.count) change(s) no webhook reported"
        }
    }

    /// How far apart the resync's pages go for a listing of `pages` calls: a round in
    /// `resyncInterval`, unless that spends more than the call budget (20 pages at 12 calls
    /// an hour: a page every 300 s, a round in 100 minutes). At most one page per tick.
    /// Between rounds the probes (every instance once per `resyncInterval`) and the
    /// webhooks carry the level, and any event, claim or action still lists everything.
    static func pageInterval(settings: PoolSettings, pages: Int) -> TimeInterval {
        max(settings.resyncInterval / Double(max(1, pages)), 3_600 / Double(settings.resyncBudget))
    }

    /// The notification rule was confirmed, or could not be.
    public func ruleChecked(error: String?) {
        lock.withLock {
            ruleCheckedAt = clock()
            ruleError = error
        }
    }

    /// When the rule should be checked again: at once before the first success, then hourly
    /// (a minute after a failure).
    public var ruleCheckDue: Bool {
        lock.withLock {
            guard mode != .off else { return false }
            guard let at = ruleCheckedAt else { return true }
            return clock().timeIntervalSince(at) >= (ruleError == nil ? 3_600 : 60)
        }
    }
}
