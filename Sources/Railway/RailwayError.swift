/// What went wrong talking to Railway. Descriptions say what happened and what to check;
/// they never contain a token (text echoed by the server is redacted before it gets here).
public enum RailwayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither `RAILWAY_API_TOKEN` nor `RAILWAY_PROJECT_TOKEN` is set: no request is sent.
    case missingCredentials
    case invalidEndpoint(String)
    /// A setting of the process environment that is not a positive whole number.
    case invalidSetting(name: String, value: String)
    /// A `.graphql` resource is missing from the bundle: a packaging fault.
    case missingDocument(String)
    /// HTTP 200 whose body carries an `errors` array.
    case graphQL(operation: String, messages: [String])
    /// HTTP 400: Railway rejected the document itself.
    case invalidDocument(operation: String, messages: [String])
    /// HTTP 401 or 403 with a JSON answer: the token is wrong, expired or lacks access.
    case unauthorized(status: Int)
    /// HTTP 429; `retryAfter` from the `Retry-After` header when present.
    case rateLimited(retryAfter: Duration?)
    /// HTTP 5xx.
    case server(status: Int)
    /// Any other HTTP status.
    case unexpectedStatus(Int)
    /// An answer that is not JSON, e.g. an HTML "Access denied" page under heavy rate limiting.
    case notJSON(status: Int, contentType: String?, bodyPrefix: String)
    /// No answer within the per-request timeout.
    case timeout
    /// The connection failed before an answer arrived.
    case transport(String)
    /// JSON that does not have the shape the document asks for.
    case unexpectedResponse(operation: String, detail: String)
    /// A deployment status this client does not know: the schema changed under us.
    case unknownDeploymentStatus(String, serviceId: String)

    public var description: String {
        switch self {
        case .missingCredentials:
            "no Railway token: set RAILWAY_API_TOKEN (account or workspace token) or RAILWAY_PROJECT_TOKEN (project token)"
        case .invalidEndpoint(let url):
            "Railway API URL \"\(url)\" is not a valid http(s) URL (check RAILWAY_API_URL)"
        case .invalidSetting(let name, let value):
            "\(name) is \"\(value)\"; expected a whole number above 0"
        case .missingDocument(let name):
            "GraphQL document \(name).graphql is missing from the Railway module's resources"
        case .graphQL(let operation, let messages):
            "Railway answered \(operation) with errors: \(messages.joined(separator: "; "))"
        case .invalidDocument(let operation, let messages):
            "Railway rejected the \(operation) document (HTTP 400)"
                + (messages.isEmpty ? "" : ": \(messages.joined(separator: "; "))")
        case .unauthorized(let status):
            "Railway refused the credentials (HTTP \(status)): check that the token is valid and has access to the project"
        case .rateLimited(let retryAfter):
            "Railway rate limit reached (HTTP 429)"
                + (retryAfter.map { ", retry after \($0.components.seconds) s" } ?? "")
        case .server(let status):
            "Railway server error (HTTP \(status))"
        case .unexpectedStatus(let status):
            "Railway answered with unexpected HTTP status \(status)"
        case .notJSON(let status, let contentType, let bodyPrefix):
            "Railway answered HTTP \(status) with \(contentType ?? "no content type") instead of JSON"
                + " (often an \"Access denied\" page under heavy rate limiting): \"\(bodyPrefix)\""
        case .timeout:
            "Railway did not answer within the request timeout"
        case .transport(let detail):
            "could not reach Railway: \(detail)"
        case .unexpectedResponse(let operation, let detail):
            "Railway's answer to \(operation) has an unexpected shape: \(detail)"
        case .unknownDeploymentStatus(let value, let serviceId):
            "service \(serviceId) has deployment status \"\(value)\", which this controller does not know"
        }
    }

    /// The same error with each of `secrets` cut out of the text the server or the network
    /// sent back: a server that quotes a rejected value (GraphQL's "got invalid value ...")
    /// must not put an instance's secrets into a log line or the audit log. Values shorter
    /// than 4 characters are left alone (they would cut words, and hide nothing).
    func redacting(_ secrets: some Sequence<String>) -> RailwayError {
        let values = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
        guard !values.isEmpty else { return self }
        func clean(_ text: String) -> String {
            values.reduce(text) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
        }
        switch self {
        case let .graphQL(operation, messages): return .graphQL(operation: operation, messages: messages.map(clean))
        case let .invalidDocument(operation, messages): return .invalidDocument(operation: operation, messages: messages.map(clean))
        case let .notJSON(status, contentType, prefix): return .notJSON(status: status, contentType: contentType, bodyPrefix: clean(prefix))
        case let .transport(detail): return .transport(clean(detail))
        case let .unexpectedResponse(operation, detail): return .unexpectedResponse(operation: operation, detail: clean(detail))
        default: return self
        }
    }

    /// Worth another attempt of a retry-safe operation: the server may answer next time.
    var isTransient: Bool {
        switch self {
        case .rateLimited, .server, .timeout: true
        default: false
        }
    }

    var outcome: RailwayCallOutcome {
        switch self {
        case .graphQL: .graphQLError
        case .invalidDocument: .invalidDocument
        case .unauthorized: .unauthorized
        case .rateLimited: .rateLimited
        case .server: .serverError
        case .notJSON: .notJSON
        case .timeout: .timeout
        case .transport: .transport
        default: .unexpected
        }
    }
}
