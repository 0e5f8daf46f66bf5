import Model
import Logging
import SQLiteNIO

/// The store's one SQLite connection, opened on first use, lent to one task at a time in
/// arrival order. An actor alone would not do: its methods interleave at every `await`,
/// and a transaction on the connection must not. Other connections (other processes)
/// are kept in line by SQLite's own locking and the busy timeout.
///
/// The connection runs on a thread of its own: a statement waiting out the busy timeout
/// blocks its thread, and on the shared pool (one thread per core) a few such waits would
/// leave no thread for the connection that holds the lock to finish its transaction.
actor SQLiteSerialConnection {
    private let path: String
    private let logger: Logger
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private var threadStarted = false
    private var connection: SQLiteConnection?
    private var closed = false
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func withTurn<T: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        await enter()
        defer { leave() }
        return try await body(try await SQLiteBusy.retrying { try await openIfNeeded() })
    }

    func close() async {
        await enter()
        defer { leave() }
        closed = true
        if let connection {
            try? await connection.close()
            self.connection = nil
        }
        if threadStarted {
            try? await thread.shutdownGracefully()
        }
    }

    private func openIfNeeded() async throws -> SQLiteConnection {
        if let connection { return connection }
        if closed { throw StoreError.database(operation: "open", message: "the store was closed") }
        if !threadStarted {
            thread.start()
            threadStarted = true
        }
        let opened = try await SQLiteConnection.open(storage: .file(path: path), threadPool: thread, logger: logger,
                                                     on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            // The busy timeout makes a second writer (another process, or switching the
            // journal mode below) wait for the lock instead of failing at once; WAL lets
            // readers work during a write.
            _ = try await opened.query("PRAGMA busy_timeout = 5000")
            _ = try await opened.query("PRAGMA journal_mode = WAL")
            _ = try await opened.query("PRAGMA synchronous = NORMAL")
            _ = try await opened.query("PRAGMA foreign_keys = ON")
        } catch {
            try? await opened.close()
            throw error
        }
        connection = opened
        return opened
    }

    private func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the turn straight to the next waiter, so `busy` stays true for it.
    private func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
