import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import LocalPlatform
import Hummingbird
import Logging
import Server
import ServiceLifecycle
import Spec
import Synchronization

/// `poolctl serve`: the HTTP API and the reconcile loop in one process (docs/design.md section 7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the pool's HTTP API and run the reconcile loop.",
        discussion: """
        Migrates the store (DATABASE_URL, or the SQLite file POOL_SQLITE_PATH, default pool.sqlite)
        before listening. Needs POOL_API_KEY. SIGTERM or SIGINT shut down gracefully (the tick in
        flight finishes); SIGHUP reloads the spec, keeping the last good one when the file is invalid.
        """)

    /// Longest wait for the tick and the requests in flight at shutdown; the rest is cancelled.
    static let shutdownGrace: Duration = .seconds(20)

    @OptionGroup var options: SpecOptions

    @Option(help: "Address to listen on.")
    var host = "0.0.0.0"

    @Option(help: "Port to listen on. Default: $PORT, else 3001. 0 picks a free one (logged).")
    var port: Int?

    @Option(help: """
        This replica's name in status, metrics and events when several share the store (the holder \
        of the leader lease runs the reconcile loop; it is held by the process, so two replicas with \
        one name are still two). Default: $POOL_REPLICA_ID, else <hostname>-<pid>.
        """)
    var replicaId: String?

    @Option(help: "Seconds a leader lease lasts; renewed every third of it.")
    var leaseSeconds: Double = 15

    @Option(help: "Seconds the first request head may take, from the connection opening.")
    var headTimeout: Double = 10

    @Option(help: "Seconds a request body may take after its head.")
    var bodyTimeout: Double = 30

    @Option(help: "Seconds a kept-alive connection may wait for its next request (its whole head), from the previous response.")
    var idleTimeout: Double = 60

    @Option(help: "Connections open at once; more are closed as soon as they are accepted.")
    var maxConnections = 1_024

    @Option(help: "Connections open at once from one client address.")
    var maxConnectionsPerAddress = 256

    func run() async throws {
        try await CLIError.reported { try await serve() }
    }

    func serve() async throws {
        let env = ProcessInfo.processInfo.environment
        let logger = Log.make("serve")
        let spec = try PoolContext.loadSpec(options, environment: env)
        guard let apiKey = env["POOL_API_KEY"], !apiKey.isEmpty else {
            throw CLIError("POOL_API_KEY is not set: the API's protected routes are called with it (instances made before instance tokens are probed with it too)")
        }
        // Everything that can be checked is checked before anything starts.
        let port = try listenPort(env)
        let webhooks: Result<WebhookConfig, WebhookConfig.Off>
        do { webhooks = try WebhookConfig.resolve(spec: spec, environment: env) } catch { throw CLIError("\(error)") }
        let limits = try edgeLimits()
        // Every connection is a descriptor: the cap must fit under the open-file limit.
        if let files = FileLimit.raise(), files < limits.maxConnections + FileLimit.reserve {
            logger.warning("the open-file limit (\(files)) leaves too little room for --max-connections \(limits.maxConnections) and the server's own files; raise it (ulimit -n) or lower the cap")
        }
        guard leaseSeconds >= 1, leaseSeconds <= 3600 else {
            throw CLIError("--lease-seconds must be from 1 to 3600, got \(leaseSeconds)")
        }
        // The local platform's instances are this process's children: started (and
        // recovered from an earlier run) here, stopped when it stops, whichever way. Its
        // state folder is locked: a second server over it refuses to start, touching nothing.
        let local = spec.platform == .local ? try await Self.startLocalPlatform(spec, apiKey: apiKey, env: env, logger: logger) : nil
        do {
            try await serve(spec: spec, apiKey: apiKey, port: port, limits: limits, webhooks: webhooks, local: local, env: env, logger: logger)
        } catch {
            await local?.shutdown()
            throw error as? CLIError ?? CLIError("\(error)")
        }
        await local?.shutdown()
        logger.info("stopped")
    }

    func serve(spec: EnvironmentSpec, apiKey: String, port: Int, limits: EdgeLimits,
               webhooks: Result<WebhookConfig, WebhookConfig.Off>, local: LocalPlatform?,
               env: [String: String], logger: Logger) async throws {
        // Fails now, with the reason, when the spec's platform cannot be reached or built.
        _ = try PoolContext.makePlatform(spec, env: env, local: local)
        let store = try makeStoreFromEnvironment(sqlitePath: env["POOL_SQLITE_PATH"] ?? "pool.sqlite", logger: logger, environment: env)
        do {
            let applied = try await store.migrate()
            if !applied.isEmpty { logger.info("store migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }
        } catch {
            await store.close()
            throw CLIError("could not migrate the store: \(error)")
        }
        let metrics = PoolMetrics()
        let replica = replicaId ?? env["POOL_REPLICA_ID"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "\(Self.hostName())-\(ProcessInfo.processInfo.processIdentifier)"
        let trigger = TriggerBox()
        let lease = LeaderLease(configuration: .init(replica: replica, duration: leaseSeconds, name: LeaderLease.name(environment: spec.name)),
                                store: store, logger: logger, onBecomingLeader: { trigger.fire() })
        // One HTTP client for every probe and claim call of the process.
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let agents = AgentClient(httpClient: httpClient, scheme: spec.instanceScheme, logger: logger)
        do {
            let (specPath, envName) = (options.spec, options.env)
            var parts = PoolParts(store: store, platform: { spec in try PoolContext.makePlatform(spec, env: env, local: local, metrics: metrics.factory) },
                                  prober: agents, caller: agents, logger: logger, environment: env, lease: lease)
            parts.resolveImage = PoolContext.imageResolver(environment: env)
            switch webhooks {
            case .success(let config): logger.info("webhooks on: Railway posts to \(config.publicUrl)/webhooks/railway/…; full observation every \(DurationText.format(spec.settings.resyncInterval)) (a listing of more pages is read a page at a time, \(spec.settings.resyncBudget) calls an hour)")
            case .failure(let off): logger.info("webhooks off (\(off)): the loop observes every tick")
            }
            let loop = try buildReconcileLoop(
                spec: spec, parts: parts,
                loadSpec: { try PoolContext.loadSpec(path: specPath, name: envName, environment: env) },
                webhooks: webhooks, keepRule: PoolContext.webhookRuleKeeper(webhooks, env: env, metrics: metrics.factory),
                onTick: { metrics.record(tick: $0, duration: $1) })
            let secret = try? webhooks.get().secret
            // With webhooks on, events a follower accepted reach the leader through the store.
            let relay: [any Service] = secret == nil ? [] : [WebhookRelay(store: store, loop: loop, leading: { lease.isLeader }, logger: logger)]
            let app = buildApplication(
                ServerContext(loop: loop, store: store, apiKey: apiKey, logger: logger, metrics: metrics, lease: lease,
                              webhookSecret: secret),
                configuration: .init(address: .hostname(host, port: port), serverName: "poolctl"), limits: limits,
                onServerRunning: { channel in
                    logger.info("listening", metadata: ["host": "\(host)", "port": "\(channel.localAddress?.port ?? port)",
                                                        "environment": "\(spec.name)"])
                })
            trigger.set { loop.trigger() }
            // Shut down in reverse order: stop reloading, stop serving (requests in flight
            // finish), let the loop finish its tick, then give the lease up.
            var configuration = ServiceGroupConfiguration(
                services: [lease, loop, app, ReloadOnHangup(loop: loop)] + relay, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            try? await httpClient.shutdown()
            await store.close()
            throw error
        }
        try? await httpClient.shutdown()
        await store.close()
    }

    /// State in POOL_LOCAL_STATE (default `.pool-local/<environment>`), so a restart adopts
    /// or restarts the instances of the previous run instead of leaking them.
    static func startLocalPlatform(_ spec: EnvironmentSpec, apiKey: String, env: [String: String],
                                   logger: Logger) async throws -> LocalPlatform {
        let directory = URL(fileURLWithPath: PoolContext.localStateFolder(spec, env: env))
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try await LocalPlatform(configuration: LocalPlatformConfiguration(apiKey: apiKey, stateDirectory: directory),
                                           logger: logger)
        } catch {
            throw CLIError("could not start the local platform in \(directory.path): \(error)")
        }
    }

    /// The kernel's host name (Foundation's `hostName` may wait on DNS).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "replica" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "replica" : name
    }

    /// The HTTP edge's limits from the options, each checked.
    func edgeLimits() throws -> EdgeLimits {
        for (name, seconds) in [("--head-timeout", headTimeout), ("--body-timeout", bodyTimeout), ("--idle-timeout", idleTimeout)] {
            guard seconds >= 0.001, seconds <= 3600 else { throw CLIError("\(name) must be from 0.001 to 3600 seconds, got \(seconds)") }
        }
        guard (1...100_000).contains(maxConnections) else { throw CLIError("--max-connections must be 1...100000, got \(maxConnections)") }
        guard (1...maxConnections).contains(maxConnectionsPerAddress) else {
            throw CLIError("--max-connections-per-address must be 1...\(maxConnections) (--max-connections), got \(maxConnectionsPerAddress)")
        }
        return EdgeLimits(headTimeout: .milliseconds(Int64(headTimeout * 1000)), bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)),
                          idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), maxConnections: maxConnections,
                          maxConnectionsPerAddress: maxConnectionsPerAddress)
    }

    func listenPort(_ env: [String: String]) throws -> Int {
        if let port {
            guard (0...65535).contains(port) else { throw CLIError("--port must be 0...65535") }
            return port
        }
        guard let text = env["PORT"], !text.isEmpty else { return 3001 }
        guard let value = Int(text), (0...65535).contains(value) else { throw CLIError("PORT must be a port number, got \"\(text)\"") }
        return value
    }
}

/// The loop's trigger for the lease, which is made before the loop is.
final class TriggerBox: Sendable {
    private let action = Mutex<(@Sendable () -> Void)?>(nil)
    func set(_ body: @escaping @Sendable () -> Void) { action.withLock { $0 = body } }
    func fire() { action.withLock { $0 }?() }
}
