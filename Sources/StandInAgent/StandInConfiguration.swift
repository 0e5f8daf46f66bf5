/// How a stand-in agent starts. Everything but the address can be changed later
/// through `StandInAgent.state`.
public struct StandInConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `StandInAgent.start()` and `port` tell which.
    public var port: Int
    /// The key the instance starts with (its `INSTANCE_TOKEN`). Callers must send exactly `Bearer <apiKey>`.
    public var apiKey: String
    public var statusShape: StatusShape
    /// Added before every answer.
    public var latency: Duration
    /// Applied to every endpoint where it makes sense (`StandInFailure.applies(to:)`).
    public var failure: StandInFailure?
    /// The port stays closed (connections refused) this long after start, like a booting container.
    public var startupDelay: Duration
    /// The instance's `channels.convos.env`, used when a claim sends no valid `env`.
    public var defaultXMTPEnv: String

    public init(host: String = "127.0.0.1", port: Int = 0, apiKey: String,
                statusShape: StatusShape = .old, latency: Duration = .zero,
                failure: StandInFailure? = nil, startupDelay: Duration = .zero,
                defaultXMTPEnv: String = "production") {
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.statusShape = statusShape
        self.latency = latency
        self.failure = failure
        self.startupDelay = startupDelay
        self.defaultXMTPEnv = defaultXMTPEnv
    }
}
