import Foundation
import NIOCore
import Ports

extension AgentClient {
    /// `POST /convos/conversation`: binds the instance to a new conversation.
    /// Never retried: a second call on the same instance may create a second identity.
    public func createConversation(instanceId: String, baseURL: String, bearer: String, body: CreateConversationRequest,
                                   timeout: Duration = DefaultTimeout.createConversation) async
        -> Result<ClaimedConversation, ClaimCallError> {
        await claim(instanceId, baseURL, bearer, AgentPath.createConversation, body, joining: nil, timeout: timeout)
    }

    /// `POST /convos/join`: binds the instance to the user's conversation. The instance
    /// waits up to about 60 s for the creator to accept, so keep `timeout` above that.
    /// Never retried.
    public func join(instanceId: String, baseURL: String, bearer: String, body: JoinRequest,
                     timeout: Duration = DefaultTimeout.join) async
        -> Result<ClaimedConversation, ClaimCallError> {
        await claim(instanceId, baseURL, bearer, AgentPath.join, body, joining: body.inviteUrl, timeout: timeout)
    }

    private func claim(_ instanceId: String, _ baseURL: String, _ bearer: String, _ path: String, _ body: some Encodable,
                       joining: String?, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallError> {
        // Encoding four strings cannot fail.
        let json = ByteBuffer(bytes: try! JSONEncoder().encode(body))
        let result = await exchange(.POST, url(baseURL, path), bearer: bearer, json: json, timeout: timeout)
        let outcome = ClaimAnswer.classify(result, redacting: bearer, instanceId: instanceId, joining: joining)
        switch outcome {
        case .success(let claimed):
            logger.info("claim call bound the instance",
                        metadata: ["instance": "\(baseURL)", "path": "\(path)", "conversationId": "\(claimed.conversationId)"])
        case .failure(let error):
            logger.warning("claim call failed",
                           metadata: ["instance": "\(baseURL)", "path": "\(path)", "error": "\(error)"])
        }
        return outcome
    }
}
