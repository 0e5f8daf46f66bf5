import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// A fake OpenClaw instance that speaks docs/agent-contract.md on a local port: the agent the
/// tests talk to, and the instance process of the local platform.
///
/// Run it as a `Service` (in a `ServiceGroup`, which handles signals and graceful
/// shutdown), or from tests with `start()` / `stop()`. One run per value.
public final class StandInAgent: Service, Sendable {
    public let configuration: StandInConfiguration
    /// Behaviour knobs and call counters, changeable while it runs.
    public let state: StandInState

    private let logger: Logger
    private let hangGate = HangGate()
    private let announcement = PortAnnouncement()
    private let background = NIOLockedValueBox<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    public init(configuration: StandInConfiguration, logger: Logger = Logger(label: "stand-in-agent")) {
        self.configuration = configuration
        self.state = StandInState(configuration)
        self.logger = logger
    }

    /// The port it listens on, or will after its startup delay; nil until known.
    public var port: Int? { announcement.port }

    /// `http://<host>:<port>` once the port is known.
    public var baseURL: String? { port.map { "http://\(configuration.host):\($0)" } }

    /// Serves until a graceful shutdown (or cancellation). Hanging requests are let go
    /// at shutdown so that the server can drain.
    public func run() async throws {
        do {
            var port = configuration.port
            if configuration.startupDelay > .zero {
                if port == 0 { port = try await reserveFreePort(host: configuration.host) }
                announcement.announce(.success(port))
                logger.info("stand-in agent booting", metadata: ["port": "\(port)", "delay": "\(configuration.startupDelay)"])
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.startupDelay) }
                } catch {
                    return  // shut down while booting: it never listens
                }
            }
            try await withGracefulShutdownHandler {
                try await makeApplication(port: port).run()
            } onGracefulShutdown: {
                self.hangGate.releaseAll()
            }
        } catch {
            announcement.announce(.failure(error))
            throw error
        }
    }

    private func makeApplication(port: Int) -> some ApplicationProtocol {
        let responder = ContractResponder(state: state, hangGate: hangGate,
                                          defaultXMTPEnv: configuration.defaultXMTPEnv)
        var serverLogger = logger
        // Hummingbird logs every request at info; the stand-in's own lines are enough.
        serverLogger.logLevel = max(logger.logLevel, .notice)
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: "stand-in-agent"),
            onServerRunning: { [announcement, logger] channel in
                let bound = channel.localAddress?.port ?? port
                announcement.announce(.success(bound))
                logger.info("stand-in agent listening", metadata: ["port": "\(bound)"])
            },
            logger: serverLogger)
    }

    /// Starts serving in the background and returns the port once it is known (at once
    /// with a startup delay, else once it listens).
    @discardableResult
    public func start() async throws -> Int {
        let group = ServiceGroup(configuration: .init(services: [self], logger: logger))
        let task = Task { try await group.run() }
        background.withLockedValue { $0 = (group, task) }
        return try await announcement.wait()
    }

    /// Stops a `start()`ed stand-in: lets hanging requests go and waits for the server to close.
    public func stop() async {
        guard let (group, task) = background.withLockedValue({ b in defer { b = nil }; return b }) else { return }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

extension StandInAgent {
    /// For a fake platform's `onDomain`: the stand-in listening at a domain takes the
    /// `INSTANCE_TOKEN` of the service given that domain, as the container would read it
    /// from its variables. A service without one (made before instance tokens) leaves the
    /// stand-in's key as it is.
    public static func takingTokens(_ agents: [StandInAgent]) -> @Sendable (String, [String: String]) -> Void {
        let byDomain = Dictionary(agents.compactMap { a in a.port.map { ("127.0.0.1:\($0)", a) } }, uniquingKeysWith: { a, _ in a })
        return { domain, variables in
            if let token = variables["INSTANCE_TOKEN"], let agent = byDomain[domain] { agent.state.key = token }
        }
    }
}
