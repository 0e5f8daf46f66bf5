import Foundation
import Logging
import Observers
import Railway
import RailwayFake
import Spec
import Store
@testable import Controller

/// A clock the test moves by hand, together with the fake Railway's.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ start: Date) { value = start }
    var now: Date { lock.withLock { value } }
    func advance(_ d: Duration) { lock.withLock { value = value.addingTimeInterval(Double(d.components.seconds)) } }
}

/// Every instance answers its status probe as idle (the agent client has its own tests).
struct AlwaysReady: StatusProber {
    func probeAll(_ targets: [(id: String, baseURL: String)]) async -> [String: ProbeResult] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0.id, .status(AgentStatus(usable: true, conversationId: nil))) })
    }
}

/// Tests log nowhere: assertions, not output, say what happened.
let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fake Railway, a real SQLite store and the real client, executor and reconciler.
struct ReconcileWorld {
    static let token = "acct-token-e2e-51c0"
    static let epoch = Date(timeIntervalSince1970: 1_790_000_000)

    let fake: RailwayFake
    let url: String
    let store: any PoolStore
    let spec: EnvironmentSpec
    let clock: TestClock
    let retryWaits: RetryWaits

    final class RetryWaits: @unchecked Sendable {
        private let lock = NSLock()
        private var waits: [Duration] = []
        func record(_ d: Duration) { lock.withLock { waits.append(d) } }
        var all: [Duration] { lock.withLock { waits } }
    }

    static func spec(minIdle: Int = 3, maxTotal: Int = 6, pacing: Int = 3, branch: String = "main") throws -> EnvironmentSpec {
        let yaml = """
        minIdle: \(minIdle)
        maxTotal: \(maxTotal)
        createsPerTick: \(pacing)
        environments:
          test:
            railway: {projectId: project-1, environmentId: environment-1}
            source: {repo: example/agents, branch: \(branch), rootDirectory: agent}
            instanceScheme: http
        """
        return try SpecLoader(processEnvironment: [:]).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    static func with(_ spec: EnvironmentSpec, _ body: (ReconcileWorld) async throws -> Void) async throws {
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

    func client() -> RailwayClient {
        let waits = retryWaits
        return RailwayClient(
            config: RailwayConfig(endpoint: url, credentials: .accountToken(Self.token), projectId: "project-1",
                                  environmentId: "environment-1", requestTimeout: .seconds(10),
                                  rateLimit: RailwayRateLimit(perSecond: 1_000, perHour: 100_000),
                                  retry: RailwayRetryPolicy(baseDelay: .milliseconds(1))),
            sleep: { waits.record($0) })
    }

    /// A reconciler as a fresh process would build it, over `platform` (default: Railway).
    func reconciler(platform: (any Platform)? = nil, seed: UInt64 = 1, spec: EnvironmentSpec? = nil,
                    prober: any StatusProber = AlwaysReady(), mayAct: @escaping @Sendable () -> Bool = { true }) -> Reconciler {
        let platform = platform ?? RailwayPlatform(client: client())
        let clock = self.clock
        let spec = spec ?? self.spec
        let observer = Observer(platform: platform, store: store, prober: prober, prefix: spec.prefix,
                                revision: spec.revision.hex, scheme: spec.instanceScheme)
        let executor = Executor(platform: platform, store: store, prefix: spec.prefix, revision: spec.revision.hex,
                                logger: quiet, clock: { clock.now }, mayAct: mayAct) { name in
            InstanceBlueprint(name: name, repo: spec.repo, branch: spec.branch, rootDirectory: spec.rootDirectory,
                              variables: ["XMTP_ENV": "dev"], port: 8080)
        }
        let ids = IdSource(seed: seed)
        return Reconciler(spec: spec, observer: observer, executor: executor, logger: quiet,
                          clock: { clock.now }, newIds: { ids.next($0) })
    }

    /// Moves the test clock and the fake's together.
    func advance(_ d: Duration) async {
        clock.advance(d)
        await fake.advance(by: d)
    }

    func poolServices() async -> [FakeService] {
        await fake.services(projectId: "project-1", environmentId: "environment-1").filter { $0.name.hasPrefix(spec.prefix + "-") }
    }

    /// Ticks (advancing `step` between them) until the pool has `idle` idle instances and a
    /// tick plans nothing; returns how many ticks that took, or nil after `limit`.
    func converge(_ reconciler: Reconciler, idle: Int, step: Duration = .seconds(90), limit: Int = 12) async -> Int? {
        for n in 1...limit {
            let t = await reconciler.tick()
            if !t.plan.hasChanges && t.plan.counts["idle"] == idle { return n }
            await advance(step)
        }
        return nil
    }
}

/// Seeded ids, so runs repeat; safe to share across ticks.
final class IdSource: @unchecked Sendable {
    private let lock = NSLock()
    private var g: SplitMix64
    init(seed: UInt64) { g = SplitMix64(seed: seed) }
    func next(_ n: Int) -> [String] { lock.withLock { InstanceNaming.ids(n, using: &g) } }
}

/// Dies right after the `afterCall`-th create-step call has reached the platform, the way a
/// process killed at that moment would: the effect happened, nothing was recorded.
final class CrashingPlatform: Platform, @unchecked Sendable {
    struct SimulatedCrash: Error {}
    let base: any Platform
    let afterCall: Int
    private let lock = NSLock()
    private var calls = 0

    init(_ base: any Platform, afterCall: Int) {
        self.base = base
        self.afterCall = afterCall
    }

    private func step<T>(_ body: () async throws -> T) async throws -> T {
        let n = lock.withLock { calls += 1; return calls }
        if afterCall == 0 { throw SimulatedCrash() }
        let result = try await body()
        if n == afterCall { throw SimulatedCrash() }
        return result
    }

    func listServices() async throws -> [PlatformService] { try await base.listServices() }
    func createService(_ b: InstanceBlueprint) async throws -> String { try await step { try await base.createService(b) } }
    func configureService(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.configureService(serviceId: serviceId, b) } }
    func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String { try await step { try await base.createDomain(serviceId: serviceId, b) } }
    func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.startBuild(serviceId: serviceId, b) } }
    func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.pinSource(serviceId: serviceId, b) } }
    func deleteService(serviceId: String) async throws { try await base.deleteService(serviceId: serviceId) }
    func renameService(serviceId: String, to name: String) async throws { try await base.renameService(serviceId: serviceId, to: name) }
}
