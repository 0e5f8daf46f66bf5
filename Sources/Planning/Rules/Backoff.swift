import Foundation
import Spec

/// How many instances this tick may create, and why not more.
struct CreateBudget {
    /// Creates paused by the build-failure backoff.
    var backedOff: Bool
    /// Idle instances short of the target.
    var deficit: Int
    /// Room left under maxTotal (planned deletes free none until they happened).
    var room: Int
    /// New instance ids not already in use.
    var freshIds: [String]
    var count: Int
}

extension Rules {
    /// How long creates stay paused after the backoff triggers: the stuck timeout, doubled
    /// for each further failure, at most a day. Then one probe build is allowed.
    func cooldown(failures: Int) -> TimeInterval {
        let doublings = min(max(0, failures - settings.failureBackoff), 10)
        return min(settings.stuckTimeout * Double(1 << doublings), 86_400)
    }

    /// Rule 5. The deficit, within maxTotal and createsPerTick, and the build-failure
    /// backoff: after `failureBackoff` failed builds of a revision creates pause for a
    /// cooldown, then one probe build goes at a time.
    mutating func backoff(_ s: Supply) -> CreateBudget {
        let newFailures = owned.filter { $0.state == .dead && $0.failedBuild }.count
        let failures = buildFailures + newFailures
        // Past the cooldown (and with no failure seen this tick) one probe build may go:
        // a passing outage must not leave the pool empty until someone edits the spec.
        let probeAllowed = newFailures == 0 && (sinceLastFailure.map { $0 >= cooldown(failures: failures) } ?? true)
        let backedOff = failures >= settings.failureBackoff && !probeAllowed
        // Misconfigured instances count as supply, so a key mismatch cannot snowball into
        // creating up to maxTotal instances that all answer 401.
        let supply = s.currentIdle.count + s.currentProvisioning.count + s.misconfigured
        let deficit = max(0, s.minIdle - supply)
        var room = max(0, settings.maxTotal - s.live.count)
        // A shared project holds at most maxServicesPerProject services, the pool's or not.
        var atCap = false
        if let railway = desired.railway, railway.placement == .sharedProject {
            let left = max(0, railway.maxServicesPerProject - sharedServices)
            if left < room { room = left; atCap = true }
        }
        let existingIds = Set(owned.map(\.instanceId))
        let freshIds = desired.newInstanceIds.filter { !existingIds.contains($0) }
        let probing = failures >= settings.failureBackoff && !backedOff
        let count = backedOff || (probing && !s.currentProvisioning.isEmpty) ? 0
            : min(deficit, room, probing ? 1 : settings.createsPerTick + max(0, desired.extraIdle), freshIds.count)
        let to = short(desired.revision)
        if backedOff && deficit > 0 {
            notes.append("not progressing: \(failures) consecutive failed builds of revision \(to) (failureBackoff \(settings.failureBackoff)); creates are paused, a probe build goes after \(DurationText.format(cooldown(failures: failures))) (or fix the build and change the spec)")
        } else if probing && deficit > 0 {
            notes.append("not progressing: \(failures) consecutive failed builds of revision \(to); cooldown over, one probe build at a time")
        } else if deficit > room, atCap, let railway = desired.railway {
            notes.append("at the project's service cap: \(sharedServices) services in the shared project (maxServicesPerProject \(railway.maxServicesPerProject)); \(deficit - count) short of \(s.target)")
        } else if deficit > room {
            notes.append("maxTotal \(settings.maxTotal) reached with \(s.live.count) instances: \(deficit - count) short of \(s.target)")
        }
        return CreateBudget(backedOff: backedOff, deficit: deficit, room: room,
                            freshIds: freshIds, count: count)
    }
}
