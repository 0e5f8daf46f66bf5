import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// `GET /metrics`: Prometheus text of what the loop and the claims did.
@Suite(.timeLimit(.minutes(1))) struct MetricsRouteTests {
    @Test func ticksClaimsAndInstancesByStateAreExposed() async throws {
        try await ServerWorld.with { world in
            try await world.seedIdle(1)
            try await world.app.test(.router) { client in
                let claim = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: #"{"agentName":"a","instructions":"i"}"#))
                #expect(claim.status == .ok)
                let empty = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: #"{"agentName":"b","instructions":"i"}"#))
                #expect(empty.status == .serviceUnavailable)
                _ = try await client.execute(uri: "/api/pool/reconcile", method: .post, headers: ServerFixtures.jsonAuth)

                let r = try await client.execute(uri: "/metrics", method: .get)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = String(buffer: r.body)
                for line in ["pool_claims_total{outcome=\"claimed\"} 1", "pool_claims_total{outcome=\"pool_empty\"} 1"] {
                    #expect(text.contains(line), "missing \(line) in:\n\(text)")
                }
                for name in ["pool_ticks_total{complete=\"true\"}", "pool_tick_duration_seconds_count",
                             "pool_claim_duration_seconds_bucket", "pool_instances{state=\"claimed\"} 1"] {
                    #expect(text.contains(name), "missing \(name) in:\n\(text)")
                }
                #expect(!text.contains(ServerFixtures.apiKey))
            }
        }
    }
}
