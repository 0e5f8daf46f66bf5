import Credentials
import Foundation
import Logging
import Model
import Observers
import Planning
import Ports
import Spec
import Store

/// Everything one spec makes: the reconciler that runs the ticks, the claim service that
/// answers claims and the operator's actions. Rebuilt as a whole when pool.yaml is
/// reloaded, so nothing made from the old spec outlives the reload.
public struct PoolRuntime: Sendable {
    public var spec: EnvironmentSpec
    public var reconciler: Reconciler
    public var claims: ClaimService
    public var operators: PoolOperator
    /// What instances are called with, and what a self-destruct is checked against.
    public var credentials: InstanceCredentials

    /// Seconds a caller should wait before retrying: one tick, when the pool may have refilled.
    public var retryAfterSeconds: Int { max(1, Int(spec.settings.tickInterval.rounded(.up))) }
}

/// What a pool runtime is built from besides its spec: the composition root's inputs. The
/// platform is made per spec (a reload may point it elsewhere); everything else lives as
/// long as the process.
public struct PoolParts: Sendable {
    public var store: any PoolStore
    public var platform: @Sendable (EnvironmentSpec) throws -> any Platform
    /// Status probes; nil observes without probing (every deployed instance stays provisioning).
    public var prober: (any StatusProber)?
    public var caller: any ClaimCaller
    public var logger: Logger
    public var clock: @Sendable () -> Date
    /// Ids for new instances (random in production, seeded in tests).
    public var newIds: @Sendable (Int) -> [String]
    /// The leader lease when replicas share the store; nil for a lone process.
    public var lease: LeaderLease?
    /// `POOL_API_KEY`: what instances made before instance tokens are called with, until
    /// they are replaced. It is never given to an instance.
    public var poolKey: String
    /// Tokens in `RAILWAY_API_TOKENS` (at least 1): `projectCreate` rotates over them.
    public var projectCreateTokens: Int
    /// Resolves an image tag to its digest (the registry); nil: images stay unresolved.
    public var resolveImage: ImageWatch.Resolve?
    /// The last listing and probe answers, kept across ticks (and reloads) while webhooks
    /// let ticks observe less than everything; nil: every tick observes everything.
    public var observationCache: ObservationCache?

    /// - Parameter environment: the process environment, read for `POOL_API_KEY` and
    ///   `RAILWAY_API_TOKENS`.
    public init(store: any PoolStore, platform: @escaping @Sendable (EnvironmentSpec) throws -> any Platform,
                prober: (any StatusProber)?, caller: any ClaimCaller, logger: Logger,
                environment: [String: String] = [:], clock: @escaping @Sendable () -> Date = { Date() },
                newIds: @escaping @Sendable (Int) -> [String] = { n in
                    var g = SystemRandomNumberGenerator()
                    return InstanceNaming.ids(n, using: &g)
                },
                lease: LeaderLease? = nil) {
        self.store = store
        self.platform = platform
        self.prober = prober
        self.caller = caller
        self.logger = logger
        self.clock = clock
        self.newIds = newIds
        self.lease = lease
        self.poolKey = environment["POOL_API_KEY"] ?? ""
        self.projectCreateTokens = max(1, (environment["RAILWAY_API_TOKENS"] ?? "").split(separator: ",")
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count)
    }

    /// Parts over one platform whatever the spec.
    public init(store: any PoolStore, platform: any Platform, prober: (any StatusProber)?, caller: any ClaimCaller,
                logger: Logger, environment: [String: String] = [:], clock: @escaping @Sendable () -> Date = { Date() },
                newIds: @escaping @Sendable (Int) -> [String] = { n in
                    var g = SystemRandomNumberGenerator()
                    return InstanceNaming.ids(n, using: &g)
                },
                lease: LeaderLease? = nil) {
        self.init(store: store, platform: { _ in platform }, prober: prober, caller: caller, logger: logger,
                  environment: environment, clock: clock, newIds: newIds, lease: lease)
    }
}

