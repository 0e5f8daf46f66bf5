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

struct ProjectDeleteVariables: Encodable, Sendable { var id: String }
struct ProjectDeleteAnswer: Decodable, Sendable { var projectDelete: Bool }

struct ProjectRenameVariables: Encodable, Sendable {
    var id: String
    var name: String
}

struct ProjectRenameAnswer: Decodable, Sendable {
    struct Project: Decodable, Sendable { var id: String }
    var projectUpdate: Project
}

struct ServiceCreateAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceCreate: Service
}

struct ServiceInstanceConfigureVariables: Encodable, Sendable {
    var serviceId: String
    var environmentId: String
    var rootDirectory: String
}

struct ServiceInstanceConfigureAnswer: Decodable, Sendable {
    var serviceInstanceUpdate: Bool
}

struct ServiceDomainCreateVariables: Encodable, Sendable {
    var serviceId: String
    var environmentId: String
    var targetPort: Int
}

struct ServiceDomainCreateAnswer: Decodable, Sendable {
    struct Domain: Decodable, Sendable { var domain: String }
    var serviceDomainCreate: Domain
}

struct ServiceConnectVariables: Encodable, Sendable {
    var id: String
    var repo: String
    var branch: String
}

struct ServiceConnectAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceConnect: Service
}

struct ServiceDisconnectVariables: Encodable, Sendable {
    var id: String
}

struct ServiceDisconnectAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceDisconnect: Service
}

struct ServiceDeleteVariables: Encodable, Sendable {
    var id: String
    /// Nil: the service goes from every environment (of its project of its own).
    var environmentId: String?
}

struct ServiceDeleteAnswer: Decodable, Sendable {
    var serviceDelete: Bool
}

struct ServiceRenameVariables: Encodable, Sendable {
    var id: String
    var name: String
}

struct ServiceRenameAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceUpdate: Service
}
