import Model
import Ports

/// `Platform` on Railway: one paged read per placement per observation, and the create
/// sequences of `RailwayOperation`: from a repo five calls and one build; from an image
/// three calls and one deploy (four or five with a project of its own).
public struct RailwayPlatform: Platform {
    public let client: RailwayClient
    private var config: RailwayConfig { client.config }
    /// Rotates `projectCreate` over `RAILWAY_API_TOKENS`.
    private let rotation = TokenRotation()

    public init(client: RailwayClient) {
        self.client = client
    }

    public var hasProjects: Bool { config.workspaceId != nil }

    public func listServices() async throws -> [PlatformService] {
        try await observe().services
    }

    /// The shared environment's services (when one is configured) and the workspace's
    /// pool projects (placement projectPerInstance): both during a move between them.
    public func observe() async throws -> PlatformListing {
        var listing = PlatformListing(services: [], pages: 0)
        if config.hasSharedProject { (listing.services, listing.pages) = try await listEnvironment() }
        if let workspaceId = config.workspaceId {
            let (projects, services, pages) = try await listWorkspace(workspaceId)
            listing.services += services
            listing.projects = projects
            listing.pages += pages
        }
        return listing
    }

    /// One page of the observation (`Platform.observePage`): the shared environment's
    /// pages first (source 0), then the workspace's (source 1), as `observe` reads them.
    public func observePage(from cursor: ListingCursor?) async throws -> (page: PlatformListing, next: ListingCursor?) {
        let sources = [config.hasSharedProject ? 0 : nil, config.workspaceId == nil ? nil : 1].compactMap { $0 }
        guard let at = cursor ?? sources.first.map({ ListingCursor(source: $0, after: nil) }),
              sources.contains(at.source) else { return (PlatformListing(services: [], pages: 0), nil) }
        var page = PlatformListing(services: [], pages: 1)
        let more: (hasNext: Bool, cursor: String?)
        if at.source == 0 {
            (page.services, more) = try await environmentPage(after: at.after)
        } else {
            (page.projects, page.services, more) = try await workspacePage(config.workspaceId ?? "", after: at.after)
        }
        if more.hasNext {
            let operation: RailwayOperation = at.source == 0 ? .environmentServices : .workspaceProjectServices
            return (page, ListingCursor(source: at.source, after: try Self.nextCursor(more, after: at.after, operation)))
        }
        return (page, sources.first { $0 > at.source }.map { ListingCursor(source: $0, after: nil) })
    }

    /// Pages `EnvironmentServices` until `hasNextPage` is false. Any failed page throws:
    /// a missing page must never look like deleted services. Returns the pages read too.
    func listEnvironment() async throws -> ([PlatformService], pages: Int) {
        var services: [PlatformService] = []
        let pages = try await paging(.environmentServices) { cursor in
            let (page, more) = try await environmentPage(after: cursor)
            services += page
            return more
        }
        return (services, pages)
    }

    func environmentPage(after cursor: String?) async throws -> ([PlatformService], (hasNext: Bool, cursor: String?)) {
        let answer = try await client.send(
            .environmentServices,
            variables: EnvironmentServicesVariables(projectId: config.projectId, environmentId: config.environmentId,
                                                    first: config.pageSize, after: cursor),
            expecting: EnvironmentServicesAnswer.self)
        guard let connection = answer.environment?.serviceInstances else {
            throw RailwayError.unexpectedResponse(
                operation: RailwayOperation.environmentServices.rawValue,
                detail: "environment \(config.environmentId) of project \(config.projectId) not found")
        }
        return (try connection.edges.map { try $0.node.platformService() },
                (connection.pageInfo.hasNextPage, connection.pageInfo.endCursor))
    }

    /// Pages `WorkspaceProjectServices`, keeping the projects named `<prefix>-...` with an
    /// environment named for the pool's (not the shared project, listed on its own).
    func listWorkspace(_ workspaceId: String) async throws -> ([PlatformProject], [PlatformService], pages: Int) {
        var projects: [PlatformProject] = [], services: [PlatformService] = []
        let pages = try await paging(.workspaceProjectServices) { cursor in
            let (pageProjects, pageServices, more) = try await workspacePage(workspaceId, after: cursor)
            projects += pageProjects
            services += pageServices
            return more
        }
        return (projects, services, pages)
    }

