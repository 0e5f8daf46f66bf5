import Controller
import Hummingbird
import Observers

/// Instances by state as the last tick saw them, plus how many are outdated.
struct PoolCounts: ResponseEncodable, Equatable {
    var provisioning = 0, idle = 0, claiming = 0, claimed = 0, crashed = 0, dead = 0
    var adopted = 0, tainted = 0, misconfigured = 0
    /// Idle or provisioning instances of an older revision (also counted in their state).
    var outdated = 0
    /// Every owned instance, each counted once.
    var total = 0

    init(_ plan: Plan) {
        let c = plan.counts
        provisioning = c[InstanceState.provisioning.rawValue] ?? 0
        idle = c[InstanceState.idle.rawValue] ?? 0
        claiming = c[InstanceState.claiming.rawValue] ?? 0
        claimed = c[InstanceState.claimed.rawValue] ?? 0
        crashed = c[InstanceState.crashed.rawValue] ?? 0
        dead = c[InstanceState.dead.rawValue] ?? 0
        adopted = c[InstanceState.adopted.rawValue] ?? 0
        tainted = c[InstanceState.tainted.rawValue] ?? 0
        misconfigured = c[InstanceState.misconfigured.rawValue] ?? 0
        outdated = c["outdated"] ?? 0
        total = InstanceState.allCases.reduce(0) { $0 + (c[$1.rawValue] ?? 0) }
    }
}
