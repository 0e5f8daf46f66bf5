import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Credentials
import Foundation
import ImageRegistry
import LocalPlatform
import Metrics
import Logging
import Model
import Ports
import Railway
import Spec
import Store

/// Everything a command that touches the live pool needs, built from the spec and the
/// process environment (DATABASE_URL, POOL_SQLITE_PATH, RAILWAY_*, POOL_API_KEY) through
/// the composition root, `buildPoolRuntime`.
struct PoolContext {
    let spec: EnvironmentSpec
    let store: any PoolStore
    let runtime: PoolRuntime
    let http: HTTPClient
    let logger: Logger

    var reconciler: Reconciler { runtime.reconciler }
    var claims: ClaimService { runtime.claims }

    /// `migrate`: apply the store's migrations first (apply, serve); a read-only plan does not.
    static func make(options: SpecOptions, logger: Logger, migrate: Bool,
                     environment env: [String: String] = ProcessInfo.processInfo.environment) async throws -> PoolContext {
        var spec = try loadSpec(options, environment: env)
        await resolveImage(&spec, environment: env, logger: logger)
        try requireAPIKey(spec, environment: env)
        let platform = try makePlatform(spec, env: env)
        let store = try makeStoreFromEnvironment(sqlitePath: env["POOL_SQLITE_PATH"] ?? "pool.sqlite", logger: logger, environment: env)
        if migrate { _ = try await store.migrate() }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let agents = AgentClient(httpClient: http, scheme: spec.instanceScheme, logger: logger)
        let parts = PoolParts(store: store, platform: platform, prober: agents, caller: agents, logger: logger, environment: env)
        return PoolContext(spec: spec, store: store, runtime: try buildPoolRuntime(spec: spec, parts: parts),
                           http: http, logger: logger)
    }

    /// The selected environment of the spec file, resolved against `env`.
    static func loadSpec(_ options: SpecOptions, environment env: [String: String]) throws -> EnvironmentSpec {
        try loadSpec(path: options.spec, name: options.env, environment: env)
    }

    /// With its instance secrets: from POOL_INSTANCE_SECRET, or for the local platform,
    /// when that is unset, the one kept in its state folder (made on first use).
    static func loadSpec(path: String, name: String?, environment env: [String: String]) throws -> EnvironmentSpec {
        guard let name else { throw CLIError("needs --env NAME: the environment of \(path) to use") }
        var spec: EnvironmentSpec
        do {
            spec = try SpecLoader(processEnvironment: env).load(path: path, environment: name).environment!
        } catch {
            throw CLIError(error.description)
        }
        if spec.instanceSecrets == nil, spec.platform == .local {
            let folder = URL(fileURLWithPath: localStateFolder(spec, env: env))
            do {
                spec.instanceSecrets = InstanceSecrets(current: try LocalInstanceSecret.loadOrCreate(in: folder))
            } catch {
                throw CLIError("could not read or make the local instance secret in \(folder.path): \(error)")
            }
        }
        guard spec.instanceSecrets != nil else { throw CLIError(CredentialsError.noInstanceSecret.description) }
        return spec
    }

    /// The registry `source.image` is resolved through (`POOL_REGISTRY_BASE_URL`, else the
    /// image's own registry host), for `serve`'s image watch.
    static func imageResolver(environment env: [String: String]) -> ImageWatch.Resolve {
        let registry = RegistryClient.fromEnvironment(env)
        return { image, credentials in try await registry.digest(of: image, credentials: credentials) }
    }

    /// A one-off command (plan, apply) asks the registry once. When it cannot answer, the
    /// digest stays unknown and the plan says so (nothing created, rolled or deleted).
    static func resolveImage(_ spec: inout EnvironmentSpec, environment env: [String: String], logger: Logger) async {
        guard spec.imageUnresolved else { return }
        spec.imageDigest = await ImageWatch(logger: logger, resolve: imageResolver(environment: env)).digest(for: spec)
    }

