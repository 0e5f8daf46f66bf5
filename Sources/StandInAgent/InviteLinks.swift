import Foundation

/// Conversation ids and invite links shaped like the real ones (docs/agent-contract.md section 6).
enum InviteLinks {
    /// 32 lowercase hex characters, like an XMTP group id.
    static func newConversationId() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func newSlug() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<43).map { _ in alphabet.randomElement()! })
    }

    /// The host of the CLI build the reference fork pins, by network.
    static func inviteURL(slug: String, env: String) -> String {
        let host = env == "production" ? "popup.convos.org" : "dev.convos.org"
        var query = CharacterSet.urlQueryAllowed
        query.remove(charactersIn: "&=+?/")
        let encoded = slug.addingPercentEncoding(withAllowedCharacters: query) ?? slug
        return "https://\(host)/v2?i=\(encoded)"
    }
}
