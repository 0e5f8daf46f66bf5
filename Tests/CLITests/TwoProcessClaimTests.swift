import Foundation
import Logging
import StandInAgent
import Store
import TestSupport
import Testing

/// Two `poolctl` processes claiming from one Postgres: the store's row lock, not any
/// in-process lock, keeps every instance to one claim.
@Suite struct TwoProcessClaimTests {
    static var postgres: String? {
        let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"]
        return (url ?? "").isEmpty ? nil : url
    }
    static var required: Bool { ProcessInfo.processInfo.environment["REQUIRE_POSTGRES"] == "1" }

    @Test(.enabled(if: postgres != nil || required, "TEST_DATABASE_URL is not set: run under scripts/with-postgres"))
    func fiveHundredClaimsFromTwoProcessesFiftyIdle() async throws {
        guard let url = Self.postgres else {
            Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run under scripts/with-postgres")
            return
        }
        let schema = "twoproc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let logger = quiet
        let store = try PostgresStore(url: url, options: .init(schema: schema, maximumConnections: 4), logger: logger)
        _ = try await store.migrate()
        // Real stand-in agents behind the instances, holding the key `bench claims` calls with.
        var agents: [StandInAgent] = []
        for _ in 0..<50 {
            let agent = StandInAgent(configuration: .init(apiKey: "bench-key", defaultXMTPEnv: "dev"), logger: logger)
            try await agent.start()
            agents.append(agent)
        }
        let now = Date()
        for k in 0..<50 {
            let id = String(format: "twop%08d", k)
            try await store.recordIntent(instanceId: id, serviceName: "convos-agent-\(id)", revision: "r", at: now)
            try await store.recordStep(instanceId: id, step: .pinned, serviceId: "svc-\(id)")
            try await store.mark(instanceId: id, serviceId: "svc-\(id)", domain: "127.0.0.1:\(agents[k].port!)", state: .idle, at: now)
        }
        await store.close()

        let args = ["bench", "claims", "--json", "--no-seed", "--postgres", url, "--schema", schema,
                    "--claims", "250", "--concurrency", "100", "--instances", "50"]
        async let a = Poolctl.runDetached(args)
        async let b = Poolctl.runDetached(args)
        let results: [Poolctl.Result]
        do { results = try await [a, b] } catch {
            for agent in agents { await agent.stop() }
            throw error
        }
        for agent in agents { await agent.stop() }
        struct Summary: Decodable { var claimed: [String]; var poolEmpty: Int; var failed: Int }
        var claimed: [String] = []
        var empty = 0
        for r in results {
            #expect(r.status == 0, "\(r.stderr)")
            let s = try JSONDecoder().decode(Summary.self, from: Data(r.stdout.utf8))
            #expect(s.failed == 0)
            claimed += s.claimed
            empty += s.poolEmpty
        }
        #expect(claimed.count == 50, "exactly 50 successes across both processes")
        #expect(Set(claimed).count == 50, "no instance claimed twice")
        #expect(empty == 450)
        #expect(!results.map(\.stdout).contains(""), "both processes answered")
    }
}
