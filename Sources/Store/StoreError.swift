/// Every error the store throws. Messages name what was wrong and never carry the
/// database password (driver messages are redacted before they get here).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The database URL could not be used; `url` is shown with its password masked.
    case invalidDatabaseURL(url: String, problem: String)
    /// An argument the caller passed is out of range or empty.
    case invalidArgument(name: String, problem: String)
    case unknownInstance(String)
    case unknownRequest(Int64)
    /// complete/failClaim on an instance with no claim in flight.
    case notClaiming(instanceId: String)
    /// A value read from the database that this version does not know.
    case unexpectedValue(column: String, value: String)
    case migrationFailed(name: String, problem: String)
    /// The database refused or could not be reached while doing `operation`.
    case database(operation: String, message: String)

    public var description: String {
        switch self {
        case let .invalidDatabaseURL(url, problem):
            "invalid database URL \(url): \(problem)"
        case let .invalidArgument(name, problem):
            "invalid \(name): \(problem)"
        case let .unknownInstance(id):
            "no record of instance \(id)"
        case let .unknownRequest(id):
            "no request with id \(id)"
        case let .notClaiming(id):
            "instance \(id) has no claim in flight"
        case let .unexpectedValue(column, value):
            "unexpected value \"\(value)\" in column \(column)"
        case let .migrationFailed(name, problem):
            "migration \(name) failed: \(problem)"
        case let .database(operation, message):
            "database error during \(operation): \(message)"
        }
    }
}
