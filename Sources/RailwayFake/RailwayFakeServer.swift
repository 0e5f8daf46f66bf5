/// Entry point for a command that serves the fake on its own (e.g. `poolctl fake-railway`).
public enum RailwayFakeServer {
    /// Serves a fake with `configuration` on `host`:`port` until the calling task is
    /// cancelled. `onStarted` receives the endpoint URL (port 0 picks a free port). The
    /// fake clock follows the wall clock, so deployments progress as they would on Railway.
    public static func run(host: String = "127.0.0.1", port: Int,
                           configuration: RailwayFake.Configuration,
                           onStarted: @Sendable (String) -> Void = { _ in }) async throws {
        let fake = try RailwayFake(configuration: configuration)
        onStarted(try await fake.start(host: host, port: port))
        let step = Duration.milliseconds(250)
        while !Task.isCancelled {
            // Task.sleep returns early, throwing, when the task is cancelled.
            try? await Task.sleep(for: step)
            await fake.advance(by: step)
        }
        await fake.stop()
    }
}
