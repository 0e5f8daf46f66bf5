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
