/// What the pool presents to each instance: the instance's own token, derived under the
/// secret version recorded with it, or, for an instance recorded as made before instance
/// tokens, the pool key it was built with, until it is replaced. Nothing else ever gets
/// the pool key: an instance without a version or that record (found by name, its record
/// lost) is called with the token of its id, the only credential it can hold now.
public struct InstanceCredentials: Sendable, CustomStringConvertible {
    public var poolKey: String
    public var secrets: InstanceSecrets

    public init(poolKey: String, secrets: InstanceSecrets) {
        self.poolKey = poolKey
        self.secrets = secrets
    }

    /// Which credential an instance holds, by the secret version recorded with it.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// Its own token under the secret in force.
        case current
        /// Its own token under `POOL_INSTANCE_SECRET_PREVIOUS`.
        case previous
        /// The shared pool key: made before instance tokens.
        case poolKey
        /// A version whose secret is no longer held: the pool cannot call it.
        case unknown
    }

    public func kind(tokenVersion: Int?, holdsPoolKey: Bool = false) -> Kind {
        guard let version = tokenVersion else { return holdsPoolKey ? .poolKey : .current }
        if version == secrets.current.version { return .current }
        if version == secrets.previous?.version { return .previous }
        return .unknown
    }

    /// The bearer for an instance; nil when its version's secret is no longer held.
    public func bearer(instanceId: String, tokenVersion: Int?, holdsPoolKey: Bool = false) -> String? {
        guard let version = tokenVersion else {
            return holdsPoolKey ? poolKey : secrets.currentToken(instanceId: instanceId)
        }
        return secrets.token(instanceId: instanceId, version: version)
    }

    public var description: String { "InstanceCredentials(\(secrets))" }
}
