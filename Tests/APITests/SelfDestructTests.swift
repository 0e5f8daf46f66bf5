import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Model
@testable import Server
import TestSupport
import Testing

/// `POST /api/pool/self-destruct`: an instance's own token, and nothing else, removes it.
/// Each refusal is checked to change nothing; each acceptance to retire the record, log
/// one event and have the next tick delete the service.
@Suite(.timeLimit(.minutes(1))) struct SelfDestructTests {
    static func body(_ id: String, _ token: String) -> String {
        #"{"instanceId":"\#(id)","instanceToken":"\#(token)"}"#
    }

    func selfDestruct(_ client: some TestClientProtocol, _ body: String?, headers: HTTPFields = [.contentType: "application/json"])
        async throws -> TestResponse {
        try await client.execute(uri: "/api/pool/self-destruct", method: .post, headers: headers,
                                 body: body.map { ByteBuffer(string: $0) })
    }

    /// The record as the store has it, and how many self-destruct events there are.
    func state(_ world: ServerWorld, _ id: String) async throws -> (InstanceRecord?, Int) {
        let events = try await world.store.events(limit: 500, before: nil).filter { $0.kind == "self-destruct" && $0.instanceId == id }
        return (try await world.store.instance(id: id), events.count)
    }

    @Test func anIdleInstanceGoesAtItsOwnRequestAndARepeatChangesNothing() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let id = try await world.seedIdle(1)[0]
            let service = try #require(world.platform.all.first)
            try await world.app.test(.router) { client in
                let r = try await selfDestruct(client, Self.body(id, TestCredentials.token(id)))
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["status"] as? String == "retiring" && r.json["instanceId"] as? String == id)
                let (record, events) = try await state(world, id)
                #expect(record?.selfDestructAt != nil && record?.retiredReason != nil)
                #expect(events == 1)
                // A replay: the same answer, no second event.
                let again = try await selfDestruct(client, Self.body(id, TestCredentials.token(id)))
                #expect(again.status == .ok && again.json["status"] as? String == "retiring")
                #expect(try await state(world, id).1 == 1)
            }
            // The next tick deletes it.
            let tick = await world.loop.runtime.reconciler.tick()
            #expect(tick.plan.actions.contains { $0.kind == .delete && $0.instanceId == id }, "\(tick.plan.actions)")
            #expect(!world.platform.all.contains { $0.serviceId == service.serviceId })
            #expect(try await world.store.instance(id: id) == nil, "forgotten once deleted")
            // Asked again after it is gone: still harmless.
            try await world.app.test(.router) { client in
                let r = try await selfDestruct(client, Self.body(id, TestCredentials.token(id)))
                #expect(r.status == .ok && r.json["status"] as? String == "gone", "\(r.text)")
            }
        }
    }

    @Test func aClaimedInstanceGoesBecauseItAsked() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let id = try await world.seedIdle(1)[0]
            try await world.app.test(.router) { client in
                let claimed = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                       body: ByteBuffer(string: ClaimRouteTests.body))
                #expect(claimed.status == .ok, "\(claimed.text)")
                #expect(try await world.store.instance(id: id)?.claim == .claimed)
                let r = try await selfDestruct(client, Self.body(id, TestCredentials.token(id)))
                #expect(r.status == .ok, "\(r.text)")
            }
            let tick = await world.loop.runtime.reconciler.tick()
            #expect(tick.plan.actions.contains { $0.kind == .delete && $0.instanceId == id }, "\(tick.plan.actions)")
            #expect(world.platform.serviceCount == 0)
        }
    }

    @Test func aClaimInFlightGets409UntilItEnds() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let id = try await world.seedIdle(1)[0]
            guard case .took = try await world.store.beginClaim(agentName: "in flight", idempotencyKey: nil, at: Date()) else {
                Issue.record("no take"); return
            }
            try await world.app.test(.router) { client in
                let r = try await selfDestruct(client, Self.body(id, TestCredentials.token(id)))
                #expect(r.status == .conflict, "\(r.text)")
                #expect(r.headers[.retryAfter] != nil)
                let (record, events) = try await state(world, id)
                #expect(record?.claim == .claiming && record?.selfDestructAt == nil && events == 0)
                // Once the claim ends, the same call succeeds.
                try await world.store.completeClaim(instanceId: id, conversationId: "c-1", inviteUrl: nil, joined: false, at: Date())
                #expect(try await selfDestruct(client, Self.body(id, TestCredentials.token(id))).status == .ok)
            }
        }
    }

    @Test func everyRefusalIsClearAndChangesNothing() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            let ids = try await world.seedIdle(2)
            let (a, b) = (ids[0], ids[1])
            let legacy = try await world.seedIdle(1, tokenVersion: nil)[0]
            let refusals: [(String, String?, HTTPFields, HTTPResponse.Status)] = [
                ("a wrong token", Self.body(a, String(repeating: "0", count: 64)), [.contentType: "application/json"], .forbidden),
                ("another instance's token", Self.body(a, TestCredentials.token(b)), [.contentType: "application/json"], .forbidden),
                ("an unknown instance", Self.body("nosuchinstance", TestCredentials.token("nosuchinstance")),
                 [.contentType: "application/json"], .forbidden),
                ("an unknown instance, made-up token", Self.body("nosuchinstance", "x"), [.contentType: "application/json"], .forbidden),
                ("the pool key as the token", Self.body(a, ServerFixtures.apiKey), [.contentType: "application/json"], .forbidden),
                ("the pool key as the bearer", Self.body(a, "x"), ServerFixtures.jsonAuth, .forbidden),
                ("an instance made with the pool key", Self.body(legacy, ServerFixtures.apiKey), [.contentType: "application/json"],
                 .forbidden),
                ("an instance made with the pool key, a derived token", Self.body(legacy, TestCredentials.token(legacy)),
                 [.contentType: "application/json"], .forbidden),
                ("no body", nil, [.contentType: "application/json"], .badRequest),
                ("no token", #"{"instanceId":"\#(a)"}"#, [.contentType: "application/json"], .badRequest),
                ("no id", #"{"instanceToken":"\#(TestCredentials.token(a))"}"#, [.contentType: "application/json"], .badRequest),
                ("an empty id", Self.body("", TestCredentials.token(a)), [.contentType: "application/json"], .badRequest),
                ("an empty token", Self.body(a, ""), [.contentType: "application/json"], .badRequest),
                ("malformed JSON", "{", [.contentType: "application/json"], .badRequest),
            ]
            let before = try await world.store.instances()
            try await world.app.test(.router) { client in
                var forbiddenAnswers: Set<String> = []
                for (what, body, headers, status) in refusals {
                    let r = try await selfDestruct(client, body, headers: headers)
                    #expect(r.status == status, "\(what): \(r.status) \(r.text)")
                    #expect(r.error?.isEmpty == false, "\(what): a JSON error")
                    #expect(!r.text.contains(TestCredentials.token(a)) && !r.text.contains(ServerFixtures.apiKey), "\(what): no secret echoed")
                    if status == .forbidden { forbiddenAnswers.insert(r.text) }
                }
                #expect(forbiddenAnswers.count == 1, "unknown ids and wrong tokens get the same answer: \(forbiddenAnswers)")
            }
            #expect(try await world.store.instances() == before, "a refused request changed the pool")
            #expect(try await world.store.events(limit: 500, before: nil).allSatisfy { $0.kind != "self-destruct" })
        }
    }
}
