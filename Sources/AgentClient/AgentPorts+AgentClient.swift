import Model
import Ports

/// The agent client behind the controller's seams.
extension AgentClient: StatusProber {
    /// Probes at most this many instances at once.
    public static let probeConcurrency = 32

    public func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
        await probeAll(targets, concurrency: Self.probeConcurrency, timeout: timeout)
    }
}

extension AgentClient: ClaimCaller {
    public func createConversation(instanceId: String, baseURL: String, bearer: String, agentName: String, env: String,
                                   instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let body = CreateConversationRequest(name: agentName, profileName: agentName, env: env, instructions: instructions)
        return await createConversation(instanceId: instanceId, baseURL: baseURL, bearer: bearer, body: body, timeout: timeout)
            .map { $0.answer(inviteUrl: $0.inviteUrl) }.mapError(\.failure)
    }

    public func join(instanceId: String, baseURL: String, bearer: String, inviteUrl: String, agentName: String, env: String,
                     instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let body = JoinRequest(inviteUrl: inviteUrl, profileName: agentName, env: env, instructions: instructions)
        // A join answers no invite URL: the one the user sent is the conversation's.
        return await join(instanceId: instanceId, baseURL: baseURL, bearer: bearer, body: body, timeout: timeout)
            .map { $0.answer(inviteUrl: $0.inviteUrl ?? inviteUrl) }.mapError(\.failure)
    }
}

extension ClaimedConversation {
    /// What the pool keeps and answers of a claim: the invite URL carries the slug.
    func answer(inviteUrl: String?) -> ClaimedConversation {
        ClaimedConversation(instanceId: instanceId, conversationId: conversationId, inviteUrl: inviteUrl, joined: joined)
    }
}

extension ClaimCallError {
    /// What the failure says about the instance, for the claim service.
    var failure: ClaimCallFailure {
        switch self {
        case .unauthorized: .configurationFault(description)
        case .conflict: .alreadyBound(description)
        default: .failed(description)
        }
    }
}
