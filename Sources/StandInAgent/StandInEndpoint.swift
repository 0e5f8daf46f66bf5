/// The three contract endpoints the stand-in serves.
public enum StandInEndpoint: String, Sendable, CaseIterable, Hashable {
    case status
    case createConversation = "conversation"
    case join

    public var path: String {
        switch self {
        case .status: "/convos/status"
        case .createConversation: "/convos/conversation"
        case .join: "/convos/join"
        }
    }

    var method: String { self == .status ? "GET" : "POST" }

    init?(path: String) {
        guard let endpoint = Self.allCases.first(where: { $0.path == path }) else { return nil }
        self = endpoint
    }
}

/// Which status answer the stand-in gives (docs/agent-contract.md sections 2 and 8).
public enum StatusShape: String, Sendable, CaseIterable {
    /// `{ready, conversation: {id}|null, streaming}`: the reference fork.
    case old
    /// `{conversationId, pending, clean, inboxId}`: the later runtime.
    case new
}
