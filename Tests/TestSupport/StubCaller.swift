import Foundation
import Model
import Ports

/// Claim calls in memory: they succeed, fail with a message, or wait at a gate.
public final class StubCaller: ClaimCaller, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var failing: String?
    private var holding: Gate?
    private var sent: [String: String] = [:]

    public init() {}

    /// Calls fail with this message (the instance may be dirty: it is retired).
    public var failure: String? {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }
    /// Calls wait at this gate.
    public var gate: Gate? {
        get { lock.withLock { holding } }
        set { lock.withLock { holding = newValue } }
    }

    public var callCount: Int { lock.withLock { calls } }
    /// The bearer each instance was last called with, by instance id.
    public var bearers: [String: String] { lock.withLock { sent } }

    public func createConversation(instanceId: String, baseURL: String, bearer: String, agentName: String, env: String,
                                   instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let (n, failure, gate) = lock.withLock { calls += 1; sent[instanceId] = bearer; return (calls, failing, holding) }
        await gate?.wait()
        if let failure { return .failure(.failed(failure)) }
        return .success(ClaimedConversation(instanceId: instanceId, conversationId: "conv-\(n)",
                                            inviteUrl: "https://dev.convos.org/v2?i=invite-\(n)", joined: false))
    }

    public func join(instanceId: String, baseURL: String, bearer: String, inviteUrl: String, agentName: String, env: String,
                     instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let created = await createConversation(instanceId: instanceId, baseURL: baseURL, bearer: bearer, agentName: agentName,
                                               env: env, instructions: instructions, timeout: timeout)
        return created.map { ClaimedConversation(instanceId: instanceId, conversationId: $0.conversationId, inviteUrl: inviteUrl, joined: true) }
    }
}
