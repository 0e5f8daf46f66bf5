/// Variables and answers of the mutation documents, field for field.
struct ServiceCreateVariables: Encodable, Sendable {
    var projectId: String
    var environmentId: String
    var name: String
    /// Secrets included: never logged (the client logs operation names only). Nil for an
    /// image: its variables come with the image, in the one commit that deploys it.
    var variables: [String: String]?
    var registryCredentials: RegistryCredentialsInput?
}

struct RegistryCredentialsInput: Encodable, Sendable {
    var username: String
    var password: String
}

struct EnvironmentPatchCommitVariables: Encodable, Sendable {
    struct Patch: Encodable, Sendable {
        var services: [String: ServicePatch]
    }
    struct ServicePatch: Encodable, Sendable {
        struct Source: Encodable, Sendable { var image: String }
        struct Deploy: Encodable, Sendable { var sleepApplication: Bool }
        struct Variable: Encodable, Sendable { var value: String }
        var source: Source
        var deploy: Deploy
        var variables: [String: Variable]
    }
    var environmentId: String
    var patch: Patch
    var commitMessage: String
}

struct EnvironmentPatchCommitAnswer: Decodable, Sendable {
    var environmentPatchCommit: String?
}

struct ProjectCreateVariables: Encodable, Sendable {
    var workspaceId: String
    var name: String
    var defaultEnvironmentName: String
}

struct ProjectEnvironmentsList: Decodable, Sendable {
    struct Edge: Decodable, Sendable { var node: Node }
    struct Node: Decodable, Sendable { var id: String; var name: String }
    var edges: [Edge]

    /// The environment a project-per-instance service goes in: the one named for the
    /// pool's environment; nil when the project has none (it is not the pool's).
    func named(_ name: String) -> Node? {
        edges.first { $0.node.name == name }?.node
    }
}

struct ProjectCreateAnswer: Decodable, Sendable {
    struct Project: Decodable, Sendable {
        var id: String
        var environments: ProjectEnvironmentsList?
    }
    var projectCreate: Project
}

struct ProjectEnvironmentsVariables: Encodable, Sendable { var projectId: String }

struct ProjectEnvironmentsAnswer: Decodable, Sendable {
    struct Project: Decodable, Sendable { var environments: ProjectEnvironmentsList }
    var project: Project?
}

/// The variables of a mutation on one service or project by id (delete, disconnect).
struct IdVariables: Encodable, Sendable { var id: String }
/// The variables of `serviceUpdate` and `projectUpdate` renames.
struct RenameVariables: Encodable, Sendable { var id: String; var name: String }
struct ServiceInstanceConfigureVariables: Encodable, Sendable { var serviceId: String; var environmentId: String; var rootDirectory: String }
struct ServiceDomainCreateVariables: Encodable, Sendable { var serviceId: String; var environmentId: String; var targetPort: Int }
struct ServiceConnectVariables: Encodable, Sendable { var id: String; var repo: String; var branch: String }

struct ServiceDeleteVariables: Encodable, Sendable {
    var id: String
    /// Nil: the service goes from every environment (of its project of its own).
    var environmentId: String?
}

/// The answer of a mutation that answers one field (`{"serviceCreate": {"id": ...}}`):
/// its value, whatever the field is called.
struct OnlyField<Value: Decodable & Sendable>: Decodable, Sendable {
    var value: Value

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected one field, got \(container.allKeys.map(\.stringValue))"))
        }
        value = try container.decode(Value.self, forKey: key)
    }
}

/// What a mutation answers of the service or project it changed.
struct Identified: Decodable, Sendable { var id: String }
/// What `serviceDomainCreate` answers.
struct CreatedDomain: Decodable, Sendable { var domain: String }
