import Foundation

public struct TimedOut: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Waits until `condition` holds, checking every `every`, for at most `seconds`. An error
/// from `condition` counts as "not yet" (a process still starting, a connection refused);
/// the last one is named when time runs out. The default, 30 s, is far above what a
/// passing wait takes and leaves a loaded machine (a CI run of every suite at once on two
/// cores) its slack; what never happens still fails.
public func eventually(_ what: String, seconds: Double = 30, every: Duration = .milliseconds(10),
                       _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        var lastError: (any Error)?
        do { if try await condition() { return } } catch { lastError = error }
        guard Date() < deadline else {
            throw TimedOut(description: "timed out waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
        }
        try await Task.sleep(for: every)
    }
}

/// `eventually` as a value: whether `condition` held within `limit`.
public func eventually(within limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async -> Bool {
    let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
    do {
        try await eventually("the condition", seconds: seconds, every: .milliseconds(100), condition)
        return true
    } catch {
        return false
    }
}
