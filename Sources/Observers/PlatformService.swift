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

    public init(serviceId: String, name: String, createdAt: Date, deployStatus: DeployStatus?,
                deploymentId: String? = nil, domain: String? = nil) {
        self.serviceId = serviceId
        self.name = name
        self.createdAt = createdAt
        self.deployStatus = deployStatus
        self.deploymentId = deploymentId
        self.domain = domain
    }
}

/// Everything a create needs, resolved from the spec before the first platform call.
public struct InstanceBlueprint: Codable, Sendable, Equatable {
    public var name: String
    public var repo: String
    public var branch: String
    public var rootDirectory: String
    /// Instance variables, secrets resolved. Never log or render these values.
    public var variables: [String: String]
    public var port: Int

    public init(name: String, repo: String, branch: String, rootDirectory: String,
                variables: [String: String], port: Int = 8080) {
        self.name = name
        self.repo = repo
        self.branch = branch
        self.rootDirectory = rootDirectory
        self.variables = variables
        self.port = port
    }
}
