import Ports

/// Why a claim call did not bind the instance. Except for `unauthorized`, the instance
/// may be dirty afterwards (instructions written, an identity created): retire it.
public enum ClaimCallError: Error, Sendable, Equatable {
    /// No answer within the timeout. The instance may still finish the call later, and a
    /// create's invite link is then lost.
    case timeout
    /// No answer at all: connection refused or reset, DNS, TLS.
    case transport(String)
    /// 401: the instance does not accept its credential. A configuration fault.
    case unauthorized
    /// 409: the instance is already bound to a conversation.
    case conflict
    /// Any other non-2xx, with the `error` (or `detail`) message when the body had one.
    case server(status: Int, message: String?)
    /// 200 `{"status":"waiting_for_acceptance"}` or `"pending_acceptance"`: the join request
    /// was not accepted in time. Carries the status word as sent.
    case waitingForAcceptance(String)
    /// A 2xx that is not JSON: carries its content type, or "malformed JSON".
    case notJSON(String)
    /// A 2xx JSON answer without a string `conversationId`: not a successful claim.
    case missingConversationId
}

extension ClaimCallError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .timeout:
            "the instance did not answer in time; it may still complete the claim on its own"
        case .transport(let reason):
            "could not reach the instance: \(reason)"
        case .unauthorized:
            "the instance rejected its credential (401): its INSTANCE_TOKEN (or, for an instance made before instance tokens, POOL_API_KEY) differs from what the pool derives"
        case .conflict:
            "the instance is already bound to a conversation (409)"
        case .server(405, nil):
            // The contract's 405 carries a JSON body; a bare one comes from the Control UI.
            "the instance does not serve the claim endpoint (HTTP 405 without a JSON body): its Convos plugin is probably not loaded"
        case .server(let status, let message):
            "the instance failed the claim with HTTP \(status)" + (message.map { ": \($0)" } ?? "")
        case .waitingForAcceptance(let status):
            "the join request was not accepted in time (\(status)); the conversation's creator must be online to accept it"
        case .notJSON(let detail):
            "the instance's answer is not usable JSON (\(detail))"
        case .missingConversationId:
            "the instance answered without a conversation id"
        }
    }
}
