import AgentClient
import Model
import StandInAgent
import TestSupport
import Testing

/// Each instance takes its own token and nothing else: instance A's token is refused by
/// instance B, and the pool key by an instance made with a token.
@Suite(.timeLimit(.minutes(1))) struct InstanceTokenTests {
    let client = makeClient()

    @Test func anInstanceTakesItsOwnTokenOnlyOnEveryEndpoint() async throws {
        let (a, b) = ("instancea0001", "instanceb0002")
        let tokenA = TestCredentials.token(a), tokenB = TestCredentials.token(b)
        #expect(tokenA != tokenB && tokenA.count == 64 && tokenA.allSatisfy(\.isHexDigit))
        try await withStandIn(.init(apiKey: tokenA)) { agentA, urlA in
            try await withStandIn(.init(apiKey: tokenB)) { agentB, urlB in
                #expect(await client.probe(baseURL: urlA, bearer: tokenA) == .status(AgentStatus(usable: true, conversationId: nil, streaming: false)))
                #expect(await client.probe(baseURL: urlB, bearer: tokenB) == .status(AgentStatus(usable: true, conversationId: nil, streaming: false)))
                // Crossed: each refuses the other's token, on the probe and on both claim calls.
                #expect(await client.probe(baseURL: urlB, bearer: tokenA) == .unauthorized)
                #expect(await client.probe(baseURL: urlA, bearer: tokenB) == .unauthorized)
                #expect(await client.createConversation(instanceId: b, baseURL: urlB, bearer: tokenA, body: .sample) == .failure(.unauthorized))
                #expect(await client.join(instanceId: b, baseURL: urlB, bearer: tokenA, body: .sample) == .failure(.unauthorized))
                // Nor does the pool key open an instance made with a token.
                #expect(await client.probe(baseURL: urlA, bearer: TestCredentials.poolKey) == .unauthorized)
                // The refused claims left B untouched: its own token still claims it.
                let claimed = try await client.createConversation(instanceId: b, baseURL: urlB, bearer: tokenB, body: .sample).get()
                #expect(claimed.instanceId == b)
                #expect(agentA.state.calls(to: .createConversation) == 0)
                _ = agentB
            }
        }
    }
}
