import AgentClient
import AsyncHTTPClient
import Foundation
import Logging
import StandInAgent
import TestSupport

/// The key the stand-ins expect and the client sends.
let testKey = "test-key-5f1c2a"

/// One HTTP client for the whole run, as in production (never one per call).
let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)

func makeClient() -> AgentClient {
    AgentClient(httpClient: httpClient, scheme: "http",
                logger: quiet)
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

#if canImport(Glibc)
import Glibc

/// A loopback port bound and never listened on, for as long as this value lives: a
/// connection to it is refused, and no other server can bind it meanwhile.
final class ClosedPort {
    let number: Int
    private let fd: Int32

    struct Failed: Error {}

    init() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, size) == 0 && getsockname(socketFD, $0, &size) == 0 }
        }
        guard socketFD >= 0, bound else { close(socketFD); throw Failed() }
        fd = socketFD
        number = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
#endif

