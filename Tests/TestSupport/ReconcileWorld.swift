import Controller
import Foundation
import Logging
import Model
import Planning
import Ports
import Railway
import RailwayFake
import Spec
import Store

/// A fake Railway, a real SQLite store and the real client, executor and reconciler.
public struct ReconcileWorld: Sendable {
    public static let token = "acct-token-e2e-51c0"
    public static let epoch = Date(timeIntervalSince1970: 1_790_000_000)

    public let fake: RailwayFake
    public let url: String
    public let store: any PoolStore
    public let spec: EnvironmentSpec
    public let clock: TestClock
    public let retryWaits: RetryWaits

    public init(fake: RailwayFake, url: String, store: any PoolStore, spec: EnvironmentSpec, clock: TestClock,
                retryWaits: RetryWaits) {
        self.fake = fake
        self.url = url
        self.store = store
        self.spec = spec
        self.clock = clock
        self.retryWaits = retryWaits
    }

    public final class RetryWaits: @unchecked Sendable {
        private let lock = NSLock()
        private var waits: [Duration] = []
        public init() {}
        public func record(_ d: Duration) { lock.withLock { waits.append(d) } }
        public var all: [Duration] { lock.withLock { waits } }
    }

    public static func spec(minIdle: Int = 3, maxTotal: Int = 6, pacing: Int = 3, branch: String = "main",
                            railway: String? = nil, source: String? = nil) throws -> EnvironmentSpec {
        let yaml = RailwayFake.poolYAML(["minIdle": "\(minIdle)", "maxTotal": "\(maxTotal)", "createsPerTick": "\(pacing)"],
                                        branch: branch, railway: railway, source: source)
        return try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    public static func with(_ spec: EnvironmentSpec, _ body: (ReconcileWorld) async throws -> Void) async throws {
        let fake = try RailwayFake(configuration: .init(accountTokens: [token], epoch: epoch))
        let url = try await fake.start()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(path: path, logger: quiet)
        _ = try await store.migrate()
        let world = ReconcileWorld(fake: fake, url: url, store: store, spec: spec, clock: TestClock(epoch), retryWaits: RetryWaits())
        do { try await body(world) } catch {
            await store.close(); await fake.stop(); throw error
        }
        await store.close()
        await fake.stop()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A client for `spec` (default: the world's): its shared project when it has one, and
    /// the fake's workspace in placement projectPerInstance.
    public func client(for spec: EnvironmentSpec? = nil) -> RailwayClient {
        let waits = retryWaits
        let spec = spec ?? self.spec
        var config = RailwayConfig(endpoint: url, credentials: .accountToken(Self.token),
                                   projectId: spec.railway.projectId ?? "", environmentId: spec.railway.environmentId ?? "",
                                   requestTimeout: .seconds(10), rateLimit: RailwayRateLimit(perSecond: 1_000, perHour: 100_000),
                                   retry: RailwayRetryPolicy(baseDelay: .milliseconds(1)))
        if spec.railway.placement == .projectPerInstance {
            config.workspaceId = spec.railway.workspaceId
            config.projectPrefix = spec.prefix
            config.projectEnvironmentName = spec.name
        }
        return RailwayClient(config: config, sleep: { waits.record($0) })
    }

    /// The parts a fresh process would build its pool from, over `platform` (default:
    /// Railway), with the test clock and seeded ids.
    public func parts(platform: (any Platform)? = nil, seed: UInt64 = 1, prober: (any StatusProber)? = AlwaysReady(),
                      caller: any ClaimCaller = StubCaller(), lease: LeaderLease? = nil) -> PoolParts {
        let clock = self.clock
        let ids = IdSource(seed: seed)
        return PoolParts(store: store, platform: platform ?? RailwayPlatform(client: client()), prober: prober, caller: caller,
                         logger: quiet, environment: ["POOL_API_KEY": TestCredentials.poolKey], clock: { clock.now },
                         newIds: { ids.next($0) }, lease: lease)
    }

    /// A reconciler as a fresh process would build it, through the composition root.
    public func reconciler(platform: (any Platform)? = nil, seed: UInt64 = 1, spec: EnvironmentSpec? = nil,
                           prober: any StatusProber = AlwaysReady(), lease: LeaderLease? = nil) -> Reconciler {
        // The parts take any platform, so building cannot fail.
        let platform = platform ?? RailwayPlatform(client: client(for: spec))
        return try! buildPoolRuntime(spec: spec ?? self.spec, parts: parts(platform: platform, seed: seed, prober: prober, lease: lease)).reconciler
    }

    /// A pool of `image` (digest known) in `placement`, on the fake.
    public static func imageSpec(minIdle: Int = 2, maxTotal: Int = 6, pacing: Int = 3, placement: Placement = .sharedProject,
                                 digest: String? = ReconcileWorld.digestA) throws -> EnvironmentSpec {
        let railway = placement == .sharedProject ? nil
            : "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId)}"
        var spec = try Self.spec(minIdle: minIdle, maxTotal: maxTotal, pacing: pacing, railway: railway,
                                 source: "{image: \"ghcr.io/acme/runtime:dev\"}")
        spec.imageDigest = digest
        return spec
    }

    public static let digestA = "sha256:" + String(repeating: "a", count: 64)
    public static let digestB = "sha256:" + String(repeating: "b", count: 64)

    /// The pool's services wherever they live: the shared environment and its projects.
    public func allPoolServices() async -> [FakeService] {
        await fake.allServices.filter { $0.name.hasPrefix(spec.prefix + "-") }
    }

    /// Moves the test clock and the fake's together.
    public func advance(_ d: Duration) async {
        clock.advance(d)
        await fake.advance(by: d)
    }

    public func poolServices() async -> [FakeService] {
        await fake.services(projectId: "project-1", environmentId: "environment-1").filter { $0.name.hasPrefix(spec.prefix + "-") }
    }

    /// Ticks (advancing `step` between them) until the pool has `idle` idle instances and a
    /// tick plans nothing; returns how many ticks that took, or nil after `limit`.
    public func converge(_ reconciler: Reconciler, idle: Int, step: Duration = .seconds(90), limit: Int = 12) async -> Int? {
        for n in 1...limit {
            let t = await reconciler.tick()
            if !t.plan.hasChanges && t.plan.counts[.idle] == idle { return n }
            await advance(step)
        }
        return nil
    }
}

