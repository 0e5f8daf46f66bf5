import Foundation
import Model

/// Variables and answer of `WorkspaceProjectServices.graphql`, and its mapping to the
/// pool's projects and their services.
struct WorkspaceProjectServicesVariables: Encodable, Sendable {
    var workspaceId: String
    var first: Int
    var after: String?
}

struct WorkspaceProjectServicesAnswer: Decodable, Sendable {
    struct Connection<Node: Decodable & Sendable>: Decodable, Sendable {
        struct Edge: Decodable, Sendable { var node: Node }
        var edges: [Edge]
    }
    struct PageInfo: Decodable, Sendable {
        var hasNextPage: Bool
        var endCursor: String?
    }
    struct Projects: Decodable, Sendable {
        var edges: [Connection<Project>.Edge]
        var pageInfo: PageInfo
    }
    struct Project: Decodable, Sendable {
        var id: String
        var name: String
        var createdAt: String
        var environments: Connection<Environment>
    }
    struct Environment: Decodable, Sendable {
        var id: String
        var name: String
        var serviceInstances: Connection<EnvironmentServicesAnswer.Node>
    }

    var projects: Projects
}

extension WorkspaceProjectServicesAnswer.Project {
    /// The project and the services of its environment named `environment`; nil for a
    /// project without one (another pool's, or not a pool's).
    func listed(environment poolEnvironment: String) throws -> (PlatformProject, [PlatformService])? {
        guard let environment = environments.edges.map(\.node).first(where: { $0.name == poolEnvironment }) else { return nil }
        guard let created = RailwayTimestamp.parse(createdAt) else {
            throw RailwayError.unexpectedResponse(
                operation: RailwayOperation.workspaceProjectServices.rawValue,
                detail: "project \(id) has createdAt \"\(createdAt)\", not an ISO 8601 date")
        }
        let nodes = environment.serviceInstances.edges.map(\.node)
        let project = PlatformProject(projectId: id, name: name, createdAt: created, environmentId: environment.id,
                                      serviceCount: nodes.count)
        let services = try nodes.map { node in
            var service = try node.platformService()
            service.project = project
            return service
        }
        return (project, services)
    }
}
