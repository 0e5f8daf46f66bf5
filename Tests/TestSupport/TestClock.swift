import Planning
import Foundation

/// A clock the test moves by hand.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    public init(_ start: Date) { value = start }
    public var now: Date { lock.withLock { value } }
    public func advance(_ d: Duration) {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        lock.withLock { value = value.addingTimeInterval(seconds) }
    }
}

/// Seeded instance ids, so runs repeat; safe to share across ticks.
public final class IdSource: @unchecked Sendable {
    private let lock = NSLock()
    private var g: SplitMix64
    public init(seed: UInt64) { g = SplitMix64(seed: seed) }
    public func next(_ n: Int) -> [String] { lock.withLock { InstanceNaming.ids(n, using: &g) } }
}
