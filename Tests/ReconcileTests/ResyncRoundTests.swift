@testable import Controller
import Foundation
import Model
@testable import Observers
import Ports
import Railway
import RailwayFake
import TestSupport
import Testing

/// The resync of a large pool reads its listing a page per tick (`ObservationCache.merge`):
/// each page replaces what it shows, a whole round reports what it did not find, and
/// nothing is dropped, planned or deleted on a page: only a full listing says a service
/// is gone.
@Suite struct ResyncRoundTests {
    static let pageTick = ObservationScope(list: false, probeAll: false, resync: true, page: true)

    func service(_ id: String, _ status: DeployStatus = .success, deployment: String = "dep-1") -> PlatformService {
        PlatformService(serviceId: id, name: "pool-\(id)", createdAt: Date(timeIntervalSince1970: 1_790_000_000),
                        deployStatus: status, deploymentId: deployment, domain: "\(id).example")
    }

    @Test func pagesReplaceWhatTheyShowAndARoundReportsWhatItDidNotFind() throws {
        let cache = ObservationCache()
        _ = cache.store(PlatformListing(services: [service("a"), service("b", .deploying), service("c")], pages: 2), named: [])
        let first = try #require(cache.merge(PlatformListing(services: [service("a", deployment: "dep-2"), service("d")]),
                                             next: ListingCursor(source: 0, after: "cursor-1"), named: []))
        #expect(first.listing.services.map(\.serviceId) == ["a", "b", "c", "d"], "a replaced in place, d joins")
        #expect(first.listing.services[0].deploymentId == "dep-2")
        #expect(first.unreported == ["a"], "a redeployed and no webhook named it")
        #expect(first.roundPages == nil && first.missing.isEmpty, "the round goes on")
        #expect(cache.roundCursor == ListingCursor(source: 0, after: "cursor-1"))

        let last = try #require(cache.merge(PlatformListing(services: [service("b")]), next: nil, named: ["b"]))
        #expect(last.unreported.isEmpty, "b's deploy ended, but a webhook named it")
        #expect(last.roundPages == 2)
        #expect(last.missing == ["c"], "c was on no page of the round")
        #expect(cache.lastListing?.services.map(\.serviceId) == ["a", "b", "c", "d"], "c is kept until a full listing")
        #expect(cache.roundCursor == nil, "the next round starts at the first page")

        // A full listing is a whole round: a round begun before it starts again.
        _ = cache.merge(PlatformListing(services: [service("a")]), next: ListingCursor(source: 0, after: "cursor-1"), named: [])
        _ = cache.store(PlatformListing(services: [service("a"), service("b")], pages: 2), named: [])
        #expect(cache.roundCursor == nil)
        let again = try #require(cache.merge(PlatformListing(services: [service("a"), service("b")]), next: nil, named: []))
        #expect(again.missing.isEmpty && again.roundPages == 1)
    }

    /// On the fake Railway, in pages of 2 (its cursors are offsets, as a cursor may be): each
    /// page tick is one call. A service deleted behind the pool's back after its page was
    /// read moves the next one onto that page, so the round misses it: it is neither
    /// dropped nor acted on, the round reports it, and the full listing after it sees that
    /// it is there and that the deleted one is gone, and replaces only that one.
    @Test func aRoundOnRailwayCostsAPageATickAndNeverActsOnWhatItMissed() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 5, maxTotal: 5, pacing: 5)) { world in
            var config = world.client().config
            config.pageSize = 2
            let platform = RailwayPlatform(client: RailwayClient(config: config, sleep: { _ in }))
            var parts = world.parts(platform: platform)
            parts.observationCache = ObservationCache()
            let reconciler = try buildPoolRuntime(spec: world.spec, parts: parts).reconciler
            #expect(await world.converge(reconciler, idle: 5) != nil)
            let services = await world.poolServices().map(\.id)
            #expect(services.count == 5)

            var before = await world.fake.calls(of: "EnvironmentServices")
            var tick = await reconciler.tick(scope: Self.pageTick)
            #expect(await world.fake.calls(of: "EnvironmentServices") == before + 1)
            #expect(tick.observed.report.pages == 1 && !tick.observed.report.listed)
            #expect(tick.observed.report.roundPages == nil)
            try await platform.deleteService(serviceId: services[0])  // on the page just read
            before = await world.fake.calls(of: "EnvironmentServices")
            tick = await reconciler.tick(scope: Self.pageTick)
            #expect(await world.fake.calls(of: "EnvironmentServices") == before + 1)
            #expect(tick.plan.actions.isEmpty, "\(tick.plan.actions.map(\.kind))")
            #expect(tick.observed.report.roundPages == 2, "4 services left: the second page is the last")
            #expect(tick.observed.report.missing == [services[2]],
                    "moved onto the page already read (the deleted one was seen on it before it went)")
            let observed = Set(tick.observed.instances.compactMap { $0.service?.serviceId })
            #expect(observed == Set(services), "nothing dropped on a round's word")
            #expect(tick.observed.report.unreported.isEmpty)

            // The full listing the loop asks for next sees which one is gone.
            tick = await reconciler.tick(scope: ObservationScope(list: true, probeAll: false))
            #expect(tick.observed.report.listed && tick.observed.report.pages == 2)
            #expect(Set(tick.observed.instances.compactMap { $0.service?.serviceId }) == Set(services.dropFirst()))
            let gone = tick.observed.instances.first { $0.record?.serviceId == services[0] }?.record?.instanceId
            #expect(tick.plan.actions.filter { $0.kind == .delete }.map(\.instanceId) == [gone].compactMap { $0 },
                    "only the deleted one's record goes")
            #expect(tick.plan.actions.filter { $0.kind == .create }.count == 1, "\(tick.plan.actions.map(\.kind))")
        }
    }
}
