import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore

/// Sends the project's GraphQL documents to Railway: authentication, a client-side rate
/// limiter, typed errors, retries for retry-safe operations only, and call counts.
public actor RailwayClient {
    public nonisolated let config: RailwayConfig
    /// Every HTTP attempt by operation and outcome, retries included.
    public private(set) var callCounts: [RailwayCallKey: Int] = [:]
    /// `X-RateLimit-Remaining` of the last answer that carried it.
    public private(set) var lastRateLimitRemaining: Int?

    private let httpClient: HTTPClient
    let limiter: RailwayRateLimiter
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void
    /// Where calls and the rate-limit budget are reported (the server's registry); nil: nowhere.
    private let metrics: MetricsFactory?

    /// - Parameter sleep: waits between retries; tests pass one that records and returns.
    public init(config: RailwayConfig, httpClient: HTTPClient = .shared,
                logger: Logger = Logger(label: "railway"), metrics: MetricsFactory? = nil,
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.metrics = metrics
        self.config = config
        self.httpClient = httpClient
        self.limiter = RailwayRateLimiter(config.rateLimit)
        self.logger = logger
        self.sleep = sleep
    }

    /// Attempts of `operation`, whatever their outcome.
    public func calls(of operation: RailwayOperation) -> Int {
        callCounts.filter { $0.key.operation == operation }.values.reduce(0, +)
    }

    /// Sends `operation` with `variables` and decodes its `data`. Retries transient
    /// failures (429, 5xx, timeout) only when the operation is safe to repeat.
    public func send<Variables: Encodable & Sendable, Answer: Decodable & Sendable>(
        _ operation: RailwayOperation, variables: Variables, expecting: Answer.Type,
        credentials: RailwayCredentials? = nil
    ) async throws -> Answer {
        let body = try JSONEncoder().encode(GraphQLRequest(
            query: try RailwayDocuments.text(of: operation),
            operationName: operation.rawValue, variables: variables))
        var attempt = 1
        while true {
            do {
                let data = try await attemptOnce(operation, body: body, expecting: Answer.self,
                                                 credentials: credentials ?? config.credentials)
                count(operation, .success)
                return data
            } catch let error as RailwayError {
                count(operation, error.outcome)
                guard operation.isSafeToRetry,
                      let delay = config.retry.delay(after: error, attempt: attempt,
                                                     jitter: Double.random(in: 0..<1))
                else { throw error }
                logger.warning("retrying Railway call", metadata: [
                    "operation": "\(operation.rawValue)", "attempt": "\(attempt)",
                    "delay": "\(delay)", "error": "\(error)"])
                try await sleep(delay)
                attempt += 1
            }
        }
    }

    private func attemptOnce<Answer: Decodable>(
        _ operation: RailwayOperation, body: Data, expecting: Answer.Type, credentials: RailwayCredentials
    ) async throws -> Answer {
        try await limiter.acquire()
        var request = HTTPClientRequest(url: config.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        let auth = credentials.header
        request.headers.add(name: auth.name, value: auth.value)
        request.body = .bytes(ByteBuffer(bytes: body))

        let status: Int
        let contentType, retryAfter, rateLimitRemaining: String?
        let responseBody: ByteBuffer
        do {
            let timeout = TimeAmount.nanoseconds(Int64(config.requestTimeout.components.seconds) * 1_000_000_000
                + config.requestTimeout.components.attoseconds / 1_000_000_000)
            let response = try await httpClient.execute(request, timeout: timeout, logger: logger)
            status = Int(response.status.code)
            contentType = response.headers.first(name: "Content-Type")
            retryAfter = response.headers.first(name: "Retry-After")
            rateLimitRemaining = response.headers.first(name: "X-RateLimit-Remaining")
            responseBody = try await response.body.collect(upTo: 32 * 1024 * 1024)
        } catch let error as HTTPClientError
                    where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw RailwayError.timeout
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RailwayError.transport(redacted(String(describing: error)))
        }
        if let remaining = rateLimitRemaining.flatMap({ Int($0) }) {
            lastRateLimitRemaining = remaining
            if let metrics { Gauge(label: "pool_railway_rate_limit_remaining", factory: metrics).record(remaining) }
        }
        return try decode(operation, status: status, contentType: contentType, retryAfter: retryAfter,
                          body: Data(responseBody.readableBytesView), as: Answer.self)
    }

    private func decode<Answer: Decodable>(
        _ operation: RailwayOperation, status: Int, contentType: String?, retryAfter: String?,
        body: Data, as: Answer.Type
    ) throws -> Answer {
        switch status {
        case 401: throw RailwayError.unauthorized(status: status)
        case 429:
            // Retry-After in seconds; the HTTP-date form is not used by Railway.
            let seconds = retryAfter.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            throw RailwayError.rateLimited(retryAfter: seconds.map { Duration.seconds($0) })
        case 500...599: throw RailwayError.server(status: status)
        default: break
        }
        // A 403 HTML page is Railway's edge under heavy rate limiting, not a bad token:
        // it becomes notJSON, and only a JSON 401/403 means unauthorized.
        guard contentType?.lowercased().contains("json") == true,
              let envelope = try? JSONDecoder().decode(GraphQLErrors.self, from: body)
        else {
            throw RailwayError.notJSON(status: status, contentType: contentType,
                                       bodyPrefix: redacted(String(decoding: body.prefix(200), as: UTF8.self)))
        }
        let messages = (envelope.errors ?? []).map { redacted($0.message) }
        switch status {
        case 200 where messages.isEmpty:
            do {
                guard let data = try JSONDecoder().decode(GraphQLData<Answer>.self, from: body).data else {
                    throw RailwayError.unexpectedResponse(operation: operation.rawValue, detail: "no data and no errors")
                }
                return data
            } catch let error as DecodingError {
                throw RailwayError.unexpectedResponse(operation: operation.rawValue, detail: "\(error)")
            }
        case 200: throw RailwayError.graphQL(operation: operation.rawValue, messages: messages)
        case 400: throw RailwayError.invalidDocument(operation: operation.rawValue, messages: messages)
        case 403: throw RailwayError.unauthorized(status: status)
        default: throw RailwayError.unexpectedStatus(status)
        }
    }

    private func count(_ operation: RailwayOperation, _ outcome: RailwayCallOutcome) {
        callCounts[RailwayCallKey(operation, outcome), default: 0] += 1
        if let metrics {
            Counter(label: "pool_railway_calls_total",
                    dimensions: [("operation", operation.rawValue), ("outcome", outcome.rawValue)], factory: metrics).increment()
        }
        logger.debug("Railway call", metadata: ["operation": "\(operation.rawValue)", "outcome": "\(outcome.rawValue)"])
    }

    /// Text that came from the server or the network, with the token cut out: a server
    /// echoing the request must not put the token into an error, a log line or a report.
    private func redacted(_ text: String) -> String {
        let token = switch config.credentials {
        case .accountToken(let t), .projectToken(let t): t
        }
        return token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<redacted>")
    }
}

private struct GraphQLRequest<Variables: Encodable>: Encodable {
    var query: String
    var operationName: String
    var variables: Variables
}

/// The `errors` of an answer, read first: they explain a `data` that is null or partial.
private struct GraphQLErrors: Decodable {
    struct Message: Decodable { var message: String }
    var errors: [Message]?
}

private struct GraphQLData<Answer: Decodable>: Decodable {
    var data: Answer?
}
