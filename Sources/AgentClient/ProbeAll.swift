import Model
import Ports

extension AgentClient {
    /// Probes many instances, at most `concurrency` at a time, and answers by target id.
    ///
    /// Each probe is bounded by `timeout` on its own, so a hanging instance holds one slot
    /// for at most `timeout` and never the batch: N targets take about
    /// `ceil(N / concurrency)` rounds of the slowest answer, capped at `timeout` each.
    public func probeAll(_ targets: [ProbeTarget], concurrency: Int,
                         timeout: Duration = DefaultTimeout.status) async -> [String: ProbeResult] {
        let width = max(1, concurrency)
        var results: [String: ProbeResult] = [:]
        results.reserveCapacity(targets.count)
        await withTaskGroup(of: (String, ProbeResult).self) { group in
            var pending = targets.makeIterator()
            // Fill the window, then start one new probe each time one finishes.
            for _ in 0..<width {
                guard let target = pending.next() else { break }
                group.addTask { (target.id, await self.probe(baseURL: target.baseURL, bearer: target.bearer, timeout: timeout)) }
            }
            while let (id, result) = await group.next() {
                results[id] = result
                if let target = pending.next() {
                    group.addTask { (target.id, await self.probe(baseURL: target.baseURL, bearer: target.bearer, timeout: timeout)) }
                }
            }
        }
        return results
    }
}
