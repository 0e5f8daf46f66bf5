import Credentials
import Foundation
import Model
import Ports
import Railway
import RailwayFake
import Testing

let digest = "sha256:" + String(repeating: "c", count: 64)
let imageBlueprint = InstanceBlueprint(
    name: "pool-img123", repo: "", branch: "", rootDirectory: "",
    variables: ["XMTP_ENV": "dev", "INSTANCE_TOKEN": "secret-token-77"], port: 8080,
    image: "ghcr.io/acme/runtime@\(digest)")

extension FakeRailwayHarness {
    static let workspaceId = "workspace-1"

    func projectPlatform(prefix: String = "pool", pageSize: Int = 50) -> RailwayPlatform {
        var config = RailwayConfig(endpoint: url, credentials: .accountToken(Self.accountToken), projectId: "", environmentId: "",
                                   rateLimit: RailwayRateLimit(perSecond: 1_000, perHour: 100_000),
                                   retry: RailwayRetryPolicy(baseDelay: .milliseconds(1)))
        config.workspaceId = Self.workspaceId
        config.projectPrefix = prefix
        config.projectPageSize = pageSize
        return RailwayPlatform(client: RailwayClient(config: config, sleep: { _ in }))
    }
}

/// Runs Platform's create steps the way the executor does, with a project first when the
/// blueprint names one.
func createAll(_ platform: RailwayPlatform, _ blueprint: InstanceBlueprint) async throws -> String {
    var bp = blueprint
    if bp.projectName != nil { bp.project = try await platform.createProject(bp) }
    let id = try await platform.createService(bp)
    try await platform.configureService(serviceId: id, bp)
    _ = try await platform.createDomain(serviceId: id, bp)
    try await platform.startBuild(serviceId: id, bp)
    try await platform.pinSource(serviceId: id, bp)
    return id
}

@Suite struct ImageCreateTests {
    @Test func threeCallsOneDeployAndItSeesEveryVariable() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let id = try await createAll(harness.platform(), imageBlueprint)
            #expect(await harness.fake.calls.map(\.operationName) == ["ServiceCreate", "ServiceDomainCreate", "EnvironmentPatchCommit"])
            #expect(await harness.fake.deploysStarted == 1)
            #expect(await harness.fake.buildsStarted == 0, "an image is not built")
            let service = try #require(await harness.fake.service(id: id))
            #expect(service.image == "ghcr.io/acme/runtime@\(digest)")
            #expect(service.sleepApplication == false)
            #expect(service.deployments.count == 1)
            #expect(service.deployments.first?.variableNames == ["INSTANCE_TOKEN", "XMTP_ENV"], "the deploy started with its variables")
            // The service was made without them: nothing could deploy before the commit.
            #expect(await harness.fake.calls.first?.variables["variables"] == nil)
        }
    }

    @Test func theCallLogAndErrorsKeepNoSecret() async throws {
        try await FakeRailwayHarness.with { harness throws in
            var bp = imageBlueprint
            bp.registryCredentials = RegistryLogin(username: "bot", password: "registry-pass-42")
            let id = try await createAll(harness.platform(), bp)
            let logged = String(describing: await harness.fake.calls.map(\.variables))
            #expect(!logged.contains("secret-token-77") && !logged.contains("registry-pass-42"))
            #expect(await harness.fake.service(id: id)?.registryUsername == "bot")
            // A commit Railway refuses quotes nothing secret back.
            await harness.fake.inject(.graphQLError(message: "invalid value secret-token-77 for INSTANCE_TOKEN"), operation: "EnvironmentPatchCommit")
            let other = try await harness.platform().createService(bp)
            await #expect { try await harness.platform().startBuild(serviceId: other, bp) } throws: { error in
                !"\(error)".contains("secret-token-77") && "\(error)".contains("<redacted>")
            }
        }
    }
}

@Suite struct ProjectPerInstanceTests {
    func blueprint(_ name: String) -> InstanceBlueprint {
        var bp = imageBlueprint
        bp.name = name
        bp.projectName = name
        return bp
    }

