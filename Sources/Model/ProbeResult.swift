/// What `GET /convos/status` said, already classified (docs/agent-contract.md sections 1, 2, 8).
public enum ProbeResult: Sendable, Equatable {
    /// Not probed this tick (no successful deployment yet, or a claim in flight).
    case notProbed
    /// Connection error, timeout, or a proxy answer while it boots (502, 503, 404).
    case unreachable(String)
    /// An answer that is not JSON (e.g. `200 text/html`: the Convos plugin did not load).
    case notJSON(String)
    /// 401: the instance does not accept the pool key. A configuration fault, never a
    /// reason to delete.
    case unauthorized
    /// A JSON status, either shape of the contract normalised into one.
    case status(AgentStatus)
}

/// The status answer in one shape. Old shape: `{ready, conversation: {id}|null, streaming}`;
/// new shape: `{conversationId, clean}`. `usable` is `ready` (old) or `clean` (new).
public struct AgentStatus: Codable, Sendable, Equatable {
    public var usable: Bool
    /// Non-nil (and non-empty) when the instance says it is bound to a conversation.
    public var conversationId: String?
    /// Old shape only: whether the message stream child is alive.
    public var streaming: Bool?

    public init(usable: Bool, conversationId: String?, streaming: Bool? = nil) {
        self.usable = usable
        self.conversationId = conversationId.flatMap { $0.isEmpty ? nil : $0 }
        self.streaming = streaming
    }
}
