import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import LocalPlatform
import Logging
import Model
import Ports
import Spec
import StandInAgent
import Store

/// Claim overhead: the time a claim takes minus the time the agent itself took to answer
/// (the HTTP call to a stand-in agent), at several concurrencies and for each store.
struct ClaimBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "Measure claim overhead and throughput (SQLite, and Postgres when a URL is given).",
        discussion: """
        With --json, runs one round against an existing store (--no-seed: instances seeded with the
        domains of running stand-in agents) and prints which instances it claimed: the tests run two
        such processes against one Postgres.
        """)

    @Option(help: "Idle instances (and stand-in agents) per round.")
    var instances = 100

    @Option(help: "Comma-separated concurrencies.")
    var concurrency = "1,100"

    @Option(help: "Claims per round (default: one per instance).")
    var claims: Int?

    @Option(help: "Postgres URL for the Postgres rounds (default: TEST_DATABASE_URL).")
    var postgres: String?

    @Option(help: "Postgres schema to use (with --no-seed: the one the instances were seeded in).")
    var schema: String?

    @Flag(help: "Use the instances already in the store instead of seeding new ones.")
    var noSeed = false

    @Flag(help: "One round; print the claimed instance ids and counts as JSON.")
    var json = false

    func run() async throws {
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let postgres = self.postgres ?? ProcessInfo.processInfo.environment["TEST_DATABASE_URL"]
        let levels = concurrency.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !levels.isEmpty else { throw ValidationError("--concurrency needs positive numbers") }
        if json {
            guard let postgres, let schema else { throw ValidationError("--json needs --postgres and --schema") }
            let store = try PostgresStore(url: postgres, options: .init(schema: schema, maximumConnections: 20), logger: logger)
            let round = try await Round.run(store: store, instances: instances, claims: claims ?? instances,
                                            concurrency: levels[0], seed: !noSeed, warmUp: false, logger: logger)
            await store.close()
            print(String(decoding: try JSONEncoder().encode(round.summary), as: UTF8.self))
            return
        }
        print("store     concurrency  claims  overhead median ms  overhead p99 ms  claim median ms  claims/s")
        // A fresh store for each round.
        var stores: [(String, () throws -> any PoolStore)] = [("sqlite", {
            try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).sqlite").path,
                            logger: logger)
        })]
        if let postgres {
            stores.append(("postgres", {
                try PostgresStore(url: postgres, options: .init(schema: "bench_\(UInt32.random(in: 0...UInt32.max))", maximumConnections: 20),
                                  logger: logger)
            }))
        }
        for (name, make) in stores {
            for level in levels {
                let store = try make()
                _ = try await store.migrate()
                let r = try await Round.run(store: store, instances: instances, claims: claims ?? instances,
                                            concurrency: level, seed: true, logger: logger)
                await store.close()
                print(String(format: "%-8@  %11d  %6d  %18.2f  %15.2f  %15.2f  %8.0f", name as NSString, level, r.claimed.count,
                             r.overhead(0.5), r.overhead(0.99), r.total(0.5), r.throughput))
            }
        }
    }
}

/// One measured round of claims.
struct Round {
    struct Summary: Codable { var claimed: [String]; var poolEmpty: Int; var failed: Int }

    var claimed: [String]
    var poolEmpty: Int
    var failed: Int
    var overheads: [Double]
    var totals: [Double]
    var seconds: Double

    var summary: Summary { Summary(claimed: claimed, poolEmpty: poolEmpty, failed: failed) }
    var throughput: Double { Double(totals.count) / max(seconds, 1e-9) }
    func overhead(_ q: Double) -> Double { Self.quantile(overheads, q) }
    func total(_ q: Double) -> Double { Self.quantile(totals, q) }

    /// A running server's store has its connections open and its statements warm; a fresh
    /// one opens them on first use. Claims of throwaway instances (older than the measured
    /// ones, so taken first), straight on the store and unmeasured, warm it up.
    static func warmUp(_ store: any PoolStore, concurrency: Int) async throws {
        let now = Date().addingTimeInterval(-60)
        for k in 0..<concurrency {
            let id = String(format: "warm%07d", k)
            try await store.recordIntent(instanceId: id, serviceName: "convos-agent-\(id)", revision: "bench", at: now)
            try await store.mark(instanceId: id, serviceId: "svc-\(id)", domain: "warm.invalid", state: .idle, at: now)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<concurrency {
                group.addTask {
                    guard case .took(let r) = try await store.beginClaim(agentName: "warm \(k)", idempotencyKey: nil, at: now) else { return }
                    try await store.completeClaim(instanceId: r.instanceId, conversationId: "warm-\(k)", inviteUrl: nil, joined: false, at: now)
                }
            }
            try await group.waitForAll()
        }
    }

