import Foundation

/// One service in the pool's platform environment, as one observation saw it.
/// It may or may not belong to the pool: ownership is decided by the planner.
public struct PlatformService: Codable, Sendable, Equatable {
    public var serviceId: String
    public var name: String
    public var createdAt: Date
    /// Status of the latest deployment; nil while the service has none yet.
    public var deployStatus: DeployStatus?
    public var deploymentId: String?
    /// Public host name (no scheme), e.g. `convos-agent-x.up.railway.app`; nil until a domain exists.
    public var domain: String?
    /// The project of its own (placement projectPerInstance); nil for a service of the
    /// shared project and environment.
    public var project: PlatformProject?

    public init(serviceId: String, name: String, createdAt: Date, deployStatus: DeployStatus?,
                deploymentId: String? = nil, domain: String? = nil, project: PlatformProject? = nil) {
        self.project = project
        self.serviceId = serviceId
        self.name = name
        self.createdAt = createdAt
        self.deployStatus = deployStatus
        self.deploymentId = deploymentId
        self.domain = domain
    }
}

/// A project of the pool's own (placement projectPerInstance), named `<prefix>-<id>` or
/// renamed with its claimed instance.
public struct PlatformProject: Codable, Sendable, Equatable, Hashable {
    public var projectId: String
    public var name: String
    public var createdAt: Date
    /// The environment its service lives in (the project's only one).
    public var environmentId: String
    /// Services it holds; 0 for a project kept empty for the next create.
    public var serviceCount: Int

    public init(projectId: String, name: String, createdAt: Date, environmentId: String, serviceCount: Int) {
        self.projectId = projectId
        self.name = name
        self.createdAt = createdAt
        self.environmentId = environmentId
        self.serviceCount = serviceCount
    }
}

/// One observation of the platform: every service, and every project of the pool.
public struct PlatformListing: Sendable, Equatable {
    public var services: [PlatformService]
    /// The pool's own projects (placement projectPerInstance), empty ones included.
    public var projects: [PlatformProject]
    /// Calls the listing took (Railway answers in pages): what a full observation costs,
    /// which sets how often the loop may afford one (`PoolSettings.resyncCallsPerHour`).
    public var pages: Int

    public init(services: [PlatformService], projects: [PlatformProject] = [], pages: Int = 1) {
        self.services = services
        self.projects = projects
        self.pages = pages
    }
}
