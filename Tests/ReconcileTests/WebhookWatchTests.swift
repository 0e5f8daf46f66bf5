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
    func tick(_ w: WebhookWatch, inFlight: Bool = false, unreported: [String] = [], acted: Bool = false,
              pages: Int = 1, settings: PoolSettings? = nil) -> ObservationScope {
        let scope = w.scope(settings: settings ?? self.settings, deploysInFlight: inFlight)
        w.observed(scope: scope, report: ObservationReport(listed: scope.list, unreported: scope.list ? unreported : [],
                                                           pages: scope.list ? pages : 0),
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
        // Ids as the fake Railway makes them repeat their varying digits: a hash whose low
        // bit is the bytes' parity put all of them in even shares.
        for keys in [(0..<1_000).map { "svc-\($0)" },
                     (0..<1_000).map { String(format: "svc-%08x-0000-4000-8000-%012x", $0, $0) }] {
            for key in keys { #expect(shares.prefix(10).filter { $0.contains(key) }.count == 1, "\(key) in exactly one share") }
            let sizes = shares.prefix(10).map { share in keys.filter(share.contains).count }
            #expect(sizes.allSatisfy { (60...140).contains($0) }, "shares of about a tenth: \(sizes)")
        }
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

    /// A listing of many pages is read a page at a time, at the pace `resyncCallsPerHour`
    /// allows (20 pages at 12 calls an hour: a page every 300 s, a round in 100 minutes),
    /// so no quiet hour spends more; the probes keep their shares of `resyncInterval`, and
    /// a claim still lists everything at once (which starts the round again).
    @Test func aLargeListingIsReadAPageAtATimeWithinTheCallBudget() throws {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        #expect(seen(tick(w, pages: 20)) == Seen(list: true, resync: true), "the first tick lists everything: 20 pages")
        #expect(w.state.listingPages == 20)
        var pageTicks: [Int] = [], listings: [Int] = [], shares: [Int] = [], callsPerHour = [0, 0, 0, 0]
        var read = 0
        for k in 1...480 {  // four hours of 30 s ticks
            clock.advance(.seconds(30))
            if k == 84 { w.demand() }
            let scope = w.scope(settings: settings, deploysInFlight: false)
            var report = ObservationReport(listed: scope.list, pages: scope.list ? 20 : 0)
            if scope.list { listings.append(k); read = 0 }
            if scope.page {
                #expect(!scope.list && scope.resync && !scope.probeAll)
                pageTicks.append(k)
                read += 1
                report.pages = 1
                if read == 20 { (report.roundPages, read) = (20, 0) }
            }
            callsPerHour[(k - 1) / 120] += report.pages
            w.observed(scope: scope, report: report, complete: true, acted: false)
            if k <= 10 { shares.append(try #require(scope.share).index) }
            if k == 284 { #expect(w.state.lastResyncAt == clock.now, "the round that began after the claim ends here") }
        }
        #expect(listings == [84], "the claim's listing; no other tick lists everything")
        #expect(pageTicks == Array(stride(from: 10, through: 80, by: 10)) + Array(stride(from: 94, through: 474, by: 10)),
                "a page every 300 s, counted again from the claim's listing")
        #expect(callsPerHour.suffix(2) == [12, 12], "a quiet hour: 12 calls whatever the size")
        #expect(Set(shares) == Set(0..<10), "the probes still go round every 300 s: \(shares)")
        #expect(w.state.resyncEvery == 6_000 && w.state.listingPages == 20)
        #expect(w.state.lastResyncAt == Self.t0.addingTimeInterval(284 * 30))
    }

    /// What a whole round did not find may have moved between pages while it ran: the next
    /// tick lists everything to tell. Within the budget a round takes resyncInterval; a
    /// listing of one page is a full listing every resyncInterval, as before pages.
    @Test func aRoundThatMissesAServiceListsEverythingNext() throws {
        let clock = TestClock(Self.t0)
        let w = WebhookWatch(offReason: nil, clock: { clock.now })
        var generous = settings
        generous.resyncCallsPerHour = 240
        _ = tick(w, pages: 3, settings: generous)
        var scopes: [ObservationScope] = []
        for k in 1...3 {
            clock.advance(.seconds(100))
            let scope = w.scope(settings: generous, deploysInFlight: false)
            scopes.append(scope)
            w.observed(scope: scope, report: ObservationReport(listed: false, pages: 1, roundPages: k == 3 ? 3 : nil,
                                                               missing: k == 3 ? ["svc-7"] : []),
                       complete: true, acted: false)
        }
        #expect(scopes.allSatisfy { $0.page }, "3 pages: a round in resyncInterval, a page every 100 s, within 240 calls an hour")
        #expect(w.state.resyncEvery == 300)
        clock.advance(.seconds(30))
        #expect(seen(w.scope(settings: generous, deploysInFlight: false)) == Seen(list: true), "svc-7 missing: list everything")
        w.observed(scope: ObservationScope(list: true, probeAll: false), report: ObservationReport(listed: true, pages: 1),
                   complete: true, acted: false)
        #expect(w.state.listingPages == 1)
        clock.advance(.seconds(300))
        #expect(seen(tick(w)) == Seen(list: true, resync: true), "one page: a full listing every resyncInterval")
        // A page tick that listed everything after all (after a blind tick, or before a
        // delete) counts as the full listing it was.
        clock.advance(.seconds(30))
        w.observed(scope: ObservationScope(list: false, probeAll: false, resync: true, page: true),
                   report: ObservationReport(listed: true, pages: 4), complete: true, acted: false)
        #expect(w.state.listingPages == 4 && w.state.lastResyncAt == clock.now)
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
