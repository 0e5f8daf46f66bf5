extension Rules {
    /// Rule 7. Scale down: a lowered minIdle removes current provisioning then idle
    /// instances, newest first; a lowered maxTotal also takes outdated idle ones first.
    /// Never claimed, crashed or adopted ones: if only those are left, a note says so.
    mutating func scaleDown(_ s: Supply) {
        let newestFirst: (ClassifiedInstance, ClassifiedInstance) -> Bool = { !oldestFirst($0, $1) }
        var overIdle = s.currentIdle.count + s.currentProvisioning.count - s.minIdle
        var overTotal = s.live.count - s.live.filter(isDeleted).count - settings.maxTotal
        for i in s.currentProvisioning.sorted(by: newestFirst) + s.currentIdle.sorted(by: newestFirst)
        where overIdle > 0 && !isDeleted(i) {
            delete(i, .excess, "excess \(i.state.rawValue): \(s.currentIdle.count) idle + \(s.currentProvisioning.count) provisioning above \(s.target)")
            overIdle -= 1
            overTotal -= 1
        }
        let byTotal = s.currentProvisioning.sorted(by: newestFirst) + s.outdatedIdle + s.currentIdle.sorted(by: newestFirst)
        for i in byTotal where overTotal > 0 && !isDeleted(i) {
            delete(i, .excess, "over maxTotal \(settings.maxTotal): \(s.live.count) instances")
            overTotal -= 1
        }
        if overTotal > 0 {
            notes.append("over maxTotal \(settings.maxTotal) by \(overTotal) with only claimed, crashed or adopted instances left: they are never removed automatically")
        }
    }
}
