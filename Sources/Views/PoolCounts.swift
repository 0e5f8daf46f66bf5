import Planning

/// Instances by state as the last tick saw them, plus how many are outdated: the body of
/// `GET /api/pool/counts` and the `counts` of `GET /api/pool/status`.
public struct PoolCounts: Encodable, Equatable, Sendable {
    public var provisioning = 0, idle = 0, claiming = 0, claimed = 0, crashed = 0, dead = 0
    public var adopted = 0, tainted = 0, misconfigured = 0
    /// Idle or provisioning instances of an older revision (also counted in their state).
    public var outdated = 0
    /// Every owned instance, each counted once.
    public var total = 0

    public init(_ c: PlanCounts) {
        provisioning = c[.provisioning]
        idle = c[.idle]
        claiming = c[.claiming]
        claimed = c[.claimed]
        crashed = c[.crashed]
        dead = c[.dead]
        adopted = c[.adopted]
        tainted = c[.tainted]
        misconfigured = c[.misconfigured]
        outdated = c.outdated
        total = c.total
    }
}