    /// POOL_LOCAL_STATE, default `.pool-local/<environment>`.
    static func localStateFolder(_ spec: EnvironmentSpec, env: [String: String]) -> String {
        env["POOL_LOCAL_STATE"] ?? ".pool-local/\(spec.name)"
    }

    static func requireAPIKey(_ spec: EnvironmentSpec, environment env: [String: String]) throws {
        if spec.platform == .railway, (env["POOL_API_KEY"] ?? "").isEmpty {
            throw CLIError("POOL_API_KEY is not set: instances are created with it and probed with it (an instance without a key accepts any caller)")
        }
    }

    /// What keeps the pool's notification rule, with webhooks on: Railway's client with the
    /// process's token. Nil with webhooks off.
    static func webhookRuleKeeper(_ webhooks: Result<WebhookConfig, WebhookConfig.Off>, env: [String: String],
                                  metrics: MetricsFactory? = nil) -> ReconcileLoop.KeepRule? {
        guard case .success(let config) = webhooks,
              let railway = try? RailwayConfig.fromEnvironment(env, projectId: "", environmentId: "") else { return nil }
        let keeper = WebhookRuleKeeper(client: RailwayClient(config: railway, metrics: metrics))
        return { _ in
            do {
                return "\(try await keeper.keep(workspaceId: config.workspaceId, url: config.url, eventTypes: WebhookConfig.eventTypes, isOurs: config.isOurs))"
            } catch {
                // Railway may quote the URL it was sent (the secret is its last segment).
                throw CLIError("\(error)".replacingOccurrences(of: config.secret, with: "…"))
            }
        }
    }

    /// The one place the spec's `platform:` becomes a `Platform`, for every command.
    /// `local`: the running local platform, which only `serve` starts (it owns processes).
    static func makePlatform(_ spec: EnvironmentSpec, env: [String: String], local: LocalPlatform? = nil,
                             metrics: MetricsFactory? = nil) throws -> any Platform {
        switch spec.platform {
        case .railway:
            let railway = spec.railway
            let perInstance = railway.placement == .projectPerInstance
            guard perInstance || (railway.projectId != nil && railway.environmentId != nil) else {
                throw CLIError("environment \(spec.name) needs railway.projectId and railway.environmentId")
            }
            var config: RailwayConfig
            do {
                config = try RailwayConfig.fromEnvironment(env, projectId: railway.projectId ?? "",
                                                           environmentId: railway.environmentId ?? "")
            } catch {
                throw CLIError("\(error)")
            }
            if perInstance {
                if case .projectToken = config.credentials {
                    throw CLIError("placement projectPerInstance creates projects in workspace \(railway.workspaceId ?? ""): it needs a workspace (or account) token in RAILWAY_API_TOKEN, not RAILWAY_PROJECT_TOKEN, which is confined to one project")
                }
                config.workspaceId = railway.workspaceId
                config.projectPrefix = spec.prefix
                config.projectEnvironmentName = spec.name
            }
            return RailwayPlatform(client: RailwayClient(config: config, metrics: metrics))
        case .local:
            guard let local else {
                throw CLIError("environment \(spec.name) uses platform: local, whose instances are processes of `poolctl serve`: run `poolctl serve --env \(spec.name)`")
            }
            return local
        }
    }

    func close() async {
        await store.close()
        try? await http.shutdown()
    }
}

/// A message for the operator, printed to stderr with exit 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// Runs a command's work; its own errors are printed as one line and exit 1 (others
    /// keep the argument parser's handling).
    static func reported(_ work: () async throws -> Void) async throws {
        do {
            try await work()
        } catch let error as CLIError {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// The store DATABASE_URL names, or the SQLite file.
func makeStoreFromEnvironment(sqlitePath: String, logger: Logger,
                              environment env: [String: String] = ProcessInfo.processInfo.environment) throws -> any PoolStore {
    // POOL_DATABASE_SCHEMA: a Postgres schema of its own (several pools, or test runs, in one database).
    try makeStore(databaseURL: env["DATABASE_URL"], sqlitePath: sqlitePath,
                  schema: env["POOL_DATABASE_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 }, logger: logger)
}
