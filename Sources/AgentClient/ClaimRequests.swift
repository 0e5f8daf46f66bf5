// Both bodies are made in this module only (the claim caller), so their memberwise
// initializers stay internal.

/// Body of `POST /convos/conversation`: the pool's usual fields (docs/agent-contract.md section 3).
public struct CreateConversationRequest: Encodable, Sendable, Equatable {
    /// Conversation name.
    public var name: String
    /// The agent's display name in the conversation.
    public var profileName: String
    /// XMTP network: `dev` or `production`, the pool's own.
    public var env: String
    /// Replaces the agent's operator instructions when not blank.
    public var instructions: String
}

/// Body of `POST /convos/join` (docs/agent-contract.md section 4).
public struct JoinRequest: Encodable, Sendable, Equatable {
    /// The user's invite link (or bare slug), passed on as it came.
    public var inviteUrl: String
    public var profileName: String
    public var env: String
    public var instructions: String
}
