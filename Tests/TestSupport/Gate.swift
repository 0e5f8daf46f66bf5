import Foundation

/// Holds tasks until opened; opening twice is harmless.
public final class Gate: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let alreadyOpen = lock.withLock {
                if !isOpen { waiting.append(c) }
                return isOpen
            }
            if alreadyOpen { c.resume() }
        }
    }

    public func open() {
        let released = lock.withLock { isOpen = true; defer { waiting = [] }; return waiting }
        for c in released { c.resume() }
    }
}

