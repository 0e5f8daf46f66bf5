import NIOConcurrencyHelpers

/// The stand-in's in-memory state and its behaviour knobs, shared by every request and
/// changeable by tests while it runs.
public final class StandInState: Sendable {
    struct Values {
        var boundConversationId: String?
        /// A claim got far enough to leave traces (an identity, a pending join request).
        var dirty = false
        var reportedConversationWhileUnbound: String?
        /// The message stream child died and its restarts failed: status says `streaming: false`
        /// even while a conversation is bound (docs/agent-contract.md section 2, state D).
        var streamDown = false
        var statusShape: StatusShape
        var latency: [StandInEndpoint: Duration] = [:]
        var failure: [StandInEndpoint: StandInFailure] = [:]
        var calls: [StandInEndpoint: Int] = [:]
        /// The bearer key callers must send: its `INSTANCE_TOKEN`.
        var key: String
    }

    private let values: NIOLockedValueBox<Values>

    init(_ configuration: StandInConfiguration) {
        var values = Values(statusShape: configuration.statusShape, key: configuration.apiKey)
        for endpoint in StandInEndpoint.allCases {
            values.latency[endpoint] = configuration.latency
            values.failure[endpoint] = configuration.failure
        }
        self.values = NIOLockedValueBox(values)
    }

    // MARK: Knobs

    /// The key callers must send as `Bearer <key>`. A test harness sets it to the token the
    /// pool gave the instance this stand-in plays, as the container would read it from
    /// its variables.
    public var key: String {
        get { values.withLockedValue { $0.key } }
        set { values.withLockedValue { $0.key = newValue } }
    }

    /// Sets (or with nil clears) the failure mode of one endpoint, or of all of them.
    public func setFailure(_ failure: StandInFailure?, on endpoint: StandInEndpoint? = nil) {
        values.withLockedValue { v in
            for e in endpoint.map({ [$0] }) ?? StandInEndpoint.allCases { v.failure[e] = failure }
        }
    }

    /// Delay before answering, on one endpoint or all of them.
    public func setLatency(_ latency: Duration, on endpoint: StandInEndpoint? = nil) {
        values.withLockedValue { v in
            for e in endpoint.map({ [$0] }) ?? StandInEndpoint.allCases { v.latency[e] = latency }
        }
    }

    public func setStatusShape(_ shape: StatusShape) {
        values.withLockedValue { $0.statusShape = shape }
    }

    /// Makes status report `conversationId` while nothing is bound, as an instance claimed
    /// by someone else (or restored after a restart) does. Nil stops it.
    public func reportConversationWhileUnbound(_ conversationId: String?) {
        values.withLockedValue { $0.reportedConversationWhileUnbound = conversationId }
    }

    /// Takes the message stream down (state D of the contract: bound, `streaming: false`),
    /// or with false brings it back.
    public func setStreamDown(_ down: Bool) {
        values.withLockedValue { $0.streamDown = down }
    }

    // MARK: Observations

    /// Requests received on `endpoint`, whatever the answer.
    public func calls(to endpoint: StandInEndpoint) -> Int {
        values.withLockedValue { $0.calls[endpoint, default: 0] }
    }

    public var boundConversationId: String? {
        values.withLockedValue { $0.boundConversationId }
    }

    // MARK: Used by the responder

    func countCall(_ endpoint: StandInEndpoint) {
        values.withLockedValue { $0.calls[endpoint, default: 0] += 1 }
    }

    func behaviour(of endpoint: StandInEndpoint) -> (latency: Duration, failure: StandInFailure?) {
        values.withLockedValue { v in
            let failure = v.failure[endpoint].flatMap { $0.applies(to: endpoint) ? $0 : nil }
            return (v.latency[endpoint] ?? .zero, failure)
        }
    }

    var snapshot: Values { values.withLockedValue { $0 } }

    /// Binds `conversationId` unless already bound; false means 409.
    func bind(_ conversationId: String) -> Bool {
        values.withLockedValue { v in
            guard v.boundConversationId == nil else { return false }
            v.boundConversationId = conversationId
            v.dirty = true
            return true
        }
    }

    func markDirty() { values.withLockedValue { $0.dirty = true } }
}
