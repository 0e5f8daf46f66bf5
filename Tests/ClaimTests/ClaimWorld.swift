import Foundation
import Logging
import Observers
import Spec
import Store
import Testing
@testable import Controller

let quiet = Logger(label: "claim-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Which store a claim test runs on: SQLite always, Postgres under scripts/with-postgres.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    static let underTest: [Backend] = {
        let env = ProcessInfo.processInfo.environment
        let pg = !(env["TEST_DATABASE_URL"] ?? "").isEmpty || env["REQUIRE_POSTGRES"] == "1"
        return pg ? [.sqlite, .postgres] : [.sqlite]
    }()

    /// A fresh migrated store (new SQLite file or new Postgres schema) for `body`.
    func withStore(_ body: (any PoolStore, _ location: String) async throws -> Void) async throws {
        let location = self == .sqlite
            ? FileManager.default.temporaryDirectory.appendingPathComponent("claims-\(UUID().uuidString).sqlite").path
            : "claims_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try open(location)
        _ = try await store.migrate()
        do { try await body(store, location) } catch { await store.close(); throw error }
        await store.close()
    }

    func open(_ location: String) throws -> any PoolStore {
        switch self {
        case .sqlite: return try SQLiteStore(path: location, logger: quiet)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty else {
                Issue.record("TEST_DATABASE_URL is not set but REQUIRE_POSTGRES=1: run under scripts/with-postgres")
                throw CancellationError()
            }
            return try PostgresStore(url: url, options: .init(schema: location, maximumConnections: 20), logger: quiet)
        }
    }
}

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
        return try SpecLoader(processEnvironment: [:]).load(text: yaml, file: "pool.yaml", environment: "test").environment!
    }

    /// `count` idle instances in the store, reached at `domains` (cycled).
    static func seedIdle(_ store: any PoolStore, count: Int, domains: [String]) async throws -> [String] {
        var ids: [String] = []
        for k in 0..<count {
            let id = String(format: "idle%08d", k)
            try await store.recordIntent(instanceId: id, serviceName: "convos-agent-\(id)", revision: "r", at: now)
            try await store.recordStep(instanceId: id, step: .pinned, serviceId: "svc-\(id)")
            try await store.mark(instanceId: id, serviceId: "svc-\(id)", domain: domains[k % domains.count], state: .idle, at: now)
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

    func createConversation(baseURL: String, agentName: String, env: String, instructions: String,
                            timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        lock.withLock { calls[baseURL, default: 0] += 1 }
        if latency > .zero { try? await Task.sleep(for: latency) }
        return .success(ConversationBinding(conversationId: "conv-\(baseURL.hashValue)", inviteUrl: "https://dev.convos.org/v2?i=x"))
    }

    func join(baseURL: String, inviteUrl: String, agentName: String, env: String, instructions: String,
              timeout: Duration) async -> Result<ConversationBinding, ClaimCallFailure> {
        await createConversation(baseURL: baseURL, agentName: agentName, env: env, instructions: instructions, timeout: timeout)
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
