#if canImport(Glibc)
import Foundation
import Server
import ServiceLifecycle
import Store
import TestSupport
import Testing

/// A claim waiting on an empty pool (`Prefer: wait=N`) whose client hangs up gives up its
/// place: the next idle instance stays idle for the next claim. Real sockets on loopback.
@Suite(.timeLimit(.minutes(1))) struct WaitingClaimDisconnectTests {
    /// Whether a waiting claim is in line: a probe that joins now is not first.
    func othersInLine(_ store: any PoolStore) async throws -> Bool {
        let now = Date()
        try await store.joinClaimQueue(waiterId: "probe", at: now)
        let first = try await store.claimQueueTurn(waiterId: "probe", joinedAt: now, at: now, liveSince: now.addingTimeInterval(-3))
        try await store.leaveClaimQueue(waiterId: "probe")
        return !first
    }

    @Test func aClientThatDisconnectsLeavesNoClaimBehind() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.serving { port in

                let body = #"{"agentName": "Gone Soon", "instructions": "Wait."}"#
                let client = try RawConnection(port: port)
                client.send("POST /api/pool/claim HTTP/1.1\r\nHost: pool\r\nAuthorization: Bearer \(ServerFixtures.apiKey)\r\n"
                            + "Content-Type: application/json\r\nPrefer: wait=30\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                try await eventually("the claim in line") { try await othersInLine(world.store) }
                #expect(await !client.waitForClose(within: .milliseconds(300)), "the claim waits")
                client.hangUp()
                try await eventually("the claim out of line once its client left") { try await !othersInLine(world.store) }
                let ids = try await world.seedIdle(1)
                try await Task.sleep(for: .milliseconds(1_500))
                let record = try #require(try await world.store.instance(id: ids[0]))
                #expect(record.claim == .none && record.agentName == nil, "the instance was taken for a client that left: \(record)")
                #expect(world.caller.callCount == 0, "no claim call was made")
                // It is still there for the next claim.
                let next = await world.loop.runtime.claims.claim(.init(agentName: "Next", instructions: "Hi"))
                guard case .claimed(let answer) = next else { Issue.record("\(next)"); return }
                #expect(answer.instanceId == ids[0])
            }
        }
    }
}
#endif
