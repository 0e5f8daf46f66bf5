import Credentials
import Model
import Planning

/// Which credential the pool's instances hold, as a tick classified them: the rollout of a
/// rotated instance secret, or of the move away from the shared pool key, made visible.
/// `POOL_INSTANCE_SECRET_PREVIOUS` can be removed once `instances.previous` is 0.
public struct CredentialCounts: Encodable, Equatable, Sendable {
    public struct ByKind: Encodable, Equatable, Sendable {
        /// Their own token under the secret in force.
        public var current = 0
        /// Their own token under the previous secret.
        public var previous = 0
        /// The shared pool key: made before instance tokens.
        public var poolKey = 0
        /// A secret version the pool no longer holds: they cannot be called.
        public var unknown = 0

        public init(current: Int = 0, previous: Int = 0, poolKey: Int = 0, unknown: Int = 0) {
            self.current = current
            self.previous = previous
            self.poolKey = poolKey
            self.unknown = unknown
        }

        public subscript(kind: InstanceCredentials.Kind) -> Int {
            get {
                switch kind {
                case .current: current
                case .previous: previous
                case .poolKey: poolKey
                case .unknown: unknown
                }
            }
            set {
                switch kind {
                case .current: current = newValue
                case .previous: previous = newValue
                case .poolKey: poolKey = newValue
                case .unknown: unknown = newValue
                }
            }
        }
    }

    /// The instance secret version in force.
    public var version: Int
    /// The version of `POOL_INSTANCE_SECRET_PREVIOUS`, null when none is set.
    @EncodedAsNull public var previousVersion: Int?
    /// Every owned instance.
    public var instances = ByKind()
    /// Idle instances only: these are replaced surge-first by a rollout.
    public var idle = ByKind()

    public init(_ owned: [ClassifiedInstance], credentials: InstanceCredentials) {
        version = credentials.secrets.current.version
        previousVersion = credentials.secrets.previous?.version
        for i in owned {
            let kind = credentials.kind(tokenVersion: i.record?.tokenVersion, holdsPoolKey: i.record?.holdsPoolKey ?? false)
            instances[kind] += 1
            if i.state == .idle { idle[kind] += 1 }
        }
    }
}
