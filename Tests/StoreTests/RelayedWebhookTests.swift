import Foundation
import Store
import TestSupport
import Testing

/// Webhooks a follower relays to the leader through the store, on both stores: read in
/// order after the reader's last id, a new reader starts from the newest, an hour kept.
@Suite struct RelayedWebhookTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: StoreBackend.underTest)
    func aReaderGetsWhatWasRelayedSinceItsLastIdInOrder(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.relayWebhook(serviceId: "svc-before", at: Self.t0)
            // A new reader (a replica that just took the lead) starts from the newest.
            let start = try await store.relayedWebhooks(after: nil)
            #expect(start.serviceIds.isEmpty && start.lastId > 0)
            try await store.relayWebhook(serviceId: "svc-a", at: Self.t0.addingTimeInterval(1))
            try await store.relayWebhook(serviceId: nil, at: Self.t0.addingTimeInterval(2))
            try await store.relayWebhook(serviceId: "svc-b", at: Self.t0.addingTimeInterval(3))
            let next = try await store.relayedWebhooks(after: start.lastId)
            #expect(next.serviceIds == ["svc-a", nil, "svc-b"])
            let none = try await store.relayedWebhooks(after: next.lastId)
            #expect(none == RelayedWebhooks(serviceIds: [], lastId: next.lastId))
        }
    }

    @Test(arguments: StoreBackend.underTest)
    func relayedWebhooksAreKeptAnHour(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            try await store.relayWebhook(serviceId: "svc-old", at: Self.t0)
            try await store.relayWebhook(serviceId: "svc-new", at: Self.t0.addingTimeInterval(3601))
            #expect(try await store.relayedWebhooks(after: 0).serviceIds == ["svc-new"])
        }
    }
}
