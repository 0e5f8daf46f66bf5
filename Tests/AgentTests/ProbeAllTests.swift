import AgentClient
import Model
import Ports
import StandInAgent
import Testing

/// `probeAll` over many stand-ins: bounded concurrency, and one hang costs one timeout.
@Suite(.serialized, .timeLimit(.minutes(1))) struct ProbeAllTests {
    let client = makeClient()

    /// Starts one stand-in per configuration, runs `body` with them, stops them all.
    func withStandIns<T>(_ configurations: [StandInConfiguration],
                         _ body: ([StandInAgent]) async throws -> T) async throws -> T {
        var agents: [StandInAgent] = []
        for configuration in configurations {
            let agent = StandInAgent(configuration: configuration)
            try await agent.start()
            agents.append(agent)
        }
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body(agents)) } catch { outcome = .failure(error) }
        await withTaskGroup(of: Void.self) { group in
            for agent in agents { group.addTask { await agent.stop() } }
        }
        return try outcome.get()
    }

    func targets(_ agents: [StandInAgent]) -> [ProbeTarget] {
        agents.enumerated().map { ProbeTarget(id: "instance-\($0.offset)", baseURL: $0.element.baseURL!, bearer: testKey) }
    }

    @Test func answersEveryTargetById() async throws {
        try await withStandIns(Array(repeating: .init(apiKey: testKey), count: 5)) { agents in
            agents[2].state.setFailure(.html)
            let results = await client.probeAll(targets(agents), timeout: .seconds(2))
            #expect(results.count == 5)
            #expect(results["instance-2"] == .notJSON("text/html; charset=utf-8"))
            #expect(results["instance-0"] == .status(AgentStatus(usable: true, conversationId: nil, streaming: false)))
        }
    }

    /// 16 answers of 1 s each, 4 at a time, take 4 rounds: about 4 s, not 1 s.
    @Test func keepsAtMostConcurrencyInFlight() async throws {
        let slow = StandInConfiguration(apiKey: testKey, latency: .seconds(1))
        try await withStandIns(Array(repeating: slow, count: 16)) { agents in
            let (results, elapsed) = await seconds { await client.probeAll(targets(agents), concurrency: 4, timeout: .seconds(5)) }
            #expect(results.values.allSatisfy { if case .status = $0 { true } else { false } })
            // At least 4 rounds (the limit holds); far under 16 sequential ones (16 s), with
            // room for a loaded machine.
            #expect(elapsed >= 3.9 && elapsed < 12, "16 × 1 s at concurrency 4 took \(elapsed) s")
        }
    }

    @Test func hundredInstancesInWellUnderASecond() async throws {
        try await withStandIns(Array(repeating: .init(apiKey: testKey), count: 100)) { agents in
            let (results, elapsed) = await seconds { await client.probeAll(targets(agents), timeout: .seconds(2)) }
            #expect(results.values.filter { if case .status = $0 { true } else { false } }.count == 100)
            // Sequential probes, or batches waiting on their slowest, would take rounds of the
            // 2 s timeout; a loaded machine still answers in well under that.
            #expect(elapsed < 7.5, "probing 100 stand-ins took \(elapsed) s")
            print("probeAll of 100 stand-ins at concurrency 32: \(Int(elapsed * 1000)) ms")
        }
    }

    @Test func oneHangingInstanceCostsOneTimeoutNotTheBatch() async throws {
        var configurations = Array(repeating: StandInConfiguration(apiKey: testKey), count: 50)
        configurations.insert(.init(apiKey: testKey, failure: .hang), at: 0)
        try await withStandIns(configurations) { agents in
            let (results, elapsed) = await seconds { await client.probeAll(targets(agents), timeout: .seconds(1)) }
            guard case .unreachable(let reason)? = results["instance-0"] else { Issue.record("hang gave \(String(describing: results["instance-0"]))"); return }
            #expect(reason.contains("timed out"))
            #expect(results.values.filter { if case .status = $0 { true } else { false } }.count == 50)
            #expect(elapsed >= 0.95 && elapsed < 4, "1 hanging + 50 fast took \(elapsed) s with a 1 s timeout")
        }
    }
}
