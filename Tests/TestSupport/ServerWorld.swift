import Controller
import Credentials
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Model
import Planning
import Ports
import Server
import ServiceLifecycle
import Spec
import Store

/// The spec and the key of the server tests' pool.

public enum ServerFixtures {
    public static let apiKey = "pool-key-server-t3st"
    public static let prefix = "convos-agent"

    public static func yaml(minIdle: Int = 0, tickInterval: String = "1h") -> String {
        """
        minIdle: \(minIdle)
        maxTotal: 10
        tickInterval: \(tickInterval)
        claimTimeouts: {create: 2s, join: 2s}
        environments:
          test:
            platform: local
            xmtpEnv: dev
            instanceScheme: http
        """
    }

    public static func spec(minIdle: Int = 0, tickInterval: String = "1h") throws -> EnvironmentSpec {
        try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml(minIdle: minIdle, tickInterval: tickInterval),
                                                     file: "pool.yaml", environment: "test").environment!
    }

    public static var auth: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
    public static var jsonAuth: HTTPFields { [.authorization: "Bearer \(apiKey)", .contentType: "application/json"] }
}

/// A pool in memory behind the real store, classifier, planner, executor, claim service
/// and loop, wired by the composition root: only the platform, the status probes and the
/// claim calls are fakes.
public struct ServerWorld: Sendable {
    public let store: any PoolStore
    public let platform: MemoryPlatform
    public let caller: StubCaller
    public let loop: ReconcileLoop
    public let context: ServerContext
    /// Instances seeded idle before the loop started.
    public var seeded: [String] = []

    public var router: Router<PoolRequestContext> { buildRouter(context) }
    public var app: some ApplicationProtocol { Application(router: router) }

    /// A world over `store` and `platform` whose loop is not running yet.
    /// - Parameter listing: the platform the loop lists and acts on (default: `platform`).
    public static func make(spec: EnvironmentSpec, store: any PoolStore, platform: MemoryPlatform,
                            listing: (any Platform)? = nil, prober: any StatusProber = AlwaysReady(),
                            logger: Logger = quiet, loadSpec: ReconcileLoop.LoadSpec? = nil,
                            resolveImage: ImageWatch.Resolve? = nil) throws -> ServerWorld {
        let caller = StubCaller()
        let metrics = PoolMetrics()
        var parts = PoolParts(store: store, platform: listing ?? platform, prober: prober, caller: caller, logger: logger,
                              environment: ["POOL_API_KEY": ServerFixtures.apiKey])
        parts.resolveImage = resolveImage
        let loop = try buildReconcileLoop(spec: spec, parts: parts, loadSpec: loadSpec,
                                          onTick: { metrics.record(tick: $0, duration: $1) })
        return ServerWorld(store: store, platform: platform, caller: caller, loop: loop,
                           context: ServerContext(loop: loop, store: store, apiKey: ServerFixtures.apiKey, logger: logger,
                                                  metrics: metrics))
    }

    /// A world for `body` on a new SQLite store; with `runLoop`, the loop runs (and its first
    /// tick is done) meanwhile.
    /// `oldKeyIdle`: more idle instances, seeded after those, made before instance tokens
    /// (no secret version: they are called with the pool key).
    public static func with(spec: EnvironmentSpec? = nil, platform: MemoryPlatform = MemoryPlatform(), idle: Int = 0,
                            oldKeyIdle: Int = 0, runLoop: Bool = true, loadSpec: ReconcileLoop.LoadSpec? = nil,
                            resolveImage: ImageWatch.Resolve? = nil, _ body: (ServerWorld) async throws -> Void) async throws {
        let spec = try spec ?? ServerFixtures.spec()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(path: path, logger: quiet)
        _ = try await store.migrate()
        var world = try make(spec: spec, store: store, platform: platform, loadSpec: loadSpec, resolveImage: resolveImage)
        world.seeded = try await world.seedIdle(idle) + world.seedIdle(oldKeyIdle, tokenVersion: nil)
        let loop = world.loop
        let group = ServiceGroup(configuration: .init(services: [loop], logger: quiet))
        let running = runLoop ? Task { try await group.run() } : nil
        func finish() async {
            if let running {
                await group.triggerGracefulShutdown()
                platform.releaseListings()
                _ = try? await running.value
            }
            await store.close()
        }
        do {
            if runLoop { try await eventually("the first tick") { await loop.ticksRun >= 1 } }
            try await body(world)
        } catch {
            await finish()
            throw error
        }
        await finish()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// An idle instance of the current revision: its service (deployed, with a domain) and its
    /// record, with a token of the current secret version (nil: made with the pool key).
    @discardableResult
    public func seedIdle(_ n: Int = 1, tokenVersion: Int? = TestCredentials.secrets.current.version) async throws -> [String] {
        let revision = await loop.runtime.spec.revision.hex
        var g = SplitMix64(seed: UInt64(platform.serviceCount + 1))
        var ids: [String] = []
        for id in InstanceNaming.ids(n, using: &g) {
            let service = platform.add(name: InstanceNaming.serviceName(prefix: ServerFixtures.prefix, instanceId: id))
            try await store.seedIdleRecord(id, serviceName: service.name, serviceId: service.serviceId, domain: service.domain,
                                           revision: revision, tokenVersion: tokenVersion, at: Date())
            ids.append(id)
        }
        return ids
    }
}
