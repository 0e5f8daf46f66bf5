import Foundation
import Logging
import RailwayFake
import StandInAgent
import TestSupport

/// What a test of the real `poolctl serve` against "Railway" needs: a fake Railway whose
/// new services' domains are stand-in agents on loopback (the k-th domain created is the
/// k-th agent), with the fake's clock following the wall clock so that builds finish.
/// Each stand-in takes the `INSTANCE_TOKEN` of the service whose domain it becomes, as the
/// container would read it from its variables (until then it accepts `apiKey`).
/// Call `stop()` when done.
struct RailwayWithAgents {
    let fake: RailwayFake
    let url: String
    let agents: [StandInAgent]
    private let clock: Task<Void, Never>

    /// `phase`: how long each build phase (queued, building, deploying) takes.
    static func start(token: String, apiKey: String, agents count: Int, phase: Duration,
                      clockStep: Duration = .milliseconds(100)) async throws -> RailwayWithAgents {
        var agents: [StandInAgent] = []
        do {
            for _ in 0..<count {
                let agent = StandInAgent(configuration: .init(apiKey: apiKey, defaultXMTPEnv: "dev"),
                                         logger: quiet)
                try await agent.start()
                agents.append(agent)
            }
            var configuration = RailwayFake.Configuration(accountTokens: [token],
                                                          phases: FakePhaseDurations(queued: phase, building: phase, deploying: phase),
                                                          epoch: Date())
            configuration.agentDomains = agents.map { "127.0.0.1:\($0.port!)" }
            configuration.onDomain = StandInAgent.takingTokens(agents)
            let fake = try RailwayFake(configuration: configuration)
            let url = try await fake.start()
            let clock = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: clockStep)
                    await fake.advance(by: clockStep)
                }
            }
            return RailwayWithAgents(fake: fake, url: url, agents: agents, clock: clock)
        } catch {
            for agent in agents { await agent.stop() }
            throw error
        }
    }

    func stop() async {
        clock.cancel()
        await fake.stop()
        for agent in agents { await agent.stop() }
    }
}
