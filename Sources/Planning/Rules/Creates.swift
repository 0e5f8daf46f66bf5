extension Rules {
    /// Rule 8. Creates: resumes of interrupted create sequences first, then new instances
    /// for the deficit, as many as the budget allows.
    mutating func creates(_ s: Supply, _ budget: CreateBudget) -> [PlanAction] {
        var creates: [PlanAction] = []
        for i in s.live where i.state == .provisioning && !isDeleted(i) {
            guard let step = i.record?.createStep, !step.isComplete, let revision = i.revision else { continue }
            creates.append(.create(id: i.instanceId, name: i.service?.name ?? InstanceNaming.serviceName(prefix: desired.prefix, instanceId: i.instanceId),
                                   revision: revision, serviceId: i.service?.serviceId, resume: true,
                                   reason: "resume interrupted create (last completed step: \(step.rawValue))"))
        }
        for id in budget.freshIds.prefix(budget.count) {
            creates.append(.create(id: id, name: InstanceNaming.serviceName(prefix: desired.prefix, instanceId: id),
                                   revision: desired.revision,
                                   reason: "\(s.currentIdle.count) idle + \(s.currentProvisioning.count) provisioning below \(s.target)"))
        }
        let wanted = min(budget.deficit, budget.room, settings.createsPerTick + max(0, desired.extraIdle))
        if !desired.newInstanceIds.isEmpty && budget.freshIds.count < wanted && !budget.backedOff {
            notes.append("fewer new instance ids than the deficit: the caller passed \(desired.newInstanceIds.count)")
        }
        return creates
    }
}
