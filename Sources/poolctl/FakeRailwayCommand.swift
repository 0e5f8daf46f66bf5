import ArgumentParser
import Foundation
import RailwayFake

/// Runs the fake Railway on loopback for manual runs: point RAILWAY_API_URL at it.
struct FakeRailwayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fake-railway", abstract: "Serve an in-memory Railway GraphQL API on loopback (for trying things without an account).")

    @Option(help: "Port to listen on (0: any free port).")
    var port = 4000

    @Option(help: "Account token the fake accepts (default: RAILWAY_API_TOKEN).")
    var token: String?

    @Option(help: "Seconds a build takes (queued, building and deploying together).")
    var buildSeconds = 20

    func run() async throws {
        guard let token = token ?? ProcessInfo.processInfo.environment["RAILWAY_API_TOKEN"], !token.isEmpty else {
            throw ValidationError("needs --token or RAILWAY_API_TOKEN: the fake answers 401 without one, like Railway")
        }
        let third = Duration.milliseconds(max(buildSeconds, 3) * 1000 / 3)
        let config = RailwayFake.Configuration(accountTokens: [token],
                                               phases: FakePhaseDurations(queued: third, building: third, deploying: third),
                                               epoch: Date())
        try await RailwayFakeServer.run(port: port, configuration: config) { url in
            print("fake Railway listening: RAILWAY_API_URL=\(url)")
        }
    }
}
