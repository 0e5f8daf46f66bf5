import Synchronization

/// A driver that counts the operations it runs, by name, and passes them on. One locked
/// increment per operation: cheap next to a database round trip.
final class CountingDriver: SQLDriver {
    private let base: any SQLDriver
    private let tally = Mutex<[String: Int]>([:])

    init(_ base: any SQLDriver) { self.base = base }

    var counts: [String: Int] { tally.withLock { $0 } }
    var dialect: SQLDialect { base.dialect }

    @discardableResult
    func write<T: Sendable>(_ operation: String,
                            _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        tally.withLock { $0[operation, default: 0] += 1 }
        return try await base.write(operation, body)
    }

    func read<T: Sendable>(_ operation: String,
                           _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        tally.withLock { $0[operation, default: 0] += 1 }
        return try await base.read(operation, body)
    }

    func close() async { await base.close() }
}