    func workspacePage(_ workspaceId: String, after cursor: String?) async throws
        -> ([PlatformProject], [PlatformService], (hasNext: Bool, cursor: String?)) {
        let answer = try await client.send(
            .workspaceProjectServices,
            variables: WorkspaceProjectServicesVariables(workspaceId: workspaceId, first: config.projectPageSize,
                                                         after: cursor),
            expecting: WorkspaceProjectServicesAnswer.self)
        var projects: [PlatformProject] = [], services: [PlatformService] = []
        for edge in answer.projects.edges
        where edge.node.name.hasPrefix(config.projectPrefix + "-") && edge.node.id != config.projectId {
            guard let (project, inside) = try edge.node.listed(environment: config.projectEnvironmentName) else { continue }
            projects.append(project)
            services += inside
        }
        return (projects, services, (answer.projects.pageInfo.hasNextPage, answer.projects.pageInfo.endCursor))
    }

    /// Runs `page` with each cursor until it says there is no next page; returns how many ran.
    private func paging(_ operation: RailwayOperation,
                        _ page: (String?) async throws -> (hasNext: Bool, cursor: String?)) async throws -> Int {
        var cursor: String?
        var pages = 0
        while true {
            let more = try await page(cursor)
            pages += 1
            guard more.hasNext else { return pages }
            cursor = try Self.nextCursor(more, after: cursor, operation)
        }
    }

    /// The cursor of the page after one that said it has a next: a new one, or an error (a
    /// page that never moves on must not loop forever).
    private static func nextCursor(_ more: (hasNext: Bool, cursor: String?), after cursor: String?,
                                   _ operation: RailwayOperation) throws -> String {
        guard let next = more.cursor, next != cursor else {
            throw RailwayError.unexpectedResponse(operation: operation.rawValue, detail: "hasNextPage without a new endCursor")
        }
        return next
    }

    /// Railway's pace for `projectCreate` is answered as a GraphQL error under HTTP 200:
    /// thrown as `PlatformPaced`, never as a failed build.
    public func createProject(_ blueprint: InstanceBlueprint) async throws -> ProjectPlacement {
        guard let workspaceId = config.workspaceId, let name = blueprint.projectName else {
            throw PlatformUnsupported("workspace to create projects in (railway.workspaceId)")
        }
        let token = await rotation.next(config.projectCreateTokens)
        let created: ProjectCreateAnswer.Project
        do {
            created = try await client.send(
                .projectCreate,
                variables: ProjectCreateVariables(workspaceId: workspaceId, name: name,
                                                  defaultEnvironmentName: config.projectEnvironmentName),
                expecting: ProjectCreateAnswer.self, credentials: token
            ).projectCreate
        } catch RailwayError.graphQL(_, let messages) where messages.contains(where: Self.isPace) {
            throw PlatformPaced(message: messages.first(where: Self.isPace) ?? "")
        }
        if let environment = created.environments?.named(config.projectEnvironmentName) {
            return ProjectPlacement(projectId: created.id, environmentId: environment.id)
        }
        let listed = try await client.send(.projectEnvironments, variables: ProjectEnvironmentsVariables(projectId: created.id),
                                           expecting: ProjectEnvironmentsAnswer.self)
        guard let environment = listed.project?.environments.named(config.projectEnvironmentName) else {
            // Never listed as the pool's without that environment: delete it rather than
            // leak one project per retry.
            try? await deleteProject(projectId: created.id)
            throw RailwayError.unexpectedResponse(operation: RailwayOperation.projectEnvironments.rawValue,
                                                  detail: "project \(created.id) has no environment \(config.projectEnvironmentName)")
        }
        return ProjectPlacement(projectId: created.id, environmentId: environment.id)
    }

    /// "Only one project can be created per user every 30s"; "creating ... too quickly".
    static func isPace(_ message: String) -> Bool {
        let m = message.lowercased()
        return m.contains("only one project can be created") || m.contains("too quickly")
    }

    private func environmentId(_ blueprint: InstanceBlueprint) -> String {
        blueprint.project?.environmentId ?? config.environmentId
    }

    /// The one call of a repo create that carries the instance's variables, secrets
    /// included: whatever the answer quotes of them is cut out of the error. From an image
    /// it carries none (they come with the image), only a private registry's login.
    public func createService(_ blueprint: InstanceBlueprint) async throws -> String {
        do {
            return try await client.send(
                .serviceCreate,
                variables: ServiceCreateVariables(
                    projectId: blueprint.project?.projectId ?? config.projectId, environmentId: environmentId(blueprint),
                    name: blueprint.name, variables: blueprint.image == nil ? blueprint.variables : nil,
                    registryCredentials: blueprint.registryCredentials.map {
                        RegistryCredentialsInput(username: $0.username, password: $0.password)
                    }),
                expecting: OnlyField<Identified>.self
            ).value.id
        } catch let error as RailwayError {
            throw error.redacting(blueprint.secrets)
        }
    }