/// The composition root: builds what a spec makes from its parts. `poolctl`'s commands,
/// the benchmarks and every test world call this (or `buildReconcileLoop`, which calls it
/// on every reload), so the pool is wired in one place.
public func buildPoolRuntime(spec: EnvironmentSpec, parts: PoolParts, lock: TickLock = TickLock(),
                             requestTick: @escaping @Sendable () -> Void = {}) throws -> PoolRuntime {
    let credentials = try instanceCredentials(spec: spec, poolKey: parts.poolKey)
    let platform = try parts.platform(spec)
    let lease = parts.lease
    let observer = Observer(platform: platform, store: parts.store, prober: parts.prober, prefix: spec.prefix,
                            revision: spec.revision.hex, scheme: spec.instanceScheme,
                            probeTimeout: .milliseconds(Int64(spec.settings.probeTimeout * 1000)),
                            credentials: credentials, cache: parts.observationCache)
    let blueprints = InstanceBlueprints(spec: spec, secrets: credentials.secrets)
    let executor = Executor(platform: platform, store: parts.store, revision: spec.revision.hex,
                            tokenVersion: credentials.secrets.current.version, logger: parts.logger,
                            clock: parts.clock, mayAct: { lease?.isLeader ?? true }, replica: lease?.replica,
                            blueprint: { blueprints.make(instanceId: $0, name: $1) })
    return PoolRuntime(
        spec: spec,
        reconciler: Reconciler(spec: spec, observer: observer, executor: executor, lock: lock, logger: parts.logger,
                               clock: parts.clock, newIds: parts.newIds, projectCreateTokens: parts.projectCreateTokens),
        claims: ClaimService(spec: spec, store: parts.store, caller: parts.caller, credentials: credentials,
                             logger: parts.logger, clock: parts.clock, requestTick: requestTick),
        operators: PoolOperator(store: parts.store, platform: platform, lock: lock, logger: parts.logger,
                                clock: parts.clock, requestTick: requestTick),
        credentials: credentials)
}

/// Why a spec cannot make a runtime: its instances could not get credentials of their own.
public enum CredentialsError: Error, Equatable, CustomStringConvertible {
    case noInstanceSecret
    case poolKeyInVariables(String)

    public var description: String {
        switch self {
        case .noInstanceSecret:
            "POOL_INSTANCE_SECRET is not set: every instance's token derives from it (at least 32 characters, e.g. `openssl rand -hex 32`); the pool key is never given to an instance"
        case .poolKeyInVariables(let name):
            "the instance variable \(name) holds the value of POOL_API_KEY: the pool's key never leaves the manager"
        }
    }
}

/// The credentials a runtime calls instances with; refuses a spec that would hand the
/// pool key to its instances under another name.
public func instanceCredentials(spec: EnvironmentSpec, poolKey: String) throws(CredentialsError) -> InstanceCredentials {
    guard let secrets = spec.instanceSecrets else { throw .noInstanceSecret }
    // What reaches every instance: its variables, and the OpenClaw ref it is built from.
    var given = spec.variables
    given["OPENCLAW_GIT_REF"] = spec.openclawRef
    if !poolKey.isEmpty, let name = given.keys.sorted().first(where: { given[$0]!.contains(poolKey) }) {
        throw .poolKeyInVariables(name)
    }
    return InstanceCredentials(poolKey: poolKey, secrets: secrets)
}

/// The reconcile loop over runtimes built by `buildPoolRuntime`, for `poolctl serve` and
/// the server tests. With a lease in `parts`, only the leader acts.
///
/// - Parameters:
///   - webhooks: on (`.success`), the loop observes on events and at resyncs, and the
///     leader keeps the notification rule with `keepRule`; off, every tick observes all.
public func buildReconcileLoop(spec: EnvironmentSpec, parts: PoolParts, loadSpec: ReconcileLoop.LoadSpec? = nil,
                               webhooks: Result<WebhookConfig, WebhookConfig.Off> = .failure(.init("no webhooks configured")),
                               keepRule: ReconcileLoop.KeepRule? = nil, coalescingWindow: Duration = .seconds(1),
                               onTick: @escaping @Sendable (TickResult, Duration) -> Void = { _, _ in }) throws -> ReconcileLoop {
    let lease = parts.lease
    let watch = parts.resolveImage.map { ImageWatch(logger: parts.logger, clock: parts.clock, resolve: $0) }
    var parts = parts
    let offReason: String?
    switch webhooks {
    case .success: offReason = nil
    case .failure(let off): offReason = off.description
    }
    if offReason == nil { parts.observationCache = parts.observationCache ?? ObservationCache() }
    return try ReconcileLoop(spec: spec, logger: parts.logger, clock: parts.clock, loadSpec: loadSpec, onTick: onTick,
                             leading: { lease?.isLeader ?? true }, imageWatch: watch,
                             webhooks: WebhookWatch(offReason: offReason, clock: parts.clock),
                             keepRule: offReason == nil ? keepRule : nil, coalescingWindow: coalescingWindow,
                             history: parts.store) { [parts] spec, lock, requestTick in
        try buildPoolRuntime(spec: spec, parts: parts, lock: lock, requestTick: requestTick)
    }
}
