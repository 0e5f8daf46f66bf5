import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import Logging
import Model
import Observers
import Planning
import Ports
import Railway
import RailwayFake
import Spec
import StandInAgent
import Store

/// Images and placements on the fake Railway, in simulated time (each tick advances the
/// fake and the pool's clock by one tick interval): Railway calls and deploys per created
/// instance in each placement, empty to minIdle under Railway's projectCreate pace, calls
/// per steady tick over projects of their own, and projectCreate calls per rollout with
/// and without reuse of kept projects.
struct PlacementBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "placement", abstract: "Calls, deploys and pool time of image pools in each placement.")

    @Option(help: "minIdle of the pools filled and rolled.")
    var minIdle = 10

    @Option(help: "Projects of their own for the steady-tick figure.")
    var projects = 1_000

    @Option(help: "Seconds Railway's projectCreate pace allows one project per token.")
    var pace = 30

    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)
    /// Queued then deploying: an image deploy is not built (20 s in all).
    static let phases = FakePhaseDurations(queued: .seconds(5), building: .seconds(60), deploying: .seconds(15))

    func run() async throws {
        guard minIdle > 0, projects > 0, pace > 0 else { throw ValidationError("--min-idle, --projects and --pace must be positive") }
        print("Calls and deploys per created instance, empty to minIdle \(minIdle) (tick 30 s):")
        for (label, placement, image) in [("repo, shared project", Placement.sharedProject, false),
                                          ("image, shared project", .sharedProject, true),
                                          ("image, project per instance", .projectPerInstance, true)] {
            let pool = try await SimulatedPool.make(placement: placement, image: image, minIdle: minIdle, maxTotal: 2 * minIdle,
                                                    tick: 30, pace: pace)
            let (converged, ticks) = await pool.converge(idle: minIdle)
            let calls = await pool.fake.calls.count - (await pool.listingCalls)
            let deploys = await pool.fake.deploysStarted
            print(String(format: "  %-28@ %@ after %3d ticks: %5.2f calls and %4.2f deploys per instance",
                         label as NSString, converged ? "converged" : "NOT converged", ticks,
                         Double(calls) / Double(minIdle), Double(deploys) / Double(minIdle)))
            await pool.close()
        }

        print("\nEmpty to minIdle \(minIdle), project per instance, projectCreate paced at \(pace) s, an image deploy of 20 s:")
        let floor = Double((minIdle - 1) * pace + 20)
        for tick in [30.0, 10.0, 5.0] {
            let pool = try await SimulatedPool.make(placement: .projectPerInstance, image: true, minIdle: minIdle,
                                                    maxTotal: 2 * minIdle, tick: tick, pace: pace, createsPerTick: minIdle)
            let (converged, ticks) = await pool.converge(idle: minIdle, limit: 2_000)
            let seconds = Double(ticks - 1) * tick
            print(String(format: "  tick %4.0f s: %@ in %5.0f s of pool time; floor (%d × %d s + one deploy) %4.0f s, %.2f× the floor; %d projectCreate refused",
                         tick, converged ? "idle" : "NOT idle", seconds, minIdle - 1, pace, floor, seconds / floor,
                         await pool.fake.projectCreatesPaced))
            await pool.close()
        }

        print("\nRailway calls per steady tick, \(projects) running instances (5 ticks each, median tick time):")
        var baseline = 0.0
        for (label, placement, pageSize) in [("shared project (baseline)", Placement.sharedProject, 500),
                                             ("a project each, 50 per page", .projectPerInstance, 50),
                                             ("a project each, 100 per page", .projectPerInstance, 100)] {
            let pool = try await SimulatedPool.make(placement: placement, image: true, minIdle: projects, maxTotal: projects,
                                                    tick: 30, pace: pace, projectPageSize: pageSize, serviceCap: projects + 1)
            try await pool.seedRunning(projects)
            _ = await pool.tick()  // marks them idle
            let before = await pool.fake.calls.count
            var actions = 0
            var wall: [Double] = []
            for _ in 0..<5 {
                let started = DispatchTime.now().uptimeNanoseconds
                actions += await pool.tick().plan.actions.count
                wall.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            }
            wall.sort()
            if placement == .sharedProject { baseline = wall[2] }
            let perTick = Double(await pool.fake.calls.count - before) / 5
            print(String(format: "  %-30@ %4.1f calls per tick, tick median %4.0f ms (%.2f× the baseline; range %.0f to %.0f ms), %d actions planned",
                         label as NSString, perTick, wall[2], wall[2] / baseline, wall[0], wall[4], actions))
            await pool.close()
        }
        print("  (one call per instance would be \(projects + 1) calls per tick)")

        print("\nprojectCreate calls for a rollout of \(minIdle) idle instances (a moved tag), project per instance:")
        for (label, spare) in [("one spare (maxTotal minIdle + 1)", 1), ("surge room (maxTotal 2 × minIdle)", minIdle)] {
            for reuse in [true, false] {
                let pool = try await SimulatedPool.make(placement: .projectPerInstance, image: true, minIdle: minIdle,
                                                        maxTotal: minIdle + spare, tick: 30, pace: pace, createsPerTick: minIdle,
                                                        reuse: reuse)
                _ = await pool.converge(idle: minIdle, limit: 2_000)
                let created = await pool.fake.projectsCreated
                await pool.moveTag()
                let (done, ticks) = await pool.converge(idle: minIdle, limit: 2_000, current: true)
                print(String(format: "  %-34@ reuse %@: %2d projectCreate, %@ in %4d s of pool time",
                             label as NSString, reuse ? "on " : "off", await pool.fake.projectsCreated - created,
                             done ? "rolled" : "NOT rolled", (ticks - 1) * 30))
                await pool.close()
            }
        }
    }
}

