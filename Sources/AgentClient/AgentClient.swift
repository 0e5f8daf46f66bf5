import AsyncHTTPClient
import Logging
import NIOCore

/// Talks to agent instances over the contract of docs/agent-contract.md: status probes and the
/// two claim calls. It holds no per-instance state and no credential: every call is given
/// the bearer of the instance it calls, so one value serves the whole pool.
///
/// The `HTTPClient` is shared and owned by the caller (one per process, never one per call):
/// its connection pools are what keep probing hundreds of instances cheap. Create it with
/// `AgentClient.httpClientConfiguration` so connects give up after 3 s and redirects are
/// not followed (a redirect is not part of the contract).
public struct AgentClient: Sendable {
    /// The timeouts of docs/agent-contract.md section 7.
    public enum DefaultTimeout {
        public static let status: Duration = .seconds(5)
        public static let createConversation: Duration = .seconds(60)
        public static let join: Duration = .seconds(90)
    }

    let httpClient: HTTPClient
    /// Used for base URLs given as a bare host (a Railway domain): `https` in production,
    /// `http` for loopback fakes.
    let scheme: String
    let logger: Logger

    /// - Parameter scheme: the scheme for base URLs that have none.
    public init(httpClient: HTTPClient, scheme: String = "https",
                logger: Logger = Logger(label: "agent-client")) {
        self.httpClient = httpClient
        self.scheme = scheme
        self.logger = logger
    }

    /// Configuration for the shared `HTTPClient`: a 3 s connect timeout (the total timeout
    /// of each call still caps it, so a shorter total wins), no redirects, and a refused
    /// connection reported at once. By default the client keeps retrying a refused connect
    /// until the connect timeout, so a booting instance would hold a probe slot for 3 s
    /// and hide "connection refused" behind "timed out".
    public static var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(3))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return configuration
    }
}

extension AgentClient: CustomStringConvertible {
    /// Holds no key to show.
    public var description: String { "AgentClient(scheme: \(scheme))" }
}
