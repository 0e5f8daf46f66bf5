import Controller
import Foundation
import Model
import Observers
import Spec
import TestSupport
import Testing

/// How much each tick observes with webhooks: everything without them or while polling;
/// with them, a full resync every `resyncInterval`, a listing when something may have
/// changed, nothing on a quiet tick; polling when webhooks go quiet during deploys or a
/// listing finds a change no webhook reported, healthy again on the next webhook.
@Suite struct WebhookWatchTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    var settings: PoolSettings {
        var s = PoolSettings()
        s.resyncInterval = 300
        s.webhookStaleAfter = 900
        return s
    }

    /// Observes with the scope the watch gives, as the loop does; returns the scope.
    func tick(_ w: WebhookWatch, inFlight: Bool = false, unreported: [String] = [], acted: Bool = false) -> ObservationScope {
        let scope = w.scope(settings: settings, deploysInFlight: inFlight)
        w.observed(scope: scope, report: ObservationReport(listed: scope.list, unreported: scope.list ? unreported : []),
                   complete: true, acted: acted)
        return scope
    }

    /// What a scope says, but for which share it probes (`shares` checks those).
    struct Seen: Equatable {
        var list: Bool
        var probeAll = false
        var named: Set<String> = []
        var resync = false
    }

    func seen(_ s: ObservationScope) -> Seen { Seen(list: s.list, probeAll: s.probeAll, named: s.named, resync: s.resync) }

    /// While healthy, ticks take the shares of the instances in turn, one share per tick
    /// of a resync interval: every instance is probed once per interval, none twice.
    @Test func healthyTicksProbeTheSharesInTurn() throws {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        var shares: [ObservationScope.Share] = []
        for _ in 0..<20 {
            shares.append(try #require(tick(w).share))
            clock.advance(.seconds(30))
        }
        #expect(shares.map(\.of) == Array(repeating: 10, count: 20), "300 s of resync over 30 s ticks")
        #expect(shares.map(\.index) == Array(0..<10) + Array(0..<10))
        let keys = (0..<1_000).map { "svc-\($0)" }
        for key in keys { #expect(shares.prefix(10).filter { $0.contains(key) }.count == 1, "\(key) in exactly one share") }
        let sizes = shares.prefix(10).map { share in keys.filter(share.contains).count }
        #expect(sizes.allSatisfy { (60...140).contains($0) }, "shares of about a tenth: \(sizes)")
        #expect(ObservationScope.Share(index: 3, of: 0).of == 1 && ObservationScope.Share(index: 3, of: 0).contains("x"),
                "a tick as long as the resync interval probes everything")
        // Ticks between (events, claims) take no share: a burst probes no more than the timer.
        #expect(tick(w).share == ObservationScope.Share(index: 0, of: 10))
        w.received(serviceId: "svc-1")
        clock.advance(.seconds(1))
        #expect(tick(w).share == nil)
        clock.advance(.seconds(29))
        #expect(tick(w).share == ObservationScope.Share(index: 1, of: 10))
    }

    @Test func offObservesEverythingEveryTick() {
        let w = WebhookWatch(offReason: "POOL_WEBHOOK_SECRET is not set")
        for _ in 0..<3 { #expect(tick(w) == .full) }
        w.received(serviceId: "svc-1")
        #expect(w.state.mode == .off && w.state.received == 0)
    }

    @Test func healthyListsOnEventsAndResyncsOnTime() {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        #expect(seen(tick(w)) == Seen(list: true, resync: true), "the first tick is a resync")
        clock.advance(.seconds(30))
        #expect(seen(tick(w)) == Seen(list: false), "a quiet tick lists nothing")
        w.received(serviceId: "svc-1")
        #expect(seen(tick(w)) == Seen(list: true, named: ["svc-1"]), "an event lists and names its service")
        #expect(tick(w).list == false, "once")
        w.demand()
        #expect(tick(w).list, "a claim or an operator lists")
        #expect(tick(w).list == false)
        clock.advance(.seconds(300))
        #expect(seen(tick(w)) == Seen(list: true, resync: true), "resync after resyncInterval")
        #expect(w.state.mode == .healthy && w.state.lastResyncAt == clock.now)
    }

    /// An event during a tick is kept for the next one; a resync carries the names too, so
    /// what they changed is no missed webhook.
    @Test func anEventDuringATickIsNotLost() {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        _ = tick(w)
        w.received(serviceId: "svc-1")
        let scope = w.scope(settings: settings, deploysInFlight: false)
        w.received(serviceId: "svc-1")  // again, while that tick runs
        w.observed(scope: scope, report: ObservationReport(listed: true), complete: true, acted: false)
        #expect(w.scope(settings: settings, deploysInFlight: false).named == ["svc-1"], "the second event still names it")
        clock.advance(.seconds(300))
        w.received(serviceId: "svc-2")
        let resync = w.scope(settings: settings, deploysInFlight: false)
        #expect(resync.list && resync.resync && resync.named.contains("svc-2"))
        w.observed(scope: resync, report: ObservationReport(listed: true), complete: true, acted: false)
        #expect(w.state.mode == .healthy && w.state.lastResyncAt == clock.now)
    }

    /// Railway's listing can lag its event: a named service the listing still shows on its
    /// way up keeps the next ticks listing (and naming it) until a listing shows it ended.
    @Test func aNameStaysUntilAListingShowsItsDeployEnded() {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        _ = tick(w)
        w.received(serviceId: "svc-1")
        for _ in 0..<2 {
            let scope = w.scope(settings: settings, deploysInFlight: true)
            #expect(seen(scope) == Seen(list: true, named: ["svc-1"]))
            w.observed(scope: scope, report: ObservationReport(listed: true, inProgress: ["svc-1", "svc-other"]), complete: true, acted: false)
        }
        let ended = w.scope(settings: settings, deploysInFlight: true)
        w.observed(scope: ended, report: ObservationReport(listed: true, inProgress: ["svc-other"]), complete: true, acted: false)
        #expect(seen(tick(w)) == Seen(list: false), "answered: the quiet ticks list nothing again")
    }

    @Test func ownActionsListNextAndExcuseWhatTheListingFinds() {
        let w = WebhookWatch(offReason: nil)
        _ = tick(w, acted: true)
        let next = tick(w, unreported: ["svc-deleted"])
        #expect(next.list, "the tick after actions lists")
        #expect(w.state.mode == .healthy, "what our own actions changed is no missed webhook")
    }

    @Test func anUnreportedChangeFallsBackToPollingUntilTheNextWebhook() {
        let w = WebhookWatch(offReason: nil)
        _ = tick(w)
        w.received(serviceId: "svc-2")
        _ = tick(w, unreported: ["svc-1"])
        #expect(w.state.mode == .polling && w.state.reason?.contains("1 change(s) no webhook reported") == true, "\(w.state)")
        #expect(tick(w) == .full && tick(w) == .full, "polling observes everything")
        w.received(serviceId: "svc-3")
        #expect(w.state.mode == .healthy && w.state.reason == nil)
    }

    @Test func silenceDuringDeploysFallsBackToPolling() {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        _ = tick(w)
        clock.advance(.seconds(1_000))
        #expect(tick(w, inFlight: false) != .full || w.state.mode == .healthy, "quiet without deploys is fine")
        #expect(w.state.mode == .healthy)
        // Silence counts from when deploys began, not from the last webhook long before.
        _ = tick(w, inFlight: true)
        #expect(w.state.mode == .healthy, "deploys just began: \(w.state)")
        clock.advance(.seconds(600))
        _ = tick(w, inFlight: true)
        #expect(w.state.mode == .healthy)
        clock.advance(.seconds(300))
        _ = tick(w, inFlight: true)
        #expect(w.state.mode == .polling && w.state.reason?.contains("while deploys are in flight") == true, "\(w.state)")
        w.received(serviceId: nil)
        #expect(w.state.mode == .healthy)
    }
}
