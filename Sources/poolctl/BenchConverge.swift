import AgentClient
import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import Planning
import Logging
import RailwayFake
import Spec
import StandInAgent
import Store

/// From an empty environment to `minIdle` idle instances on the fake Railway with its
/// build delay, at the default tick interval and pacing, on a simulated clock (each tick
/// advances the fake by one tick interval); then a steady hour's Railway calls.
struct ConvergeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "converge", abstract: "Ticks and pool time from empty to minIdle, Railway calls per created instance and per steady hour.")

    @Option(help: "minIdle of the pool (maxTotal is twice that).")
    var minIdle = 10

    @Option(help: "Seconds a fake build takes (queued, building and deploying together).")
    var buildSeconds = 80

    func run() async throws {
        guard minIdle > 0, buildSeconds >= 3 else { throw ValidationError("--min-idle > 0 and --build-seconds >= 3") }
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let agents = StandInMultiplexer(apiKey: ScaleBench.key, logger: logger)
        let agentPort = try await agents.start()
        let third = Duration.milliseconds(buildSeconds * 1000 / 3)
        var configuration = RailwayFake.Configuration(accountTokens: [ScaleBench.token],
                                                      phases: FakePhaseDurations(queued: third, building: third, deploying: third),
                                                      epoch: Date())
        configuration.agentDomains = (0..<(4 * minIdle)).map { "\(StandInMultiplexer.address(of: $0)):\(agentPort)" }
        let fake = try RailwayFake(configuration: configuration)
        let url = try await fake.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-converge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let specPath = dir.appendingPathComponent("pool.yaml").path
        try RailwayFake.poolYAML(["minIdle": "\(minIdle)", "maxTotal": "\(2 * minIdle)"], environment: "bench")
            .write(toFile: specPath, atomically: true, encoding: .utf8)
        let spec = try PoolContext.loadSpec(path: specPath, name: "bench", environment: ScaleBench.specEnvironment)
        let store = try SQLiteStore(path: dir.appendingPathComponent("pool.sqlite").path, logger: logger)
        _ = try await store.migrate()
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)
        let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": ScaleBench.token]
        let client = AgentClient(httpClient: http, scheme: "http", logger: logger)
        let reconciler = try buildPoolRuntime(spec: spec, parts: PoolParts(
            store: store, platform: try PoolContext.makePlatform(spec, env: env),
            prober: SharedKeyProber(base: client, key: ScaleBench.key), caller: client,
            logger: logger, environment: env)).reconciler
        let interval = spec.settings.tickInterval
        let started = DispatchTime.now().uptimeNanoseconds
        var ticks = 0
        var converged = false
        while ticks < 1_000 && !converged {
            let tick = await reconciler.tick()
            ticks += 1
            converged = tick.plan.counts[.idle] == minIdle && !tick.plan.hasChanges
            if !converged { await fake.advance(by: .milliseconds(Int64(interval * 1000))) }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let creates = await fake.calls(of: "ServiceCreate")
        let total = await fake.calls.count
        let listings = await fake.calls(of: "EnvironmentServices")
        print("minIdle \(minIdle), build \(buildSeconds) s, tick every \(Int(interval)) s, \(spec.settings.createsPerTick) creates per tick:")
        print("  converged: \(converged) after \(ticks) ticks = \(Int(Double(ticks - 1) * interval)) s of pool time (computed in \(String(format: "%.2f", wall)) s)")
        print("  Railway calls: \(total) in all, \(listings) listings, \(total - listings) for \(creates) created instances = \(String(format: "%.1f", Double(total - listings) / Double(max(creates, 1)))) per instance")

        // A steady hour at the default tick: every call counted.
        let before = await fake.calls.count
        let hourTicks = Int(3600 / interval)
        for _ in 0..<hourTicks {
            _ = await reconciler.tick()
            await fake.advance(by: .milliseconds(Int64(interval * 1000)))
        }
        let perHour = await fake.calls.count - before
        print("  steady hour: \(hourTicks) ticks, \(perHour) Railway calls (one listing per tick); a 1 + N pattern would make \(hourTicks * (1 + minIdle))")
        try? await http.shutdown()
        await store.close()
        await fake.stop()
        await agents.stop()
    }
}
