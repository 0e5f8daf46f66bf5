@testable import Controller
import Foundation
import Logging
import Model
import Ports
import Spec
import Credentials
import Store
import TestSupport
import Testing


enum ClaimFixtures {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func spec(xmtp: String = "dev", createTimeout: String = "2s", joinTimeout: String = "2s") throws -> EnvironmentSpec {
        let yaml = """
        claimTimeouts: {create: \(createTimeout), join: \(joinTimeout)}
        environments:
          test:
            platform: local
            xmtpEnv: \(xmtp)
            instanceScheme: http
        """
        return try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    /// The test credentials; the seeded instances carry no secret version, so they are
    /// called with `poolKey`, as instances made before instance tokens.
    static func credentials(poolKey: String = TestCredentials.poolKey) -> InstanceCredentials {
        InstanceCredentials(poolKey: poolKey, secrets: TestCredentials.secrets)
    }

    /// `count` idle instances in the store, reached at `domains` (cycled).
    static func seedIdle(_ store: any PoolStore, count: Int, domains: [String]) async throws -> [String] {
        var ids: [String] = []
        for k in 0..<count {
            let id = String(format: "idle%08d", k)
            try await store.seedIdleRecord(id, serviceName: "convos-agent-\(id)", domain: domains[k % domains.count],
                                           tokenVersion: nil, at: now)
            ids.append(id)
        }
        return ids
    }
}

/// A claim caller in memory: answers at once, and counts calls per instance so a test can
/// prove no instance was called twice.
final class CountingCaller: ClaimCaller, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [String: Int] = [:]
    var latency: Duration = .zero

    var callsPerInstance: [String: Int] { lock.withLock { calls } }

    func createConversation(instanceId: String, baseURL: String, bearer: String, agentName: String, env: String,
                            instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        lock.withLock { calls[baseURL, default: 0] += 1 }
        if latency > .zero { try? await Task.sleep(for: latency) }
        return .success(ClaimedConversation(instanceId: instanceId, conversationId: "conv-\(baseURL.hashValue)",
                                            inviteUrl: "https://dev.convos.org/v2?i=x", joined: false))
    }

    func join(instanceId: String, baseURL: String, bearer: String, inviteUrl: String, agentName: String, env: String,
              instructions: String, timeout: Duration) async -> Result<ClaimedConversation, ClaimCallFailure> {
        let created = await createConversation(instanceId: instanceId, baseURL: baseURL, bearer: bearer, agentName: agentName,
                                               env: env, instructions: instructions, timeout: timeout)
        return created.map { ClaimedConversation(instanceId: instanceId, conversationId: $0.conversationId, inviteUrl: inviteUrl, joined: true) }
    }
}

/// Counts tick requests.
final class TickCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func hit() { lock.withLock { n += 1 } }
    var count: Int { lock.withLock { n } }
}

/// A platform for kill and dismiss: records deletes.
final class RecordingPlatform: Platform, @unchecked Sendable {
    private let lock = NSLock()
    private var deleted: [String] = []
    var deletes: [String] { lock.withLock { deleted } }
    func listServices() async throws -> [PlatformService] { [] }
    func createService(_ b: InstanceBlueprint) async throws -> String { "" }
    func configureService(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String { "" }
    func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws {}
    func deleteService(serviceId: String) async throws { lock.withLock { deleted.append(serviceId) } }
    func renameService(serviceId: String, to name: String) async throws {}
}
