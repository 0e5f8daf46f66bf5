import Foundation

/// What tests do to the fake world, and what they read from it.
extension RailwayFake {
    // MARK: World

    /// Adds services directly (no calls, no builds), e.g. to list a large environment.
    @discardableResult
    public func addServices(count: Int, namePrefix: String, projectId: String, environmentId: String) -> [String] {
        (0..<count).map { i in
            world.addService(name: "\(namePrefix)-\(i)", projectId: projectId,
                             environmentId: environmentId, variables: [:])
        }
    }

    /// Adds services that are built and running (deployment SUCCESS, one domain each, as
    /// `domains[k]` for `names[k]`), e.g. to start a benchmark from a full pool. Returns their ids.
    @discardableResult
    public func addDeployedServices(names: [String], domains: [String], projectId: String, environmentId: String) -> [String] {
        zip(names, domains).map { name, domain in
            let id = world.addService(name: name, projectId: projectId, environmentId: environmentId, variables: [:])
            let index = world.services.count - 1
            world.services[index].domains = [domain]
            world.services[index].deployments = [FakeDeployment(id: world.makeId("dep"), startedAt: world.now - .seconds(86_400),
                                                                fails: false)]
            return id
        }
    }

    /// Every service of every project and environment.
    public var allServices: [FakeService] { world.services }

    public func services(projectId: String, environmentId: String) -> [FakeService] {
        world.services.filter { $0.projectId == projectId && $0.environmentId == environmentId }
    }

    public func service(id: String) -> FakeService? {
        world.index(of: id).map { world.services[$0] }
    }

    /// Moves the fake clock: deployments advance QUEUED → BUILDING → DEPLOYING → SUCCESS,
    /// and each that ends is sent to the notification rules that want it (as Railway does,
    /// in the background: this returns before they are delivered).
    public func advance(by duration: Duration) {
        world.now += duration
        for webhook in world.deploymentEvents(workspaceOfShared: Self.workspaceId) {
            if dropNextWebhooks > 0 {
                dropNextWebhooks -= 1
                webhooksDropped.append(webhook)
            } else {
                webhooksSent.append(webhook)
                outbox.yield(webhook)
            }
        }
    }

    /// The next `count` webhooks are lost on the way, as a delivery Railway never retries.
    public func dropWebhooks(_ count: Int) {
        dropNextWebhooks += count
    }

    /// The workspace's notification rules.
    public var rules: [FakeRule] { world.rules }

    /// Adds a rule directly (no call), e.g. a stale one of an earlier secret.
    public func addRule(workspaceId: String, url: String, eventTypes: [String]) {
        world.rules.append(FakeRule(id: world.makeId("rule"), workspaceId: workspaceId, eventTypes: eventTypes, url: url))
    }

    public func failNextBuilds(_ count: Int) {
        world.failNextBuilds += count
    }

    /// Builds of services whose name matches end FAILED.
    public func failBuilds(where predicate: @escaping @Sendable (String) -> Bool) {
        world.failBuildsWhere = predicate
    }

    /// A push to the branch: services still connected to it redeploy. Returns how many.
    @discardableResult
    public func pushToBranch(repo: String, branch: String) -> Int {
        world.push(repo: repo, branch: branch)
    }

    /// Builds started for the service, however they were started.
    public func deployCount(serviceId: String) -> Int {
        world.index(of: serviceId).map { world.services[$0].deployments.count } ?? 0
    }

    public var buildsStarted: Int { world.buildsStarted }
    /// Builds and image deploys started, however they were started.
    public var deploysStarted: Int { world.deploysStarted }
    /// The workspace's projects, in creation order.
    public var projects: [FakeProject] { world.projects }
    public var projectsCreated: Int { world.projectsCreated }
    /// `projectCreate` calls refused for Railway's pace.
    public var projectCreatesPaced: Int { world.projectCreatesPaced }

    /// Adds projects directly (no calls, no pace), each with one deployed image service
    /// named like the project, e.g. to observe a large project-per-instance pool. Service
    /// k is at `domains[k]` when given, else at `<name>.up.railway.app`.
    @discardableResult
    public func addProjectsWithServices(names: [String], workspaceId: String, image: String,
                                        environmentName: String = "production", domains: [String]? = nil) -> [String] {
        names.enumerated().map { k, name in
            let environment = world.makeId("env")
            let project = FakeProject(id: world.makeId("prj"), name: name, workspaceId: workspaceId,
                                      createdAt: world.date(world.now - .seconds(86_400)), environmentId: environment,
                                      environmentName: environmentName, createdBy: "")
            world.projects.append(project)
            _ = world.addService(name: name, projectId: project.id, environmentId: environment, variables: [:])
            let index = world.services.count - 1
            world.services[index].image = image
            world.services[index].domains = [domains?[k] ?? "\(name).up.railway.app"]
            world.services[index].deployments = [FakeDeployment(id: world.makeId("dep"), startedAt: world.now - .seconds(86_400),
                                                                fails: false, fromImage: true)]
            return project.id
        }
    }
    /// Builds started before the service's root directory was set.
    public var wastedBuilds: Int { world.wastedBuilds }
    /// Services connected to a repo while they had no root directory.
    public var connectedWithoutRootDirectory: [String] { world.connectedWithoutRootDirectory }

    // MARK: Faults

    /// The next `times` matching calls (of `operation`, or any) answer with `fault`.
    public func inject(_ fault: FakeFault, operation: String? = nil, times: Int = 1) {
        faults.inject(fault, operation: operation, times: times)
    }

    /// A seeded pseudo-random share of matching calls answer with `fault`.
    public func inject(_ fault: FakeFault, operation: String? = nil, probability: Double, seed: UInt64 = 1) {
        faults.inject(fault, operation: operation, probability: probability, seed: seed)
    }

    public func clearFaults() {
        faults.clear()
    }

    // MARK: Call log

    /// Calls that reached an operation (authorized, accepted document), by name.
    public func calls(of operation: String) -> Int {
        calls.filter { $0.operationName == operation }.count
    }
}
