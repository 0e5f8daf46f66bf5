import Foundation
import Ports
import Railway
import RailwayFake
import Testing

@Suite struct CreateSequenceTests {
    /// Runs the five steps of Platform's create, in order.
    static func create(_ platform: RailwayPlatform) async throws -> String {
        try await createAll(platform, blueprint)
    }

    @Test func fiveCallsOneBuildNoWastedBuild() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try await Self.create(harness.platform())
            #expect(await harness.fake.calls.count == 5)
            #expect(await harness.fake.calls.map(\.operationName) == [
                "ServiceCreate", "ServiceInstanceConfigure", "ServiceDomainCreate",
                "ServiceConnect", "ServiceDisconnect"])
            #expect(await harness.fake.buildsStarted == 1)
            #expect(await harness.fake.wastedBuilds == 0)
            #expect(await harness.fake.connectedWithoutRootDirectory.isEmpty)
            let service = try #require(await harness.fake.service(id: id))
            #expect(service.rootDirectory == "agent")
            #expect(service.sleepApplication == false)
            #expect(service.repo == "example/agents" && service.branch == "main")
            #expect(service.branchTriggerConnected == false)
            #expect(service.variableNames == ["POOL_API_KEY", "XMTP_ENV"])
        }
    }

    @Test func theCallLogKeepsNoSecretValues() async throws {
        try await FakeRailwayHarness.with { harness throws in
            _ = try await harness.platform().createService(blueprint)
            let logged = try #require(await harness.fake.calls.first?.variables)
            #expect(logged["variables"]?["POOL_API_KEY"] == "<redacted>")
            #expect(!String(describing: logged).contains("secret-value-91"))
        }
    }

    /// The reference create-from-repo document builds before the root directory exists:
    /// the fake counts it, so the zero above is a real measurement.
    @Test func creatingFromTheRepoFirstWastesABuild() async throws {
        let fromRepo = """
            mutation ServiceCreate($projectId: String!, $environmentId: String, $name: String, $repo: String!, $branch: String, $variables: EnvironmentVariables) {
              serviceCreate(
                input: {projectId: $projectId, environmentId: $environmentId, name: $name, source: {repo: $repo}, branch: $branch, variables: $variables}
              ) {
                id
                name
              }
            }
            """
        try await FakeRailwayHarness.with(FakeRailwayHarness.configuration(extraDocuments: [fromRepo])) { harness throws in
            let (status, _) = try await harness.postRaw(
                query: fromRepo, operationName: "ServiceCreate",
                variables: #"{"projectId":"project-1","environmentId":"environment-1","name":"x","repo":"example/agents","branch":"main"}"#)
            #expect(status == 200)
            #expect(await harness.fake.wastedBuilds == 1)
        }
    }

    @Test func aPushToTheBranchDoesNotRedeployPoolInstances() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.platform()
            let first = try await Self.create(platform)
            let second = try await Self.create(platform)
            #expect(await harness.fake.pushToBranch(repo: "example/agents", branch: "main") == 0)
            #expect(await harness.fake.deployCount(serviceId: first) == 1)
            #expect(await harness.fake.deployCount(serviceId: second) == 1)
        }
    }

    @Test func aServiceLeftConnectedIsRedeployedByAPush() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.platform()
            let id = try await platform.createService(blueprint)
            try await platform.configureService(serviceId: id, blueprint)
            try await platform.startBuild(serviceId: id, blueprint)
            #expect(await harness.fake.pushToBranch(repo: "example/agents", branch: "main") == 1)
            #expect(await harness.fake.deployCount(serviceId: id) == 2)
        }
    }

    @Test func failedBuildsShowAsFailed() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.failNextBuilds(1)
            let platform = harness.platform()
            let failing = try await Self.create(platform)
            let healthy = try await Self.create(platform)
            await harness.fake.advance(by: .seconds(600))
            let statuses = Dictionary(uniqueKeysWithValues: try await platform.listServices()
                .map { ($0.serviceId, $0.deployStatus) })
            #expect(statuses[failing] == .failed)
            #expect(statuses[healthy] == .success)
        }
    }

    @Test func buildsFailByServiceName() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.fake.failBuilds(where: { $0.hasSuffix("-bad") })
            let platform = harness.platform()
            var bad = blueprint
            bad.name = "pool-bad"
            let id = try await platform.createService(bad)
            try await platform.configureService(serviceId: id, bad)
            try await platform.startBuild(serviceId: id, bad)
            await harness.fake.advance(by: .seconds(600))
            #expect(try await platform.listServices().first?.deployStatus == .failed)
        }
    }
}
