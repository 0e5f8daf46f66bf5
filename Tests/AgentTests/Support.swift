import AgentClient
import AsyncHTTPClient
import Foundation
import Logging
import StandInAgent

/// The key the stand-ins expect and the client sends.
let testKey = "test-key-5f1c2a"

/// One HTTP client for the whole run, as in production (never one per call).
let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)

func makeClient(apiKey: String = testKey) -> AgentClient {
    AgentClient(httpClient: httpClient, apiKey: apiKey, scheme: "http",
                logger: Logger(label: "agent-client", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// Starts a stand-in on an ephemeral loopback port, runs `body` with it and its base URL,
/// and stops it whatever happens.
func withStandIn<T>(
    _ configuration: StandInConfiguration = .init(apiKey: testKey),
    _ body: (StandInAgent, String) async throws -> T
) async throws -> T {
    let agent = StandInAgent(configuration: configuration)
    try await agent.start()
    do {
        let result = try await body(agent, agent.baseURL!)
        await agent.stop()
        return result
    } catch {
        await agent.stop()
        throw error
    }
}

/// Wall time of `body`, in seconds.
func seconds<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    let elapsed = clock.now - start
    return (result, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
