import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Observers
import Server
import ServiceLifecycle
import Spec
import Store
import Testing
@testable import Controller

/// Tests log nowhere: assertions, not output, say what happened.
let quiet = Logger(label: "server-tests", factory: { _ in SwiftLogNoOpLogHandler() })

enum Fixtures {
    static let apiKey = "pool-key-server-t3st"
    static let prefix = "convos-agent"

    static func yaml(minIdle: Int = 0, tickInterval: String = "1h") -> String {
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

    static func spec(minIdle: Int = 0, tickInterval: String = "1h") throws -> EnvironmentSpec {
        try SpecLoader(processEnvironment: [:]).load(text: yaml(minIdle: minIdle, tickInterval: tickInterval),
                                                     file: "pool.yaml", environment: "test").environment!
    }

    static var auth: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
    static var jsonAuth: HTTPFields { [.authorization: "Bearer \(apiKey)", .contentType: "application/json"] }
}

/// A pool in memory behind the real store, classifier, planner, executor, claim service
/// and loop: only the platform, the status probes and the claim calls are fakes.
struct ServerWorld {
    let store: any PoolStore
    let platform: MemoryPlatform
    let caller: StubCaller
    let loop: ReconcileLoop
    let context: ServerContext
    /// Instances seeded idle before the loop started.
    var seeded: [String] = []

    var router: Router<PoolRequestContext> { buildRouter(context) }
    var app: some ApplicationProtocol { Application(router: router) }

    /// A world for `body`; with `runLoop`, the loop runs (and its first tick is done) meanwhile.
    static func with(spec: EnvironmentSpec? = nil, platform: MemoryPlatform = MemoryPlatform(), idle: Int = 0, runLoop: Bool = true,
                     loadSpec: ReconcileLoop.LoadSpec? = nil, _ body: (ServerWorld) async throws -> Void) async throws {
        let spec = try spec ?? Fixtures.spec()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString).sqlite").path
        let store = try SQLiteStore(path: path, logger: quiet)
        _ = try await store.migrate()
        let caller = StubCaller()
        let metrics = PoolMetrics()
        let loop = try ReconcileLoop(spec: spec, logger: quiet, loadSpec: loadSpec,
                                     onTick: { metrics.record(tick: $0, duration: $1) }) { spec, requestTick in
            makeRuntime(spec: spec, store: store, platform: platform, caller: caller, requestTick: requestTick)
        }
        var world = ServerWorld(store: store, platform: platform, caller: caller, loop: loop,
                                context: ServerContext(loop: loop, store: store, apiKey: Fixtures.apiKey, logger: quiet,
                                                       metrics: metrics))
        world.seeded = try await world.seedIdle(idle)
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

    static func makeRuntime(spec: EnvironmentSpec, store: any PoolStore, platform: any Platform, caller: any ClaimCaller,
                            requestTick: @escaping @Sendable () -> Void) -> PoolRuntime {
        let observer = Observer(platform: platform, store: store, prober: AlwaysReady(), prefix: spec.prefix,
                                revision: spec.revision.hex, scheme: spec.instanceScheme)
        let executor = Executor(platform: platform, store: store, prefix: spec.prefix, revision: spec.revision.hex,
                                logger: quiet) { name in
            InstanceBlueprint(name: name, repo: spec.repo, branch: spec.branch, rootDirectory: spec.rootDirectory, variables: [:])
        }
        return PoolRuntime(spec: spec,
                           reconciler: Reconciler(spec: spec, observer: observer, executor: executor, logger: quiet),
                           claims: ClaimService(spec: spec, store: store, caller: caller, platform: platform,
                                                logger: quiet, requestTick: requestTick))
    }

    /// An idle instance of the current revision: its service (deployed, with a domain) and its record.
    @discardableResult
    func seedIdle(_ n: Int = 1) async throws -> [String] {
        let revision = await loop.runtime.spec.revision.hex
        var g = SplitMix64(seed: UInt64(platform.serviceCount + 1))
        var ids: [String] = []
        for id in InstanceNaming.ids(n, using: &g) {
            let service = platform.add(name: InstanceNaming.serviceName(prefix: Fixtures.prefix, instanceId: id))
            try await store.recordIntent(instanceId: id, serviceName: service.name, revision: revision, at: Date())
            try await store.recordStep(instanceId: id, step: .pinned, serviceId: service.serviceId)
            try await store.mark(instanceId: id, serviceId: service.serviceId, domain: service.domain, state: .idle, at: Date())
            ids.append(id)
        }
        return ids
    }
}

/// Every instance answers its status probe as idle.
struct AlwaysReady: StatusProber {
    func probeAll(_ targets: [(id: String, baseURL: String)]) async -> [String: ProbeResult] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0.id, .status(AgentStatus(usable: true, conversationId: nil))) })
    }
}

