import Controller
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Store
import TestSupport
import Testing

/// A webhook that reaches a follower replica: relayed through the store, the leader's
/// relay hands it to its loop (one known event, one tick), and the follower changes nothing
/// itself.
@Suite(.timeLimit(.minutes(1))) struct WebhookRelayTests {
    @Test func aFollowersWebhookReachesTheLeadersLoop() async throws {
        try await WebhookWorld.with(["resyncInterval": "1h"]) { world in
            let follower = try await Self.follower(of: world, store: world.store)
            // The leader's relay (the world's loop leads: it has no lease).
            let received = world.loop.webhooks.state.received
            let relay = WebhookRelay(store: world.store, loop: world.loop, leading: { true }, interval: .milliseconds(50),
                                     startAfter: 0, logger: quiet)
            let relaying = Task { try await relay.run() }
            defer { relaying.cancel() }

            try await Application(router: buildRouter(follower)).test(.router) { client in
                let r = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                 body: ByteBuffer(string: world.payload(serviceId: "svc-relayed")))
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["status"] as? String == "accepted" && r.json["reason"] as? String == "relayed to the leader", "\(r.text)")
            }
            #expect(try await world.store.relayedWebhooks(after: 0).serviceIds == ["svc-relayed"])
            try await eventually("the leader's loop gets the event", seconds: 5) { world.loop.webhooks.state.received == received + 1 }
        }
    }

    @Test func aFollowerThatCannotReachTheStoreStillAnswers200() async throws {
        try await WebhookWorld.with(["resyncInterval": "1h"]) { world in
            let closed = try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("closed-\(UUID().uuidString).sqlite").path, logger: quiet)
            await closed.close()
            let follower = try await Self.follower(of: world, store: closed)
            try await Application(router: buildRouter(follower)).test(.router) { client in
                let r = try await client.execute(uri: "/webhooks/railway/\(WebhookWorld.secret)", method: .post,
                                                 body: ByteBuffer(string: world.payload(serviceId: "svc-lost")))
                #expect(r.status == .ok, "\(r.text)")
                #expect((r.json["reason"] as? String)?.contains("the next resync covers it") == true, "\(r.text)")
            }
        }
    }

    /// The API of a replica that does not lead (another holds the lease) over `store`.
    static func follower(of world: WebhookWorld, store: any PoolStore) async throws -> ServerContext {
        let leaseName = "relay-test"
        _ = try await world.store.acquireLease(leaseName, holder: "leader#1", duration: 60, at: Date())
        let lease = LeaderLease(configuration: .init(replica: "follower", duration: 60, name: leaseName), store: world.store, logger: quiet)
        #expect(await lease.attempt() == false)
        return ServerContext(loop: world.loop, store: store, apiKey: ServerFixtures.apiKey, logger: quiet,
                             lease: lease, webhookSecret: WebhookWorld.secret)
    }
}
