import Foundation
import Model
import Spec

/// Placement projectPerInstance: which project each create goes in. Reused projects cost
/// no `projectCreate` (Railway allows one per `projectCreateInterval` per token); a new
/// one is paced. Empty projects no create needs are deleted once older than stuckTimeout.
struct ProjectAssignment {
    /// The project each create goes in, by instance id; missing: a new project.
    var reused: [String: String] = [:]
    /// Creates that may make a new project this tick.
    var paceRoom: Int
    /// Empty projects no create took.
    var leftover: [PlatformProject]
}

extension Rules {
    /// Pool projects named for an unclaimed instance (`<prefix>-<id>`); a claimed one is
    /// renamed with its agent and is never reused.
    func reusable(_ p: PlatformProject) -> Bool {
        p.serviceCount == 0 && InstanceNaming.instanceId(fromServiceName: p.name, prefix: desired.prefix) != nil
    }

    /// Empty projects for resumes first (a create interrupted after `projectCreate` finds
    /// the project named for it), then for new creates, oldest first; what is left of the
    /// pace after that makes new projects.
    func assignProjects(resumes: [String], fresh: [String], now: Date) -> ProjectAssignment {
        guard let railway = desired.railway, railway.placement == .projectPerInstance else {
            return ProjectAssignment(paceRoom: .max, leftover: [])
        }
        // A project a record names belongs to that instance, whatever its name says, until
        // the record goes (after its delete).
        let recorded = Set(owned.compactMap { $0.record?.projectId })
        var free = projects.filter { reusable($0) && !recorded.contains($0.projectId) }
            .sorted { ($0.createdAt, $0.projectId) < ($1.createdAt, $1.projectId) }
        var out = ProjectAssignment(paceRoom: 0, leftover: [])
        for id in resumes {
            let own = InstanceNaming.serviceName(prefix: desired.prefix, instanceId: id)
            if let k = free.firstIndex(where: { $0.name == own }) { out.reused[id] = free.remove(at: k).projectId }
        }
        // Projects named for a live instance still without a service wait for its resume.
        let waiting = Set(owned.filter { $0.service == nil && !isDeleted($0) }
            .map { InstanceNaming.serviceName(prefix: desired.prefix, instanceId: $0.instanceId) })
        free.removeAll { waiting.contains($0.name) }
        for id in resumes + fresh where railway.reuseEmptyProjects && out.reused[id] == nil && !free.isEmpty {
            out.reused[id] = free.removeFirst().projectId
        }
        // Railway's pace, read from the listing: projects made within the last interval.
        let recent = projects.filter { now.timeIntervalSince($0.createdAt) < railway.projectCreateInterval }.count
        out.paceRoom = max(0, desired.projectCreateTokens - recent)
        out.leftover = free
        return out
    }

    /// Empty projects nothing took, older than stuckTimeout (by when they were created:
    /// Railway says nothing of when one became empty).
    mutating func deleteLeftoverProjects(_ leftover: [PlatformProject], now: Date) -> [PlanAction] {
        leftover.filter { now.timeIntervalSince($0.createdAt) > settings.stuckTimeout }.compactMap { p in
            guard let id = InstanceNaming.instanceId(fromServiceName: p.name, prefix: desired.prefix) else { return nil }
            return .deleteProject(p, instanceId: id,
                                  reason: "empty project older than stuckTimeout \(DurationText.format(settings.stuckTimeout)), not needed by a create")
        }
    }
}
