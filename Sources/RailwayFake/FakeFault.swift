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

/// A small seeded generator: rated faults repeat identically from run to run.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