/// A pool on the fake Railway in simulated time.
struct SimulatedPool {
    /// Railway, whose clock the pool's `time` follows tick by tick.
    let fake: RailwayFake
    let store: any PoolStore
    let time: SimulatedTime
    let tickSeconds: Double
    /// Holds pool.yaml and the SQLite file; removed by `close()`.
    let dir: URL
    let spec: EnvironmentSpec
    /// What `moveTag()` rebuilds the runtime from, as the image watch does.
    let parts: PoolParts
    let runtime: Box

    final class Box: @unchecked Sendable {
        var runtime: PoolRuntime
        init(_ r: PoolRuntime) { runtime = r }
    }

    final class SimulatedTime: @unchecked Sendable {
        private let lock = NSLock()
        private var at: Date
        init(_ start: Date) { at = start }
        var now: Date { lock.withLock { at } }
        func advance(_ s: Double) { lock.withLock { at = at.addingTimeInterval(s) } }
    }

    /// Stand-in agents behind one port, as the other benchmarks run them: instance k of
    /// the fake's creates answers at `address(of: k)`, seeded instances from `seededFrom` on.
    let agents: BenchAgents
    let agentPort: Int
    let http: HTTPClient
    static let seededFrom = 20_000

    static func make(placement: Placement, image: Bool, minIdle: Int, maxTotal: Int, tick: Double, pace: Int,
                     createsPerTick: Int = 3, projectPageSize: Int = 50, reuse: Bool = true,
                     serviceCap: Int = 100, webhooks: Bool = false, agentsProcess: Bool = false) async throws -> SimulatedPool {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let epoch = Date(timeIntervalSince1970: 1_800_000_000)
        let (agents, agentPort) = try await BenchAgents.start(ownProcess: agentsProcess, apiKey: ScaleBench.key, logger: logger)
        var configuration = RailwayFake.Configuration(accountTokens: [ScaleBench.token], phases: PlacementBench.phases, epoch: epoch)
        configuration.agentDomains = (0..<(4 * maxTotal)).map { "\(StandInMultiplexer.address(of: $0)):\(agentPort)" }
        configuration.projectCreateInterval = .seconds(pace)
        let fake = try RailwayFake(configuration: configuration)
        let url = try await fake.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-placement-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let railway = placement == .sharedProject
            ? "{projectId: \(RailwayFake.projectId), environmentId: \(RailwayFake.environmentId), maxServicesPerProject: \(serviceCap)}"
            : "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId), projectCreateInterval: \(pace)s}"
        let yaml = RailwayFake.poolYAML(["minIdle": "\(minIdle)", "maxTotal": "\(maxTotal)", "createsPerTick": "\(createsPerTick)",
                                         "tickInterval": "\(Int(tick))s"],
                                        environment: "bench", railway: railway, source: image ? "{image: \"ghcr.io/acme/runtime:bench\"}" : nil)
        let path = dir.appendingPathComponent("pool.yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        var spec = try PoolContext.loadSpec(path: path, name: "bench", environment: ScaleBench.specEnvironment)
        if image { spec.imageDigest = PlacementBench.digestA }
        spec.railway.reuseEmptyProjects = reuse
        let store = try SQLiteStore(path: dir.appendingPathComponent("pool.sqlite").path, logger: logger)
        _ = try await store.migrate()
        let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": ScaleBench.token]
        let time = SimulatedTime(epoch)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let client = AgentClient(httpClient: http, scheme: "http", logger: logger)
        // Claims are not part of this benchmark: the caller is never called.
        var parts = PoolParts(store: store, platform: try Self.platform(spec, env: env, projectPageSize: projectPageSize),
                              prober: SharedKeyProber(base: client, key: ScaleBench.key), caller: client, logger: logger,
                              environment: env, clock: { time.now })
        // With webhooks, ticks may reuse the last listing and carry probe answers.
        if webhooks { parts.observationCache = ObservationCache() }
        let runtime = try buildPoolRuntime(spec: spec, parts: parts)
        return SimulatedPool(fake: fake, store: store, time: time, tickSeconds: tick, dir: dir, spec: spec, parts: parts,
                             runtime: Box(runtime), agents: agents, agentPort: agentPort, http: http)
    }

    static func platform(_ spec: EnvironmentSpec, env: [String: String], projectPageSize: Int) throws -> any Platform {
        guard let railway = try PoolContext.makePlatform(spec, env: env) as? RailwayPlatform else { throw ValidationError("not Railway") }
        var config = railway.client.config
        config.projectPageSize = projectPageSize
        config.rateLimit = RailwayRateLimit(perSecond: 100_000, perHour: 10_000_000)
        return RailwayPlatform(client: RailwayClient(config: config))
    }

    var listingCalls: Int {
        get async { await fake.calls(of: "EnvironmentServices") + (await fake.calls(of: "WorkspaceProjectServices")) }
    }

    func tick() async -> TickResult { await runtime.runtime.reconciler.tick() }

    /// Ticks, advancing one tick interval between them, until `idle` idle instances (of the
    /// current revision, with `current`) and nothing planned. Returns whether, and the ticks.
    func converge(idle: Int, limit: Int = 500, current: Bool = false) async -> (Bool, Int) {
        for n in 1...limit {
            let t = await tick()
            let ok = t.plan.counts[.idle] == idle && !t.plan.hasChanges && (!current || t.plan.counts.outdated == 0)
            if ok { return (true, n) }
            time.advance(tickSeconds)
            await fake.advance(by: .milliseconds(Int64(tickSeconds * 1000)))
        }
        return (false, limit)
    }

    /// The tag moves: the runtime is rebuilt with the new digest, as the image watch does.
    func moveTag() async {
        var spec = runtime.runtime.spec
        spec.imageDigest = PlacementBench.digestB
        runtime.runtime = try! buildPoolRuntime(spec: spec, parts: parts)
    }

    /// `n` running instances, each in a project of its own (or all in the shared project),
    /// recorded as the pool made them.
    func seedRunning(_ n: Int) async throws {
        var g = SplitMix64(seed: 12)
        let ids = InstanceNaming.ids(n, using: &g)
        let names = ids.map { InstanceNaming.serviceName(prefix: spec.prefix, instanceId: $0) }
        let domains = (0..<n).map { "\(StandInMultiplexer.address(of: Self.seededFrom + $0)):\(agentPort)" }
        if spec.railway.placement == .projectPerInstance {
            _ = await fake.addProjectsWithServices(names: names, workspaceId: RailwayFake.workspaceId, image: spec.pinnedImage ?? "",
                                                   environmentName: spec.name, domains: domains)
        } else {
            _ = await fake.addDeployedServices(names: names, domains: domains,
                                               projectId: RailwayFake.projectId, environmentId: RailwayFake.environmentId)
        }
        let services = Dictionary(uniqueKeysWithValues: await fake.allServices.map { ($0.name, $0.id) })
        for (id, name) in zip(ids, names) {
            try await store.recordIntent(instanceId: id, serviceName: name, revision: spec.revision.hex, tokenVersion: 1, at: time.now)
            try await store.recordStep(instanceId: id, step: .pinned, serviceId: services[name])
        }
    }

    func close() async {
        await store.close()
        await fake.stop()
        await agents.stop()
        try? await http.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }
}
