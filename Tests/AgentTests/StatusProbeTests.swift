@testable import AgentClient
import Model
import Planning
import StandInAgent
import Testing
import TestSupport

/// `probe` against stand-ins: every kind of answer lands in its `ProbeResult`.
@Suite(.timeLimit(.minutes(1))) struct StatusProbeTests {
    let client = makeClient()

    @Test func oldShapeUnbound() async throws {
        try await withStandIn { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey) == .status(AgentStatus(usable: true, conversationId: nil, streaming: false)))
        }
    }

    @Test func oldShapeBound() async throws {
        try await withStandIn { agent, url in
            let claimed = try await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample).get()
            #expect(await client.probe(baseURL: url, bearer: testKey)
                == .status(AgentStatus(usable: true, conversationId: claimed.conversationId, streaming: true)))
            #expect(agent.state.boundConversationId == claimed.conversationId)
        }
    }

    @Test func newShapeUnboundIsCleanAndUsable() async throws {
        try await withStandIn(.init(apiKey: testKey, statusShape: .new)) { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey) == .status(AgentStatus(usable: true, conversationId: nil)))
        }
    }

    @Test func newShapeBoundIsNotClean() async throws {
        try await withStandIn(.init(apiKey: testKey, statusShape: .new)) { _, url in
            let claimed = try await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample).get()
            #expect(await client.probe(baseURL: url, bearer: testKey)
                == .status(AgentStatus(usable: false, conversationId: claimed.conversationId)))
        }
    }

    @Test func newShapeAfterUnacceptedJoinIsDirtyWithoutConversation() async throws {
        try await withStandIn(.init(apiKey: testKey, statusShape: .new)) { agent, url in
            agent.state.setFailure(.waitingForAcceptance, on: .join)
            _ = await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample)
            #expect(await client.probe(baseURL: url, bearer: testKey) == .status(AgentStatus(usable: false, conversationId: nil)))
        }
    }

    @Test(arguments: [StatusShape.old, .new])
    func conversationItWasNeverGivenShows(shape: StatusShape) async throws {
        try await withStandIn(.init(apiKey: testKey, statusShape: shape)) { agent, url in
            agent.state.reportConversationWhileUnbound("0f3a9c2e7b5d41e8a6c4b2d0e9f8a7c6")
            guard case .status(let status) = await client.probe(baseURL: url, bearer: testKey) else {
                Issue.record("expected a status"); return
            }
            #expect(status.conversationId == "0f3a9c2e7b5d41e8a6c4b2d0e9f8a7c6")
            #expect(agent.state.boundConversationId == nil)
        }
    }

    /// Answers that are not a status, each classified with what it was instead.
    @Test(arguments: [(StandInFailure.html, "text/html; charset=utf-8"), (.plainText, "text/plain; charset=utf-8"),
                      (.malformedJSON, "malformed JSON"), (.noConversationId, "JSON without ready or clean")])
    func answersThatAreNoStatusAreNotJSON(failure: StandInFailure, detail: String) async throws {
        try await withStandIn(.init(apiKey: testKey, failure: failure)) { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey) == .notJSON(detail))
        }
    }

    @Test func wrongKeyIsUnauthorized() async throws {
        try await withStandIn { _, url in
            #expect(await makeClient().probe(baseURL: url, bearer: "another-key") == .unauthorized)
        }
    }

    @Test(arguments: [502, 503, 404])
    func proxyErrorsAreUnreachable(code: Int) async throws {
        try await withStandIn(.init(apiKey: testKey, failure: .proxyError(code))) { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey) == .unreachable("HTTP \(code)"))
        }
    }

    @Test func serverErrorIsUnreachable() async throws {
        try await withStandIn(.init(apiKey: testKey, failure: .serverError)) { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey) == .unreachable("HTTP 500"))
        }
    }

    @Test func connectionRefusedIsUnreachable() async throws {
        // A port bound and not listening: a stopped stand-in's port could be handed to a
        // server another test starts meanwhile.
        let result = try await withRefusedPort { port in await client.probe(baseURL: "http://127.0.0.1:\(port)", bearer: testKey) }
        #expect(result == .unreachable("connection refused"))
    }

    /// An instance that never answers, and one that sends its headers but never its body
    /// (the HTTP client's own deadline ends when the headers arrive; the total timeout must
    /// still hold): unreachable within the probe's timeout, called once.
    @Test(arguments: [StandInFailure.hang, .stallBody])
    func aStatusThatNeverCompletesIsUnreachableWithinTheTimeout(failure: StandInFailure) async throws {
        try await withStandIn(.init(apiKey: testKey, failure: failure)) { agent, url in
            let (result, elapsed) = await seconds { await client.probe(baseURL: url, bearer: testKey, timeout: .milliseconds(500)) }
            guard case .unreachable(let reason) = result else { Issue.record("got \(result)"); return }
            #expect(reason.contains("timed out"))
            // A timeout that never fires would hang: 10 s leaves a loaded machine its slack.
            #expect(elapsed >= 0.45 && elapsed < 10.0, "took \(elapsed) s for a 0.5 s timeout")
            #expect(agent.state.calls(to: .status) == 1)
        }
    }

    @Test func bootingInstanceIsUnreachableThenReady() async throws {
        try await withStandIn(.init(apiKey: testKey, startupDelay: .seconds(1))) { _, url in
            #expect(await client.probe(baseURL: url, bearer: testKey, timeout: .milliseconds(500)) == .unreachable("connection refused"))
            // Ready once its 1 s start-up delay is over; a loaded machine may take longer to
            // start listening, so wait for it rather than sleeping a fixed time.
            let ready = ProbeResult.status(AgentStatus(usable: true, conversationId: nil, streaming: false))
            #expect(await eventually(within: .seconds(15)) { await client.probe(baseURL: url, bearer: testKey) == ready })
        }
    }

    @Test func bareHostGetsTheConfiguredScheme() async throws {
        try await withStandIn { agent, _ in
            #expect(await client.probe(baseURL: "127.0.0.1:\(agent.port!)/", bearer: testKey) == .status(AgentStatus(usable: true, conversationId: nil, streaming: false)))
        }
    }
}

extension CreateConversationRequest {
    static let sample = CreateConversationRequest(name: "Tokyo trip", profileName: "Planner", env: "dev", instructions: "Plan the trip.")
}

extension JoinRequest {
    static let sample = JoinRequest(inviteUrl: "https://dev.convos.org/v2?i=abc", profileName: "Planner", env: "dev", instructions: "Plan the trip.")
}
