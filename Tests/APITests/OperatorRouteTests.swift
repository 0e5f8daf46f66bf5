import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import Store
import TestSupport
import Testing

/// Reconcile, replenish, drain, kill and dismiss.
@Suite(.timeLimit(.minutes(1))) struct OperatorRouteTests {
    func post(_ client: some TestClientProtocol, _ path: String, _ body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: ServerFixtures.jsonAuth, body: body.map { ByteBuffer(string: $0) })
    }

    @Test func reconcileRunsATickAndAnswersItsPlanAndResults() async throws {
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 1), runLoop: true) { world in
            // The first tick already filled the pool; take its instance away to get a create.
            for s in world.platform.all { try await world.platform.deleteService(serviceId: s.serviceId) }
            for r in try await world.store.instances() { try await world.store.forget(instanceId: r.instanceId, at: Date()) }
            let ticks = await world.loop.ticksRun
            try await world.app.test(.router) { client in
                let r = try await post(client, "/api/pool/reconcile")
                #expect(r.status == .ok, "\(r.text)")
                let plan = try #require(r.json["plan"] as? [String: Any])
                #expect((plan["actions"] as? [[String: Any]])?.first?["kind"] as? String == "create")
                let results = try #require(r.json["results"] as? [[String: Any]])
                let create = try #require(results.first { $0["kind"] as? String == "create" })
                #expect(create["outcome"] as? String == "ok")
                #expect(create["instanceId"] is String)
                #expect((create["detail"] as? String)?.isEmpty == false)
            }
            #expect(await world.loop.ticksRun == ticks + 1)
            #expect(world.platform.serviceCount == 1)
        }
    }

    @Test func replenishWithoutACountRunsATick() async throws {
        try await ServerWorld.with { world in
            let ticks = await world.loop.ticksRun
            try await world.app.test(.router) { client in
                let r = try await post(client, "/api/pool/replenish")
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["plan"] is [String: Any] && r.json["results"] is [Any])
            }
            #expect(await world.loop.ticksRun == ticks + 1)
        }
    }

    @Test func replenishWithACountIsRecordedAndRaisesTheTarget() async throws {
        try await ServerWorld.with { world in
            let ticks = await world.loop.ticksRun
            try await world.app.test(.router) { client in
                let r = try await post(client, "/api/pool/replenish", #"{"count": 3}"#)
                #expect(r.status == .accepted, "\(r.text)")
                #expect(r.json["kind"] as? String == "replenish")
                #expect(r.json["count"] as? Int == 3)
                #expect((r.json["note"] as? String)?.contains("keeps that many idle instances above minIdle") == true)
                #expect(r.json["requestId"] is Int)
            }
            // In effect for a stuck timeout: still pending after the tick it triggered.
            let pending = try await world.store.pendingRequests()
            #expect(pending.map(\.kind) == [.replenish] && pending.first?.count == 3)
            try await eventually("the triggered tick") { await world.loop.ticksRun > ticks }
        }
    }

    @Test func drainIsRecordedAndServedByTheTickItTriggers() async throws {
        try await ServerWorld.with { world in
            let ticks = await world.loop.ticksRun
            try await world.app.test(.router) { client in
                let r = try await post(client, "/api/pool/drain", #"{"count": 100}"#)
                #expect(r.status == .accepted, "\(r.text)")
                #expect(r.json["kind"] as? String == "drain" && r.json["count"] as? Int == 100)
            }
            try await eventually("the triggered tick") { await world.loop.ticksRun > ticks }
            try await eventually("the drain served") { try await world.store.pendingRequests().isEmpty }
        }
    }

    @Test(arguments: [
        ("/api/pool/drain", #"{"count": 0}"#, "count: expected an integer from 1 to 100"),
        ("/api/pool/drain", #"{"count": 101}"#, "count: expected an integer from 1 to 100"),
        ("/api/pool/drain", #"{}"#, "count: required"),
        ("/api/pool/drain", #"{"count": null}"#, "count: required"),
        ("/api/pool/drain", nil, "a JSON body is required"),
        ("/api/pool/drain", #"{"count": "3"}"#, "count: expected an integer"),
        ("/api/pool/drain", #"{"count": 2.5}"#, "count: expected an integer"),
        ("/api/pool/drain", #"[1]"#, "body: expected a JSON object"),
        ("/api/pool/replenish", #"{"count": 21}"#, "count: expected an integer from 1 to 20"),
        ("/api/pool/replenish", #"{"count": true}"#, "count: expected an integer"),
        ("/api/pool/replenish", #"{"count": 3"#, "malformed JSON body"),
    ] as [(String, String?, String)])
    func badCountsAre400(_ path: String, _ body: String?, _ message: String) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await post(client, path, body)
                #expect(r.status == .badRequest)
                #expect(r.error?.hasPrefix(message) == true, "\(r.text)")
            }
            #expect(try await world.store.pendingRequests().isEmpty)
        }
    }

    @Test func killRemovesAClaimedInstanceOnly() async throws {
        try await ServerWorld.with { world in
            let ids = try await world.seedIdle(2)
            try await world.app.test(.router) { client in
                let missing = try await client.execute(uri: "/api/pool/instances/nosuch000000", method: .delete, headers: ServerFixtures.auth)
                #expect(missing.status == .notFound)
                #expect(missing.error?.contains("nosuch000000") == true)

                let idle = try await client.execute(uri: "/api/pool/instances/\(ids[0])", method: .delete, headers: ServerFixtures.auth)
                #expect(idle.status == .conflict, "\(idle.text)")
                #expect(idle.error?.contains("not claimed") == true)

                let claim = try await post(client, "/api/pool/claim", #"{"agentName":"A","instructions":"x"}"#)
                let claimed = try #require(claim.json["instanceId"] as? String)
                let serviceId = try #require(try await world.store.instance(id: claimed)?.serviceId)
                let killed = try await client.execute(uri: "/api/pool/instances/\(claimed)", method: .delete, headers: ServerFixtures.auth)
                #expect(killed.status == .ok, "\(killed.text)")
                #expect(killed.json["instanceId"] as? String == claimed && killed.json["action"] as? String == "killed")
                #expect(!world.platform.all.contains { $0.serviceId == serviceId })
                #expect(try await world.store.instance(id: claimed) == nil)
            }
        }
    }

    @Test func dismissRemovesACrashedInstanceOnly() async throws {
        try await ServerWorld.with { world in
            let ids = try await world.seedIdle(2)
            try await world.store.mark(instanceId: ids[1], serviceId: nil, state: .crashed, at: Date())
            try await world.app.test(.router) { client in
                let missing = try await client.execute(uri: "/api/pool/crashed/nosuch000000", method: .delete, headers: ServerFixtures.auth)
                #expect(missing.status == .notFound)
                let idle = try await client.execute(uri: "/api/pool/crashed/\(ids[0])", method: .delete, headers: ServerFixtures.auth)
                #expect(idle.status == .conflict)
                #expect(idle.error?.contains("not crashed") == true, "\(idle.text)")
                let dismissed = try await client.execute(uri: "/api/pool/crashed/\(ids[1])", method: .delete, headers: ServerFixtures.auth)
                #expect(dismissed.status == .ok, "\(dismissed.text)")
                #expect(dismissed.json["action"] as? String == "dismissed")
            }
            #expect(try await world.store.instance(id: ids[1]) == nil)
            #expect(try await world.store.instance(id: ids[0]) != nil)
        }
    }
}