    @Test func fourCallsOneDeployInAProjectOfItsOwn() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.projectPlatform()
            let id = try await createAll(platform, blueprint("pool-aaa111"))
            #expect(await harness.fake.calls.map(\.operationName) == ["ProjectCreate", "ServiceCreate", "ServiceDomainCreate", "EnvironmentPatchCommit"])
            let project = try #require(await harness.fake.projects.first)
            #expect(project.name == "pool-aaa111" && project.workspaceId == FakeRailwayHarness.workspaceId)
            let service = try #require(await harness.fake.service(id: id))
            #expect(service.projectId == project.id && service.environmentId == project.environmentId)
            #expect(await harness.fake.deploysStarted == 1)
            // One paged query sees it, with its project.
            let listing = try await platform.observe()
            #expect(listing.projects.map(\.name) == ["pool-aaa111"])
            #expect(listing.projects.first?.serviceCount == 1)
            #expect(listing.services.first?.project?.projectId == project.id)
            #expect(await harness.fake.calls(of: "WorkspaceProjectServices") == 1)
        }
    }

    @Test func railwaysPaceIsAPacedErrorNotAFailure() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.projectPlatform()
            _ = try await platform.createProject(blueprint("pool-aaa111"))
            await #expect(throws: PlatformPaced.self) { try await platform.createProject(blueprint("pool-bbb222")) }
            #expect(await harness.fake.projectCreatesPaced == 1)
            await harness.fake.advance(by: .seconds(30))
            _ = try await platform.createProject(blueprint("pool-bbb222"))
            #expect(await harness.fake.projectsCreated == 2)
        }
    }

    @Test func projectCreateRotatesOverItsTokensEachPacedOnItsOwn() async throws {
        let second = "acct-token-second-5a1e"
        var configuration = FakeRailwayHarness.configuration()
        configuration.accountTokens.insert(second)
        try await FakeRailwayHarness.with(configuration) { harness throws in
            var config = harness.projectPlatform().client.config
            config.projectCreateTokens = [.accountToken(FakeRailwayHarness.accountToken), .accountToken(second)]
            let platform = RailwayPlatform(client: RailwayClient(config: config, sleep: { _ in }))
            _ = try await platform.createProject(blueprint("pool-aaa111"))
            _ = try await platform.createProject(blueprint("pool-bbb222"))
            await #expect(throws: PlatformPaced.self) { try await platform.createProject(blueprint("pool-ccc333")) }
            #expect(Set(await harness.fake.projects.map(\.createdBy)).count == 2, "one project per token")
        }
    }

    /// A pace answer to a delete is no "not found": the project is not taken for gone.
    @Test func aPaceAnswerToADeleteIsAnErrorNotADelete() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.projectPlatform()
            let placed = try await platform.createProject(blueprint("pool-aaa111"))
            await harness.fake.inject(.graphQLError(message: "You are deleting projects too quickly"), operation: "ProjectDelete")
            await #expect(throws: RailwayError.self) { try await platform.deleteProject(projectId: placed.projectId) }
            #expect(await harness.fake.projects.count == 1)
        }
    }

    @Test func observationKeepsThePoolsProjectsAndPagesWithoutOneCallPerInstance() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let names = (0..<120).map { String(format: "pool-%09dabc", $0) }
            await harness.fake.addProjectsWithServices(names: names, workspaceId: FakeRailwayHarness.workspaceId, image: "img")
            await harness.fake.addProjectsWithServices(names: ["someone-elses-app"], workspaceId: FakeRailwayHarness.workspaceId, image: "img")
            let listing = try await harness.projectPlatform(pageSize: 50).observe()
            #expect(listing.projects.count == 120)
            #expect(listing.services.count == 120)
            #expect(Set(listing.services.map(\.name)) == Set(names))
            #expect(await harness.fake.calls(of: "WorkspaceProjectServices") == 3, "121 projects in pages of 50")
            #expect(listing.pages == 3, "what the listing cost, for the loop's call budget")
        }
    }

    @Test func deleteKeepsOrTakesTheProjectAndRenamesCarryBoth() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let platform = harness.projectPlatform()
            let id = try await createAll(platform, blueprint("pool-aaa111"))
            let project = try #require(await harness.fake.projects.first)
            try await platform.renameService(serviceId: id, to: "pool-alice-aaa111")
            try await platform.renameProject(projectId: project.id, to: "pool-alice-aaa111")
            #expect(await harness.fake.projects.first?.name == "pool-alice-aaa111")
            // A service alone goes; its project stays, empty.
            try await platform.deleteService(serviceId: id, in: ProjectPlacement(projectId: project.id, environmentId: project.environmentId))
            #expect(await harness.fake.service(id: id) == nil)
            let listing = try await platform.observe()
            #expect(listing.projects.first?.serviceCount == 0)
            try await platform.deleteProject(projectId: project.id)
            try await platform.deleteProject(projectId: project.id)  // idempotent
            #expect(await harness.fake.projects.isEmpty)
        }
    }
}

/// The resync reads a large pool a page at a time: the shared environment's pages, then
/// the workspace's, each one call, and together exactly what one observation lists.
@Suite struct ListingPageTests {
    @Test func pageByPageIsTheWholeObservationOneCallAtATime() async throws {
        try await FakeRailwayHarness.with { harness throws in
            await harness.seed(12)
            let names = (0..<7).map { String(format: "pool-%09dabc", $0) }
            await harness.fake.addProjectsWithServices(names: names, workspaceId: FakeRailwayHarness.workspaceId, image: "img")
            var config = RailwayConfig(endpoint: harness.url, credentials: .accountToken(FakeRailwayHarness.accountToken),
                                       projectId: FakeRailwayHarness.projectId, environmentId: FakeRailwayHarness.environmentId,
                                       rateLimit: RailwayRateLimit(perSecond: 1_000, perHour: 100_000), pageSize: 5)
            config.workspaceId = FakeRailwayHarness.workspaceId
            config.projectPrefix = "pool"
            config.projectPageSize = 3
            let client = RailwayClient(config: config, sleep: { _ in })
            let platform = RailwayPlatform(client: client)
            let whole = try await platform.observe()
            #expect(whole.pages == 6, "12 services in pages of 5, then 7 projects in pages of 3")
            var cursor: ListingCursor?
            var pages: [PlatformListing] = []
            repeat {
                let before = await harness.fake.calls.count
                let (page, next) = try await platform.observePage(from: cursor)
                #expect(await harness.fake.calls.count == before + 1, "one call per page")
                #expect(page.pages == 1)
                pages.append(page)
                cursor = next
            } while cursor != nil && pages.count < 10
            #expect(pages.map(\.services.count) == [5, 5, 2, 3, 3, 1])
            #expect(pages.flatMap(\.services) == whole.services)
            #expect(pages.flatMap(\.projects) == whole.projects)
        }
    }
}
