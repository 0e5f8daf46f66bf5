/// Where and how to reach Railway, and how hard to push it.
public struct RailwayConfig: Sendable {
    public static let defaultEndpoint = "https://backboard.railway.com/graphql/v2"

    public var endpoint: String
    public var credentials: RailwayCredentials
    public var projectId: String
    public var environmentId: String
    /// Per HTTP attempt, from sending the request to the last byte of the answer.
    public var requestTimeout: Duration
    public var rateLimit: RailwayRateLimit
    public var retry: RailwayRetryPolicy
    /// Services per page of the list; Railway's connections answer up to 500.
    public var pageSize: Int
    /// Placement projectPerInstance: the workspace the instances' projects live in, and the
    /// prefix their names start with (`<prefix>-`); nil in a shared project. `projectId`
    /// and `environmentId` may then be empty (no shared project left to list).
    public var workspaceId: String?
    public var projectPrefix: String = ""
    /// The name of the one environment each project of the pool's is created with: the
    /// pool's environment (`production`, `staging`, ...). With the prefix it is what makes
    /// a project the pool's: two environments of one pool.yaml in one workspace share the
    /// prefix, never this name, so neither takes the other's projects.
    public var projectEnvironmentName: String = "production"
    /// Projects per page of the workspace listing: each carries its services, so the
    /// page is deep; Railway's limit for such a query is not documented.
    public var projectPageSize: Int = 50
    /// Tokens `projectCreate` rotates over (`RAILWAY_API_TOKENS`), each paced on its own;
    /// empty: the main credentials.
    public var projectCreateTokens: [RailwayCredentials] = []
    /// Whether a shared project and environment are configured (and listed).
    public var hasSharedProject: Bool { !projectId.isEmpty && !environmentId.isEmpty }

    public init(endpoint: String = RailwayConfig.defaultEndpoint, credentials: RailwayCredentials,
                projectId: String, environmentId: String, requestTimeout: Duration = .seconds(30),
                rateLimit: RailwayRateLimit = RailwayRateLimit(),
                retry: RailwayRetryPolicy = RailwayRetryPolicy(), pageSize: Int = 500) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.projectId = projectId
        self.environmentId = environmentId
        self.requestTimeout = requestTimeout
        self.rateLimit = rateLimit
        self.retry = retry
        self.pageSize = pageSize
    }

    /// Reads `RAILWAY_API_URL` (optional), `RAILWAY_PROJECT_TOKEN` and `RAILWAY_API_TOKEN`.
    /// When both tokens are set the project token wins: it can reach less. Throws
    /// `missingCredentials` when neither is set, so no request ever goes out without auth.
    public static func fromEnvironment(_ env: [String: String], projectId: String,
                                       environmentId: String) throws -> RailwayConfig {
        func value(_ name: String) -> String? {
            env[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let credentials: RailwayCredentials
        if let token = value("RAILWAY_PROJECT_TOKEN") {
            credentials = .projectToken(token)
        } else if let token = value("RAILWAY_API_TOKEN") {
            credentials = .accountToken(token)
        } else {
            throw RailwayError.missingCredentials
        }
        let endpoint = value("RAILWAY_API_URL") ?? defaultEndpoint
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
            throw RailwayError.invalidEndpoint(endpoint)
        }
        var config = RailwayConfig(endpoint: endpoint, credentials: credentials,
                                   projectId: projectId, environmentId: environmentId)
        config.projectCreateTokens = (value("RAILWAY_API_TOKENS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { .accountToken($0) }
        // The client's own budget follows the plan (Hobby 10/s and 1,000/h by default; Pro
        // 50/s and 10,000/h): a pool of many projects of their own lists a page per 50.
        func positive(_ name: String) throws -> Int? {
            guard let text = value(name) else { return nil }
            guard let n = Int(text), n > 0 else { throw RailwayError.invalidSetting(name: name, value: text) }
            return n
        }
        config.rateLimit = RailwayRateLimit(perSecond: try positive("RAILWAY_REQUESTS_PER_SECOND") ?? config.rateLimit.perSecond,
                                            perHour: try positive("RAILWAY_REQUESTS_PER_HOUR") ?? config.rateLimit.perHour)
        config.projectPageSize = try positive("RAILWAY_PROJECT_PAGE_SIZE") ?? config.projectPageSize
        return config
    }
}

/// The client's own budget, kept below Railway's limits (Hobby: 10/s, 1,000/h) so the
/// controller waits instead of being answered 429.
public struct RailwayRateLimit: Sendable {
    public var perSecond: Int
    public var perHour: Int

    public init(perSecond: Int = 10, perHour: Int = 1_000) {
        self.perSecond = max(1, perSecond)
        self.perHour = max(1, perHour)
    }
}

/// Exponential backoff with jitter, for retry-safe operations only.
public struct RailwayRetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A `Retry-After` longer than this is not waited for: the error reaches the caller,
    /// and the next tick tries again.
    public var maxRetryAfter: Duration

    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(500),
                maxDelay: Duration = .seconds(20), maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Delay before attempt `attempt + 1`, or nil when the error should reach the caller.
    /// `jitter` in 0..<1 spreads clients that failed together ("equal jitter").
    func delay(after error: RailwayError, attempt: Int, jitter: Double) -> Duration? {
        guard error.isTransient, attempt < maxAttempts else { return nil }
        if case .rateLimited(let retryAfter?) = error {
            return retryAfter <= maxRetryAfter ? retryAfter : nil
        }
        let exponential = min(baseDelay * (1 << min(attempt - 1, 20)), maxDelay)
        return exponential / 2 + (exponential / 2) * jitter
    }
}
