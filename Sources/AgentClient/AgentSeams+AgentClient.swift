import Observers

/// The agent client behind the controller's seams.
public struct AgentProber: StatusProber {
    public var client: AgentClient
    public var concurrency: Int
    public var timeout: Duration

    public init(client: AgentClient, concurrency: Int = 32, timeout: Duration = AgentClient.DefaultTimeout.status) {
        self.client = client
        self.concurrency = concurrency
        self.timeout = timeout
    }

    public func probeAll(_ targets: [(id: String, baseURL: String)]) async -> [String: ProbeResult] {
        await client.probeAll(targets, concurrency: concurrency, timeout: timeout)
    }
}

extension AgentClient: ClaimCaller {
    public func createConversation(baseURL: String, agentName: String, env: String, instructions: String,
                                   timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        let body = CreateConversationRequest(name: agentName, profileName: agentName, env: env, instructions: instructions)
        return Self.binding(await createConversation(baseURL: baseURL, body: body, timeout: timeout), inviteUrl: nil)
    }

    public func join(baseURL: String, inviteUrl: String, agentName: String, env: String, instructions: String,
                     timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        let body = JoinRequest(inviteUrl: inviteUrl, profileName: agentName, env: env, instructions: instructions)
        // A join answers no invite URL: the one the user sent is the conversation's.
        return Self.binding(await join(baseURL: baseURL, body: body, timeout: timeout), inviteUrl: inviteUrl)
    }

    static func binding(_ r: Result<ClaimedConversation, ClaimCallError>, inviteUrl: String?) -> Result<ConversationBinding, ClaimCallFailure> {
        switch r {
        case .success(let c):
            .success(ConversationBinding(conversationId: c.conversationId, inviteUrl: c.inviteUrl ?? inviteUrl))
        case .failure(let e):
            .failure(ClaimCallFailure(message: e.description, configurationFault: e == .unauthorized,
                                      alreadyBound: e == .conflict))
        }
    }
}
