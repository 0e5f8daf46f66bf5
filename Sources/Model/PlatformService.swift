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
