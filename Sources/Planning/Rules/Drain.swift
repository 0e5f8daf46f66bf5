extension Rules {
    /// Rule 4. Drain: replace up to N idle instances, outdated first, then the oldest. They
    /// leave the supply, so the creates replace them in the same tick. Returns the supply
    /// the later rules work from.
    mutating func drain() -> Supply {
        let live = owned.filter { $0.state != .dead && $0.state != .tainted }
        let idleByDrainOrder = live.filter { $0.state == .idle && $0.outdated }.sorted(by: oldestFirst)
            + live.filter { $0.state == .idle && !$0.outdated }.sorted(by: oldestFirst)
        for i in idleByDrainOrder.prefix(max(0, desired.drain)) {
            delete(i, .drained, "drained by request (\(desired.drain) asked)")
        }
        let extra = max(0, desired.extraIdle)
        return Supply(
            live: live,
            currentIdle: live.filter { $0.state == .idle && !$0.outdated && !isDeleted($0) },
            currentProvisioning: live.filter { $0.state == .provisioning && !$0.outdated },
            outdatedIdle: live.filter { $0.state == .idle && $0.outdated && !isDeleted($0) }.sorted(by: oldestFirst),
            outdatedProvisioning: live.filter { $0.state == .provisioning && $0.outdated },
            misconfigured: live.filter { $0.state == .misconfigured }.count,
            minIdle: settings.minIdle + extra,
            target: extra > 0 ? "minIdle \(settings.minIdle) + \(extra) replenish" : "minIdle \(settings.minIdle)")
    }
}
