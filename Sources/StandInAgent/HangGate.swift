import NIOConcurrencyHelpers

/// Where hanging requests wait. They are let go when the stand-in stops, because the
/// server's graceful shutdown waits for every request in flight.
final class HangGate: Sendable {
    private struct Waiters {
        var released = false
        var next = 0
        var continuations: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let waiters = NIOLockedValueBox(Waiters())

    /// Returns once the gate is released or the task is cancelled.
    func wait() async {
        let id = waiters.withLockedValue { w in defer { w.next += 1 }; return w.next }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = waiters.withLockedValue { w in
                    if w.released || Task.isCancelled { return true }
                    w.continuations[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            waiters.withLockedValue { $0.continuations.removeValue(forKey: id) }?.resume()
        }
    }

    func releaseAll() {
        let continuations = waiters.withLockedValue { w in
            w.released = true
            defer { w.continuations = [:] }
            return Array(w.continuations.values)
        }
        for continuation in continuations { continuation.resume() }
    }
}
