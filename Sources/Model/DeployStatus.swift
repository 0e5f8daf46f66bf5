/// Railway's `DeploymentStatus` enum, value for value (see Railway's published schema).
/// The local platform reports the same values so the planner has one vocabulary.
public enum DeployStatus: String, Codable, CaseIterable, Sendable {
    case building = "BUILDING"
    case crashed = "CRASHED"
    case deploying = "DEPLOYING"
    case failed = "FAILED"
    case initializing = "INITIALIZING"
    case needsApproval = "NEEDS_APPROVAL"
    case queued = "QUEUED"
    case removed = "REMOVED"
    case removing = "REMOVING"
    case skipped = "SKIPPED"
    case sleeping = "SLEEPING"
    case success = "SUCCESS"
    case waiting = "WAITING"

    /// Terminal and not running: an unclaimed instance in this state is dead.
    public var isTerminalFailure: Bool {
        switch self {
        case .failed, .crashed, .removed, .skipped, .sleeping: true
        default: false
        }
    }
}
