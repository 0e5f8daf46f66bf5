import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StandInAgent

/// `poolctl stand-in-agent`: a fake agent instance speaking docs/agent-contract.md, for the
/// local platform and for trying the pool out without OpenClaw. Runs until SIGTERM or SIGINT.
struct StandInAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stand-in-agent", abstract: "Serve the agent contract (/convos/status, /convos/conversation, /convos/join) on 127.0.0.1.")

    @Option(help: "Port to listen on (0 picks a free one, logged on stderr).")
    var port = 8080

    @Option(help: ArgumentHelp("Key callers must send as 'Authorization: Bearer KEY'. Default: $INSTANCE_TOKEN (the instance's own token), or $POOL_API_KEY for an instance made before instance tokens.",
                               valueName: "KEY"))
    var apiKey: String?

    @Option(help: "Delay before every answer, in milliseconds.")
    var latencyMs = 0

    @Option(help: ArgumentHelp(
        "Failure mode, for every endpoint or one ('join=waitingForAcceptance'); repeatable. Modes: \(StandInFailure.argumentSpellings.joined(separator: ", ")). Endpoints: \(StandInEndpoint.allCases.map(\.rawValue).joined(separator: ", ")).",
        valueName: "[ENDPOINT=]MODE"))
    var fail: [String] = []

    @Option(help: "Seconds during which the port stays closed after start, like a booting container.")
    var startupDelayS = 0

    @Option(help: "Status answer shape: old ({ready, conversation, streaming}) or new ({conversationId, pending, clean, inboxId}).")
    var statusShape: StatusShape = .old

    @Option(help: "XMTP network used when a claim sends no valid env: dev or production.")
    var xmtpEnv = "production"

    @Flag(help: "Serve many stand-in agents on one free port, told apart by the loopback address called (127.0.x.y), and print 'port N' on stdout: for benchmarks at scale (--port, --latency-ms, --fail and --startup-delay-s do not apply).")
    var multiplex = false

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let key = apiKey ?? [env["INSTANCE_TOKEN"], env["POOL_API_KEY"]].compactMap({ $0 }).first(where: { !$0.isEmpty }),
              !key.isEmpty else {
            throw ValidationError("a key is required: --api-key, INSTANCE_TOKEN or POOL_API_KEY (an instance without one would accept any caller)")
        }
        guard (0...65535).contains(port), latencyMs >= 0, startupDelayS >= 0 else {
            throw ValidationError("--port must be 0...65535; --latency-ms and --startup-delay-s must not be negative")
        }
        guard ["dev", "production"].contains(xmtpEnv) else {
            throw ValidationError("--xmtp-env must be dev or production")
        }
        let failures = try fail.map(Self.parseFailure)
        if multiplex {
            let agents = StandInMultiplexer(apiKey: key, defaultXMTPEnv: xmtpEnv, logger: Logger(label: "stand-in-agents"))
            // Written straight to the pipe: print's buffer would hold it until exit.
            FileHandle.standardOutput.write(Data("port \(try await agents.start())\n".utf8))
            // Until SIGTERM or SIGINT, whose default action ends the process.
            while true { try await Task.sleep(for: .seconds(3_600)) }
        }

        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "stand-in-agent")
        let agent = StandInAgent(
            configuration: .init(port: port, apiKey: key, statusShape: statusShape,
                                 latency: .milliseconds(latencyMs), startupDelay: .seconds(startupDelayS),
                                 defaultXMTPEnv: xmtpEnv),
            logger: logger)
        for (endpoint, failure) in failures { agent.state.setFailure(failure, on: endpoint) }

        let group = ServiceGroup(configuration: .init(
            services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `MODE` (every endpoint) or `ENDPOINT=MODE`.
    static func parseFailure(_ text: String) throws -> (StandInEndpoint?, StandInFailure) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let endpoint = parts.count == 2 ? StandInEndpoint(rawValue: parts[0]) : nil
        if parts.count == 2, endpoint == nil {
            throw ValidationError("unknown endpoint '\(parts[0])' in --fail \(text); expected one of \(StandInEndpoint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let failure = StandInFailure(argument: parts.last!) else {
            throw ValidationError("unknown failure mode '\(parts.last!)'; expected one of \(StandInFailure.argumentSpellings.joined(separator: ", "))")
        }
        return (endpoint, failure)
    }
}

extension StatusShape: ExpressibleByArgument {}
