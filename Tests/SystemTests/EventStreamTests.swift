#if canImport(Glibc)
import Controller
import Foundation
import Server
import ServiceLifecycle
import TestSupport
import Testing

/// The dashboard's live stream over a real socket: counts on opening, and a claim made
/// through the claim service shows as a `pool-event` about a poll (200 ms) after it is answered.
@Suite(.timeLimit(.minutes(1))) struct EventStreamTests {
    @Test func aClaimShowsOnTheStreamWithinASecond() async throws {
        try await ServerWorld.with(spec: try ServerFixtures.spec(minIdle: 1), idle: 1) { world in
            try await world.serving { port in
                let answer = try await RawConnection.request("POST /api/pool/events/ticket", port: port,
                                                             headers: "Authorization: Bearer \(ServerFixtures.apiKey)")
                let ticket = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])["ticket"] as? String
                let stream = try RawConnection(port: port)
                stream.send("GET /api/pool/events/stream?ticket=\(try #require(ticket)) HTTP/1.1\r\nHost: pool\r\nAccept: text/event-stream\r\n\r\n")
                try await read(stream, until: "event: counts", within: .seconds(5))
                #expect(stream.received.hasPrefix("HTTP/1.1 200") && stream.received.contains("text/event-stream"))

                let claimed = await world.loop.runtime.claims.claim(.init(agentName: "Streamed", instructions: "Hi"))
                let started = ContinuousClock.now
                guard case .claimed(let answer) = claimed else { Issue.record("\(claimed)"); return }
                try await read(stream, until: #""kind":"claim""#, within: .seconds(5))
                let took = ContinuousClock.now - started
                // About 0.2 s on a quiet machine (one 200 ms poll of the store); the bound leaves
                // a machine busy with the whole suite its slack, far below the 5 s polling of old.
                #expect(took < .seconds(3), "the claim reached the stream \(took) after it was answered")
                #expect(stream.received.contains(answer.instanceId))
                #expect(!stream.received.contains(ServerFixtures.apiKey))
                stream.hangUp()
            }
        }
    }

    func read(_ c: RawConnection, until text: String, within limit: Duration) async throws {
        let ends = ContinuousClock.now + limit
        while !c.received.contains(text) {
            guard ContinuousClock.now < ends else { throw TimedOut(description: "'\(text)' not on the stream: \(c.received)") }
            if await c.waitForClose(within: .milliseconds(20)) { throw TimedOut(description: "the stream closed: \(c.received)") }
        }
    }
}
#endif
