import Foundation

/// Workspaces and projects (placement projectPerInstance): create (paced per token, as
/// Railway: one per 30 s per user, refused with a GraphQL error under HTTP 200), list in
/// one paged query, rename, delete with everything in it.
extension FakeWorld {
    mutating func projectAnswer(_ operation: String, _ v: JSONValue, token: String, empty: Bool = false) throws -> JSONValue? {
        switch operation {
        case "ProjectCreate":
            let token = tokenLabel(token)
            if let last = lastProjectCreate[token], now - last < projectCreateInterval {
                projectCreatesPaced += 1
                throw FakeGraphQLError(message: "Only one project can be created per user every \(projectCreateInterval.components.seconds)s")
            }
            lastProjectCreate[token] = now
            projectsCreated += 1
            let environment = makeId("env")
            let project = FakeProject(id: makeId("prj"), name: try v.required("name"), workspaceId: try v.required("workspaceId"),
                                      createdAt: date(now), environmentId: environment,
                                      environmentName: v["defaultEnvironmentName"]?.string ?? "production",
                                      createdBy: token)
            projects.append(project)
            return ["projectCreate": ["id": .string(project.id), "name": .string(project.name),
                                      "createdAt": .string(project.createdAt.formatted(.iso8601)),
                                      "environments": environmentsJSON(project)]]
        case "ProjectEnvironments":
            let project = try existingProject(v.required("projectId"))
            return ["project": ["id": .string(project.id), "environments": environmentsJSON(project)]]
        case "ProjectDelete":
            let project = try existingProject(v.required("id"))
            projects.removeAll { $0.id == project.id }
            services.removeAll { $0.projectId == project.id }
            return ["projectDelete": true]
        case "ProjectRename":
            let project = try existingProject(v.required("id"))
            let name = try v.required("name")
            if let k = projects.firstIndex(where: { $0.id == project.id }) { projects[k].name = name }
            return ["projectUpdate": ["id": .string(project.id), "name": .string(name)]]
        case "WorkspaceProjectServices":
            return try workspaceProjects(workspaceId: empty ? "" : v.required("workspaceId"), first: v["first"]?.int,
                                         after: v["after"]?.string)
        default:
            return nil
        }
    }

    /// Which token, as a label: the fake keeps no token.
    mutating func tokenLabel(_ token: String) -> String {
        if let label = tokenLabels[token] { return label }
        let label = "token-\(tokenLabels.count + 1)"
        tokenLabels[token] = label
        return label
    }

    private func existingProject(_ id: String) throws -> FakeProject {
        guard let p = projects.first(where: { $0.id == id }) else { throw FakeGraphQLError(message: "Project not found: \(id)") }
        return p
    }

    private func environmentsJSON(_ p: FakeProject) -> JSONValue {
        ["edges": [["node": ["id": .string(p.environmentId), "name": .string(p.environmentName)]]]]
    }

    /// Newest first, as `orderBy: CREATED_AT_DESC`; cursors are offsets.
    private func workspaceProjects(workspaceId: String, first: Int?, after: String?) throws -> JSONValue {
        let all = Array(projects.filter { $0.workspaceId == workspaceId }.reversed())
        let start = try after.map { cursor in
            guard let offset = Int(cursor), offset >= 0 else { throw FakeGraphQLError(message: "invalid cursor \(cursor)") }
            return offset
        } ?? 0
        let end = min(all.count, start + min(first ?? 100, Self.maxPageSize))
        let page = start < end ? Array(all[start..<end]) : []
        let onPage = Set(page.map(\.id))
        let byProject = Dictionary(grouping: services.filter { onPage.contains($0.projectId) }, by: \.projectId)
        let edges: [JSONValue] = page.map { project in
            let inside = (byProject[project.id] ?? []).filter { $0.environmentId == project.environmentId }
            let instances: [JSONValue] = inside.map { ["node": serviceNode($0)] }
            return ["node": [
                "id": .string(project.id), "name": .string(project.name),
                "createdAt": .string(project.createdAt.formatted(.iso8601)),
                "environments": ["edges": [["node": [
                    "id": .string(project.environmentId), "name": .string(project.environmentName),
                    "serviceInstances": ["edges": .array(instances)],
                ]]]],
            ]]
        }
        return ["projects": [
            "edges": .array(edges),
            "pageInfo": ["hasNextPage": .bool(end < all.count), "endCursor": end > start ? .string(String(end)) : .null],
        ]]
    }

    /// A service instance as the listings answer it.
    func serviceNode(_ service: FakeService) -> JSONValue {
        let latest: JSONValue = service.deployments.last.map {
            ["id": .string($0.id), "status": .string(status(of: $0))]
        } ?? .null
        return [
            "serviceId": .string(service.id),
            "serviceName": .string(service.name),
            "createdAt": .string(service.createdAt.formatted(.iso8601)),
            "source": ["image": service.image.map(JSONValue.string) ?? .null],
            "latestDeployment": latest,
            "domains": ["serviceDomains": .array(service.domains.map { ["domain": .string($0)] })],
        ]
    }
}
