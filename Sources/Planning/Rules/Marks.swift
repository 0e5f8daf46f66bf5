import Model

extension Rules {
    /// Rule 1. Record the state transitions the store must know: idle (claimable), leaving
    /// idle, crashed, adopted, misconfigured. Dead and tainted ones are deleted instead.
    func marks() -> [PlanAction] {
        owned.compactMap { i in
            let recorded = i.record?.marked
            guard i.state != recorded else { return nil }
            switch i.state {
            case .idle, .crashed, .adopted, .misconfigured:
                return .mark(i, reason: i.why)
            case .provisioning where recorded != nil:
                // e.g. idle -> provisioning: it stopped answering, so it must not be claimable.
                return .mark(i, reason: i.why)
            case .claimed where recorded == .crashed:
                return .mark(i, reason: "recovered: \(i.why)")
            default:
                return nil
            }
        }
    }
}
