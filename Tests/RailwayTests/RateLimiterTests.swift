import Railway
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
            // Counted where the calls arrive. The limiter spaces sends by one second; the
            // window is shortened by a margin for loopback jitter (a new connection is slower
            // than a reused one), which is far below what an unlimited burst would show.
            let arrivals = await harness.fake.calls.map(\.receivedAt).sorted()
            #expect(arrivals.count == 11)
            let window = Duration.milliseconds(800)
            for (i, start) in arrivals.enumerated() {
                let inWindow = arrivals[i...].prefix { $0 - start < window }.count
                #expect(inWindow <= perSecond, "offsets: \(arrivals.map { $0 - arrivals[0] })")
            }
            #expect(arrivals.last! - arrivals.first! >= window * 2)
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
