import Foundation
@testable import Railway
import RailwayFake
import Testing

@Suite struct ListServicesTests {
    @Test func pagesPast500ServicesInCeilNOver500Calls() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let ids = await harness.seed(1_203)
            let client = harness.client()
            let services = try await harness.platform(client).listServices()
            #expect(services.map(\.serviceId) == ids)
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 3)
            #expect(await client.calls(of: .environmentServices) == 3)
            // The listing says what it cost: the loop spaces its resyncs by it.
            #expect(try await harness.platform(client).observe().pages == 3)
            #expect(await client.calls(of: .environmentServices) == 6)
        }
    }

    @Test func aPoolUnderOnePageTakesOneCall() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(37)
            let services = try await harness.platform().listServices()
            #expect(services.count == 37)
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 1)
        }
    }

    @Test func mapsStatusDomainAndCreationTime() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.platform()
            let id = try await platform.createService(blueprint)
            try await platform.configureService(serviceId: id, blueprint)
            let domain = try await platform.createDomain(serviceId: id, blueprint)
            try await platform.startBuild(serviceId: id, blueprint)
            var service = try #require(try await platform.listServices().first)
            #expect(service.serviceId == id)
            #expect(service.name == blueprint.name)
            #expect(service.domain == domain)
            #expect(service.deployStatus == .queued)
            #expect(service.deploymentId != nil)
            #expect(abs(service.createdAt.timeIntervalSince(Date(timeIntervalSince1970: 1_780_000_000))) < 1)
            await harness.fake.advance(by: .seconds(10))
            service = try #require(try await platform.listServices().first)
            #expect(service.deployStatus == .building)
            await harness.fake.advance(by: .seconds(60))
            service = try #require(try await platform.listServices().first)
            #expect(service.deployStatus == .deploying)
            await harness.fake.advance(by: .seconds(60))
            service = try #require(try await platform.listServices().first)
            #expect(service.deployStatus == .success)
        }
    }

    @Test func aFailedPageFailsTheWholeList() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(700)
            // Queued faults fire in order: page 1 passes (a zero latency), page 2 fails.
            await harness.fake.inject(.latency(.zero), operation: "EnvironmentServices")
            await harness.fake.inject(.serverError(status: 502), operation: "EnvironmentServices")
            let platform = harness.platform(harness.client(retry: RailwayRetryPolicy(maxAttempts: 1)))
            await #expect(throws: RailwayError.server(status: 502)) { try await platform.listServices() }
            #expect(await harness.fake.calls(of: "EnvironmentServices") == 2)
        }
    }

    @Test func anEmptyEnvironmentAnswerIsPassedOnOnce() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(3)
            await harness.fake.inject(.emptyEnvironment)
            let platform = harness.platform()
            let answered = try await platform.listServices()
            let next = try await platform.listServices()
            #expect(answered.isEmpty)
            #expect(next.count == 3)
        }
    }

    @Test func anUnknownDeploymentStatusIsAnErrorNamingTheValue() throws {
        let node = EnvironmentServicesAnswer.Node(
            serviceId: "svc-1", serviceName: "pool-x", createdAt: "2026-01-02T03:04:05.678Z",
            latestDeployment: .init(id: "dep-1", status: "HIBERNATING"), domains: .init(serviceDomains: []))
        #expect(throws: RailwayError.unknownDeploymentStatus("HIBERNATING", serviceId: "svc-1")) {
            try node.platformService()
        }
        #expect(RailwayError.unknownDeploymentStatus("HIBERNATING", serviceId: "svc-1").description
            .contains("HIBERNATING"))
    }
}
