import Foundation

/// The pool's counts at one minute: the first complete tick the leader ran in that minute.
/// The store keeps one per minute for a week; the dashboard's chart draws the last day.
public struct PoolSample: Sendable, Equatable, Codable {
    /// The start of the minute (whole minutes since 1970).
    public var minute: Date
    public var idle: Int
    public var provisioning: Int
    public var claimed: Int

    public init(minute: Date, idle: Int, provisioning: Int, claimed: Int) {
        (self.minute, self.idle, self.provisioning, self.claimed) = (minute, idle, provisioning, claimed)
    }

    /// How long the store keeps samples: a week, the longest stretch the chart draws.
    public static let kept: TimeInterval = 7 * 86_400

    /// The start of the minute `date` falls in.
    public static func minute(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }
}

/// One claim an agent asked for (adoptions are not claims): when it started, when it ended
/// and whether the instance took the conversation. Nil `finishedAt`: still in flight.
public struct ClaimTiming: Sendable, Equatable {
    public var startedAt: Date
    public var finishedAt: Date?
    public var succeeded: Bool

    public init(startedAt: Date, finishedAt: Date?, succeeded: Bool) {
        (self.startedAt, self.finishedAt, self.succeeded) = (startedAt, finishedAt, succeeded)
    }

    /// Start to answer, for a finished claim.
    public var latency: TimeInterval? { finishedAt.map { $0.timeIntervalSince(startedAt) } }
}

/// What the store holds of a stretch of time: samples and claims, oldest first.
public struct PoolHistoryRows: Sendable, Equatable {
    public var samples: [PoolSample]
    public var claims: [ClaimTiming]

    public init(samples: [PoolSample], claims: [ClaimTiming]) {
        (self.samples, self.claims) = (samples, claims)
    }
}
