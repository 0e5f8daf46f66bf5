import Model

/// The controller's two seams toward agent instances (docs/agent-contract.md). The agent
/// client implements them over HTTP; tests may put anything behind them.

/// One instance to probe: where, and the bearer it accepts (its own token, or the pool
/// key for an instance made before instance tokens). Never log the bearer.
public struct ProbeTarget: Sendable, CustomStringConvertible {
    public var id: String
    public var baseURL: String
    public var bearer: String

    public init(id: String, baseURL: String, bearer: String) {
        self.id = id
        self.baseURL = baseURL
        self.bearer = bearer
    }

    public var description: String { "ProbeTarget(\(id), \(baseURL))" }
}

/// Probes many instances' `GET /convos/status` at once.
public protocol StatusProber: Sendable {
    /// One classified result per target id; never throws, never waits past `timeout`.
    func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult]
}

/// Makes the claim call on one instance: `POST /convos/conversation` or `/convos/join`,
/// with `bearer`, the instance's own credential. Never retried: a call that may have
/// reached the instance leaves it dirty.
public protocol ClaimCaller: Sendable {
    func createConversation(instanceId: String, baseURL: String, bearer: String, agentName: String, env: String,
                            instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure>
    func join(instanceId: String, baseURL: String, bearer: String, inviteUrl: String, agentName: String, env: String,
              instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure>
}

/// A claim that bound an instance to a conversation: the one success type, from the agent
/// client through the claim service and the store's replay to the HTTP answer.
public struct ClaimedConversation: Sendable, Equatable, Encodable {
    public var instanceId: String
    /// The XMTP group id, opaque.
    public var conversationId: String
    /// A create's invite link; for a join, the link that was sent (the conversation's own).
    @EncodedAsNull public var inviteUrl: String?
    /// Whether the instance joined the user's conversation rather than creating one.
    public var joined: Bool
    /// The instance's URL (scheme and host), so the caller can reach its agent; null when
    /// the pool no longer knows it (an answer replayed for an instance since deleted). The
    /// instance's token is not part of the answer: the caller talks to the agent through
    /// the conversation, never with the pool's credential.
    @EncodedAsNull public var gatewayUrl: String?
    /// The slug of a create's invite link, when the instance sent one (not part of the answer).
    public var inviteSlug: String?

    public init(instanceId: String, conversationId: String, inviteUrl: String?, joined: Bool,
                gatewayUrl: String? = nil, inviteSlug: String? = nil) {
        self.instanceId = instanceId
        self.conversationId = conversationId
        self.inviteUrl = inviteUrl
        self.joined = joined
        self.gatewayUrl = gatewayUrl
        self.inviteSlug = inviteSlug
    }

    /// The claim answer: every field but the slug, `inviteUrl` and `gatewayUrl` as null
    /// when there is none.
    enum CodingKeys: String, CodingKey { case inviteUrl, conversationId, instanceId, joined, gatewayUrl }
}

/// Why a claim call did not bind the instance, and what that says about the instance.
public enum ClaimCallFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The instance refused its credential (401), or cannot be reached where the pool
    /// thinks it is: a configuration fault. Nothing was written on it.
    case configurationFault(String)
    /// 409: the instance already holds a conversation (someone else's, maybe live).
    case alreadyBound(String)
    /// Anything else: the call may have reached the instance and left it dirty.
    case failed(String)

    public var message: String {
        switch self {
        case .configurationFault(let m), .alreadyBound(let m), .failed(let m): m
        }
    }

    public var description: String { message }
}
