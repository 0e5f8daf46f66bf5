@testable import AgentClient
import NIOCore
import Testing

/// An instance may put anything in its error message; the key must not reach a log.
@Suite struct ClaimRedactionTests {
    @Test func serverMessageEchoingTheKeyIsRedacted() {
        let answer = AgentAnswer(status: 500, contentType: "application/json",
                                 body: ByteBuffer(string: #"{"error":"bad token test-key-5f1c2a in config"}"#))
        let result = ClaimAnswer.classify(.success(answer), redacting: testKey, instanceId: "instance-1", joining: nil)
        #expect(result == .failure(.server(status: 500, message: "bad token <redacted> in config")))
    }

    @Test func pythonRuntimeDetailIsTheMessage() {
        let answer = AgentAnswer(status: 400, contentType: "application/json", body: ByteBuffer(string: #"{"detail":"inviteUrl required"}"#))
        #expect(ClaimAnswer.classify(.success(answer), redacting: testKey, instanceId: "instance-1", joining: nil) == .failure(.server(status: 400, message: "inviteUrl required")))
    }

    @Test func numericConversationIdIsNoId() {
        let answer = AgentAnswer(status: 200, contentType: "application/json", body: ByteBuffer(string: #"{"conversationId":42}"#))
        #expect(ClaimAnswer.classify(.success(answer), redacting: testKey, instanceId: "instance-1", joining: nil) == .failure(.missingConversationId))
    }
}
