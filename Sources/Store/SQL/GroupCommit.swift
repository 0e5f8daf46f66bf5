/// Group commit: operations that arrive while a flush is running wait, and the next flush
/// runs all of them in one transaction. A lone operation is flushed at once (no timer, so
/// no added latency at low load); under load, a hundred claims share a few transactions
/// instead of queueing behind a hundred.
///
/// `flush` gets the batch in arrival order and must answer one result per input, in the
/// same order. One flush runs at a time (on 2 cores, concurrent flushes measured slower);
/// its closure runs off the actor, so new inputs keep queueing meanwhile.
actor GroupCommit<Input: Sendable, Output: Sendable> {
    typealias Flush = @Sendable ([Input]) async -> [Result<Output, any Error>]

    private let maximumBatch: Int
    private let flush: Flush
    private var pending: [(input: Input, answer: CheckedContinuation<Output, any Error>)] = []
    private var flushing = false

    init(maximumBatch: Int, flush: @escaping Flush) {
        precondition(maximumBatch > 0)
        self.maximumBatch = maximumBatch
        self.flush = flush
    }

    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { answer in
            pending.append((input, answer))
            if !flushing {
                flushing = true
                Task { await self.flushUntilEmpty() }
            }
        }
    }

    private func flushUntilEmpty() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maximumBatch))
            pending.removeFirst(batch.count)
            let results = await flush(batch.map(\.input))
            for (k, item) in batch.enumerated() {
                // A flush that answers too few results is a bug; failing the rest beats hanging them.
                item.answer.resume(with: k < results.count ? results[k] : .failure(GroupCommitShortAnswer()))
            }
        }
        flushing = false
    }
}

struct GroupCommitShortAnswer: Error, CustomStringConvertible {
    var description: String { "internal error: a group commit answered fewer results than it was given" }
}