/// Services in memory, deployed at once. Listings can be held at a gate (a slow tick)
/// and are counted, with the most that ever ran at the same time.
final class MemoryPlatform: Platform, @unchecked Sendable {
    private let lock = NSLock()
    private var services: [PlatformService] = []
    private var next = 0
    private var gate: Gate?
    private var running = 0
    private var listed = 0
    private var mostConcurrent = 0
    private var delay: Duration = .zero
    private var failure: String?

    var listings: Int { lock.withLock { listed } }
    var mostConcurrentListings: Int { lock.withLock { mostConcurrent } }
    var listingDelay: Duration {
        get { lock.withLock { delay } }
        set { lock.withLock { delay = newValue } }
    }
    var listingFailure: String? {
        get { lock.withLock { failure } }
        set { lock.withLock { failure = newValue } }
    }

    var serviceCount: Int { lock.withLock { services.count } }
    var all: [PlatformService] { lock.withLock { services } }

    @discardableResult
    func add(name: String) -> PlatformService {
        lock.withLock {
            next += 1
            let s = PlatformService(serviceId: "svc-\(next)", name: name, createdAt: Date(timeIntervalSinceNow: -60),
                                    deployStatus: .success, deploymentId: "dep-\(next)", domain: "instance-\(next).test")
            services.append(s)
            return s
        }
    }

    /// Listings wait until `releaseListings()`.
    func holdListings() { lock.withLock { gate = Gate() } }
    func releaseListings() { lock.withLock { gate }?.open() }

    struct ListingFailed: Error, CustomStringConvertible { var description: String }

    /// What a listing returns is what existed when it started, however long it is held.
    func listServices() async throws -> [PlatformService] {
        let (gate, snapshot) = lock.withLock {
            listed += 1
            running += 1
            mostConcurrent = max(mostConcurrent, running)
            return (self.gate, services)
        }
        defer { lock.withLock { running -= 1 } }
        await gate?.wait()
        if listingDelay > .zero { try? await Task.sleep(for: listingDelay) }
        if let failure = listingFailure { throw ListingFailed(description: failure) }
        return snapshot
    }

    func createService(_ b: InstanceBlueprint) async throws -> String { add(name: b.name).serviceId }
    func configureService(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String {
        lock.withLock { services.first { $0.serviceId == serviceId }?.domain ?? "" }
    }
    func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func deleteService(serviceId: String) async throws { lock.withLock { services.removeAll { $0.serviceId == serviceId } } }
    func renameService(serviceId: String, to name: String) async throws {
        lock.withLock { if let k = services.firstIndex(where: { $0.serviceId == serviceId }) { services[k].name = name } }
    }
}

/// Claim calls in memory: they succeed, fail with a message, or wait at a gate.
final class StubCaller: ClaimCaller, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var failing: String?
    private var holding: Gate?

    /// Calls fail with this message.
    var failure: String? {
        get { lock.withLock { failing } }
        set { lock.withLock { failing = newValue } }
    }
    /// Calls wait at this gate.
    var gate: Gate? {
        get { lock.withLock { holding } }
        set { lock.withLock { holding = newValue } }
    }

    var callCount: Int { lock.withLock { calls } }

    func createConversation(baseURL: String, agentName: String, env: String, instructions: String,
                            timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        let (n, failure, gate) = lock.withLock { calls += 1; return (calls, failing, holding) }
        await gate?.wait()
        if let failure { return .failure(ClaimCallFailure(message: failure)) }
        return .success(ConversationBinding(conversationId: "conv-\(n)", inviteUrl: "https://dev.convos.org/v2?i=invite-\(n)"))
    }

    func join(baseURL: String, inviteUrl: String, agentName: String, env: String, instructions: String,
              timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        let binding = await createConversation(baseURL: baseURL, agentName: agentName, env: env,
                                               instructions: instructions, timeout: timeout)
        return binding.map { ConversationBinding(conversationId: $0.conversationId, inviteUrl: inviteUrl) }
    }
}

/// Holds tasks until opened; opening twice is harmless.
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let alreadyOpen = lock.withLock {
                if !isOpen { waiting.append(c) }
                return isOpen
            }
            if alreadyOpen { c.resume() }
        }
    }

    func open() {
        let released = lock.withLock { isOpen = true; defer { waiting = [] }; return waiting }
        for c in released { c.resume() }
    }
}

struct TimedOut: Error, CustomStringConvertible { var description: String }

/// Waits until `condition` holds, checking every 10 ms, for at most `seconds`.
func eventually(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try await !condition() {
        guard Date() < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var error: String? { json["error"] as? String }
}
