/// The one lock that serializes ticks, saved-plan applies and operator actions, in the
/// order they asked. An actor alone would interleave them at every await; this hands the
/// turn to one holder at a time. Outlives spec reloads: the loop keeps one for its life.
public actor TickLock {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init() {}

    /// Runs `body` once every holder before it is done.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}
