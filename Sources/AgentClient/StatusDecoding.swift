import Foundation
import Model

/// `GET /convos/status` in either shape of the contract (sections 2 and 8):
/// old `{ready, conversation: {id}|null, streaming}`, new `{conversationId, pending, clean, inboxId}`.
/// Every field is optional and a field of the wrong JSON type counts as missing, so a
/// shape drift degrades to "not usable" instead of failing the whole probe.
struct StatusAnswer: Decodable {
    struct Conversation: Decodable {
        var id: String?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = c.lenient(String.self, .id)
        }
        enum CodingKeys: String, CodingKey { case id }
    }

    var ready: Bool?
    var conversation: Conversation?
    var streaming: Bool?
    var conversationId: String?
    var clean: Bool?

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ready = c.lenient(Bool.self, .ready)
        conversation = c.lenient(Conversation.self, .conversation)
        streaming = c.lenient(Bool.self, .streaming)
        conversationId = c.lenient(String.self, .conversationId)
        clean = c.lenient(Bool.self, .clean)
    }

    enum CodingKeys: String, CodingKey { case ready, conversation, streaming, conversationId, clean }

    /// False for a JSON object that carries neither shape (e.g. `{}` or another service's JSON).
    var isStatus: Bool { ready != nil || clean != nil }

    var agentStatus: AgentStatus {
        AgentStatus(usable: ready == true || clean == true,
                    conversationId: conversation?.id ?? conversationId,
                    streaming: streaming)
    }
}

extension KeyedDecodingContainer {
    /// The value, or nil when it is missing, null or of another JSON type.
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}
