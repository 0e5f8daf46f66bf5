import Controller
import Foundation
import Hummingbird
import LocalPlatform
import Model
import Railway
import RailwayFake
import Server
import ServiceLifecycle
import Spec
import Store

/// A pool on the fake Railway with webhooks on: the real loop, routes and HTTP server on
/// loopback (the fake posts its webhooks there), the real rule keeper, every instance
/// answering ready (the agents are not what is measured), claims answered in memory.
/// The fake's clock moves only when a test advances it, so a deploy ends when the test says.
public struct WebhookWorld: Sendable {
    public static let token = "acct-token-webhooks-7d2e"
    public static let secret = "whsec-0123456789abcdef0123456789"

    public let fake: RailwayFake
    public let store: any PoolStore
    public let loop: ReconcileLoop
    public let context: ServerContext
    public let spec: EnvironmentSpec
    /// The server's loopback base URL, e.g. `http://127.0.0.1:40123`.
    public let base: String
    public let config: WebhookConfig

    public var router: Router<PoolRequestContext> { buildRouter(context) }

    /// A world for `body`: `settings` top-level (e.g. resyncInterval), deploys of 3 s on the
    /// fake's clock; the loop runs and its first tick is done.
    public static func with(_ settings: KeyValuePairs<String, String>, coalescingWindow: Duration = .milliseconds(500),
                            _ body: (WebhookWorld) async throws -> Void) async throws {
        let fake = try RailwayFake(configuration: .init(accountTokens: [token],
                                                        phases: FakePhaseDurations(queued: .seconds(1), building: .seconds(1),
                                                                                   deploying: .seconds(1)),
                                                        epoch: Date()))
        let url = try await fake.start()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(path: path, logger: quiet)
        _ = try await store.migrate()
        let port = try LoopbackPort.free()
        let base = "http://127.0.0.1:\(port)"
        let yaml = RailwayFake.poolYAML(settings, environmentLines: "    publicUrl: \(base)",
                                        railway: "{projectId: \(RailwayFake.projectId), environmentId: \(RailwayFake.environmentId), workspaceId: \(RailwayFake.workspaceId)}")
        let spec = try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml, file: "pool.yaml", environment: "test").environment!
        let environment = ["POOL_API_KEY": ServerFixtures.apiKey, "POOL_WEBHOOK_SECRET": secret]
        let config = try WebhookConfig.resolve(spec: spec, environment: environment).get()
        let client = RailwayClient(config: RailwayConfig(endpoint: url, credentials: .accountToken(token),
                                                         projectId: RailwayFake.projectId, environmentId: RailwayFake.environmentId,
                                                         requestTimeout: .seconds(10),
                                                         rateLimit: RailwayRateLimit(perSecond: 1_000, perHour: 100_000),
                                                         retry: RailwayRetryPolicy(baseDelay: .milliseconds(1))))
        let metrics = PoolMetrics()
        let parts = PoolParts(store: store, platform: RailwayPlatform(client: client), prober: AlwaysReady(), caller: StubCaller(),
                              logger: quiet, environment: environment)
        let keeper = WebhookRuleKeeper(client: client)
        let loop = try buildReconcileLoop(
            spec: spec, parts: parts, webhooks: .success(config),
            keepRule: { _ in "\(try await keeper.keep(workspaceId: config.workspaceId, url: config.url, eventTypes: WebhookConfig.eventTypes, isOurs: config.isOurs))" },
            coalescingWindow: coalescingWindow, onTick: { metrics.record(tick: $0, duration: $1) })
        let context = ServerContext(loop: loop, store: store, apiKey: ServerFixtures.apiKey, logger: quiet, metrics: metrics,
                                    webhookSecret: config.secret)
        let app = buildApplication(context, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        let group = ServiceGroup(configuration: .init(services: [loop, app], logger: quiet))
        let running = Task { try await group.run() }
        let world = WebhookWorld(fake: fake, store: store, loop: loop, context: context, spec: spec, base: base, config: config)
        func finish() async {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            await store.close()
            await fake.stop()
            try? FileManager.default.removeItem(atPath: path)
        }
        do {
            try await eventually("the first tick and the rule") {
                let rules = await fake.rules
                return await loop.ticksRun >= 1 && !rules.isEmpty
            }
            try await body(world)
        } catch {
            await finish()
            throw error
        }
        await finish()
    }

    /// Instances whose create finished and which are neither idle nor claimed, per the store:
    /// deploying (or deployed and not yet seen by a tick).
    public func deploying() async throws -> Int {
        try await store.instances().filter { r in
            r.serviceId != nil && r.createStep?.isComplete == true && r.claim == .none && r.marked != .idle && r.retiredReason == nil
        }.count
    }

    /// The last tick's count of instances in `state`.
    public func count(_ state: InstanceState) async -> Int {
        await loop.lastTick?.result.plan.counts[state] ?? -1
    }

    /// Railway's payload for a deployment event of `serviceId` in the pool's environment.
    public func payload(type: String = "Deployment.deployed", serviceId: String, name: String? = nil,
                        environmentId: String = RailwayFake.environmentId) -> String {
        """
        {"type":"\(type)","severity":"INFO","timestamp":"2026-11-30T00:00:00Z","details":{"id":"dep-1","status":"SUCCESS"},
         "resource":{"workspace":{"id":"\(RailwayFake.workspaceId)"},"project":{"id":"\(RailwayFake.projectId)","name":"pool"},
         "environment":{"id":"\(environmentId)","name":"test","isEphemeral":false},
         "service":{"id":"\(serviceId)","name":"\(name ?? "\(spec.prefix)-abcdefabcdef")"},"deployment":{"id":"dep-1"}}}
        """
    }
}
