import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RailwayFake
import StandInAgent
import TestSupport
import Testing

/// Three `poolctl serve` replicas on one Postgres, a fake Railway and stand-in agents: one
/// leads and acts, all serve claims, and a SIGKILLed leader is replaced within its lease.
@Suite(.timeLimit(.minutes(5))) struct ReplicaTests {
    static let token = "acct-token-replicas-5c1e"
    static let key = "pool-key-replicas-s3cr3t"
    static let idle = 50
    static let leaseSeconds = 3.0

    static let spec = RailwayFake.poolYAML([
        "minIdle": "\(idle)", "maxTotal": "\(idle)", "createsPerTick": "\(idle)", "tickInterval": "1s",
    ])

    struct Replica {
        var name: String
        var process: ServeProcess
        var base: String
    }

    @Test(.enabled(if: OutageWorld.postgresWillRun, "TEST_DATABASE_URL is not set: run under scripts/with-postgres"))
    func oneLeaderActsEveryReplicaClaimsAndAKilledLeaderIsReplaced() async throws {
        let database = try #require(ProcessInfo.processInfo.environment["TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 },
                                    "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        let world = try await RailwayWithAgents.start(token: Self.token, apiKey: Self.key, agents: Self.idle,
                                                      phase: .milliseconds(200))
        defer { Task { await world.stop() } }
        let (fake, url) = (world.fake, world.url)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let specPath = dir.appendingPathComponent("pool.yaml").path
        try Self.spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": Self.token, "POOL_API_KEY": Self.key,
                   "POOL_INSTANCE_SECRET": TestCredentials.secret,
                   "DATABASE_URL": database, "POOL_DATABASE_SCHEMA": "replicas_\(UInt32.random(in: 0...UInt32.max))"]
        var replicas: [Replica] = []
        defer { for r in replicas { r.process.stop() } }
        for k in 0..<3 {
            let process = try ServeProcess(["serve", "--spec", specPath, "--env", "test", "--host", "127.0.0.1", "--port", "0",
                                            "--replica-id", "r\(k)", "--lease-seconds", "\(Self.leaseSeconds)"], env: env)
            try await eventually("replica r\(k) listening", seconds: 60) { process.port != nil || !process.process.isRunning }
            let port = try #require(process.port, "no port in: \(process.stderr)")
            replicas.append(Replica(name: "r\(k)", process: process, base: "http://127.0.0.1:\(port)"))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let http = ServeHTTP(http: client, key: Self.key)

        // The pool fills: the leader creates; every replica sees it.
        do {
            try await eventually("\(Self.idle) idle instances", seconds: 150, every: .milliseconds(200)) {
                try await http.get(replicas[0].base + "/api/pool/counts").contains("\"idle\":\(Self.idle)")
            }
        } catch {
            let counts = (try? await http.get(replicas[0].base + "/api/pool/counts")) ?? "?"
            let creates = await fake.calls(of: "ServiceCreate")
            let logs = replicas.map { "\($0.name):\n\($0.process.stderr.suffix(3_000))" }.joined(separator: "\n")
            Issue.record("counts: \(counts); creates: \(creates)\n\(logs)")
            throw error
        }
        let leaders = try await Self.leaders(http, replicas)
        #expect(leaders.count == 1, "exactly one replica leads: \(leaders)")
        let leader = try #require(leaders.first)
        #expect(await fake.calls(of: "ServiceCreate") == Self.idle, "no service created twice")
        let metrics = try await http.get(replicas.first { $0.name == leader }!.base + "/metrics")
        #expect(metrics.contains("pool_leader{replica=\"\(leader)\"} 1"), "\(metrics.prefix(2_000))")

        // 500 claims at once, spread over the three replicas.
        let outcomes = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for k in 0..<500 {
                let base = replicas[k % replicas.count].base
                group.addTask { try await http.claim(base, agent: "agent \(k)") }
            }
            return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
        }
        let claimed = outcomes.filter { $0.0 == 200 }.compactMap(\.1)
        #expect(claimed.count == Self.idle, "statuses: \(Dictionary(grouping: outcomes, by: \.0).mapValues(\.count))")
        #expect(Set(claimed).count == claimed.count, "no instance handed out twice")
        #expect(outcomes.filter { $0.0 == 503 }.count == 500 - Self.idle)

        // The leader dies without a word; another takes over within the lease.
        let killedAt = Date()
        let dead = replicas.first { $0.name == leader }!
        kill(dead.process.process.processIdentifier, SIGKILL)
        _ = await dead.process.waitForExit(seconds: 10)
        let survivors = replicas.filter { $0.name != leader }
        var next: [String] = []
        try await eventually("a new leader", seconds: 30, every: .milliseconds(200)) {
            next = try await Self.leaders(http, survivors)
            return next.count == 1
        }
        let handover = Date().timeIntervalSince(killedAt)
        #expect(handover < Self.leaseSeconds + 2, "took \(handover) s")

        // Nothing created twice (the pool is full of claimed instances), and the actions
        // of the audit log come from one replica, then the other: never interleaved.
        try await Task.sleep(for: .seconds(2))
        #expect(await fake.calls(of: "ServiceCreate") == Self.idle)
        let names = await fake.services(projectId: "project-1", environmentId: "environment-1").map(\.name)
        #expect(Set(names).count == names.count)
        let events = try await Self.actionReplicas(http, survivors[0].base)
        #expect(events.count >= Self.idle)
        var runs: [String] = []
        for r in events where runs.last != r { runs.append(r) }
        #expect(runs.count <= 2 && runs.first == leader && Set(runs).count == runs.count,
                "acting replicas in order: \(runs)")
        #expect(runs.count < 2 || runs[1] == next[0])
        for r in replicas { #expect(!r.process.stderr.contains(Self.key) && !r.process.stderr.contains(Self.token)) }
    }

    /// The replicas whose status says they lead.
    static func leaders(_ http: ServeHTTP, _ replicas: [Replica]) async throws -> [String] {
        var out: [String] = []
        for r in replicas {
            let body = try await http.get(r.base + "/api/pool/status", auth: true)
            let status = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            let leader = status?["leader"] as? [String: Any]
            #expect(leader?["replica"] as? String == r.name)
            if leader?["leading"] as? Bool == true { out.append(r.name) }
        }
        return out
    }

    /// The replica of each create, delete and rename event, oldest first.
    static func actionReplicas(_ http: ServeHTTP, _ base: String) async throws -> [String] {
        let body = try await http.get(base + "/api/pool/events?limit=500", auth: true)
        let page = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let events = page?["events"] as? [[String: Any]] ?? []
        return events.reversed().filter { ["create", "delete", "rename"].contains($0["kind"] as? String ?? "") }
            .map { $0["replica"] as? String ?? "none" }
    }
}
