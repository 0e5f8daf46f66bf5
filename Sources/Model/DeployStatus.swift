/// Railway's `DeploymentStatus` enum, value for value (see Railway's published schema).
/// The local platform reports the same values so the planner has one vocabulary.
public enum DeployStatus: String, Codable, CaseIterable, Sendable {
    // On the way up.
    case waiting = "WAITING", needsApproval = "NEEDS_APPROVAL", queued = "QUEUED", initializing = "INITIALIZING"
    case building = "BUILDING", deploying = "DEPLOYING"
    // Up, or asleep.
    case success = "SUCCESS", sleeping = "SLEEPING"
    // Ended.
    case failed = "FAILED", crashed = "CRASHED", skipped = "SKIPPED", removing = "REMOVING", removed = "REMOVED"

    /// On the way up: the deploy has not ended yet.
    public var isInProgress: Bool {
        switch self {
        case .waiting, .needsApproval, .queued, .initializing, .building, .deploying: true
        default: false
        }
    }

    /// Terminal and not running: an unclaimed instance in this state is dead.
    public var isTerminalFailure: Bool {
        switch self {
        case .failed, .crashed, .removed, .skipped, .sleeping: true
        default: false
        }
    }
}
