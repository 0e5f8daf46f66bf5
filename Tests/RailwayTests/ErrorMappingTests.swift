import Railway
import RailwayFake
import Testing

/// Each fault the fake injects reaches the caller as its own typed error. A create is
/// used because it is never retried: the first answer is the one that maps.
@Suite struct ErrorMappingTests {
    static func createError(_ fault: FakeFault?, timeout: Duration = .seconds(10),
                            credentials: RailwayCredentials = .accountToken(FakeRailwayHarness.accountToken))
        async throws -> RailwayError {
        var caught: RailwayError?
        try await FakeRailwayHarness.with { harness throws in
            if let fault { await harness.fake.inject(fault) }
            let platform = harness.platform(harness.client(credentials: credentials, timeout: timeout))
            do {
                _ = try await platform.createService(blueprint)
            } catch let error as RailwayError {
                caught = error
            }
        }
        return try #require(caught)
    }

    @Test func rateLimited() async throws {
        #expect(try await Self.createError(.rateLimited(retryAfterSeconds: 7)) == .rateLimited(retryAfter: .seconds(7)))
    }

    @Test func serverError() async throws {
        #expect(try await Self.createError(.serverError(status: 503)) == .server(status: 503))
    }

    @Test func errorsInside200() async throws {
        #expect(try await Self.createError(.graphQLError(message: "Problem processing request"))
            == .graphQL(operation: "ServiceCreate", messages: ["Problem processing request"]))
    }

    @Test func htmlPage() async throws {
        let error = try await Self.createError(.htmlPage)
        guard case .notJSON(403, let contentType, let prefix) = error else {
            Issue.record("expected notJSON, got \(error)")
            return
        }
        #expect(contentType?.hasPrefix("text/html") == true)
        #expect(prefix.contains("Access denied"))
    }

    @Test func latencyBeyondTheTimeout() async throws {
        #expect(try await Self.createError(.latency(.seconds(2)), timeout: .milliseconds(300)) == .timeout)
    }

    @Test func wrongToken() async throws {
        #expect(try await Self.createError(nil, credentials: .accountToken("not-the-token")) == .unauthorized(status: 401))
    }

    @Test func tokenInTheWrongHeader() async throws {
        // The project token sent as a bearer token is refused.
        #expect(try await Self.createError(nil, credentials: .accountToken(FakeRailwayHarness.projectToken))
            == .unauthorized(status: 401))
    }

    @Test func projectTokenInItsHeaderIsAccepted() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let client = harness.client(credentials: .projectToken(FakeRailwayHarness.projectToken))
            _ = try await harness.platform(client).createService(blueprint)
        }
    }

    @Test func nothingListening() async throws {
        let client = RailwayClient(config: RailwayConfig(
            endpoint: "http://127.0.0.1:1/graphql/v2", credentials: .accountToken("t"),
            projectId: "p", environmentId: "e", requestTimeout: .seconds(1)))
        await #expect {
            _ = try await RailwayPlatform(client: client).createService(blueprint)
        } throws: { error in
            if case RailwayError.transport = error { true } else { false }
        }
    }

    @Test func outcomesAreCounted() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.inject(.serverError(status: 500), operation: "ServiceCreate")
            let client = harness.client()
            let platform = harness.platform(client)
            _ = try? await platform.createService(blueprint)
            _ = try await platform.createService(blueprint)
            let counts = await client.callCounts
            #expect(counts[RailwayCallKey(.serviceCreate, .serverError)] == 1)
            #expect(counts[RailwayCallKey(.serviceCreate, .success)] == 1)
            #expect(await client.lastRateLimitRemaining == 998)
        }
    }
}
