import Foundation

/// How long a simulated build stays in each phase before the instance process starts,
/// so that the controller sees the same QUEUED → BUILDING → DEPLOYING → SUCCESS path
/// (and the same waiting) as on Railway, only shorter.
public struct BuildPhases: Sendable, Equatable {
    public var queued: Duration
    public var building: Duration
    public var deploying: Duration

    public init(queued: Duration = .seconds(1), building: Duration = .seconds(3), deploying: Duration = .seconds(1)) {
        self.queued = queued
        self.building = building
        self.deploying = deploying
    }

    /// The phase ends of a build started at `start`.
    func schedule(startingAt start: Date, fails: Bool) -> LocalBuild {
        let queuedUntil = start.addingTimeInterval(queued.timeInterval)
        let buildingUntil = queuedUntil.addingTimeInterval(building.timeInterval)
        return LocalBuild(startedAt: start, queuedUntil: queuedUntil, buildingUntil: buildingUntil,
                          deployingUntil: buildingUntil.addingTimeInterval(deploying.timeInterval), fails: fails)
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
