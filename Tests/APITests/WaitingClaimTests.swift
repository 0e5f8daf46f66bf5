import Controller
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Server
import Store
import TestSupport
import Testing

/// `Prefer: wait=N` on an empty pool: the claim waits for the next idle instance instead
/// of answering 503; waiting claims are served first come, first served across replicas
/// (the line is in the store); without the header an empty pool answers 503 at once.
@Suite(.timeLimit(.minutes(2))) struct WaitingClaimTests {
    static let body = #"{"agentName": "Waiting Agent", "instructions": "Wait for it."}"#

    func claim(_ client: some TestClientProtocol, wait: String?) async throws -> TestResponse {
        var headers = ServerFixtures.jsonAuth
        if let wait { headers[HTTPField.Name("Prefer")!] = wait }
        return try await client.execute(uri: "/api/pool/claim", method: .post, headers: headers, body: ByteBuffer(string: Self.body))
    }

    @Test func aWaitingClaimIsServedByTheNextIdleInstance() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let started = ContinuousClock.now
                let plain = try await claim(client, wait: nil)
                #expect(plain.status == .serviceUnavailable, "without the header: 503 at once")
                #expect(ContinuousClock.now - started < .seconds(5))
                async let waiting = claim(client, wait: "wait=20")
                try await Task.sleep(for: .milliseconds(700))
                let ids = try await world.seedIdle(1)
                let r = try await waiting
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.json["instanceId"] as? String == ids[0])
                #expect(r.headers[HTTPField.Name("Preference-Applied")!] == "wait=20")
            }
        }
    }

    /// A claim that does not wait never passes one that does: while a claim waits in line,
    /// the idle instance that appears is its, and the claim without the header gets 503.
    @Test func aClaimWithoutAWaitDoesNotPassAWaitingOne() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                async let waiting = claim(client, wait: "wait=20")
                try await eventually("the claim in line") {
                    try await world.store.claimQueueTurn(waiterId: "probe", joinedAt: .distantFuture, at: Date(), liveSince: Date().addingTimeInterval(-3)) == false
                }
                try await world.store.leaveClaimQueue(waiterId: "probe")
                let ids = try await world.seedIdle(1)
                let plain = try await claim(client, wait: nil)
                #expect(plain.status == .serviceUnavailable, "the instance is the waiting claim's: \(plain.text)")
                let r = try await waiting
                #expect(r.status == .ok && r.json["instanceId"] as? String == ids[0], "\(r.text)")
                // The line is empty again: a claim takes at once.
                let next = try await world.seedIdle(1)
                let after = try await claim(client, wait: nil)
                #expect(after.status == .ok && after.json["instanceId"] as? String == next[0], "\(after.text)")
            }
        }
    }

    @Test func aWaitEndsWith503AndBadWaitsAreRefused() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let started = ContinuousClock.now
                let r = try await claim(client, wait: "respond-async, wait=1")
                #expect(r.status == .serviceUnavailable && r.headers[.retryAfter] != nil, "\(r.text)")
                #expect(ContinuousClock.now - started >= .milliseconds(900), "it waited")
                for bad in ["wait=soon", "wait=-3", "wait=1.5"] {
                    let refused = try await claim(client, wait: bad)
                    #expect(refused.status == .badRequest && refused.error?.contains("Prefer: wait=") == true, "\(bad): \(refused.text)")
                }
                #expect(try await world.store.instances().isEmpty, "nothing changed")
            }
        }
    }

    /// Two replicas (two runtimes over one store), each with a claim waiting: the first in
    /// line gets the first idle instance, the other the next; never the same one.
    @Test(arguments: StoreBackend.underTest)
    func twoWaitingClaimsOnTwoReplicasNeverGetTheSameInstance(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let a = try ServerWorld.make(spec: try ServerFixtures.spec(), store: store, platform: MemoryPlatform())
            let b = try ServerWorld.make(spec: try ServerFixtures.spec(), store: store, platform: a.platform)
            try await a.app.test(.router) { clientA in
                try await b.app.test(.router) { clientB in
                    // In line one after the other, by the store's own count of joins (a fixed
                    // sleep let a loaded machine start the second before the first).
                    let sql = try #require(store as? SQLPoolStore)
                    let joined = { sql.operationCounts["joinClaimQueue", default: 0] }
                    async let first = claim(clientA, wait: "wait=30")
                    try await eventually("the first claim in line") { joined() == 1 }
                    async let second = claim(clientB, wait: "wait=30")
                    try await eventually("the second claim in line") { joined() == 2 }
                    let one = try await a.seedIdle(1)
                    let firstAnswer = try await first
                    #expect(firstAnswer.status == .ok && firstAnswer.json["instanceId"] as? String == one[0],
                            "the first in line gets the first instance: \(firstAnswer.text)")
                    let two = try await a.seedIdle(1)
                    let secondAnswer = try await second
                    #expect(secondAnswer.status == .ok && secondAnswer.json["instanceId"] as? String == two[0], "\(secondAnswer.text)")
                }
            }
            let claimed = try await store.instances().filter { $0.claim == .claimed }.map(\.instanceId)
            #expect(Set(claimed).count == 2 && claimed.count == 2)
        }
    }
}
