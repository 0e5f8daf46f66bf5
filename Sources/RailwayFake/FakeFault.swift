import Planning

/// A failure the fake answers with instead of (or, for latency, before) the real answer.
public enum FakeFault: Sendable, Equatable {
    /// HTTP 429 with `Retry-After: <seconds>`.
    case rateLimited(retryAfterSeconds: Int)
    /// An HTTP 5xx with a JSON body.
    case serverError(status: Int)
    /// HTTP 200 whose body carries `errors` with this message.
    case graphQLError(message: String)
    /// HTTP 403 text/html "Access denied", as Railway's edge answers under heavy rate limiting.
    case htmlPage
    /// The real answer, sent after this much wall-clock time (drives client timeouts).
    case latency(Duration)
    /// A listing answered empty: `EnvironmentServices` with no services, or
    /// `WorkspaceProjectServices` with no projects (only ever those operations).
    case emptyEnvironment

    func applies(to operation: String) -> Bool {
        self != .emptyEnvironment || operation == "EnvironmentServices" || operation == "WorkspaceProjectServices"
    }
}

/// Faults waiting for calls: queued ones fire on the next matching calls, rated ones on a
/// deterministic pseudo-random share of matching calls.
struct FaultSchedule {
    private struct Queued { var fault: FakeFault; var operation: String?; var remaining: Int }
    private struct Rated { var fault: FakeFault; var operation: String?; var probability: Double }

    private var queued: [Queued] = []
    private var rated: [Rated] = []
    private var random = SplitMix64(seed: 0)

    mutating func inject(_ fault: FakeFault, operation: String?, times: Int) {
        queued.append(Queued(fault: fault, operation: operation, remaining: times))
    }

    mutating func inject(_ fault: FakeFault, operation: String?, probability: Double, seed: UInt64) {
        rated.append(Rated(fault: fault, operation: operation, probability: probability))
        random = SplitMix64(seed: seed)
    }

    mutating func clear() {
        queued = []
        rated = []
    }

    /// The fault for this call, if any; consumes one queued firing.
    mutating func next(for operation: String) -> FakeFault? {
        let matches = { (fault: FakeFault, target: String?) in
            fault.applies(to: operation) && (target == nil || target == operation)
        }
        if let index = queued.firstIndex(where: { matches($0.fault, $0.operation) }) {
            let fault = queued[index].fault
            queued[index].remaining -= 1
            if queued[index].remaining <= 0 { queued.remove(at: index) }
            return fault
        }
        for entry in rated where matches(entry.fault, entry.operation) {
            if random.nextUnit() < entry.probability { return entry.fault }
        }
        return nil
    }
}

/// Rated faults repeat identically from run to run: the planner's seeded generator, read
/// as a fraction.
extension SplitMix64 {
    mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}
