import Credentials

/// Everything a create needs, resolved from the spec before the first platform call.
public struct InstanceBlueprint: Codable, Sendable, Equatable {
    public var name: String
    public var repo: String
    public var branch: String
    public var rootDirectory: String
    /// A pre-built image pinned by digest (`registry/name@sha256:...`) instead of a repo.
    public var image: String?
    /// For a private image. Never log or render these values.
    public var registryCredentials: RegistryLogin?
    /// Instance variables, secrets resolved. Never log or render these values.
    public var variables: [String: String]
    public var port: Int
    /// Placement projectPerInstance: the name of the instance's project, and, once the
    /// executor has it, the project and environment its service goes in.
    public var projectName: String?
    public var project: ProjectPlacement?

    public init(name: String, repo: String, branch: String, rootDirectory: String,
                variables: [String: String], port: Int = 8080, image: String? = nil,
                registryCredentials: RegistryLogin? = nil, projectName: String? = nil) {
        self.name = name
        self.repo = repo
        self.branch = branch
        self.rootDirectory = rootDirectory
        self.variables = variables
        self.port = port
        self.image = image
        self.registryCredentials = registryCredentials
        self.projectName = projectName
    }
}
