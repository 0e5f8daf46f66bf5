import Foundation
import Hummingbird
import HummingbirdTesting
import Model
import Store
import TestSupport
import Testing

/// `GET /api/pool/history` and `/api/pool/history.svg`: the leader's ticks write a sample a
/// minute, claims come from the store, and both answers say the same.
@Suite(.timeLimit(.minutes(1))) struct HistoryRouteTests {
    @Test func aTickWritesTheMinutesSampleAndAClaimShowsWithItsLatency() async throws {
        // minIdle 2: the first tick keeps the two idle instances (and samples them).
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 2), idle: 2) { world in
            try await world.app.test(.router) { client in
                let claim = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: #"{"agentName":"A","instructions":"x"}"#))
                #expect(claim.status == .ok, "\(claim.text)")

                let r = try await client.execute(uri: "/api/pool/history", method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["bucketSeconds"] as? Int == 900)
                let buckets = try #require(r.json["buckets"] as? [[String: Any]])
                #expect(buckets.count == 96)
                // The first tick's sample (2 idle) and the claim are in the newest buckets (the
                // last two when the test crossed a bucket's end); the rest are empty.
                let sampled = buckets.filter { !($0["idle"] is NSNull) }
                #expect(sampled.contains { $0["idle"] as? Int == 2 && $0["claimed"] as? Int == 0 }, "\(sampled)")
                #expect(buckets.map { $0["claims"] as? Int ?? -1 }.reduce(0, +) == 1)
                #expect(buckets.dropLast(2).allSatisfy { $0["idle"] is NSNull && $0["claims"] as? Int == 0 })
                let totals = try #require(r.json["totals"] as? [String: Any])
                #expect(totals["claims"] as? Int == 1)
                let p50 = try #require(totals["latencyP50Ms"] as? Int)
                #expect(p50 >= 0)

                let svg = try await client.execute(uri: "/api/pool/history.svg", method: .get, headers: ServerFixtures.auth)
                #expect(svg.status == .ok)
                #expect(svg.headers[.contentType] == "image/svg+xml; charset=utf-8")
                #expect(svg.text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
                #expect(svg.text.contains("data-claims=\"1\"") && svg.text.contains("data-latency-p50-ms=\"\(p50)\""))
                #expect(svg.text.contains("latest: idle "))
            }
            // One sample for the minute, however many ticks ran in it.
            _ = await world.loop.tickNow()
            let minute = PoolSample.minute(of: Date())
            let rows = try await world.store.history(since: minute.addingTimeInterval(-120), until: minute.addingTimeInterval(60))
            #expect((1...2).contains(rows.samples.count), "one per minute (two when the test crossed a minute): \(rows.samples)")
        }
    }

    @Test func aBadWindowIsRefusedAndNamed() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                for hours in ["0", "169", "abc", "24.5", ""] {
                    for path in ["history", "history.svg"] {
                        let r = try await client.execute(uri: "/api/pool/\(path)?hours=\(hours)", method: .get, headers: ServerFixtures.auth)
                        #expect(r.status == .badRequest, "\(path) hours=\(hours)")
                        #expect(r.error == "hours: expected an integer from 1 to 168", "\(r.text)")
                    }
                }
                let week = try await client.execute(uri: "/api/pool/history?hours=168", method: .get, headers: ServerFixtures.auth)
                #expect(week.status == .ok)
                #expect(week.json["bucketSeconds"] as? Int == 105 * 60)
            }
        }
    }

    @Test func theHistoryNeedsTheKey() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                for path in ["history", "history.svg"] {
                    let r = try await client.execute(uri: "/api/pool/\(path)", method: .get)
                    #expect(r.status == .unauthorized, "\(path)")
                }
            }
        }
    }
}
