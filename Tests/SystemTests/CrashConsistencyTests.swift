import AsyncHTTPClient
import Controller
import Foundation
import Logging
import Planning
import RailwayFake
import StandInAgent
import Store
import TestSupport
import Testing

/// SIGKILL of the real server at seeded random moments while it creates instances and
/// serves claims; a restart must converge within two ticks with no leaked or duplicate
/// service, and every claim answered 200 must stay recorded and never be handed out again.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CrashConsistencyTests {
    static let token = "acct-token-crash-3f9a"
    static let key = "pool-key-crash-s3cr3t"
    static let prefix = "convos-agent"
    static let minIdle = 3
    static let maxTotal = 8

    static let spec = RailwayFake.poolYAML([
        "minIdle": "\(minIdle)", "maxTotal": "\(maxTotal)", "createsPerTick": "\(maxTotal)", "tickInterval": "500ms",
    ])

    @Test(arguments: 1...20)
    func aKilledServerRestartsIntoAConsistentPool(seed: UInt64) async throws {
        var random = SplitMix64(seed: seed)
        let world = try await RailwayWithAgents.start(token: Self.token, apiKey: Self.key, agents: Self.maxTotal + 6,
                                                      phase: .milliseconds(100), clockStep: .milliseconds(50))
        defer { Task { await world.stop() } }
        let (fake, url) = (world.fake, world.url)
        // Each change takes effect on "Railway" at once but is answered late: a kill then
        // often lands between a change and the server recording it, the window that matters.
        let answerDelay = Duration.milliseconds(Int64(Int.random(in: 20...200, using: &random)))
        for operation in ["ServiceCreate", "ServiceInstanceConfigure", "ServiceDomainCreate", "ServiceConnect",
                          "ServiceDisconnect", "ServiceDelete", "ServiceRename"] {
            await fake.inject(.latency(answerDelay), operation: operation, times: 100_000)
        }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(seed)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let specPath = dir.appendingPathComponent("pool.yaml").path
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": Self.token, "POOL_API_KEY": Self.key,
                   "POOL_INSTANCE_SECRET": TestCredentials.secret,
                   "POOL_SQLITE_PATH": dir.appendingPathComponent("pool.sqlite").path]
        let args = ["serve", "--spec", specPath, "--env", "test", "--host", "127.0.0.1", "--port", "0", "--replica-id", "crash",
                    // The restarted process waits for its predecessor's lease to expire: keep it short.
                    "--lease-seconds", "2"]
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let http = ServeHTTP(http: client, key: Self.key)

        // Run: claims keep coming while the loop creates; killed at a random moment.
        let first = try ServeProcess(args, env: env)
        defer { first.stop() }
        try await eventually("listening", seconds: 60) { first.port != nil || !first.process.isRunning }
        let base = "http://127.0.0.1:\(try #require(first.port, "no port in: \(first.stderr)"))"
        let killAfter = Duration.milliseconds(Int64(Int.random(in: 300...4_000, using: &random)))
        let claimEvery = Duration.milliseconds(Int64(Int.random(in: 50...400, using: &random)))
        let answered = Answered()
        let claims = Task {
            var k = 0
            while !Task.isCancelled {
                k += 1
                let n = k
                Task { if let r = try? await http.claim(base, agent: "agent \(seed)-\(n)"), r.status == 200, let id = r.instanceId {
                    await answered.add(id)
                } }
                try? await Task.sleep(for: claimEvery)
            }
        }
        try await Task.sleep(for: killAfter)
        kill(first.process.processIdentifier, SIGKILL)
        claims.cancel()
        _ = await first.waitForExit(seconds: 10)
        // Answers already on their way are in; nothing can answer 200 any more.
        try await Task.sleep(for: .milliseconds(300))
        let claimedBefore = await answered.ids

        // Restart: two ticks later the pool is consistent.
        let second = try ServeProcess(args, env: env)
        defer { second.stop() }
        try await eventually("listening again", seconds: 60) { second.port != nil || !second.process.isRunning }
        let base2 = "http://127.0.0.1:\(try #require(second.port, "no port in: \(second.stderr)"))"
        // It leads once its predecessor's lease expires; two ticks as leader from then on.
        try await eventually("the restarted server leading", seconds: 30, every: .milliseconds(200)) {
            (try await http.getJSON(base2 + "/api/pool/status")["leader"] as? [String: Any])?["leading"] as? Bool == true
        }
        let ticksWhenLeading = Self.ticks(try await http.get(base2 + "/metrics"))
        try await eventually("two ticks after the restart", seconds: 30, every: .milliseconds(200)) {
            Self.ticks(try await http.get(base2 + "/metrics")) >= ticksWhenLeading + 2
        }
        // Never handed out again.
        for k in 0..<(Self.maxTotal + 2) {
            let r = try await http.claim(base2, agent: "after \(seed)-\(k)")
            if let id = r.instanceId { #expect(!claimedBefore.contains(id), "\(id) handed out twice; seed \(seed)") }
        }
        // A graceful stop finishes the tick in flight: then the store and Railway hold still.
        // (SIGTERM, then up to the server's own 20 s grace for the tick in flight.)
        second.process.terminate()
        let exit = await second.waitForExit(seconds: 30)
        #expect(exit == 0, "seed \(seed): exit \(String(describing: exit))\n\(second.stderr.suffix(3_000))")
        let context = "seed \(seed), killed after \(killAfter), answers \(answerDelay) late, \(claimedBefore.count) claims answered before\n\(second.stderr.suffix(3_000))"

        let store = try SQLiteStore(path: env["POOL_SQLITE_PATH"]!, logger: quiet)
        let records = try await store.instances()
        await store.close()
        let byService = Dictionary(records.compactMap { r in r.serviceId.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        let services = await fake.services(projectId: "project-1", environmentId: "environment-1")
            .filter { $0.name.hasPrefix(Self.prefix + "-") }
        #expect(Set(services.map(\.name)).count == services.count, "duplicate service names: \(services.map(\.name)); \(context)")
        #expect(services.count <= Self.maxTotal, "\(services.count) services; \(context)")
        for s in services {
            #expect(byService[s.id] != nil, "service \(s.name) (\(s.id)) is no instance's in the store: leaked; \(context)")
        }
        for r in records where r.serviceId != nil {
            #expect(services.contains { $0.id == r.serviceId }, "record \(r.instanceId) names service \(r.serviceId!), which is gone; \(context)")
        }
        for id in claimedBefore {
            let record = records.first { $0.instanceId == id }
            #expect(record?.claim == .claimed && record?.conversationId != nil,
                    "claim answered 200 for \(id) is not recorded: \(String(describing: record)); \(context)")
        }
    }

    /// The sum of `pool_ticks_total` over its labels.
    static func ticks(_ metrics: String) -> Int {
        metrics.split(separator: "\n").filter { $0.hasPrefix("pool_ticks_total{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0) { $0 + Int($1) }
    }
}

/// Instance ids of claims answered 200, from many tasks.
actor Answered {
    private(set) var ids: Set<String> = []
    func add(_ id: String) { ids.insert(id) }
}
