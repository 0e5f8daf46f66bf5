import Model
import Foundation
import Logging
import PostgresNIO

/// Runs the store's statements on a `PostgresClient` pool. The driver owns the task that
/// runs the client: it starts in `init` and ends in `close()`.
final class PostgresDriver: SQLDriver {
    let dialect: SQLDialect
    private let url: PostgresURL
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let operationTimeout: Duration
    private let logger: Logger

    init(url: PostgresURL, schema: String?, maximumConnections: Int, operationTimeout: Duration, logger: Logger) throws {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: try Self.clientTLS(url.tls))
        configuration.options.maximumConnections = maximumConnections
        if let schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.runTask = Task { await client.run() }
        self.url = url
        self.operationTimeout = operationTimeout
        self.logger = logger
        // Migrators of one schema take turns; those of different schemas (several pools in
        // one database, or parallel tests) do not wait for each other. Any constant works
        // as the first key as long as every migrator uses the same one; the schema's name
        // (a checked identifier) is the second.
        let migrationLockKey = 0x706f_6f6c
        self.dialect = SQLDialect(
            claimPickLock: " FOR UPDATE SKIP LOCKED",
            migrationPreamble: ["SELECT pg_advisory_xact_lock(\(migrationLockKey), hashtext('\(schema ?? "public")'))"]
                + (schema.map { ["CREATE SCHEMA IF NOT EXISTS \($0)"] } ?? []),
            migrationFolder: "postgres")
    }

    func write<T: Sendable>(_ operation: String,
                            _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await guarded(operation) { [client, logger] in
            try await client.withTransaction(logger: logger) { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        }
    }

    func read<T: Sendable>(_ operation: String,
                           _ body: @escaping @Sendable (any SQLSession) async throws -> T) async throws -> T {
        try await guarded(operation) { [client, logger] in
            try await client.withConnection { connection in
                try await body(PostgresSession(connection: connection, logger: logger))
            }
        }
    }

    func close() async {
        runTask.cancel()
        await runTask.value
    }

    /// Bounds the operation in time (the pool otherwise waits up to a minute for a server
    /// that is down) and turns driver errors into `StoreError`s without the password.
    private func guarded<T: Sendable>(_ operation: String,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = operationTimeout
        do {
            // The operation runs in a task of its own that the group does not wait for: a query
            // on a connection whose server went silent (a partition: no reset, no answer)
            // ignores cancellation, and the deadline must end the call all the same.
            let work = Task { try await body() }
            let race = try await withThrowingTaskGroup(of: Race<T>.self) { group in
                group.addTask { .finished(try await Self.abandoning(work)) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            switch race {
            case .finished(let value):
                return value
            case .timedOut:
                throw StoreError.database(operation: operation,
                                          message: "no answer from \(url) within \(timeout): \(await diagnose())")
            }
        } catch {
            throw translate(error, operation)
        }
    }

    /// Awaits `work`, but returns as soon as the caller is cancelled (throwing
    /// `CancellationError`); `work` is cancelled and ends on its own, when its connection
    /// answers or fails. A write abandoned this way rolls back, unless its COMMIT was
    /// already on the wire: a deadline can never tell which.
    private static func abandoning<T: Sendable>(_ work: Task<T, any Error>) async throws -> T {
        let answer = FirstAnswer<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                answer.wait(continuation)
                Task { answer.give(await work.result) }
            }
        } onCancel: {
            work.cancel()
            answer.give(.failure(CancellationError()))
        }
    }

    /// The store's own errors pass through; the driver's become `StoreError.database`.
    private func translate(_ error: any Error, _ operation: String) -> any Error {
        switch error {
        case let failed as PostgresTransactionError:
            // The first failure is the cause; the rollback that follows it changes nothing
            // for the caller.
            if let cause = failed.beginError ?? failed.closureError ?? failed.commitError {
                return translate(cause, operation)
            }
            return StoreError.database(operation: operation, message: url.redact(Self.describe(failed)))
        case is StoreError, is IdempotencyKeyTaken, is DryRunRollback:
            return error
        default:
            return StoreError.database(operation: operation, message: url.redact(Self.describe(error)))
        }
    }

    /// Why the pool got no connection: one direct attempt says what the server (or the
    /// network) answers.
    private func diagnose() async -> String {
        do {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: try Self.connectionTLS(url.tls))
            configuration.options.connectTimeout = .seconds(5)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.close()
            return "the server accepts connections, but none was free in time"
        } catch {
            return url.redact(Self.describe(error))
        }
    }

    /// PSQLError's own description is deliberately generic; this one keeps what helps an
    /// operator (code, server message, network error) and nothing else.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        var parts = ["\(error.code)"]
        if let server = error.serverInfo {
            parts += [server[.sqlState].map { "SQLSTATE \($0)" }, server[.message], server[.detail]].compactMap { $0 }
        }
        if let underlying = error.underlying {
            parts.append(String(describing: underlying))
        }
        return parts.joined(separator: ": ")
    }

    private static func clientTLS(_ mode: PostgresURL.TLSMode) throws -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    static func connectionTLS(_ mode: PostgresURL.TLSMode) throws -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }
}

/// One continuation resumed once, with whichever result comes first (the work's or a
/// cancellation's), whether it comes before or after the continuation is there.
private final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var answered = false

    func wait(_ continuation: CheckedContinuation<T, any Error>) {
        let ready: Result<T, any Error>? = lock.withLock {
            if let early {
                answered = true
                return early
            }
            self.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready) }
    }

    func give(_ result: Result<T, any Error>) {
        let waiting: CheckedContinuation<T, any Error>? = lock.withLock {
            guard !answered else { return nil }
            guard let continuation else {
                if early == nil { early = result }
                return nil
            }
            answered = true
            self.continuation = nil
            return continuation
        }
        waiting?.resume(with: result)
    }
}

/// Which of an operation and its deadline finished first.
private enum Race<Value: Sendable>: Sendable {
    case finished(Value)
    case timedOut
}

struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger

    func run(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .text(let value): bindings.append(value)
            case .integer(let value): bindings.append(value)
            case .bool(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        return try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            .collect().map(PostgresResultRow.init)
    }
}

private struct PostgresResultRow: SQLRow {
    let row: PostgresRow

    func text(_ column: String) throws -> String? {
        try decoding(column, "text") { try $0.decode(String?.self) }
    }

    func integer(_ column: String) throws -> Int64? {
        try decoding(column, "bigint") { try $0.decode(Int64?.self) }
    }

    func bool(_ column: String) throws -> Bool? {
        try decoding(column, "boolean") { try $0.decode(Bool?.self) }
    }

    private func decoding<T>(_ column: String, _ expected: String, _ decode: (PostgresCell) throws -> T) throws -> T {
        do {
            return try decode(row.makeRandomAccess()[column])
        } catch {
            throw StoreError.unexpectedValue(column: column, value: "a value that is not \(expected)")
        }
    }
}
