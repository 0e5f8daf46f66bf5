import Foundation
import Ports

/// Reads the answer of a claim call (docs/agent-contract.md sections 3 and 4).
enum ClaimAnswer {
    /// The fields of a create or join answer, and of the plugin's error bodies.
    private struct Body: Decodable {
        var conversationId, inviteUrl, inviteSlug: String?
        /// `error`, and `detail`: the Python runtime's error field.
        var status, error, detail: String?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // A field of another JSON type counts as missing: `conversationId: 42` is no id.
            (conversationId, inviteUrl, inviteSlug) = (c.lenient(String.self, .conversationId), c.lenient(String.self, .inviteUrl),
                                                       c.lenient(String.self, .inviteSlug))
            (status, error, detail) = (c.lenient(String.self, .status), c.lenient(String.self, .error), c.lenient(String.self, .detail))
        }

        enum CodingKeys: String, CodingKey { case conversationId, inviteUrl, inviteSlug, status, error, detail }
    }

    /// The join answers that mean "asked, not yet accepted": old and new runtime spellings.
    static let waitingStatuses: Set<String> = ["waiting_for_acceptance", "pending_acceptance"]

    /// - Parameter secret: removed from any message the instance sends back, so an error
    ///   description can be logged whatever the instance put in it.
    ///   - instanceId: the instance called, carried into the answer.
    ///   - joining: the invite URL sent to a join; nil for a create.
    static func classify(_ result: Result<AgentAnswer, ExchangeFailure>, redacting secret: String,
                         instanceId: String, joining: String?) -> Result<ClaimedConversation, ClaimCallError> {
        let answer: AgentAnswer
        switch result {
        case .failure(.timeout): return .failure(.timeout)
        case .failure(.transport(let reason)): return .failure(.transport(reason))
        case .success(let a): answer = a
        }
        let body = answer.isJSON ? try? JSONDecoder().decode(Body.self, from: Data(answer.body.readableBytesView)) : nil
        switch answer.status {
        case 200..<300: break
        case 401: return .failure(.unauthorized)
        case 409: return .failure(.conflict)
        default:
            let message = (body?.error ?? body?.detail).map { redact($0, secret) }
            return .failure(.server(status: answer.status, message: message))
        }
        guard answer.isJSON else { return .failure(.notJSON(answer.contentTypeDescription)) }
        guard let body else { return .failure(.notJSON("malformed JSON")) }
        if let status = body.status, waitingStatuses.contains(status) {
            return .failure(.waitingForAcceptance(status))
        }
        guard let id = body.conversationId, !id.isEmpty else { return .failure(.missingConversationId) }
        return .success(ClaimedConversation(instanceId: instanceId, conversationId: id, inviteUrl: body.inviteUrl,
                                            joined: joining != nil, inviteSlug: body.inviteSlug))
    }

    /// Messages are for people: capped, and never carrying the key.
    private static func redact(_ message: String, _ secret: String) -> String {
        let clean = secret.isEmpty ? message : message.replacingOccurrences(of: secret, with: "<redacted>")
        return clean.count > 200 ? String(clean.prefix(200)) + "…" : clean
    }
}
