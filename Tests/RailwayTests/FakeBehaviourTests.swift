import AsyncHTTPClient
import NIOCore
import Railway
import RailwayFake
import Testing

/// The fake's own promises, which the client tests rely on.
@Suite struct FakeBehaviourTests {
    @Test func aRequestWithoutATokenGets401AndIsLogged() async throws {
        try await FakeRailwayHarness.with { harness throws in
            var request = HTTPClientRequest(url: harness.url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"query":"query Q { me { id } }"}"#))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 401)
            #expect(await harness.fake.calls.map(\.status) == [401])
        }
    }

    @Test func ratedFaultsHitAShareOfCallsAndRepeatWithTheSeed() async throws {
        func faultedCalls() async throws -> [Int] {
            var statuses: [Int] = []
            try await FakeRailwayHarness.with { harness throws in
                await harness.fake.inject(.serverError(status: 500), probability: 0.5, seed: 42)
                let platform = harness.platform(harness.client(retry: RailwayRetryPolicy(maxAttempts: 1)))
                for _ in 0..<20 { _ = try? await platform.listServices() }
                statuses = await harness.fake.calls.map(\.status)
            }
            return statuses
        }
        let first = try await faultedCalls()
        let failures = first.filter { $0 == 500 }.count
        #expect(failures > 0 && failures < 20)
        #expect(try await faultedCalls() == first)
    }

    @Test func theStandaloneServerServesUntilCancelled() async throws {
        let (urls, continuation) = AsyncStream<String>.makeStream()
        let server = Task {
            try await RailwayFakeServer.run(port: 0, configuration: FakeRailwayHarness.configuration(),
                                            onStarted: { continuation.yield($0) })
        }
        var iterator = urls.makeAsyncIterator()
        let url = try #require(await iterator.next())
        let client = RailwayClient(config: RailwayConfig(
            endpoint: url, credentials: .accountToken(FakeRailwayHarness.accountToken),
            projectId: FakeRailwayHarness.projectId, environmentId: FakeRailwayHarness.environmentId))
        #expect(try await RailwayPlatform(client: client).listServices().isEmpty)
        server.cancel()
        try await server.value
    }
}