    static func quantile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))]
    }

    /// The key the stand-in agents of a round (and those a test seeds for `--no-seed`) accept.
    static let agentKey = "bench-key"

    static func run(store: any PoolStore, instances: Int, claims: Int, concurrency: Int, seed: Bool,
                    warmUp: Bool = true, logger: Logger) async throws -> Round {
        var agents: [StandInAgent] = []
        var domains: [String] = []
        if seed {
            for _ in 0..<instances {
                let a = StandInAgent(configuration: .init(apiKey: agentKey, defaultXMTPEnv: "dev"), logger: logger)
                domains.append("127.0.0.1:\(try await a.start())")
                agents.append(a)
            }
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let timed = TimedCaller(base: AgentClient(httpClient: http, scheme: "http", logger: logger))
        if seed {
            let now = Date()
            for (k, domain) in domains.enumerated() {
                let id = String(format: "bench%07d", k)
                try await store.recordIntent(instanceId: id, serviceName: "convos-agent-\(id)", revision: "bench", at: now)
                try await store.recordStep(instanceId: id, step: .pinned, serviceId: "svc-\(id)")
                try await store.mark(instanceId: id, serviceId: "svc-\(id)", domain: domain, state: .idle, at: now)
            }
        }
        if seed && warmUp { try await Self.warmUp(store, concurrency: concurrency) }
        let yaml = "environments:\n  bench:\n    platform: local\n    instanceScheme: http\n"
        let spec = try SpecLoader(processEnvironment: ScaleBench.specEnvironment)
            .load(text: yaml, file: "bench", environment: "bench").environment!
        // Through the composition root, on the platform the spec names (local: claims never
        // touch it, and an empty state folder starts no process).
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-claims-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let local = try await LocalPlatform(configuration: .init(apiKey: agentKey, stateDirectory: folder), logger: logger)
        defer { try? FileManager.default.removeItem(at: folder) }
        // The seeded records carry no secret version: their instances are called with the pool key.
        let service = try buildPoolRuntime(spec: spec, parts: PoolParts(store: store, platform: local, prober: nil, caller: timed,
                                                                       logger: logger, environment: ["POOL_API_KEY": agentKey])).claims
        let started = DispatchTime.now().uptimeNanoseconds
        let results = await withTaskGroup(of: (ClaimResult, Double).self) { group in
            var out: [(ClaimResult, Double)] = []
            var next = 0
            func launch() {
                let k = next
                next += 1
                group.addTask {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let r = await service.claim(ClaimRequest(agentName: "bench \(k)", instructions: "Benchmark."))
                    return (r, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                }
            }
            while next < min(concurrency, claims) { launch() }
            while let r = await group.next() {
                out.append(r)
                if next < claims { launch() }
            }
            return out
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        for a in agents { await a.stop() }
        await local.shutdown()
        try? await http.shutdown()
        var round = Round(claimed: [], poolEmpty: 0, failed: 0, overheads: [], totals: [], seconds: seconds)
        let callTimes = timed.durations
        for (r, ms) in results {
            switch r {
            case .claimed(let a):
                round.claimed.append(a.instanceId)
                round.totals.append(ms)
                round.overheads.append(ms - (callTimes[a.conversationId] ?? 0))
            case .poolEmpty: round.poolEmpty += 1
            default: round.failed += 1
            }
        }
        return round
    }
}

/// Records how long each claim call took, keyed by the conversation it bound, so the
/// agent's own time can be subtracted from the claim's.
final class TimedCaller: ClaimCaller, @unchecked Sendable {
    let base: any ClaimCaller
    private let lock = NSLock()
    private var byConversation: [String: Double] = [:]
    init(base: any ClaimCaller) { self.base = base }

    var durations: [String: Double] { lock.withLock { byConversation } }

    func createConversation(instanceId: String, baseURL: String, bearer: String, agentName: String, env: String,
                            instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = await base.createConversation(instanceId: instanceId, baseURL: baseURL, bearer: bearer, agentName: agentName,
                                              env: env, instructions: instructions, timeout: timeout)
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        if case .success(let b) = r { lock.withLock { byConversation[b.conversationId] = ms } }
        return r
    }

    func join(instanceId: String, baseURL: String, bearer: String, inviteUrl: String, agentName: String, env: String,
              instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        await base.join(instanceId: instanceId, baseURL: baseURL, bearer: bearer, inviteUrl: inviteUrl, agentName: agentName,
                        env: env, instructions: instructions, timeout: timeout)
    }
}
