import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import Logging
import Model
import Planning
import Railway
import RailwayFake
import Spec
import StandInAgent
import Store

/// The controller at scale, against the fake Railway and a thousand stand-in agents
/// multiplexed on one port: a full tick's wall time and Railway calls, the resident memory
/// of `poolctl serve` holding the pool, and the Railway call economy.
struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale", abstract: "Full ticks over N running instances, and the memory of poolctl serve holding them.")

    @Option(help: "Running (idle) instances in the pool.")
    var instances = 1_000

    @Option(help: "Timed ticks (after one warm-up tick).")
    var ticks = 10

    @Flag(help: "Skip starting poolctl serve to measure its memory.")
    var noServe = false

    @Flag(help: "Run the stand-in agents in a process of their own (needed past about 9,500 instances under an open-file limit of 20,000).")
    var agentsProcess = false

    static let token = "bench-railway-token"
    static let key = "bench-pool-key"
    /// The seeded instances are recorded without a secret version, as instances made
    /// before instance tokens: they are called with `key`, which the multiplexer accepts.
    static let instanceSecret = "bench-instance-secret-0123456789abcdef"
    static let specEnvironment = ["POOL_INSTANCE_SECRET": instanceSecret]

    func run() async throws {
        guard instances > 0, instances <= 60_000, ticks > 0 else { throw ValidationError("--instances 1...60000 and --ticks > 0") }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let (agents, agentPort) = try await BenchAgents.start(ownProcess: agentsProcess, apiKey: Self.key, logger: logger)
        let fake = try RailwayFake(configuration: .init(accountTokens: [Self.token], epoch: Date()))
        let url = try await fake.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-scale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let specPath = dir.appendingPathComponent("pool.yaml").path
        try Self.specText(instances: instances).write(toFile: specPath, atomically: true, encoding: .utf8)
        let spec = try PoolContext.loadSpec(path: specPath, name: "bench", environment: Self.specEnvironment)
        let storePath = dir.appendingPathComponent("pool.sqlite").path
        try await Self.seed(instances: instances, spec: spec, fake: fake, agentPort: agentPort, storePath: storePath)

        // Ticks in this process, timed one by one.
        let store = try SQLiteStore(path: storePath, logger: logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": Self.token, "POOL_API_KEY": Self.key]
        let platform = try PoolContext.makePlatform(spec, env: env)
        let client = AgentClient(httpClient: http, scheme: "http", logger: logger)
        let reconciler = try buildPoolRuntime(spec: spec, parts: PoolParts(
            store: store, platform: platform, prober: client, caller: client, logger: logger, environment: env)).reconciler
        var wall: [Double] = []
        var calls: [Int] = []
        var storeOperations: [String: Int] = [:]
        var last: TickResult?
        for k in 0...ticks {
            let before = await fake.calls.count
            let operationsBefore = store.operationCounts
            let t0 = DispatchTime.now().uptimeNanoseconds
            let tick = await reconciler.tick()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            if k > 0 {
                wall.append(ms)
                calls.append(await fake.calls.count - before)
                storeOperations = store.operationCounts.merging(operationsBefore) { $0 - $1 }.filter { $0.value != 0 }
            }
            last = tick
        }
        try? await http.shutdown()
        await store.close()
        let idle = last?.plan.counts[.idle] ?? 0
        let changes = last?.plan.hasChanges ?? true
        print("instances \(instances): tick wall median \(fmt(Round.quantile(wall, 0.5))) ms, min \(fmt(wall.min() ?? 0)) ms, max \(fmt(wall.max() ?? 0)) ms over \(ticks) ticks")
        print("  Railway calls per tick: \(Set(calls).sorted()) (pages of 500 services); idle \(idle); plan changes: \(changes)")
        print("  store operations in the last tick: \(storeOperations.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        if idle != instances || changes {
            print("  warning: the pool is not steady (expected \(instances) idle and no changes)")
        }

        if !noServe {
            let rss = try await Self.serveMemory(specPath: specPath, storePath: storePath, railwayURL: url, instances: instances)
            func mib(_ kib: Int) -> String { String(format: "%.1f MiB", Double(kib) / 1024) }
            print("poolctl serve holding \(instances) instances after \(rss.ticks) ticks: resident \(mib(rss.rss)) "
                  + "(heap and stacks \(mib(rss.anonymous)), mapped files \(mib(rss.file))), peak \(mib(rss.peak))")
        }
        await fake.stop()
        await agents.stop()
    }

    func fmt(_ x: Double) -> String { String(format: "%.1f", x) }

    static func specText(instances: Int) -> String {
        RailwayFake.poolYAML(["minIdle": "\(instances)", "maxTotal": "\(instances)", "tickInterval": "2s"], environment: "bench")
    }

    /// A pool already built: N services running on the fake, each an idle record in the
    /// store whose domain is one of the multiplexed agents.
    static func seed(instances: Int, spec: EnvironmentSpec, fake: RailwayFake, agentPort: Int, storePath: String) async throws {
        var g = SystemRandomNumberGenerator()
        let ids = InstanceNaming.ids(instances, using: &g)
        let names = ids.map { InstanceNaming.serviceName(prefix: spec.prefix, instanceId: $0) }
        let domains = (0..<instances).map { "\(StandInMultiplexer.address(of: $0)):\(agentPort)" }
        let serviceIds = await fake.addDeployedServices(names: names, domains: domains, projectId: "project-1", environmentId: "environment-1")
        let store = try SQLiteStore(path: storePath, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try await store.migrate()
        let now = Date()
        for k in 0..<instances {
            try await store.recordIntent(instanceId: ids[k], serviceName: names[k], revision: spec.revision.hex, at: now)
            try await store.recordStep(instanceId: ids[k], step: .pinned, serviceId: serviceIds[k])
            try await store.mark(instanceId: ids[k], serviceId: serviceIds[k], domain: domains[k], state: .idle, at: now)
        }
        await store.close()
    }

    /// Starts `poolctl serve` on the seeded store and fake, waits for a few ticks, and reads
    /// its resident memory (current and peak) from /proc, in KiB.
    static func serveMemory(specPath: String, storePath: String, railwayURL: String,
                            instances: Int) async throws -> (rss: Int, peak: Int, anonymous: Int, file: Int, ticks: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["serve", "--spec", specPath, "--env", "bench", "--host", "127.0.0.1", "--port", "0", "--replica-id", "bench"]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("bench-serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        process.standardError = handle
        process.standardOutput = FileHandle.nullDevice
        var environment = ["PATH": "/usr/bin:/bin", "RAILWAY_API_URL": railwayURL, "RAILWAY_API_TOKEN": token,
                           "POOL_API_KEY": key, "POOL_INSTANCE_SECRET": instanceSecret, "POOL_SQLITE_PATH": storePath, "NO_COLOR": "1"]
        // The allocator's tuning, as the manager's image sets it (Dockerfile).
        if let arenas = ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] { environment["MALLOC_ARENA_MAX"] = arenas }
        process.environment = environment
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        // Three ticks that observed the whole pool: the tick log line counts them.
        let deadline = Date().addingTimeInterval(120)
        var ticks = 0
        while Date() < deadline && process.isRunning {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            ticks = text.components(separatedBy: "idle=\(instances)").count - 1
            if ticks >= 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        guard ticks >= 3 else {
            throw CLIError("poolctl serve did not tick over the pool: \((try? String(contentsOf: log, encoding: .utf8))?.suffix(2_000) ?? "")")
        }
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        func kib(_ field: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? -1
        }
        return (kib("VmRSS"), kib("VmHWM"), kib("RssAnon"), kib("RssFile"), ticks)
    }
}