    /// From an image there is nothing to configure: sleeping off comes with the image.
    public func configureService(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        guard blueprint.image == nil else { return }
        _ = try await client.send(
            .serviceInstanceConfigure,
            variables: ServiceInstanceConfigureVariables(serviceId: serviceId, environmentId: environmentId(blueprint),
                                                         rootDirectory: blueprint.rootDirectory),
            expecting: OnlyField<Bool>.self)
    }

    public func createDomain(serviceId: String, _ blueprint: InstanceBlueprint) async throws -> String {
        try await client.send(
            .serviceDomainCreate,
            variables: ServiceDomainCreateVariables(serviceId: serviceId, environmentId: environmentId(blueprint),
                                                    targetPort: blueprint.port),
            expecting: OnlyField<CreatedDomain>.self
        ).value.domain
    }

    /// From a repo: connect it, which starts the build. From an image: one commit with the
    /// image, every variable and sleeping off, so the one deploy never starts without them.
    public func startBuild(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        if let image = blueprint.image {
            typealias Patch = EnvironmentPatchCommitVariables
            let service = Patch.ServicePatch(source: .init(image: image), deploy: .init(sleepApplication: false),
                                             variables: blueprint.variables.mapValues { .init(value: $0) })
            do {
                _ = try await client.send(
                    .environmentPatchCommit,
                    variables: Patch(environmentId: environmentId(blueprint), patch: .init(services: [serviceId: service]),
                                     commitMessage: "pool: \(blueprint.name) from \(image)"),
                    expecting: EnvironmentPatchCommitAnswer.self)
            } catch let error as RailwayError {
                throw error.redacting(blueprint.secrets)
            }
            return
        }
        _ = try await client.send(
            .serviceConnect,
            variables: ServiceConnectVariables(id: serviceId, repo: blueprint.repo, branch: blueprint.branch),
            expecting: OnlyField<Identified>.self)
    }

    /// An image pinned by digest cannot move: nothing to pin.
    public func pinSource(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        guard blueprint.image == nil else { return }
        _ = try await client.send(
            .serviceDisconnect, variables: IdVariables(id: serviceId),
            expecting: OnlyField<Identified>.self)
    }

    /// Idempotent: a service that is already gone counts as deleted.
    public func deleteService(serviceId: String) async throws {
        try await deleteService(serviceId: serviceId, in: nil)
    }

    public func deleteService(serviceId: String, in project: ProjectPlacement?) async throws {
        try await ignoringNotFound {
            _ = try await client.send(
                .serviceDelete,
                variables: ServiceDeleteVariables(id: serviceId, environmentId: Self.deleteEnvironment(project, config)),
                expecting: OnlyField<Bool>.self)
        }
    }

    /// The shared environment for its services; a project's own environment for its
    /// service, or none (every environment of that project) when only the project is known.
    static func deleteEnvironment(_ project: ProjectPlacement?, _ config: RailwayConfig) -> String? {
        guard let project else { return config.environmentId.isEmpty ? nil : config.environmentId }
        return project.environmentId.isEmpty ? nil : project.environmentId
    }

    /// Idempotent: renaming to the current name succeeds; so does renaming a service that
    /// is already gone (its deletion was the later, stronger intent).
    public func renameService(serviceId: String, to name: String) async throws {
        try await ignoringNotFound {
            _ = try await client.send(
                .serviceRename, variables: RenameVariables(id: serviceId, name: name),
                expecting: OnlyField<Identified>.self)
        }
    }

    public func deleteProject(projectId: String) async throws {
        try await ignoringNotFound {
            _ = try await client.send(.projectDelete, variables: IdVariables(id: projectId),
                                      expecting: OnlyField<Bool>.self)
        }
    }

    public func renameProject(projectId: String, to name: String) async throws {
        try await ignoringNotFound {
            _ = try await client.send(.projectRename, variables: RenameVariables(id: projectId, name: name),
                                      expecting: OnlyField<Identified>.self)
        }
    }

    /// Railway answers a mutation on a missing service with HTTP 200 and a GraphQL error
    /// whose message says "not found" (e.g. "Service not found"); the fake does the same.
    /// A pace answer is not "not found": it is an error, never taken for a delete done.
    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch RailwayError.graphQL(_, let messages)
                    where messages.contains(where: { $0.lowercased().contains("not found") }) {
            return
        }
    }
}

extension InstanceBlueprint {
    /// What an error must never quote: variable values and a registry password.
    var secrets: [String] {
        Array(variables.values) + [registryCredentials?.password].compactMap { $0 }
    }
}

/// Round-robin over `projectCreate` tokens (Railway paces each on its own).
actor TokenRotation {
    private var next = 0

    func next(_ tokens: [RailwayCredentials]) -> RailwayCredentials? {
        guard !tokens.isEmpty else { return nil }
        defer { next += 1 }
        return tokens[next % tokens.count]
    }
}
