import Foundation

/// How long a fake deployment spends in each phase, on the fake's clock.
public struct FakePhaseDurations: Sendable {
    public var queued: Duration
    public var building: Duration
    public var deploying: Duration

    public init(queued: Duration = .seconds(5), building: Duration = .seconds(60),
                deploying: Duration = .seconds(15)) {
        self.queued = queued
        self.building = building
        self.deploying = deploying
    }
}

/// One service as the fake keeps it.
public struct FakeService: Sendable {
    public var id: String
    public var name: String
    public var projectId: String
    public var environmentId: String
    public var createdAt: Date
    public var rootDirectory: String?
    /// nil until configured; the project's documents always set it to false.
    public var sleepApplication: Bool?
    public var repo: String?
    public var branch: String?
    /// Connected to its branch: a push to the branch redeploys it.
    public var branchTriggerConnected: Bool
    public var variableNames: [String]
    /// The variables as set, values included, as Railway keeps them for the container.
    /// Never part of the call log (`FakeCall`), which keeps names only.
    public var variables: [String: String] = [:]
    public var domains: [String]
    public var deployments: [FakeDeployment]
    /// The image it runs (set by `environmentPatchCommit`), and a private registry's user.
    public var image: String? = nil
    public var registryUsername: String? = nil
}

/// A project the fake keeps for a workspace (placement projectPerInstance). The shared
/// project of a test is not one of these: its services just name it.
public struct FakeProject: Sendable {
    public var id: String
    public var name: String
    public var workspaceId: String
    public var createdAt: Date
    public var environmentId: String
    /// Its one environment's name (the pool's environment).
    public var environmentName: String
    /// Which token created it (a label, `token-1`, ...), for the pace.
    public var createdBy: String
}

public struct FakeDeployment: Sendable {
    public var id: String
    /// On the fake clock.
    public var startedAt: Duration
    /// Decided when the build starts: it will end FAILED instead of DEPLOYING.
    public var fails: Bool
    /// The variables the container started with (names only): a deploy that starts
    /// without its variables shows here.
    public var variableNames: [String] = []
    /// Deployed from an image: no build phase.
    public var fromImage = false

    func status(at now: Duration, phases: FakePhaseDurations) -> String {
        let elapsed = now - startedAt
        let building = fromImage ? .zero : phases.building
        if elapsed < phases.queued { return "QUEUED" }
        if elapsed < phases.queued + building { return "BUILDING" }
        if fails { return "FAILED" }
        if elapsed < phases.queued + building + phases.deploying { return "DEPLOYING" }
        return "SUCCESS"
    }
}

/// The in-memory Railway: services, deployments, and the build accounting tests read.
struct FakeWorld {
    var phases: FakePhaseDurations
    let epoch: Date
    /// The fake clock, advanced only by `advance(by:)`.
    var now: Duration = .zero
    /// Creation order, so pages are stable.
    var services: [FakeService] = []
    var projects: [FakeProject] = []
    /// Railway's pace for `projectCreate`, per token: one per this long on the fake clock.
    var projectCreateInterval: Duration = .seconds(30)
    /// When each token last created a project, on the fake clock.
    var lastProjectCreate: [String: Duration] = [:]
    var projectsCreated = 0
    var projectCreatesPaced = 0
    /// Labels of the tokens seen by `projectCreate` (tokens are not kept).
    var tokenLabels: [String: String] = [:]
    var deploysStarted = 0
    var buildsStarted = 0
    /// Builds started while the service had no root directory: built the wrong thing.
    var wastedBuilds = 0
    /// Services connected to a repo while they had no root directory.
    var connectedWithoutRootDirectory: [String] = []
    var failNextBuilds = 0
    var failBuildsWhere: (@Sendable (String) -> Bool)?
    /// Domains `serviceDomainCreate` hands out first, in order (tests point them at stand-in
    /// agents on loopback); made-up `*.up.railway.app` names after them.
    var agentDomains: [String] = []
    var onDomain: (@Sendable (_ domain: String, _ variables: [String: String]) -> Void)?
    /// Notification rules (webhooks), and the status each deployment was last reported at.
    var rules: [FakeRule] = []
    var reported: [String: String] = [:]
    private var nextId = 0

    init(phases: FakePhaseDurations, epoch: Date) {
        self.phases = phases
        self.epoch = epoch
    }

    mutating func makeId(_ kind: String) -> String {
        nextId += 1
        return String(format: "%@-%08x-0000-4000-8000-%012x", kind, nextId, nextId)
    }

    func index(of id: String) -> Int? {
        services.firstIndex { $0.id == id }
    }

    mutating func addService(name: String, projectId: String, environmentId: String,
                             variables: [String: String]) -> String {
        let id = makeId("svc")
        services.append(FakeService(
            id: id, name: name, projectId: projectId, environmentId: environmentId,
            createdAt: epoch.addingTimeInterval(seconds(now)), rootDirectory: nil,
            sleepApplication: nil, repo: nil, branch: nil, branchTriggerConnected: false,
            variableNames: variables.keys.sorted(), variables: variables, domains: [], deployments: []))
        return id
    }

    /// Deploys the service's image (no build), with the variables it has now.
    mutating func deployImage(at index: Int) -> String {
        deploysStarted += 1
        var fails = failBuildsWhere?(services[index].name) ?? false
        if failNextBuilds > 0 {
            failNextBuilds -= 1
            fails = true
        }
        let id = makeId("dep")
        services[index].deployments.append(FakeDeployment(id: id, startedAt: now, fails: fails,
                                                          variableNames: services[index].variables.keys.sorted(),
                                                          fromImage: true))
        return id
    }

    /// Starts a build of the service's current source; returns the deployment id.
    mutating func startBuild(at index: Int) -> String {
        deploysStarted += 1
        let service = services[index]
        buildsStarted += 1
        if service.rootDirectory == nil { wastedBuilds += 1 }
        var fails = failBuildsWhere?(service.name) ?? false
        if failNextBuilds > 0 {
            failNextBuilds -= 1
            fails = true
        }
        let id = makeId("dep")
        services[index].deployments.append(FakeDeployment(id: id, startedAt: now, fails: fails,
                                                          variableNames: service.variables.keys.sorted()))
        return id
    }

    /// A push to `repo`@`branch`: services still connected to it redeploy.
    mutating func push(repo: String, branch: String) -> Int {
        let targets = services.indices.filter {
            services[$0].branchTriggerConnected && services[$0].repo == repo && services[$0].branch == branch
        }
        for index in targets { _ = startBuild(at: index) }
        return targets.count
    }

    func status(of deployment: FakeDeployment) -> String {
        deployment.status(at: now, phases: phases)
    }

    func date(_ at: Duration) -> Date { epoch.addingTimeInterval(seconds(at)) }

    private func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
