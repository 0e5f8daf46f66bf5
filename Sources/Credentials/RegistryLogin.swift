/// A user and password for a private image registry: what pool.yaml's
/// `source.registryCredentials` resolves to (secret references only), what a create hands
/// Railway and what the registry client logs in with. Never log or render these values.
public struct RegistryLogin: Codable, Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}
