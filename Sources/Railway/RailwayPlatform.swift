import Model
import Ports

/// `Platform` on Railway: one paged read per observation, and the five-call create
/// sequence of `RailwayOperation` (one build, no wasted build, pinned to its commit).
public struct RailwayPlatform: Platform {
    public let client: RailwayClient
    private var projectId: String { client.config.projectId }
    private var environmentId: String { client.config.environmentId }

    public init(client: RailwayClient) {
        self.client = client
    }

    /// Pages `EnvironmentServices` until `hasNextPage` is false. Any failed page throws:
    /// a missing page must never look like deleted services.
    public func listServices() async throws -> [PlatformService] {
        var services: [PlatformService] = []
        var cursor: String?
        repeat {
            let answer = try await client.send(
                .environmentServices,
                variables: EnvironmentServicesVariables(projectId: projectId, environmentId: environmentId,
                                                        first: client.config.pageSize, after: cursor),
                expecting: EnvironmentServicesAnswer.self)
            guard let connection = answer.environment?.serviceInstances else {
                throw RailwayError.unexpectedResponse(
                    operation: RailwayOperation.environmentServices.rawValue,
                    detail: "environment \(environmentId) of project \(projectId) not found")
            }
            services += try connection.edges.map { try $0.node.platformService() }
            guard connection.pageInfo.hasNextPage else { return services }
            guard let next = connection.pageInfo.endCursor, next != cursor else {
                throw RailwayError.unexpectedResponse(
                    operation: RailwayOperation.environmentServices.rawValue,
                    detail: "hasNextPage without a new endCursor")
            }
            cursor = next
        } while true
    }

    /// The one call that carries the instance's variables, secrets included: whatever the
    /// answer quotes of them is cut out of the error.
    public func createService(_ blueprint: InstanceBlueprint) async throws -> String {
        do {
            return try await client.send(
                .serviceCreate,
                variables: ServiceCreateVariables(projectId: projectId, environmentId: environmentId,
                                                  name: blueprint.name, variables: blueprint.variables),
                expecting: ServiceCreateAnswer.self
            ).serviceCreate.id
        } catch let error as RailwayError {
            throw error.redacting(blueprint.variables.values)
        }
    }

    public func configureService(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        _ = try await client.send(
            .serviceInstanceConfigure,
            variables: ServiceInstanceConfigureVariables(serviceId: serviceId, environmentId: environmentId,
                                                         rootDirectory: blueprint.rootDirectory),
            expecting: ServiceInstanceConfigureAnswer.self)
    }

    public func createDomain(serviceId: String, _ blueprint: InstanceBlueprint) async throws -> String {
        try await client.send(
            .serviceDomainCreate,
            variables: ServiceDomainCreateVariables(serviceId: serviceId, environmentId: environmentId,
                                                    targetPort: blueprint.port),
            expecting: ServiceDomainCreateAnswer.self
        ).serviceDomainCreate.domain
    }

    public func startBuild(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        _ = try await client.send(
            .serviceConnect,
            variables: ServiceConnectVariables(id: serviceId, repo: blueprint.repo, branch: blueprint.branch),
            expecting: ServiceConnectAnswer.self)
    }

    public func pinSource(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        _ = try await client.send(
            .serviceDisconnect, variables: ServiceDisconnectVariables(id: serviceId),
            expecting: ServiceDisconnectAnswer.self)
    }

    /// Idempotent: a service that is already gone counts as deleted.
    public func deleteService(serviceId: String) async throws {
        try await ignoringNotFound {
            _ = try await client.send(
                .serviceDelete, variables: ServiceDeleteVariables(id: serviceId, environmentId: environmentId),
                expecting: ServiceDeleteAnswer.self)
        }
    }

    /// Idempotent: renaming to the current name succeeds; so does renaming a service that
    /// is already gone (its deletion was the later, stronger intent).
    public func renameService(serviceId: String, to name: String) async throws {
        try await ignoringNotFound {
            _ = try await client.send(
                .serviceRename, variables: ServiceRenameVariables(id: serviceId, name: name),
                expecting: ServiceRenameAnswer.self)
        }
    }

    /// Railway answers a mutation on a missing service with HTTP 200 and a GraphQL error
    /// whose message says "not found" (e.g. "Service not found"); the fake does the same.
    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch RailwayError.graphQL(_, let messages)
                    where messages.contains(where: { $0.lowercased().contains("not found") }) {
            return
        }
    }
}
