import Controller
import Spec

/// Everything one spec makes: the reconciler that runs the ticks and the claim service
/// that answers claims. Rebuilt as a whole when pool.yaml is reloaded, so nothing made
/// from the old spec outlives the reload.
public struct PoolRuntime: Sendable {
    public var spec: EnvironmentSpec
    public var reconciler: Reconciler
    public var claims: ClaimService

    public init(spec: EnvironmentSpec, reconciler: Reconciler, claims: ClaimService) {
        self.spec = spec
        self.reconciler = reconciler
        self.claims = claims
    }

    /// Seconds a caller should wait before retrying: one tick, when the pool may have refilled.
    public var retryAfterSeconds: Int { max(1, Int(spec.settings.tickInterval.rounded(.up))) }
}
