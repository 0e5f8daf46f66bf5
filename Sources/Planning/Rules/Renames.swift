extension Rules {
    /// Rule 2. Claimed instances carry their agent's name. Crashed ones wait for the operator.
    func renames() -> [PlanAction] {
        var names = serviceNames
        var out: [PlanAction] = []
        for i in owned where i.state == .claimed {
            guard let service = i.service, let agent = i.record?.agentName else { continue }
            // Taken: carried by any other service, or planned for one.
            let taken: (String) -> Bool = { ($0 == service.name ? (names[$0] ?? 0) - 1 : names[$0] ?? 0) > 0 }
            let target = InstanceNaming.claimedName(prefix: desired.prefix, agentName: agent,
                                                    instanceId: i.instanceId, current: service.name, taken: taken)
            // A project of its own carries the same name: a failed project rename is
            // retried on the next tick, so a claimed project never looks reusable.
            if target != service.name || service.project.map({ $0.name != target }) == true {
                if target != service.name {
                    names[service.name, default: 1] -= 1
                    names[target, default: 0] += 1
                }
                out.append(.rename(i, service: service, to: target, reason: "claimed by \"\(agent)\""))
            }
        }
        return out
    }
}
