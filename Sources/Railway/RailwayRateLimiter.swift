/// Sliding windows of one second and one hour: `acquire` waits until a request fits in
/// both budgets, so the client never exceeds them, whatever the callers do.
actor RailwayRateLimiter {
    private let limit: RailwayRateLimit
    private let clock = ContinuousClock()
    /// Start times of the requests of the last hour, oldest first: the times each was let go.
    private(set) var sent: [ContinuousClock.Instant] = []

    init(_ limit: RailwayRateLimit) {
        self.limit = limit
    }

    func acquire() async throws {
        while true {
            let now = clock.now
            sent.removeFirst(sent.prefix { now - $0 >= .seconds(3_600) }.count)
            let lastSecond = Array(sent.suffix { now - $0 < .seconds(1) })
            if lastSecond.count < limit.perSecond && sent.count < limit.perHour {
                sent.append(now)
                return
            }
            var wakeUp = now
            if lastSecond.count >= limit.perSecond {
                wakeUp = max(wakeUp, lastSecond[lastSecond.count - limit.perSecond] + .seconds(1))
            }
            if sent.count >= limit.perHour {
                wakeUp = max(wakeUp, sent[sent.count - limit.perHour] + .seconds(3_600))
            }
            try await clock.sleep(until: wakeUp)
        }
    }
}

private extension Array {
    /// The longest suffix whose elements all satisfy `predicate`.
    func suffix(while predicate: (Element) -> Bool) -> ArraySlice<Element> {
        var start = endIndex
        while start > startIndex, predicate(self[start - 1]) { start -= 1 }
        return self[start...]
    }
}
