import AgentClient
import StandInAgent
import Testing

/// Claim calls against stand-ins: success, and every failure mode to its typed error.
@Suite(.timeLimit(.minutes(1))) struct ClaimCallTests {
    let client = makeClient()

    @Test func createConversationBindsAndReturnsTheInvite() async throws {
        try await withStandIn { agent, url in
            let claimed = try await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample).get()
            #expect(claimed.conversationId.count == 32)
            let lowercaseHex = claimed.conversationId.allSatisfy { "0123456789abcdef".contains($0) }
            #expect(lowercaseHex)
            let slug = try #require(claimed.inviteSlug)
            #expect(claimed.inviteUrl == "https://dev.convos.org/v2?i=\(slug)")
            #expect(agent.state.boundConversationId == claimed.conversationId)
        }
    }

    @Test func productionInviteUsesThePopupHost() async throws {
        try await withStandIn { _, url in
            var body = CreateConversationRequest.sample
            body.env = "production"
            let claimed = try await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: body).get()
            #expect(claimed.inviteUrl?.hasPrefix("https://popup.convos.org/v2?i=") == true)
        }
    }

    @Test func joinBindsWithoutInvite() async throws {
        try await withStandIn { agent, url in
            let claimed = try await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample).get()
            #expect(claimed.inviteUrl == nil)
            #expect(agent.state.boundConversationId == claimed.conversationId)
        }
    }

    @Test func secondClaimAfterBindingIsAConflict() async throws {
        try await withStandIn { agent, url in
            _ = try await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample).get()
            #expect(await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample) == .failure(.conflict))
            #expect(await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample) == .failure(.conflict))
            #expect(agent.state.calls(to: .join) == 2)
            #expect(agent.state.calls(to: .createConversation) == 1)
        }
    }

    static let failureModes: [(StandInFailure, ClaimCallError)] = [
        (.conflict, .conflict),
        (.serverError, .server(status: 500, message: "stand-in: injected failure")),
        (.proxyError(502), .server(status: 502, message: nil)),
        // The Convos plugin did not load: POST falls through to 405 text/plain.
        (.html, .server(status: 405, message: nil)),
        (.plainText, .notJSON("text/plain; charset=utf-8")),
        (.malformedJSON, .notJSON("malformed JSON")),
        (.noConversationId, .missingConversationId),
    ]

    @Test(arguments: failureModes)
    func createFailureMapsToItsError(failure: StandInFailure, expected: ClaimCallError) async throws {
        try await withStandIn(.init(apiKey: testKey, failure: failure)) { _, url in
            #expect(await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample) == .failure(expected))
        }
    }

    @Test(arguments: failureModes + [
        (StandInFailure.waitingForAcceptance, ClaimCallError.waitingForAcceptance("waiting_for_acceptance")),
        (.pendingAcceptance, .waitingForAcceptance("pending_acceptance")),
    ])
    func joinFailureMapsToItsError(failure: StandInFailure, expected: ClaimCallError) async throws {
        try await withStandIn(.init(apiKey: testKey, failure: failure)) { agent, url in
            #expect(await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample) == .failure(expected))
            #expect(agent.state.boundConversationId == nil)
        }
    }

    @Test func wrongKeyIsUnauthorizedAndTheDescriptionHidesTheKey() async throws {
        try await withStandIn { _, url in
            let result = await makeClient().createConversation(instanceId: "instance-1", baseURL: url, bearer: "wrong-key-9d8e", body: .sample)
            #expect(result == .failure(.unauthorized))
            guard case .failure(let error) = result else { return }
            #expect(!error.description.contains("wrong-key-9d8e"))
            #expect(!error.description.contains(testKey))
        }
    }

    @Test func hangingClaimTimesOutWithinTheTimeout() async throws {
        try await withStandIn(.init(apiKey: testKey, failure: .hang)) { agent, url in
            let (result, elapsed) = await seconds {
                await client.join(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample, timeout: .milliseconds(400))
            }
            #expect(result == .failure(.timeout))
            // Generous bound: a hang would never return; a loaded machine is merely slow.
            #expect(elapsed < 10, "took \(elapsed) s for a 0.4 s timeout")
            // Never retried.
            #expect(agent.state.calls(to: .join) == 1)
        }
    }

    @Test func unreachableInstanceIsATransportError() async throws {
        // A port held bound and not listening: it refuses, and no parallel test can take it.
        let port = try ClosedPort()
        let url = "http://127.0.0.1:\(port.number)"
        #expect(await client.createConversation(instanceId: "instance-1", baseURL: url, bearer: testKey, body: .sample) == .failure(.transport("connection refused")))
    }
}
