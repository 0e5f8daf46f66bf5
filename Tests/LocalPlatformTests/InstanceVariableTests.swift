import Controller
import Credentials
import Foundation
@testable import LocalPlatform
import Model
import Spec
import Store
import TestSupport
import Testing

/// The local platform's instances, made through the composition root, each hold their own
/// token and never the pool key: not in their recorded variables, not in the environment
/// their process runs with.
@Suite(.timeLimit(.minutes(2))) struct InstanceVariableTests {
    @Test func noLocalInstanceHoldsThePoolKeyAndEachTakesItsOwnToken() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let yaml = "environments:\n  test:\n    platform: local\n    minIdle: 2\n    maxTotal: 3\n"
                + "    variables:\n      OPENROUTER_API_KEY: ${OPENROUTER_API_KEY}\n"
            let spec = try SpecLoader(processEnvironment: TestCredentials.environment.merging(["OPENROUTER_API_KEY": "sk-or-test"]) { a, _ in a })
                .load(text: yaml, file: "pool.yaml", environment: "test").environment!
            let store = try SQLiteStore(path: sandbox.directory.appendingPathComponent("pool.sqlite").path, logger: quiet)
            _ = try await store.migrate()
            let reconciler = try buildPoolRuntime(spec: spec, parts: PoolParts(
                store: store, platform: platform, prober: nil, caller: StubCaller(), logger: quiet,
                environment: ["POOL_API_KEY": sandbox.key])).reconciler
            _ = await reconciler.tick()
            sandbox.finishBuilds()
            _ = try await platform.listServices()

            let records = try await store.instances()
            #expect(records.count == 2 && records.allSatisfy { $0.tokenVersion == 1 })
            for record in records {
                let serviceId = try #require(record.serviceId)
                let local = try #require(await platform.records[serviceId])
                let variables = try #require(local.variables)
                #expect(variables["INSTANCE_ID"] == record.instanceId)
                #expect(variables["INSTANCE_TOKEN"] == TestCredentials.token(record.instanceId))
                #expect(variables["OPENROUTER_API_KEY"] == "sk-or-test", "the spec's variables are there")
                let pid = try #require(local.pid)
                let environ = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
                let environment = String(decoding: environ, as: UTF8.self).split(separator: "\0").map(String.init)
                #expect(environment.contains("INSTANCE_TOKEN=\(TestCredentials.token(record.instanceId))"))
                #expect(!environment.contains { $0.hasPrefix("POOL_API_KEY=") || $0.hasPrefix("POOL_INSTANCE_SECRET") })
                for (encoding, needle) in SecretEncodings.of(sandbox.key) + SecretEncodings.of(TestCredentials.secret) {
                    #expect(!variables.values.contains { $0.contains(needle) }, "a recorded variable holds a manager secret \(encoding)")
                    #expect(environ.range(of: Data(needle.utf8)) == nil, "the process environment holds a manager secret \(encoding)")
                }
                // Its own token opens it; the pool key no longer does.
                let domain = try #require(local.domain)
                #expect(await eventually { await statusAnswer(domain: domain, key: TestCredentials.token(record.instanceId))?.code == 200 })
                #expect(await statusAnswer(domain: domain, key: sandbox.key)?.code == 401)
            }
            await platform.shutdown()
            await store.close()
        }
    }
}
