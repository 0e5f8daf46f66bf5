import Model
import Ports

/// Every instance answers its status probe as idle (the agent client has its own tests).
public struct AlwaysReady: StatusProber {
    public init() {}
    public func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0.id, .status(AgentStatus(usable: true, conversationId: nil))) })
    }
}
