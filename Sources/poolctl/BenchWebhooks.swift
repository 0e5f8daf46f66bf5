import ArgumentParser
import Controller
import Foundation
import Observers
import Railway
import Spec

/// A steady hour with Railway's webhooks and without, on the fake Railway in simulated
/// time (30 s ticks, each advancing the fake and the pool's clock), over N running idle
/// instances in each placement: Railway calls and status probes per hour. The loop's own
/// `WebhookWatch` picks each tick's scope, as `poolctl serve` does; with webhooks the
/// leader also confirms its notification rule once an hour (one call, counted).
struct WebhookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Railway calls and probes per steady hour, with webhooks and without.")

    @Option(help: "Comma-separated pool sizes (running idle instances).")
    var sizes = "100,1000"

    @Option(help: "Placements: shared, projects, or both.")
    var placements = "both"

    @Flag(help: "Skip the hour without webhooks (its figures are 120 listings and 120 × N probes).")
    var onlyWebhooks = false

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--sizes needs positive numbers") }
        var chosen: [Placement] = []
        if placements == "both" || placements == "shared" { chosen.append(.sharedProject) }
        if placements == "both" || placements == "projects" { chosen.append(.projectPerInstance) }
        guard !chosen.isEmpty else { throw ValidationError("--placements: shared, projects or both") }
        print("A steady hour (120 ticks of 30 s, resyncInterval 5m), N running idle instances:")
        print("placement             N  webhooks  Railway calls  listings  probes    probes/instance  tick median ms  resync tick median ms  slowest tick ms")
        for placement in chosen {
            for n in sizes {
                for webhooks in onlyWebhooks ? [true] : [false, true] {
                    let hour = try await Self.steadyHour(placement: placement, instances: n, webhooks: webhooks)
                    print(String(format: "%-18@ %6d  %-8@  %13d  %8d  %8d  %15.1f  %14.0f  %21.0f  %15.0f",
                                 (placement == .sharedProject ? "shared project" : "project each") as NSString, n,
                                 (webhooks ? "on" : "off") as NSString, hour.calls, hour.listings, hour.probes,
                                 Double(hour.probes) / Double(n), hour.tickMedianMs, hour.resyncTickMs, hour.slowestTickMs))
                }
            }
        }
    }

    struct Hour { var calls: Int; var listings: Int; var probes: Int; var resyncTickMs: Double; var slowestTickMs: Double; var tickMedianMs: Double }

    static func steadyHour(placement: Placement, instances n: Int, webhooks: Bool) async throws -> Hour {
        let pool = try await SimulatedPool.make(placement: placement, image: true, minIdle: n, maxTotal: n, tick: 30, pace: 30,
                                                projectPageSize: 50, serviceCap: n + 1, webhooks: webhooks)
        try await pool.seedRunning(n)
        let watch = WebhookWatch(offReason: webhooks ? nil : "off", clock: { pool.time.now })
        // Settle: the first tick marks the seeded instances idle (and, with webhooks, is a resync).
        _ = await Self.tick(pool, watch)
        let before = await pool.fake.calls.count
        let listingsBefore = await pool.listingCalls
        var probes = 0
        var resyncs: [Double] = []
        var slowest = 0.0
        var all: [Double] = []
        for _ in 0..<120 {
            pool.time.advance(30)
            await pool.fake.advance(by: .seconds(30))
            let started = DispatchTime.now().uptimeNanoseconds
            let (scope, result) = await Self.tick(pool, watch)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            slowest = max(slowest, ms)
            all.append(ms)
            if scope.resync { resyncs.append(ms) }
            probes += result.observed.report.probed
        }
        // The leader confirms its rule hourly: one NotificationRules call.
        let calls = await pool.fake.calls.count - before + (webhooks ? 1 : 0)
        let listings = await pool.listingCalls - listingsBefore
        await pool.close()
        resyncs.sort()
        return Hour(calls: calls, listings: listings, probes: probes, resyncTickMs: resyncs.isEmpty ? 0 : resyncs[resyncs.count / 2],
                    slowestTickMs: slowest, tickMedianMs: all.sorted()[all.count / 2])
    }

    static func tick(_ pool: SimulatedPool, _ watch: WebhookWatch) async -> (ObservationScope, TickResult) {
        let scope = watch.scope(settings: pool.spec.settings, deploysInFlight: false)
        let result = await pool.runtime.runtime.reconciler.tick(scope: scope)
        watch.observed(scope: scope, report: result.observed.report, complete: result.observed.complete, acted: !result.results.isEmpty)
        return (scope, result)
    }
}
