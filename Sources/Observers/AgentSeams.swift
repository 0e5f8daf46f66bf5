/// The controller's two seams toward agent instances (agent-contract.md). The agent
/// client implements them over HTTP; tests may put anything behind them.

/// Probes many instances' `GET /convos/status` at once.
public protocol StatusProber: Sendable {
    /// One classified result per target id; never throws, never waits past its timeout.
    func probeAll(_ targets: [(id: String, baseURL: String)]) async -> [String: ProbeResult]
}

/// Makes the claim call on one instance: `POST /convos/conversation` or `/convos/join`.
/// Never retried: a call that may have reached the instance leaves it dirty.
public protocol ClaimCaller: Sendable {
    func createConversation(baseURL: String, agentName: String, env: String, instructions: String,
                            timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure>
    func join(baseURL: String, inviteUrl: String, agentName: String, env: String, instructions: String,
              timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure>
}

/// What a successful claim call bound the instance to.
public struct ConversationBinding: Sendable, Equatable {
    public var conversationId: String
    /// Present for a create; a join answers none (the caller keeps the URL it sent).
    public var inviteUrl: String?

    public init(conversationId: String, inviteUrl: String?) {
        self.conversationId = conversationId
        self.inviteUrl = inviteUrl
    }
}

/// Why a claim call failed, said for people, and what it says about the instance: a
/// configuration fault (401: it refused the pool key) or already bound (409), rather than
/// possibly dirty.
public struct ClaimCallFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var configurationFault: Bool
    /// 409: the instance already holds a conversation (someone else's, maybe live).
    public var alreadyBound: Bool

    public init(message: String, configurationFault: Bool = false, alreadyBound: Bool = false) {
        self.message = message
        self.configurationFault = configurationFault
        self.alreadyBound = alreadyBound
    }

    public var description: String { message }
}
