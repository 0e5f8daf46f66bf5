/// Thrown by `withTotalTimeout` when the time is up.
struct TotalTimeoutExceeded: Error {}

/// Runs `operation` and gives up after `timeout`, cancelling it.
///
/// AsyncHTTPClient's deadline stops once the response head has arrived, so an instance
/// that sends headers and then stalls the body would outlive it. This bound covers the
/// whole exchange, body included.
func withTotalTimeout<T: Sendable>(
    _ timeout: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TotalTimeoutExceeded()
        }
        defer { group.cancelAll() }
        // The first child to finish decides: the answer, its error, or the timeout.
        return try await group.next()!
    }
}
