extension Rules {
    /// Rule 3. Dead and tainted instances go for good: a duplicate service alone (its
    /// record belongs to the other one), a record whose create never made a service, a
    /// dead service (counted as a failed build when it never became healthy), a tainted one.
    mutating func deleteDeadAndTainted() {
        for i in owned {
            switch i.state {
            case .dead where i.duplicate: delete(i, .duplicate, "duplicate: \(i.why)")
            case .dead where i.service == nil: delete(i, .abandoned, "abandoned: \(i.why)")
            case .dead: delete(i, i.failedBuild ? .failedBuild : .dead, "dead: \(i.why)")
            case .tainted: delete(i, .tainted, "tainted: \(i.why)")
            default: break
            }
        }
    }
}
