import Credentials

/// The secrets the test worlds run with: a pool key, and an instance secret that every
/// spec loaded by a world carries (so revisions are keyed and instances get tokens).
public enum TestCredentials {
    public static let poolKey = "test-pool-key-7d3a91"
    public static let secret = "test-instance-secret-4f8e2b9c1d7a6e3f0b5c"
    /// A process environment with the instance secret, for `SpecLoader`.
    public static let environment = [InstanceSecrets.variable: secret]
    public static let secrets = try! InstanceSecrets.fromEnvironment(environment)!
    public static let credentials = InstanceCredentials(poolKey: poolKey, secrets: secrets)

    /// The token the pool gives instance `id` under the test secret.
    public static func token(_ id: String) -> String { secrets.currentToken(instanceId: id) }
}
