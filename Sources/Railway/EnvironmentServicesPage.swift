import Foundation
import Model

/// Variables and answer of `EnvironmentServices.graphql`, and its mapping to `PlatformService`.
struct EnvironmentServicesVariables: Encodable, Sendable {
    var projectId: String
    var environmentId: String
    var first: Int
    var after: String?
}

struct EnvironmentServicesAnswer: Decodable, Sendable {
    struct Environment: Decodable, Sendable {
        var serviceInstances: Connection
    }
    struct Connection: Decodable, Sendable { var edges: [Edge]; var pageInfo: PageInfo }
    struct Edge: Decodable, Sendable { var node: Node }
    struct PageInfo: Decodable, Sendable { var hasNextPage: Bool; var endCursor: String? }
    struct Node: Decodable, Sendable {
        var serviceId: String
        var serviceName: String
        var createdAt: String
        var latestDeployment: Deployment?
        var domains: Domains
    }
    struct Deployment: Decodable, Sendable {
        var id: String
        var status: String
    }
    struct Domains: Decodable, Sendable {
        var serviceDomains: [ServiceDomain]
    }
    struct ServiceDomain: Decodable, Sendable {
        var domain: String
    }

    /// Null when the environment does not exist or the token cannot see it.
    var environment: Environment?
}

extension EnvironmentServicesAnswer.Node {
    func platformService() throws -> PlatformService {
        let status = try latestDeployment.map { deployment in
            guard let status = DeployStatus(rawValue: deployment.status) else {
                throw RailwayError.unknownDeploymentStatus(deployment.status, serviceId: serviceId)
            }
            return status
        }
        guard let created = RailwayTimestamp.parse(createdAt) else {
            throw RailwayError.unexpectedResponse(
                operation: RailwayOperation.environmentServices.rawValue,
                detail: "service \(serviceId) has createdAt \"\(createdAt)\", not an ISO 8601 date")
        }
        return PlatformService(serviceId: serviceId, name: serviceName, createdAt: created,
                               deployStatus: status, deploymentId: latestDeployment?.id,
                               domain: domains.serviceDomains.first?.domain)
    }
}

/// Railway's `DateTime`: ISO 8601, with or without fractional seconds.
enum RailwayTimestamp {
    static func parse(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
