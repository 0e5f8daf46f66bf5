import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// Which credential a claim is made with (each instance's own token, or the pool key for
/// one made before instance tokens), and which credentials instances hold, in status and
/// metrics.
@Suite(.timeLimit(.minutes(1))) struct CredentialStatusTests {
    @Test func claimsUseEachInstancesOwnCredentialAndStatusAndMetricsCountThem() async throws {
        // Seeded before the loop starts, with minIdle 3: no tick scales them down.
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 3), idle: 2, oldKeyIdle: 1) { world in
            let own = Array(world.seeded.prefix(2)), old = world.seeded[2]
            try await world.app.test(.router) { client in
                // Three claims take all three; each call carried that instance's credential.
                for k in 0..<3 {
                    let r = try await client.execute(uri: "/api/pool/claim", method: .post, headers: ServerFixtures.jsonAuth,
                                                     body: ByteBuffer(string: #"{"agentName":"agent \#(k)","instructions":"i"}"#))
                    #expect(r.status == .ok, "\(r.text)")
                }
                let bearers = world.caller.bearers
                for id in own { #expect(bearers[id] == TestCredentials.token(id), "\(id) was called with its own token") }
                #expect(bearers[old] == ServerFixtures.apiKey, "an instance made with the pool key is called with it")

                _ = await world.loop.tickNow()
                let status = try await client.execute(uri: "/api/pool/status", method: .get, headers: ServerFixtures.auth)
                let credentials = try #require(status.json["credentials"] as? [String: Any], "\(status.text)")
                #expect(credentials["version"] as? Int == 1)
                #expect(credentials["previousVersion"] is NSNull)
                // The three claimed, and the tick's new idle instances, all with their own token.
                let instances = try #require(credentials["instances"] as? [String: Int])
                #expect(instances["current"] ?? 0 >= 2 && instances["poolKey"] == 1 && instances["previous"] == 0, "\(instances)")
                #expect((credentials["idle"] as? [String: Int])?["poolKey"] == 0)

                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                for line in ["pool_instances_by_credential{credential=\"current\"} ",
                             "pool_instances_by_credential{credential=\"pool_key\"} 1",
                             "pool_idle_instances_by_credential{credential=\"pool_key\"} 0",
                             "pool_idle_instances_by_credential{credential=\"previous\"} 0",
                             "pool_instance_secret_version 1"] {
                    #expect(metrics.contains(line), "missing \(line)")
                }
            }
        }
    }
}
