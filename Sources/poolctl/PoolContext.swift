import AgentClient
import AsyncHTTPClient
import Controller
import Foundation
import LocalPlatform
import Metrics
import Logging
import Observers
import Railway
import Spec
import Store

/// Everything a command that touches the live pool needs, built from the spec and the
/// process environment (DATABASE_URL, POOL_SQLITE_PATH, RAILWAY_*, POOL_API_KEY).
struct PoolContext {
    let spec: EnvironmentSpec
    let store: any PoolStore
    let platform: any Platform
    let reconciler: Reconciler
    /// Probes and claim calls to instances, over one shared HTTP client.
    let agents: AgentClient
    let http: HTTPClient
    let logger: Logger

    /// `migrate`: apply the store's migrations first (apply, serve); a read-only plan does not.
    static func make(options: SpecOptions, logger: Logger, migrate: Bool,
                     environment env: [String: String] = ProcessInfo.processInfo.environment) async throws -> PoolContext {
        let spec = try loadSpec(options, environment: env)
        try requireAPIKey(spec, environment: env)
        let platform = try makePlatform(spec, env: env)
        let store = try makeStoreFromEnvironment(sqlitePath: env["POOL_SQLITE_PATH"] ?? "pool.sqlite", logger: logger, environment: env)
        if migrate { _ = try await store.migrate() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let agents = AgentClient(httpClient: http, apiKey: env["POOL_API_KEY"] ?? "", scheme: spec.instanceScheme, logger: logger)
        let prober = AgentProber(client: agents, timeout: .seconds(spec.settings.probeTimeout))
        return PoolContext(spec: spec, store: store, platform: platform,
                           reconciler: makeReconciler(spec: spec, platform: platform, store: store, prober: prober,
                                                      environment: env, logger: logger),
                           agents: agents, http: http, logger: logger)
    }

    /// The selected environment of the spec file, resolved against `env`.
    static func loadSpec(_ options: SpecOptions, environment env: [String: String]) throws -> EnvironmentSpec {
        try loadSpec(path: options.spec, name: options.env, environment: env)
    }

    static func loadSpec(path: String, name: String?, environment env: [String: String]) throws -> EnvironmentSpec {
        guard let name else { throw CLIError("needs --env NAME: the environment of \(path) to use") }
        do {
            return try SpecLoader(processEnvironment: env).load(path: path, environment: name).environment!
        } catch {
            throw CLIError(error.description)
        }
    }

    static func requireAPIKey(_ spec: EnvironmentSpec, environment env: [String: String]) throws {
        if spec.platform == .railway, (env["POOL_API_KEY"] ?? "").isEmpty {
            throw CLIError("POOL_API_KEY is not set: instances are created with it and probed with it (an instance without a key accepts any caller)")
        }
    }

    /// Observer, executor and reconciler over `platform`; `prober` nil skips status probes.
    static func makeReconciler(spec: EnvironmentSpec, platform: any Platform, store: any PoolStore, prober: (any StatusProber)?,
                               environment env: [String: String], logger: Logger,
                               lease: LeaderLease? = nil) -> Reconciler {
        let blueprint = Blueprints(spec: spec, environment: env)
        let observer = Observer(platform: platform, store: store, prober: prober, prefix: spec.prefix,
                                revision: spec.revision.hex, scheme: spec.instanceScheme)
        let executor = Executor(platform: platform, store: store, prefix: spec.prefix, revision: spec.revision.hex,
                                logger: logger, mayAct: { lease?.isLeader ?? true }, replica: lease?.replica,
                                blueprint: blueprint.make)
        return Reconciler(spec: spec, observer: observer, executor: executor, logger: logger)
    }

    /// The one place the spec's `platform:` becomes a `Platform`, for every command.
    /// `local`: the running local platform, which only `serve` starts (it owns processes).
    static func makePlatform(_ spec: EnvironmentSpec, env: [String: String], local: LocalPlatform? = nil,
                             metrics: MetricsFactory? = nil) throws -> any Platform {
        switch spec.platform {
        case .railway:
            guard let project = spec.railwayProjectId, let environment = spec.railwayEnvironmentId else {
                throw CLIError("environment \(spec.name) needs railway.projectId and railway.environmentId")
            }
            do {
                let config = try RailwayConfig.fromEnvironment(env, projectId: project, environmentId: environment)
                return RailwayPlatform(client: RailwayClient(config: config, metrics: metrics))
            } catch {
                throw CLIError("\(error)")
            }
        case .local:
            guard let local else {
                throw CLIError("environment \(spec.name) uses platform: local, whose instances are processes of `poolctl serve`: run `poolctl serve --env \(spec.name)`")
            }
            return local
        }
    }

    /// A claim service over this context's store, platform and agent client.
    func claims(requestTick: @escaping @Sendable () -> Void = {}) -> ClaimService {
        ClaimService(spec: spec, store: store, caller: agents, platform: platform, logger: logger, requestTick: requestTick)
    }

    func close() async {
        await store.close()
        try? await http.shutdown()
    }
}

/// Instance blueprints from the spec: the spec's variables plus the ones every instance
/// needs (XMTP env, OpenClaw ref, pool key, port).
struct Blueprints: Sendable {
    let spec: EnvironmentSpec
    let environment: [String: String]

    func make(name: String) -> InstanceBlueprint {
        var variables = spec.variables
        variables["XMTP_ENV"] = spec.xmtpEnv.rawValue
        variables["OPENCLAW_GIT_REF"] = spec.openclawRef
        variables["PORT"] = String(spec.instancePort)
        if let key = environment["POOL_API_KEY"], !key.isEmpty { variables["POOL_API_KEY"] = key }
        return InstanceBlueprint(name: name, repo: spec.repo, branch: spec.branch, rootDirectory: spec.rootDirectory,
                                 variables: variables, port: spec.instancePort)
    }
}

/// A message for the operator, printed to stderr with exit 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The store DATABASE_URL names, or the SQLite file.
func makeStoreFromEnvironment(sqlitePath: String, logger: Logger,
                              environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> any PoolStore {
    // POOL_DATABASE_SCHEMA: a Postgres schema of its own (several pools, or test runs, in one database).
    try makeStore(databaseURL: env["DATABASE_URL"], sqlitePath: sqlitePath,
                  schema: env["POOL_DATABASE_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 }, logger: logger)
}
