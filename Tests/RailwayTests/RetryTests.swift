import Railway
import RailwayFake
import Testing

@Suite struct RetryTests {
    @Test func aReadSucceedsAfterTransient5xx() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(2)
            await harness.fake.inject(.serverError(status: 502), times: 2)
            let sleeps = SleepLog()
            let client = harness.client(sleep: sleeps.sleep)
            #expect(try await harness.platform(client).listServices().count == 2)
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 3)
            #expect(await sleeps.waits.count == 2)
        }
    }

    @Test func aReadHonoursRetryAfter() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(1)
            await harness.fake.inject(.rateLimited(retryAfterSeconds: 3))
            let sleeps = SleepLog()
            let client = harness.client(sleep: sleeps.sleep)
            #expect(try await harness.platform(client).listServices().count == 1)
            #expect(await sleeps.waits == [.seconds(3)])
        }
    }

    @Test func aRetryAfterBeyondTheLimitReachesTheCaller() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.inject(.rateLimited(retryAfterSeconds: 600))
            let client = harness.client(retry: RailwayRetryPolicy(maxRetryAfter: .seconds(60)))
            await #expect(throws: RailwayError.rateLimited(retryAfter: .seconds(600))) {
                try await harness.platform(client).listServices()
            }
        }
    }

    @Test func backoffGrowsAndGivesUpAfterMaxAttempts() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.inject(.serverError(status: 500), times: 10)
            let sleeps = SleepLog()
            let client = harness.client(
                retry: RailwayRetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(100), maxDelay: .seconds(10)),
                sleep: sleeps.sleep)
            await #expect(throws: RailwayError.server(status: 500)) { try await harness.platform(client).listServices() }
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 4)
            let waits = await sleeps.waits
            #expect(waits.count == 3)
            // Equal jitter: each wait lies in [half, full] of 100 ms, 200 ms, 400 ms.
            for (wait, full) in zip(waits, [100, 200, 400].map { Duration.milliseconds($0) }) {
                #expect(wait >= full / 2 && wait <= full)
            }
        }
    }

    @Test func mutationsAreNotRetriedOn5xx() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.inject(.serverError(status: 502))
            let platform = harness.platform()
            await #expect(throws: RailwayError.server(status: 502)) { try await platform.createService(blueprint) }
            #expect(await harness.fake.calls(of: "ServiceCreate") == 1)
            #expect(await harness.fake.services(projectId: FakeRailwayHarness.projectId,
                                                environmentId: FakeRailwayHarness.environmentId).isEmpty)
        }
    }

    @Test func mutationsAreNotRetriedOnTimeout() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            await harness.fake.inject(.latency(.seconds(1)))
            let platform = harness.platform(harness.client(timeout: .milliseconds(200)))
            await #expect(throws: RailwayError.timeout) { try await platform.startBuild(serviceId: id, blueprint) }
            #expect(await harness.fake.calls(of: "ServiceConnect") == 1)
        }
    }

    @Test func idempotentMutationsAreRetried() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            await harness.fake.inject(.serverError(status: 503), operation: "ServiceDelete")
            try await harness.platform().deleteService(serviceId: id)
            #expect(await harness.fake.calls(of: "ServiceDelete") == 2)
        }
    }

    @Test func graphQLErrorsAreNotRetried() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.inject(.graphQLError(message: "Problem processing request"))
            await #expect(throws: RailwayError.self) { try await harness.platform().listServices() }
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 1)
        }
    }
}
