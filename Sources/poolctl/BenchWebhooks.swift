import ArgumentParser
import Controller
import Foundation
import Observers
import Railway
import Spec

/// Steady hours with Railway's webhooks and without, on the fake Railway in simulated
/// time (30 s ticks, each advancing the fake and the pool's clock), over N running idle
/// instances in each placement: Railway calls and status probes per hour. The loop's own
/// `WebhookWatch` picks each tick's scope, as `poolctl serve` does; with webhooks the
/// leader also confirms its notification rule once an hour (one call, counted). A pool of
/// more than one listing page reads it a page at a time (`resyncCallsPerHour`, 12 by
/// default: a page every 5 minutes), so every hour costs the same; the resync tick column
/// is then the median tick that read a page.
struct WebhookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Railway calls and probes per steady hour, with webhooks and without.")

    @Option(help: "Comma-separated pool sizes (running idle instances).")
    var sizes = "100,1000"

    @Option(help: "Placements: shared, projects, or both.")
    var placements = "both"

    @Flag(help: "Skip the hour without webhooks (its figures are 120 listings and 120 × N probes).")
    var onlyWebhooks = false

    @Option(help: "Simulated hours to run; calls and probes are given per hour, with the busiest clock hour's calls.")
    var hours = 1

    @Flag(help: "Run the stand-in agents in a process of their own (needed past about 9,500 instances under an open-file limit of 20,000).")
    var agentsProcess = false

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--sizes needs positive numbers") }
        var chosen: [Placement] = []
        if placements == "both" || placements == "shared" { chosen.append(.sharedProject) }
        if placements == "both" || placements == "projects" { chosen.append(.projectPerInstance) }
        guard !chosen.isEmpty else { throw ValidationError("--placements: shared, projects or both") }
        guard hours > 0 else { throw ValidationError("--hours needs a positive number") }
        print("Steady hours (\(hours) of 120 ticks of 30 s, resyncInterval 5m, 12 resync calls an hour), N running idle instances; per hour:")
        print("placement             N  webhooks  Railway calls  busiest hour  listings  probes    probes/instance  tick median ms  resync tick median ms  slowest tick ms")
        for placement in chosen {
            for n in sizes {
                for webhooks in onlyWebhooks ? [true] : [false, true] {
                    let hour = try await Self.steadyHours(hours, placement: placement, instances: n, webhooks: webhooks,
                                                          agentsProcess: agentsProcess)
                    print(String(format: "%-18@ %6d  %-8@  %13.1f  %12d  %8.1f  %8.0f  %15.1f  %14.0f  %21.0f  %15.0f",
                                 (placement == .sharedProject ? "shared project" : "project each") as NSString, n,
                                 (webhooks ? "on" : "off") as NSString, hour.calls, hour.busiestHourCalls, hour.listings,
                                 hour.probes, hour.probes / Double(n), hour.tickMedianMs, hour.resyncTickMs, hour.slowestTickMs))
                }
            }
        }
    }

    /// Per hour, averaged over the hours run; `busiestHourCalls` is the most any one of them took.
    struct Hour {
        var calls: Double, busiestHourCalls: Int, listings: Double, probes: Double
        var resyncTickMs: Double, slowestTickMs: Double, tickMedianMs: Double
    }

    static func steadyHours(_ hours: Int, placement: Placement, instances n: Int, webhooks: Bool,
                            agentsProcess: Bool) async throws -> Hour {
        let pool = try await SimulatedPool.make(placement: placement, image: true, minIdle: n, maxTotal: n, tick: 30, pace: 30,
                                                projectPageSize: 50, serviceCap: n + 1, webhooks: webhooks,
                                                agentsProcess: agentsProcess)
        try await pool.seedRunning(n)
        let watch = WebhookWatch(offReason: webhooks ? nil : "off", clock: { pool.time.now })
        // Settle: the first tick marks the seeded instances idle (and, with webhooks, is a
        // resync); the second lists after those marks, as after any tick that acted.
        _ = await Self.tick(pool, watch)
        pool.time.advance(30)
        await pool.fake.advance(by: .seconds(30))
        _ = await Self.tick(pool, watch)
        var hourCalls: [Int] = []
        var before = await pool.fake.calls.count
        let listingsBefore = await pool.listingCalls
        var probes = 0
        var resyncs: [Double] = []
        var slowest = 0.0
        var all: [Double] = []
        for k in 1...(120 * hours) {
            pool.time.advance(30)
            await pool.fake.advance(by: .seconds(30))
            let started = DispatchTime.now().uptimeNanoseconds
            let (scope, result) = await Self.tick(pool, watch)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            slowest = max(slowest, ms)
            all.append(ms)
            if scope.resync { resyncs.append(ms) }
            probes += result.observed.report.probed
            if k % 120 == 0 {
                // The leader confirms its rule hourly: one NotificationRules call.
                let now = await pool.fake.calls.count
                hourCalls.append(now - before + (webhooks ? 1 : 0))
                before = now
            }
        }
        let listings = await pool.listingCalls - listingsBefore
        await pool.close()
        resyncs.sort()
        let h = Double(hours)
        return Hour(calls: Double(hourCalls.reduce(0, +)) / h, busiestHourCalls: hourCalls.max() ?? 0,
                    listings: Double(listings) / h, probes: Double(probes) / h,
                    resyncTickMs: resyncs.isEmpty ? 0 : resyncs[resyncs.count / 2],
                    slowestTickMs: slowest, tickMedianMs: all.sorted()[all.count / 2])
    }

    static func tick(_ pool: SimulatedPool, _ watch: WebhookWatch) async -> (ObservationScope, TickResult) {
        let scope = watch.scope(settings: pool.spec.settings, deploysInFlight: false)
        let result = await pool.runtime.runtime.reconciler.tick(scope: scope)
        watch.observed(scope: scope, report: result.observed.report, complete: result.observed.complete, acted: !result.results.isEmpty)
        return (scope, result)
    }
}
