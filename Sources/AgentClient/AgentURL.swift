extension AgentClient {
    /// The URL of `path` on an instance. A base URL without a scheme (a bare host such as
    /// a Railway domain) gets the configured one. Paths must match exactly: no trailing slash.
    func url(_ baseURL: String, _ path: String) -> String {
        var base = baseURL.contains("://") ? baseURL : "\(scheme)://\(baseURL)"
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}

/// The three paths the pool calls (docs/agent-contract.md section 1).
enum AgentPath {
    static let status = "/convos/status"
    static let createConversation = "/convos/conversation"
    static let join = "/convos/join"
}
