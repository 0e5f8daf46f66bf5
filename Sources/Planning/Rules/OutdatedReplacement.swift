extension Rules {
    /// Rule 6. Instances of another revision are replaced surge-first: outdated provisioning
    /// ones go at once (they are not idle, so idle never dips); outdated idle ones only as
    /// far as current idle instances already cover the target. With no room to surge under
    /// maxTotal and nothing else freeing any, one is replaced at a time.
    mutating func replaceOutdated(_ s: Supply, _ budget: CreateBudget) {
        let to = short(desired.revision)
        for i in s.outdatedProvisioning {
            delete(i, .outdated, "outdated provisioning (revision \(short(i.revision)) → \(to))")
        }
        var removable = max(0, s.currentIdle.count + s.outdatedIdle.count - s.minIdle)
        for i in s.outdatedIdle where removable > 0 {
            delete(i, .outdated, "outdated idle (revision \(short(i.revision)) → \(to)); \(s.currentIdle.count) current idle cover \(s.target)")
            removable -= 1
        }
        let outdatedLeft = s.outdatedIdle.filter { !isDeleted($0) }
        if let oldest = outdatedLeft.first, outdatedLeft.count == s.outdatedIdle.count,
           budget.deficit > 0, budget.count == 0, budget.room == 0, !budget.backedOff,
           s.currentProvisioning.isEmpty, s.outdatedProvisioning.isEmpty {
            delete(oldest, .outdated, "outdated idle (revision \(short(oldest.revision)) → \(to)); maxTotal \(settings.maxTotal) leaves no room to surge, replacing one at a time")
        }
    }
}
