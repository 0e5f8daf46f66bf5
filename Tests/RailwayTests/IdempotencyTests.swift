import Railway
import RailwayFake
import Testing

@Suite struct IdempotencyTests {
    @Test func deletingTwiceSucceeds() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            let platform = harness.platform()
            try await platform.deleteService(serviceId: id)
            try await platform.deleteService(serviceId: id)
            #expect(try await platform.listServices().isEmpty)
            #expect(await harness.fake.calls(of: "ServiceDelete") == 2)
        }
    }

    @Test func renamingTwiceSucceeds() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            let platform = harness.platform()
            try await platform.renameService(serviceId: id, to: "tokyo-trip-planner")
            try await platform.renameService(serviceId: id, to: "tokyo-trip-planner")
            #expect(try await platform.listServices().first?.name == "tokyo-trip-planner")
        }
    }

    @Test func renamingADeletedServiceSucceeds() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            let platform = harness.platform()
            try await platform.deleteService(serviceId: id)
            try await platform.renameService(serviceId: id, to: "late-name")
        }
    }

    @Test func otherErrorsOfADeleteStillThrow() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try #require(await harness.seed(1).first)
            await harness.fake.inject(.graphQLError(message: "Problem processing request"))
            await #expect(throws: RailwayError.graphQL(operation: "ServiceDelete",
                                                       messages: ["Problem processing request"])) {
                try await harness.platform().deleteService(serviceId: id)
            }
        }
    }
}
