@testable import Railway
import RailwayFake
import Testing

@Suite struct RateLimiterTests {
    @Test func keepsToThePerSecondBudget() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let perSecond = 4
            let client = harness.client(rateLimit: RailwayRateLimit(perSecond: perSecond, perHour: 1_000))
            let platform = harness.platform(client)
            _ = try await platform.listServices()  // opens the connection before the burst
            try await Task.sleep(for: .seconds(1))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { _ = try await platform.listServices() } }
                try await group.waitForAll()
            }
            // Every call reached the fake. The spacing is counted where the limiter let each
            // call go: where the calls arrive, a machine busy with other work can deliver
            // calls sent a second apart in one bunch, which says nothing of the limiter.
            #expect(await harness.fake.calls.count == 11)
            let sent = await client.limiter.sent.sorted()
            #expect(sent.count == 11)
            let window = Duration.seconds(1)
            for (i, start) in sent.enumerated() {
                let inWindow = sent[i...].prefix { $0 - start < window }.count
                #expect(inWindow <= perSecond, "offsets: \(sent.map { $0 - sent[0] })")
            }
            #expect(sent.last! - sent.first! >= window * 2)
        }
    }

    @Test func waitsWhenTheHourlyBudgetIsSpent() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let client = harness.client(rateLimit: RailwayRateLimit(perSecond: 100, perHour: 3))
            let platform = harness.platform(client)
            for _ in 0..<3 { _ = try await platform.listServices() }
            let fourth = Task { try await platform.listServices() }
            try await Task.sleep(for: .milliseconds(500))
            #expect(await harness.fake.calls.count == 3)
            fourth.cancel()
            _ = await fourth.result
        }
    }
}
