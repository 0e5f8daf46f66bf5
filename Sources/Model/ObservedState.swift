import Foundation

/// One instance as one tick saw it: the platform's service (if any), its status probe,
/// and the store's record (if any). The observer joins them; the planner only reads.
public struct ObservedInstance: Sendable, Equatable {
    public var service: PlatformService?
    public var probe: ProbeResult
    public var record: InstanceRecord?
    /// False when `probe` is the instance's last answer carried from an earlier tick (with
    /// webhooks, an instance that cannot have changed is not probed again): it says nothing
    /// of the instance's health now. Not part of the snapshot format.
    public var probedNow = true

    public init(service: PlatformService?, probe: ProbeResult = .notProbed, record: InstanceRecord? = nil) {
        self.service = service
        self.probe = probe
        self.record = record
    }
}

/// Everything one tick observed, gathered before planning.
public struct ObservedState: Sendable, Equatable {
    /// False when any part of the observation failed or looked implausible: a blind tick,
    /// in which nothing is created or deleted.
    public var complete: Bool
    /// Why the observation is incomplete, for the plan's notes.
    public var incompleteReason: String?
    /// Failed builds of the current revision since its last success, from the store.
    public var consecutiveBuildFailures: Int
    /// When the last of those failures was recorded: the backoff's cooldown runs from it.
    public var lastBuildFailureAt: Date?
    /// Every service of the environment (owned or not) and every record of the store.
    public var instances: [ObservedInstance]
    /// Drain and replenish requests not served yet, oldest first. Not part of the snapshot
    /// format: they shape the desired state, not what exists.
    public var requests: [PoolRequest]
    /// When each claim still in flight started, by instance id (abandoned claims are found
    /// from it). Not part of the snapshot format.
    public var claimsInFlight: [String: Date]
    /// The pool's own projects (placement projectPerInstance), empty ones included: what
    /// creates reuse and the pace of `projectCreate` is read from.
    public var projects: [PlatformProject] = []
    /// What the observation called and probed. Not part of the snapshot format.
    public var report = ObservationReport()

    public init(complete: Bool = true, incompleteReason: String? = nil,
                consecutiveBuildFailures: Int = 0, lastBuildFailureAt: Date? = nil, instances: [ObservedInstance],
                requests: [PoolRequest] = [], claimsInFlight: [String: Date] = [:]) {
        self.requests = requests
        self.claimsInFlight = claimsInFlight
        self.lastBuildFailureAt = lastBuildFailureAt
        self.complete = complete
        self.incompleteReason = incompleteReason
        self.consecutiveBuildFailures = consecutiveBuildFailures
        self.instances = instances
    }
}

/// What one observation did, for the loop's webhook bookkeeping and the benchmarks.
public struct ObservationReport: Sendable, Equatable {
    /// Whether the platform was listed (a Railway call), or the last listing reused.
    public var listed: Bool
    /// Instances probed this tick.
    public var probed: Int
    /// Services whose change no webhook reported (found by a listing against the last one).
    public var unreported: [String]
    /// Services this tick's listing shows with a deploy still on its way up: a webhook that
    /// named one is not answered by it (Railway's listing can lag its event).
    public var inProgress: Set<String>
    /// Calls this tick's listing took (its pages, or the one page of a resync round); 0
    /// when it reused the last listing as it was.
    public var pages: Int
    /// This tick read the last page of a resync round: the pages the round took, which is
    /// what a listing of everything costs.
    public var roundPages: Int?
    /// Services (and `project:<id>`) in the last listing that a whole round did not find:
    /// kept until a full listing says whether they are gone.
    public var missing: [String] = []

    public init(listed: Bool = true, probed: Int = 0, unreported: [String] = [], inProgress: Set<String> = [],
                pages: Int = 0, roundPages: Int? = nil, missing: [String] = []) {
        (self.listed, self.probed, self.unreported, self.inProgress) = (listed, probed, unreported, inProgress)
        (self.pages, self.roundPages, self.missing) = (pages, roundPages, missing)
    }
}
