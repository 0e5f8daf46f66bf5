import AsyncHTTPClient
import Foundation
import NIOCore
import Ports
import Railway
import RailwayFake

/// A fake Railway on loopback and clients pointed at it.
struct FakeRailwayHarness {
    static let accountToken = "acct-token-7d1f9a3c2b"
    static let projectToken = "proj-token-4e8b6d0a91"
    static let projectId = "project-1"
    static let environmentId = "environment-1"

    let fake: RailwayFake
    let url: String

    /// Starts a fake, runs `body`, and stops the fake whatever happens.
    static func with(_ configuration: RailwayFake.Configuration = Self.configuration(),
                     _ body: (FakeRailwayHarness) async throws -> Void) async throws {
        let fake = try RailwayFake(configuration: configuration)
        let url = try await fake.start()
        do {
            try await body(FakeRailwayHarness(fake: fake, url: url))
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }

    static func configuration(extraDocuments: [String] = []) -> RailwayFake.Configuration {
        RailwayFake.Configuration(accountTokens: [accountToken], projectTokens: [projectToken],
                                  extraDocuments: extraDocuments)
    }

    func client(credentials: RailwayCredentials = .accountToken(Self.accountToken),
                rateLimit: RailwayRateLimit = RailwayRateLimit(perSecond: 1_000, perHour: 100_000),
                retry: RailwayRetryPolicy = RailwayRetryPolicy(baseDelay: .milliseconds(1)),
                timeout: Duration = .seconds(10),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { _ in }) -> RailwayClient {
        RailwayClient(
            config: RailwayConfig(endpoint: url, credentials: credentials, projectId: Self.projectId,
                                  environmentId: Self.environmentId, requestTimeout: timeout,
                                  rateLimit: rateLimit, retry: retry),
            sleep: sleep)
    }

    func platform(_ client: RailwayClient? = nil) -> RailwayPlatform {
        RailwayPlatform(client: client ?? self.client())
    }

    /// Adds `count` services to the pool's environment without any call.
    @discardableResult
    func seed(_ count: Int) async -> [String] {
        await fake.addServices(count: count, namePrefix: "seeded", projectId: Self.projectId,
                               environmentId: Self.environmentId)
    }

    /// POSTs a document the client would never send; returns status and body.
    func postRaw(query: String, operationName: String, variables: String = "{}") async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(Self.accountToken)")
        let body = try JSONSerialization.data(withJSONObject: [
            "query": query, "operationName": operationName,
            "variables": try JSONSerialization.jsonObject(with: Data(variables.utf8)),
        ])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), text)
    }
}

let blueprint = InstanceBlueprint(
    name: "pool-abc123", repo: "example/agents", branch: "main", rootDirectory: "agent",
    variables: ["XMTP_ENV": "dev", "POOL_API_KEY": "secret-value-91"], port: 8080)

/// Records the waits the client asks for instead of sleeping.
actor SleepLog {
    private(set) var waits: [Duration] = []
    func record(_ duration: Duration) { waits.append(duration) }
    nonisolated var sleep: @Sendable (Duration) async throws -> Void {
        { duration in await self.record(duration) }
    }
}
