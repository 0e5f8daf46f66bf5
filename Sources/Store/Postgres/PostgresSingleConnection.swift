import Model
import Logging
import PostgresNIO

/// One connection for one job, such as reading another system's database once. Unlike
/// the store's pool, which retries a failing server until its deadline, a refused password
/// or an unreachable server fails at once, with the server's reason and without the password.
enum PostgresSingleConnection {
    /// `settings`: server settings for the session (search_path, statement_timeout, ...).
    static func run<T: Sendable>(url: PostgresURL, settings: [(String, String)], operation: String, logger: Logger,
                                 _ body: (any SQLSession) async throws -> T) async throws -> T {
        let connection: PostgresConnection
        do {
            var configuration = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: try PostgresDriver.connectionTLS(url.tls))
            configuration.options.additionalStartupParameters = settings
            connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        } catch {
            throw StoreError.database(operation: operation, message: "\(url): \(url.redact(PostgresDriver.describe(error)))")
        }
        do {
            let result = try await body(PostgresSession(connection: connection, logger: logger))
            try? await connection.close()
            return result
        } catch let error as PSQLError {
            try? await connection.close()
            throw StoreError.database(operation: operation, message: url.redact(PostgresDriver.describe(error)))
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
