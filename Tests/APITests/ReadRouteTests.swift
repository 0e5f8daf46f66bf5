import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Store
import TestSupport
import Testing

/// Health, readiness, counts, status, plan and events.
@Suite(.timeLimit(.minutes(1))) struct ReadRouteTests {
    @Test func healthzAnswersWithoutAKey() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/healthz", method: .get)
                #expect(r.status == .ok)
                #expect(r.json["status"] as? String == "ok")
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test func readyzWaitsForAFirstTick() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/readyz", method: .get)
                #expect(r.status == .serviceUnavailable)
                #expect(r.error?.contains("no tick has completed yet") == true, "\(r.text)")
            }
        }
    }

    @Test func readyzWaitsForAFirstCompleteObservation() async throws {
        let platform = MemoryPlatform()
        platform.listingFailure = "railway answered 502"
        try await ServerWorld.with(platform: platform) { world in
            try await world.app.test(.router) { client in
                // A blind first tick is not ready, and says why.
                let blind = try await client.execute(uri: "/readyz", method: .get)
                #expect(blind.status == .serviceUnavailable)
                #expect(blind.error?.contains("railway answered 502") == true, "\(blind.text)")

                platform.listingFailure = nil
                _ = await world.loop.tickNow()
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .ok)
                #expect(ready.json["status"] as? String == "ready")
            }
        }
    }

    @Test func countsComeFromTheLastTickWithoutAKey() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(2)
            _ = await world.loop.tickNow()
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/counts", method: .get)
                #expect(r.status == .ok)
                let expected: [String: Int] = ["provisioning": 0, "idle": 2, "claiming": 0, "claimed": 0, "crashed": 0, "dead": 0,
                                               "adopted": 0, "tainted": 0, "misconfigured": 0, "outdated": 0, "total": 2]
                #expect(r.json as? [String: Int] == expected, "\(r.text)")
            }
        }
    }

    @Test func countsBeforeAnyTickAre503WithRetryAfter() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/counts", method: .get)
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "3600")
                #expect(r.error != nil)
            }
        }
    }

    @Test func statusShowsEveryOwnedInstanceWithItsClaim() async throws {
        // minIdle 2: the ticks the claim triggers backfill instead of deleting an excess idle one.
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 2), idle: 2) { world in
            let ids = world.seeded
            try await world.app.test(.router) { client in
                let claim = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: #"{"agentName":"Tokyo Trip","instructions":"plan it"}"#))
                #expect(claim.status == .ok, "\(claim.text)")
                let claimedId = try #require(claim.json["instanceId"] as? String)
                _ = await world.loop.tickNow()

                let r = try await client.execute(uri: "/api/pool/status", method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .ok, "\(r.text)")
                let counts = try #require(r.json["counts"] as? [String: Int])
                let tick = try #require(r.json["tick"] as? [String: Any])
                #expect(tick["complete"] as? Bool == true)
                #expect(tick["finishedAt"] is String)
                let instances = try #require(r.json["instances"] as? [[String: Any]])
                #expect(counts["claimed"] == 1 && counts["total"] == instances.count, "\(r.text)")
                #expect(Set(instances.compactMap { $0["instanceId"] as? String }).isSuperset(of: ids))
                for i in instances { #expect(Set(i.keys).count == 12, "every field, null or not: \(i.keys)") }
                let claimed = try #require(instances.first { $0["instanceId"] as? String == claimedId })
                #expect(claimed["state"] as? String == "claimed")
                #expect(claimed["agentName"] as? String == "Tokyo Trip")
                #expect((claimed["conversationId"] as? String)?.hasPrefix("conv-") == true)
                #expect(claimed["inviteUrl"] as? String == claim.json["inviteUrl"] as? String)
                #expect((claimed["url"] as? String)?.hasPrefix("http://instance-") == true)
                #expect((claimed["revision"] as? String)?.count == 12)
                #expect(claimed["serviceId"] is String && claimed["name"] is String && claimed["why"] is String)
                #expect((claimed["ageSeconds"] as? Int ?? -1) >= 0)
                #expect(claimed["outdated"] as? Bool == false)
                let idle = try #require(instances.first { $0["instanceId"] as? String == ids.first { $0 != claimedId } })
                #expect(idle["state"] as? String == "idle")
                #expect(idle["inviteUrl"] is NSNull)
            }
        }
    }

    @Test func planShowsCreatesWithoutMakingThem() async throws {
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 2), runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/plan", method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .ok)
                let actions = try #require(r.json["actions"] as? [[String: Any]])
                #expect(actions.filter { $0["kind"] as? String == "create" }.count == 2, "\(r.text)")
            }
            #expect(world.platform.serviceCount == 0)
        }
    }

    @Test func eventsPageNewestFirst() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            for k in 1...5 {
                try await world.store.append(PoolEvent(at: Date(), kind: "test", outcome: "ok", detail: "event \(k)"))
            }
            try await world.app.test(.router) { client in
                let first = try await client.execute(uri: "/api/pool/events?limit=2", method: .get, headers: ServerFixtures.auth)
                #expect(first.status == .ok, "\(first.text)")
                let page1 = try #require(first.json["events"] as? [[String: Any]])
                #expect(page1.map { $0["detail"] as? String } == ["event 5", "event 4"])
                #expect(page1.first?["at"] is String)
                let next = try #require(first.json["next"] as? Int)
                let second = try await client.execute(uri: "/api/pool/events?limit=2&before=\(next)", method: .get, headers: ServerFixtures.auth)
                #expect((second.json["events"] as? [[String: Any]])?.map { $0["detail"] as? String } == ["event 3", "event 2"])
                let last = try await client.execute(uri: "/api/pool/events?limit=2&before=\(second.json["next"] as? Int ?? 0)",
                                                    method: .get, headers: ServerFixtures.auth)
                #expect((last.json["events"] as? [[String: Any]])?.count == 1)
                #expect(last.json["next"] is NSNull, "\(last.text)")
                let all = try await client.execute(uri: "/api/pool/events", method: .get, headers: ServerFixtures.auth)
                #expect((all.json["events"] as? [[String: Any]])?.count == 5)
            }
        }
    }

    @Test(arguments: ["limit=0", "limit=501", "limit=ten", "before=-3", "before=x"])
    func eventsRefuseBadQueries(_ query: String) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/events?\(query)", method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .badRequest)
                #expect(r.error?.hasPrefix(String(query.prefix { $0 != "=" }) + ":") == true, "\(r.text)")
            }
        }
    }

    @Test func unknownRoutesAnswerJSON404() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/nothing", method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .notFound)
                #expect(r.error != nil, "\(r.text)")
            }
        }
    }
}
