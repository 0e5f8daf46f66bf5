import Model
import Spec

extension Rules {
    /// Rule 8. Creates: resumes of interrupted create sequences first, then new instances
    /// for the deficit, as many as the budget allows. In placement projectPerInstance each
    /// goes in an empty project of the pool's when there is one, else in a new project as
    /// Railway's pace allows; empty projects left over go once old (with their deletes).
    mutating func creates(_ s: Supply, _ budget: CreateBudget) -> (creates: [PlanAction], projectDeletes: [PlanAction]) {
        var resumes: [(ClassifiedInstance, CreateStep, String)] = []
        for i in s.live where i.state == .provisioning && !isDeleted(i) {
            guard let step = i.record?.createStep, !step.isComplete, let revision = i.revision else { continue }
            resumes.append((i, step, revision))
        }
        let fresh = Array(budget.freshIds.prefix(budget.count))
        // Only a create with no service yet needs a project.
        let needing = resumes.filter { $0.0.service == nil && $0.1 < .serviceCreated }.map(\.0.instanceId)
        let projects = assignProjects(resumes: needing, fresh: fresh, now: now)
        var pace = projects.paceRoom
        var paced = 0
        /// Whether a create that needs a project may go: a reused one, or a new one in pace.
        func mayGo(_ id: String, needsProject: Bool) -> Bool {
            guard needsProject, desired.projectPerInstance, projects.reused[id] == nil else { return true }
            if pace > 0 { pace -= 1; return true }
            paced += 1
            return false
        }

        var creates: [PlanAction] = []
        for (i, step, revision) in resumes where mayGo(i.instanceId, needsProject: needing.contains(i.instanceId)) {
            creates.append(.create(id: i.instanceId, name: i.service?.name ?? InstanceNaming.serviceName(prefix: desired.prefix, instanceId: i.instanceId),
                                   revision: revision, serviceId: i.service?.serviceId, resume: true,
                                   reason: "resume interrupted create (last completed step: \(step.rawValue))",
                                   projectId: projects.reused[i.instanceId]))
        }
        for id in fresh where mayGo(id, needsProject: true) {
            let reuse = projects.reused[id].map { " in an empty project of the pool's (\($0))" } ?? ""
            creates.append(.create(id: id, name: InstanceNaming.serviceName(prefix: desired.prefix, instanceId: id),
                                   revision: desired.revision,
                                   reason: "\(s.currentIdle.count) idle + \(s.currentProvisioning.count) provisioning below \(s.target)\(reuse)",
                                   projectId: projects.reused[id]))
        }
        if paced > 0, let railway = desired.railway {
            notes.append("paced: \(paced) create(s) wait for projectCreate, which Railway allows once per \(DurationText.format(railway.projectCreateInterval)) per token (\(desired.projectCreateTokens) token(s))")
        }
        let wanted = min(budget.deficit, budget.room, settings.createsPerTick + max(0, desired.extraIdle))
        if !desired.newInstanceIds.isEmpty && budget.freshIds.count < wanted && !budget.backedOff {
            notes.append("fewer new instance ids than the deficit: the caller passed \(desired.newInstanceIds.count)")
        }
        return (creates, deleteLeftoverProjects(projects.leftover, now: now))
    }
}
