import Foundation
import Server
import ServiceLifecycle
import TestSupport

extension ServerWorld {
    /// Serves this world's API on a free loopback port, with `limits`, for `body`; then
    /// shuts the server down gracefully.
    func serving(_ limits: EdgeLimits = EdgeLimits(), _ body: (Int) async throws -> Void) async throws {
        let port = EdgeLimitTests.Port()
        let app = buildApplication(context, configuration: .init(address: .hostname("127.0.0.1", port: 0)), limits: limits,
                                   onServerRunning: { port.set($0.localAddress?.port ?? 0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        try await eventually("the server to listen") { port.value != 0 }
        try await body(port.value)
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
