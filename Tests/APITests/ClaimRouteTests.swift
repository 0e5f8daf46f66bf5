import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Planning
@testable import Server
import TestSupport
import Testing

/// `POST /api/pool/claim` over the real claim service and store, with a stub instance call.
@Suite(.timeLimit(.minutes(1))) struct ClaimRouteTests {
    static let body = #"{"agentName":"Tokyo Trip","instructions":"Plan a trip."}"#

    func claim(_ client: some TestClientProtocol, body: String = Self.body, key: String? = nil) async throws -> TestResponse {
        var headers = ServerFixtures.jsonAuth
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: "/api/pool/claim", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func claimsAnIdleInstanceAndTriggersATick() async throws {
        try await ServerWorld.with { world in
            let ids = try await world.seedIdle(1)
            let ticksBefore = await world.loop.ticksRun
            try await world.app.test(.router) { client in
                let r = try await claim(client)
                #expect(r.status == .ok, "\(r.text)")
                #expect(Set(r.json.keys) == ["inviteUrl", "conversationId", "instanceId", "joined", "gatewayUrl"])
                #expect((r.json["gatewayUrl"] as? String)?.hasPrefix("http://") == true, "the instance's URL")
                #expect(r.json["instanceId"] as? String == ids[0])
                #expect(r.json["joined"] as? Bool == false)
                #expect((r.json["inviteUrl"] as? String)?.hasPrefix("https://dev.convos.org/") == true)
                #expect((r.json["conversationId"] as? String)?.isEmpty == false)
            }
            // The claim asked for a tick: the loop renames the service and backfills.
            try await eventually("a tick after the claim") { await world.loop.ticksRun > ticksBefore }
            #expect(try await world.store.instance(id: ids[0])?.claim == .claimed)
        }
    }

    @Test func joinsWhenAJoinUrlIsGiven() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(1)
            try await world.app.test(.router) { client in
                let r = try await claim(client, body: #"{"agentName":"A","instructions":"x","joinUrl":"https://dev.convos.org/v2?i=abc"}"#)
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["joined"] as? Bool == true)
                #expect(r.json["inviteUrl"] as? String == "https://dev.convos.org/v2?i=abc")
            }
        }
    }

    @Test func anEmptyPoolIs503WithRetryAfter() async throws {
        try await ServerWorld.with { world in
            try await world.app.test(.router) { client in
                let r = try await claim(client)
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "3600", "one tick interval of the spec (1h)")
                #expect(r.error?.contains("no idle instance") == true, "\(r.text)")
            }
            #expect(world.caller.callCount == 0)
        }
    }

    @Test func aRetriedKeyReplaysTheFirstAnswer() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(2)
            try await world.app.test(.router) { client in
                let first = try await claim(client, key: "retry-1")
                let again = try await claim(client, key: "retry-1")
                #expect(first.status == .ok && again.status == .ok)
                #expect(first.text == again.text, "the same answer, byte for byte")
            }
            #expect(world.caller.callCount == 1)
        }
    }

    @Test func theSameKeyInFlightIs409() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(2)
            let gate = Gate()
            world.caller.gate = gate
            try await world.app.test(.router) { client in
                let first = Task { try await claim(client, key: "slow-1") }
                try await eventually("the first claim call") { world.caller.callCount == 1 }
                let second = try await claim(client, key: "slow-1")
                #expect(second.status == .conflict)
                #expect(second.error?.contains("in progress") == true, "\(second.text)")
                gate.open()
                #expect(try await first.value.status == .ok)
            }
        }
    }

    @Test func aFailedInstanceCallIs502WithItsMessage() async throws {
        try await ServerWorld.with { world in
            let ids = try await world.seedIdle(1)
            world.caller.failure = "the instance answered 500: boom"
            try await world.app.test(.router) { client in
                let r = try await claim(client)
                #expect(r.status == .badGateway)
                #expect(r.error?.contains("the instance answered 500: boom") == true, "\(r.text)")
                #expect(r.error?.contains(ids[0]) == true)
            }
        }
    }

    @Test(arguments: [
        (#"{"agentName":"","instructions":"x"}"#, "agentName:"),
        (#"{"agentName":"A","instructions":"   "}"#, "instructions:"),
        (#"{"agentName":"A","instructions":"x","joinUrl":"https://evil.example/v2"}"#, "joinUrl:"),
        (#"{"instructions":"x"}"#, "agentName: required"),
        (#"{"agentName":7,"instructions":"x"}"#, "agentName: expected a string"),
    ])
    func badBodiesAre400NamingTheField(_ body: String, _ message: String) async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(1)
            try await world.app.test(.router) { client in
                let r = try await claim(client, body: body)
                #expect(r.status == .badRequest)
                #expect(r.error?.hasPrefix(message) == true, "\(r.text)")
            }
            #expect(world.caller.callCount == 0)
        }
    }

    @Test func aBadIdempotencyKeyIs400() async throws {
        try await ServerWorld.with { world in
            try await world.app.test(.router) { client in
                let r = try await claim(client, key: "has space")
                #expect(r.status == .badRequest)
                #expect(r.error?.hasPrefix("Idempotency-Key:") == true, "\(r.text)")
            }
        }
    }
}
