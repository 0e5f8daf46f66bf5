/// What the pool presents to each instance: the instance's own token, derived under the
/// secret version recorded with it, or, for an instance made before instance tokens (no
/// version recorded), the pool key it was built with, until it is replaced.
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

    public func kind(tokenVersion: Int?) -> Kind {
        guard let version = tokenVersion else { return .poolKey }
        if version == secrets.current.version { return .current }
        if version == secrets.previous?.version { return .previous }
        return .unknown
    }

    /// The bearer for an instance; nil when its version's secret is no longer held.
    public func bearer(instanceId: String, tokenVersion: Int?) -> String? {
        guard let version = tokenVersion else { return poolKey }
        return secrets.token(instanceId: instanceId, version: version)
    }

    public var description: String { "InstanceCredentials(\(secrets))" }
}
