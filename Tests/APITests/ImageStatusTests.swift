import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Server
import Spec
import TestSupport
import Testing

/// What status and metrics say of the image instances run: the digest in force, and a
/// registry that fails.
@Suite(.timeLimit(.minutes(1))) struct ImageStatusTests {
    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var up = false
        func set(up: Bool) { lock.withLock { self.up = up } }
        func answer() throws -> String {
            guard lock.withLock({ up }) else { throw TimedOut(description: "registry down") }
            return "sha256:" + String(repeating: "e", count: 64)
        }
    }

    static func spec() throws -> EnvironmentSpec {
        let yaml = """
        minIdle: 0
        tickInterval: 1h
        environments:
          test:
            railway: {projectId: p1, environmentId: e1}
            source: {image: "ghcr.io/acme/runtime:dev", imageCheckInterval: 1ms}
            instanceScheme: http
        """
        return try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    @Test func aFailingRegistryShowsInStatusAndMetricsAndTheDigestOnceItAnswers() async throws {
        let registry = Registry()
        try await ServerWorld.with(spec: try Self.spec(), resolveImage: { _, _ in try registry.answer() }) { world in
            try await world.app.test(.router) { client in
                let down = try await client.execute(uri: "/api/pool/status", method: .get, headers: ServerFixtures.auth)
                let image = try #require(down.json["image"] as? [String: Any], "\(down.text)")
                #expect(image["image"] as? String == "ghcr.io/acme/runtime:dev")
                #expect(image["digest"] is NSNull)
                #expect((image["error"] as? String)?.contains("registry down") == true)
                #expect((image["consecutiveFailures"] as? Int ?? 0) >= 1)
                var metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(metrics.contains("pool_image_digest_known 0"), "\(metrics)")

                registry.set(up: true)
                _ = await world.loop.tickNow()
                let up = try await client.execute(uri: "/api/pool/status", method: .get, headers: ServerFixtures.auth)
                let resolved = try #require(up.json["image"] as? [String: Any])
                #expect(resolved["digest"] as? String == "sha256:" + String(repeating: "e", count: 64))
                #expect(resolved["error"] is NSNull && resolved["consecutiveFailures"] as? Int == 0)
                metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                #expect(metrics.contains("pool_image_digest_known 1") && metrics.contains("pool_image_check_failures 0"))
            }
        }
    }
}
