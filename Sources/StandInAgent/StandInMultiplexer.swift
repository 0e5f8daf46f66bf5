import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Many stand-in agents behind one port, told apart by the address they were called on:
/// instance k is `127.0.x.y:<port>` (all of 127.0.0.0/8 is loopback on Linux), and each
/// address gets a stand-in state of its own. Benchmarks use it for a thousand agents
/// without a thousand servers.
///
/// It listens on every interface (an address-specific listener would see one address
/// only), so run it on a machine whose port is not reachable from outside, as benchmarks do.
public final class StandInMultiplexer: Sendable {
    private let apiKey: String
    private let defaultXMTPEnv: String
    private let logger: Logger
    private let states = NIOLockedValueBox<[String: StandInState]>([:])
    private let hangGate = HangGate()
    private let announcement = PortAnnouncement()
    private let background = NIOLockedValueBox<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)

    public init(apiKey: String, defaultXMTPEnv: String = "dev", logger: Logger) {
        self.apiKey = apiKey
        self.defaultXMTPEnv = defaultXMTPEnv
        self.logger = logger
    }

    /// The loopback address of agent `k` (0-based), up to 65,024 of them.
    public static func address(of k: Int) -> String {
        "127.0.\(1 + k / 254).\(1 + k % 254)"
    }

    /// Starts listening in the background; returns the port.
    public func start() async throws -> Int {
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            responder: Responder(multiplexer: self),
            configuration: .init(address: .hostname("0.0.0.0", port: 0), serverName: "stand-in-multiplexer"),
            onServerRunning: { [announcement] channel in announcement.announce(.success(channel.localAddress?.port ?? 0)) },
            logger: serverLogger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        // A failure to listen ends `start()` with the error instead of leaving it waiting.
        let task = Task { [announcement] in
            do { try await group.run() } catch {
                announcement.announce(.failure(error))
                throw error
            }
        }
        background.withLockedValue { $0 = (group, task) }
        return try await announcement.wait()
    }

    public func stop() async {
        guard let (group, task) = background.withLockedValue({ b in defer { b = nil }; return b }) else { return }
        hangGate.releaseAll()
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// The state of the agent at `host` (an address from `address(of:)`), made on first use.
    public func state(of host: String) -> StandInState {
        states.withLockedValue { states in
            if let state = states[host] { return state }
            let state = StandInState(StandInConfiguration(apiKey: apiKey, defaultXMTPEnv: defaultXMTPEnv))
            states[host] = state
            return state
        }
    }

    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let multiplexer: StandInMultiplexer

        func respond(to request: Request, context: Context) async throws -> Response {
            // The Host header names the address the caller dialled (without the port).
            let host = (request.head.authority ?? "").split(separator: ":").first.map(String.init) ?? ""
            let responder = ContractResponder(state: multiplexer.state(of: host), hangGate: multiplexer.hangGate,
                                              defaultXMTPEnv: multiplexer.defaultXMTPEnv)
            return try await responder.respond(to: request, context: context)
        }
    }
}
