import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// Bodies over 1 MiB are refused with 413, through the router and over a real socket.
@Suite(.timeLimit(.minutes(1))) struct BodyLimitTests {
    static func oversized() -> ByteBuffer {
        let padding = String(repeating: "x", count: PoolRequestContext.maxBodyBytes)
        return ByteBuffer(string: #"{"agentName":"A","instructions":"\#(padding)"}"#)
    }

    @Test(arguments: ["/api/pool/claim", "/api/pool/drain", "/api/pool/replenish"])
    func overOneMiBIs413(_ path: String) async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: path, method: .post, headers: ServerFixtures.jsonAuth, body: Self.oversized())
                #expect(r.status == .contentTooLarge)
                #expect(r.error?.contains("1 MiB") == true, "\(r.text)")
            }
            #expect(world.caller.callCount == 0)
        }
    }

    @Test func justUnderTheLimitIsRead() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            // Decoded, then refused by the claim's own rule (instructions at most 64 KiB): not 413.
            let padding = String(repeating: "x", count: PoolRequestContext.maxBodyBytes - 100)
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                 body: ByteBuffer(string: #"{"agentName":"A","instructions":"\#(padding)"}"#))
                #expect(r.status == .badRequest)
                #expect(r.error?.hasPrefix("instructions:") == true)
            }
        }
    }

    @Test func overOneMiBIs413OverARealSocket() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.live) { client in
                let r = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth, body: Self.oversized())
                #expect(r.status == .contentTooLarge)
                #expect(r.error != nil)
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
            }
        }
    }

    @Test func claimsWorkOverARealSocket() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(1)
            try await world.app.test(.live) { client in
                let r = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                 body: ByteBuffer(string: ClaimRouteTests.body))
                #expect(r.status == .ok, "\(r.text)")
                let empty = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: ClaimRouteTests.body))
                #expect(empty.status == .serviceUnavailable)
                #expect(empty.headers[.retryAfter] == "3600")
            }
        }
    }
}
