/// How one HTTP attempt ended, for counting calls (tests, metrics).
public enum RailwayCallOutcome: String, Sendable, CaseIterable {
    case success
    case graphQLError
    case invalidDocument
    case unauthorized
    case rateLimited
    case serverError
    case notJSON
    case timeout
    case transport
    case unexpected
}

/// Key of `RailwayClient.callCounts`: every attempt is counted, retries included.
public struct RailwayCallKey: Hashable, Sendable, CustomStringConvertible {
    public var operation: RailwayOperation
    public var outcome: RailwayCallOutcome

    public init(_ operation: RailwayOperation, _ outcome: RailwayCallOutcome) {
        self.operation = operation
        self.outcome = outcome
    }

    public var description: String { "\(operation.rawValue).\(outcome.rawValue)" }
}
