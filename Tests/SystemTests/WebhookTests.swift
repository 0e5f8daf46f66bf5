import Controller
import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import RailwayFake
import Server
import TestSupport
import Testing

/// Railway's webhooks on the level-triggered loop, against the fake Railway, which keeps
/// the rule the loop registers and posts each deployment event to the real server on
/// loopback (or drops it on demand): a deploy is idle within about a second of its event,
/// a dropped event is corrected by the next resync, a forged secret changes nothing, and a
/// flood costs one tick per coalescing window.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WebhookTests {
    /// Deploy to idle, measured from the moment the fake's deploy ends (its clock moves) to
    /// the tick that shows the instance idle: five rounds of claim, backfill, deploy. The
    /// timer is an hour away: only the webhook can make the instance idle this soon.
    @Test func aDeployIsIdleWithinSecondsOfItsWebhook() async throws {
        try await WebhookWorld.with(["minIdle": "1", "maxTotal": "10", "createsPerTick": "1", "tickInterval": "1h",
                                     "resyncInterval": "1h"]) { w in
            var samples: [Duration] = []
            for round in 1...5 {
                try await eventually("a backfill deploying (round \(round))") {
                    let idle = await w.count(.idle)
                    return try await w.deploying() == 1 && idle == 0
                }
                let ticks = await w.loop.ticksRun
                let started = ContinuousClock.now
                await w.fake.advance(by: .seconds(5))
                try await eventually("idle after its webhook (round \(round))", seconds: 10, every: .milliseconds(20)) {
                    let idle = await w.count(.idle)
                    return await w.loop.ticksRun > ticks && idle == 1
                }
                samples.append(ContinuousClock.now - started)
                let claimed = await w.loop.runtime.claims.claim(ClaimRequest(agentName: "Agent \(round)", instructions: "Hi"),
                                                                waitingUpTo: .seconds(10))
                guard case .claimed = claimed else {
                    Issue.record("claim \(round): \(claimed)")
                    return
                }
            }
            let median = samples.sorted()[samples.count / 2]
            #expect(median < .seconds(2), "deploy to idle: median \(median) of \(samples)")
            #expect(await w.fake.webhooksSent.count >= 5, "every deploy was announced")
            #expect(w.loop.webhooks.state.mode == .healthy)
        }
    }

    /// A listing reports the deploys still on their way up: a webhook naming one of those
    /// is not answered by that listing (WebhookWatch keeps listing until it ends).
    @Test func aListingReportsTheDeploysStillOnTheirWayUp() async throws {
        try await WebhookWorld.with(["minIdle": "1", "maxTotal": "3", "createsPerTick": "1", "tickInterval": "1h",
                                     "resyncInterval": "1h"]) { w in
            try await eventually("a create deploying") { try await w.deploying() == 1 }
            let service = try #require(await w.fake.allServices.first?.id)
            let during = try #require(await w.loop.tickNow())
            #expect(during.observed.report.listed && during.observed.report.inProgress == [service])
            await w.fake.advance(by: .seconds(5))
            let after = try #require(await w.loop.tickNow())
            #expect(after.observed.report.listed && after.observed.report.inProgress.isEmpty)
        }
    }

    /// A lost event: the instance stays provisioning on ticks that list nothing, until the
    /// resync lists everything, finds the deploy ended, probes it (idle) and falls back to
    /// polling; the next event makes webhooks healthy again.
    @Test func aDroppedWebhookIsCorrectedByTheNextResync() async throws {
        try await WebhookWorld.with(["minIdle": "1", "maxTotal": "3", "createsPerTick": "1", "tickInterval": "500ms",
                                     "resyncInterval": "4s"]) { w in
            try await eventually("one instance deploying") { try await w.deploying() == 1 }
            // A tick listed it since: the ticks after are quiet (nothing to list for).
            let created = await w.loop.ticksRun
            try await eventually("quiet ticks") { await w.loop.ticksRun >= created + 2 }
            await w.fake.dropWebhooks(1)
            let listingsBefore = await w.fake.calls(of: "EnvironmentServices")
            let ticksBefore = await w.loop.ticksRun
            await w.fake.advance(by: .seconds(5))
            try await eventually("idle after the resync", seconds: 15, every: .milliseconds(50)) { await w.count(.idle) == 1 }
            let (dropped, sent) = (await w.fake.webhooksDropped.count, await w.fake.webhooksSent.count)
            #expect(dropped == 1 && sent == 0)
            let state = w.loop.webhooks.state
            #expect(state.mode == .polling, "\(state)")
            #expect(state.reason?.contains("no webhook reported") == true, "\(state.reason ?? "")")
            // Between the drop and the resync, ticks reused the last listing.
            let ticks = await w.loop.ticksRun - ticksBefore
            let listings = await w.fake.calls(of: "EnvironmentServices") - listingsBefore
            #expect(listings < ticks, "\(listings) listings in \(ticks) ticks: quiet ticks list nothing")

            // The next event brings webhooks back.
            guard case .claimed = await w.loop.runtime.claims.claim(ClaimRequest(agentName: "Agent", instructions: "Hi")) else {
                Issue.record("no claim"); return
            }
            try await eventually("a backfill deploying") { try await w.deploying() == 1 }
            await w.fake.advance(by: .seconds(5))
            try await eventually("healthy again") { w.loop.webhooks.state.mode == .healthy }
        }
    }

    /// A wrong secret is a 404 like any unknown path: no tick, nothing recorded. An event of
    /// another environment or a service that is not the pool's is answered 200, ignored.
    @Test func aForgedSecretChangesNothing() async throws {
        try await WebhookWorld.with(["minIdle": "1", "maxTotal": "3", "tickInterval": "1h", "resyncInterval": "1h"]) { w in
            try await Task.sleep(for: .milliseconds(600))  // the first ticks settle
            let ticks = await w.loop.ticksRun
            let records = try await w.store.instances()
            let service = try #require(records.first?.serviceId)
            try await Application(router: w.router).test(.router) { client in
                for secret in ["wrong-secret-0123456789abcdef", String(WebhookWorld.secret.dropLast()), WebhookWorld.secret + "x", ""] {
                    let r = try await client.execute(uri: "/webhooks/railway/\(secret)", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(string: w.payload(serviceId: service)))
                    #expect(r.status == .notFound, "secret '\(secret)': \(r.status)")
                }
                let other = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                     body: ByteBuffer(string: w.payload(serviceId: service, environmentId: "environment-9")))
                #expect(other.status == .ok && other.json["status"] as? String == "ignored", "\(other.text)")
                let notOurs = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                       body: ByteBuffer(string: w.payload(serviceId: "svc-manager", name: "pool-manager")))
                #expect(notOurs.status == .ok && notOurs.json["status"] as? String == "ignored", "\(notOurs.text)")
                let unknown = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                       body: ByteBuffer(string: w.payload(type: "Volume.alert", serviceId: service)))
                #expect(unknown.status == .ok && unknown.json["status"] as? String == "ignored", "\(unknown.text)")
                let malformed = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                         body: ByteBuffer(string: "{\"type\": "))
                #expect(malformed.status == .badRequest, "\(malformed.text)")
                let huge = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                    body: ByteBuffer(string: "{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}"))
                #expect(huge.status == .contentTooLarge, "\(huge.status)")
            }
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(await w.loop.ticksRun == ticks, "no event started a tick")
            #expect(try await w.store.instances() == records, "nothing recorded")
            #expect(w.loop.webhooks.state.received == 0)
            let lines = w.context.metrics.render().split(separator: "\n").filter { $0.hasPrefix("pool_webhooks_total{") }
            func count(_ type: String, _ outcome: String) -> String? {
                lines.first { $0.contains("type=\"\(type)\"") && $0.contains("outcome=\"\(outcome)\"") }.map { String($0.split(separator: " ").last!) }
            }
            // The empty secret is no route at all: 404 before the webhook route.
            #expect(count("unknown", "forbidden") == "3", "\(lines)")
            #expect(count("deployment.deployed", "ignored") == "2", "\(lines)")
            #expect(count("other", "ignored") == "1", "\(lines)")
            #expect(count("unknown", "malformed") == "2", "\(lines)")
        }
    }

    /// 10,000 events as fast as the router takes them: ticks start at most one per
    /// coalescing window (plus the one in flight when the flood began), and each lists once.
    @Test func aFloodOfWebhooksCostsOneTickPerCoalescingWindow() async throws {
        let window = Duration.milliseconds(500)
        try await WebhookWorld.with(["minIdle": "1", "maxTotal": "3", "tickInterval": "1h", "resyncInterval": "1h"],
                                    coalescingWindow: window) { w in
            try await Task.sleep(for: .milliseconds(600))
            let service = try #require(try await w.store.instances().first?.serviceId)
            let ticksBefore = await w.loop.ticksRun
            let listingsBefore = await w.fake.calls(of: "EnvironmentServices")
            let body = w.payload(serviceId: service)
            let started = ContinuousClock.now
            try await Application(router: w.router).test(.router) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for lane in 0..<8 {
                        group.addTask {
                            for _ in stride(from: lane, to: 10_000, by: 8) {
                                let r = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                                 body: ByteBuffer(string: body))
                                #expect(r.status == .ok)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let elapsed = ContinuousClock.now - started
            try await Task.sleep(for: window * 3)  // the last window's tick
            let ticks = await w.loop.ticksRun - ticksBefore
            let windows = Int((elapsed + window * 3) / window) + 1
            #expect(ticks >= 1 && ticks <= windows, "\(ticks) ticks for 10,000 webhooks in \(elapsed) (at most \(windows) windows)")
            #expect(await w.fake.calls(of: "EnvironmentServices") - listingsBefore <= ticks)
            #expect(w.loop.webhooks.state.received == 10_000)
        }
    }
}
