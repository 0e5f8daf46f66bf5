import Foundation
import Model

/// Persistence of everything the controller must remember between ticks and across restarts:
/// instance records (create intents, marks, claims, retirements), runtime requests, build
/// outcomes and the audit log. Every method is safe to call from many tasks at once, and
/// every write either happens completely or not at all.
///
/// Times are kept at millisecond precision: a `Date` read back equals the one written once
/// both are rounded to the millisecond (see `Date.storeRounded`).
public protocol PoolStore: Sendable {
    /// Applies the numbered migrations not applied yet, in order, each in its own
    /// transaction. Returns the names of those it applied (empty when up to date).
    func migrate() async throws -> [String]

    /// What a tick reads of the store, each kind of record once: every record, the build
    /// failures of `revision`, pending requests and claims in flight, on one connection.
    func observe(revision: String) async throws -> StoreObservation
    /// Every record not forgotten, ordered by instance id.
    func instances() async throws -> [InstanceRecord]
    /// The record of one instance, nil when unknown or forgotten.
    func instance(id: String) async throws -> InstanceRecord?

    /// Records that we are about to create this instance, before any platform call, with
    /// the secret version its token derives from (nil: made with the pool key, as before
    /// instance tokens; for imports and tests).
    /// Does nothing when a record with this id already exists.
    func recordIntent(instanceId: String, serviceName: String, revision: String, tokenVersion: Int?, at: Date) async throws
    /// Moves the create sequence forward to `step` (never backwards) and records the
    /// service id and its project of its own when given. Throws `StoreError.unknownInstance`
    /// without an intent.
    func recordStep(instanceId: String, step: CreateStep, serviceId: String?, projectId: String?) async throws
    /// Records the project of its own an instance was found in (adopted or marked by name,
    /// without a create of ours that recorded it). Keeps a project already recorded.
    func recordProject(instanceId: String, projectId: String) async throws
    /// Records the state the controller last saw. Creates the record when there is none
    /// (an instance adopted by name) and brings a forgotten one back: it was seen again.
    func mark(instanceId: String, serviceId: String?, domain: String?, state: InstanceState, at: Date) async throws
    /// Records a usable status answer for all of these instances, in one statement.
    func recordHealthy(instanceIds: [String], at: Date) async throws
    /// After a successful delete of its service: the record leaves `instances()` but stays
    /// in the database for the audit.
    func forget(instanceId: String, at: Date) async throws

    /// Atomically takes the oldest claimable instance (marked idle, never claimed, not
    /// retired, not forgotten) for `agentName`. With an idempotency key already used,
    /// takes nothing and reports that claim instead.
    /// `requestHash`: a hash of the request the key is used with; the same key with another
    /// hash answers `.keyReused`.
    /// `behindWaitersSince`: takes nothing (`.poolEmpty`) while a claim heard from since
    /// then waits in line (`joinClaimQueue`): claims in line are served first. Nil for the
    /// claim whose turn it is, and where there is no line.
    func beginClaim(agentName: String, idempotencyKey: String?, requestHash: String?,
                    behindWaitersSince: Date?, at: Date) async throws -> ClaimStart
    /// The instance accepted the conversation: it is claimed, and the answer is stored for
    /// the claim's idempotency key. Throws `StoreError.notClaiming` unless a claim is in flight.
    /// Records the claim and its audit event in one transaction.
    func completeClaim(instanceId: String, conversationId: String, inviteUrl: String?,
                       joined: Bool, at: Date) async throws
    /// The claim call failed: the instance is retired (it may be dirty, so it will be
    /// deleted) and the failure is stored for the claim's idempotency key.
    func failClaim(instanceId: String, reason: String, at: Date) async throws
    /// Records an instance found holding a conversation we never gave it as claimed by an
    /// unknown agent. Leaves a record that is already claiming or claimed untouched.
    /// Ends a claim in flight without retiring the instance (the call never reached it, or
    /// it refused the pool key: a configuration fault, not a dirty instance).
    func releaseClaim(instanceId: String, reason: String, at: Date) async throws
    /// Instances whose claim has been in flight since before `startedBefore`: the process
    /// that took them stopped (or lost its store) before the claim ended.
    func claimsInFlight(startedBefore: Date) async throws -> [InstanceRecord]
    /// The stored answers of finished, successful claims of these instances (invite URLs
    /// for the dashboard and status), by instance id.
    func claimAnswers(instanceIds: [String]) async throws -> [String: ClaimOutcome]
    /// A claim call found the instance already bound (409): it is kept as adopted, never
    /// handed out and never deleted automatically (a live user may be on it).
    func claimFoundBound(instanceId: String, reason: String, at: Date) async throws
    /// Before deleting an unclaimed instance's service: retires it so no claim can take it
    /// meanwhile. False when it is claimed or claiming (the delete must not happen).
    func reserveForDelete(instanceId: String, reason: String, at: Date) async throws -> Bool
    /// The instance asked to be removed: its claim (if any) ends, it is retired, and the
    /// next tick deletes it; one event is recorded the first time. Changes nothing while a
    /// claim is in flight (`.claiming`), once it is forgotten (`.gone`) or without a record.
    func selfDestruct(instanceId: String, at: Date) async throws -> SelfDestructOutcome
    func adopt(instanceId: String, serviceId: String?, conversationId: String, at: Date) async throws
    /// Records instances another system handed out as claimed, in one transaction: all of
    /// them or none. Never overwrites an instance claimed by someone else, retired or
    /// forgotten (a conflict); importing the same claims again changes nothing. With
    /// `dryRun` the transaction is rolled back: the outcomes say what a real run would do.
    func importClaimed(_ claims: [ImportedClaim], dryRun: Bool, at: Date) async throws -> [ImportOutcome]

    /// Queues a drain or replenish request made through the API. Returns its id.
    func addRequest(kind: PoolRequest.Kind, count: Int?, at: Date) async throws -> Int64
    /// Requests not completed yet, oldest first.
    func pendingRequests() async throws -> [PoolRequest]
    /// Marks a request done. Completing it twice is harmless; an unknown id throws.
    func completeRequest(id: Int64, at: Date) async throws

    func recordBuildOutcome(revision: String, succeeded: Bool, at: Date) async throws
    /// Failed builds of this revision recorded since its last successful one.
    func consecutiveBuildFailures(revision: String) async throws -> Int
    /// When the last failure of that streak was recorded (nil when none).
    func lastBuildFailureAt(revision: String) async throws -> Date?

    /// Appends to the audit log. Returns the id the store gave the event.
    @discardableResult
    func append(_ event: PoolEvent) async throws -> Int64
    /// Up to `limit` events, newest first, with ids below `before` when given (the id of
    /// the last event of the previous page).
    func events(limit: Int, before: Int64?) async throws -> [PoolEvent]

    /// Takes the named lease for `holder` until `at + duration` when it is free, expired or
    /// already `holder`'s (a renewal), in one transaction. Returns the lease as it stands
    /// afterwards: held by `holder` when taken, by another replica otherwise. Replicas
    /// compare their own clocks with the expiry, so their clocks must agree to well within
    /// a lease duration (NTP does).
    func acquireLease(_ name: String, holder: String, duration: TimeInterval, at: Date) async throws -> Lease
    /// Gives the lease up at once (shutdown) if `holder` has it; otherwise does nothing.
    func releaseLease(_ name: String, holder: String) async throws
    /// The named lease, nil when nobody ever took it.
    func lease(_ name: String) async throws -> Lease?

    /// Puts a waiting claim in line (idempotent), at the back.
    func joinClaimQueue(waiterId: String, at: Date) async throws
    /// Renews the waiter's place (back in line at `joinedAt` if it was dropped meanwhile),
    /// drops waiters not heard from since `liveSince`, and says whether `waiterId` is first
    /// in line: only the first may take an instance.
    func claimQueueTurn(waiterId: String, joinedAt: Date, at: Date, liveSince: Date) async throws -> Bool
    /// Leaves the line (served, gave up, or its client went away). Idempotent.
    func leaveClaimQueue(waiterId: String) async throws

    /// Records the pool's counts for `sample.minute`, replacing an earlier sample of that
    /// minute, and drops samples older than `PoolSample.kept`.
    func recordSample(_ sample: PoolSample) async throws
    /// The samples whose minute and the claims (asked by agents: no adoptions, no imports)
    /// whose start fall in `since..<until`, oldest first.
    func history(since: Date, until: Date) async throws -> PoolHistoryRows

    /// Records a known webhook a follower received, for the leader to act on, and drops
    /// those older than an hour.
    func relayWebhook(serviceId: String?, at: Date) async throws
    /// The webhooks relayed after the one with id `after`, oldest first, with the newest id
    /// (`after` when none is new). Nil `after`: none, only the newest id (a new leader
    /// lists the platform on taking over, so it starts from now).
    func relayedWebhooks(after: Int64?) async throws -> RelayedWebhooks

    /// Releases the database connections. The store must not be used afterwards.
    func close() async
}

/// The store's part of one tick's observation (made by the store alone: its memberwise
/// initializer is internal).
public struct StoreObservation: Sendable, Equatable {
    /// Every record not forgotten, ordered by instance id.
    public var records: [InstanceRecord]
    /// Failed builds of the revision since its last successful one, and when the last was.
    public var consecutiveBuildFailures = 0
    public var lastBuildFailureAt: Date?
    /// Requests not completed yet, oldest first.
    public var requests: [PoolRequest] = []
    /// Instances whose claim is in flight (claiming, not forgotten), with when it started.
    public var claimsInFlight: [String: Date] = [:]
}

/// Webhooks followers relayed since a reader's last id (`PoolStore.relayedWebhooks`).
public struct RelayedWebhooks: Sendable, Equatable {
    /// The service each names (nil: the event named none), oldest first.
    public var serviceIds: [String?]
    /// Pass as `after` next time.
    public var lastId: Int64

    public init(serviceIds: [String?], lastId: Int64) { (self.serviceIds, self.lastId) = (serviceIds, lastId) }
}

/// What `selfDestruct` did.
public enum SelfDestructOutcome: String, Sendable, Equatable {
    /// Retired now; the next tick deletes it.
    case retired
    /// Asked before: nothing changed.
    case alreadyRetired
    /// A claim call is in flight: ask again once it ends.
    case claiming
    /// Deleted already (forgotten).
    case gone
    /// No record of it at all.
    case unknown
}

/// What `beginClaim` did.
public enum ClaimStart: Sendable, Equatable {
    /// This instance is now `claiming` for the agent; the caller must complete or fail it.
    case took(InstanceRecord)
    /// No claimable instance: nothing was taken.
    case poolEmpty
    /// The idempotency key belongs to a finished claim: here is its answer again.
    case replay(ClaimOutcome)
    /// The idempotency key belongs to a claim still in flight.
    case inProgress
    /// The key was first used with another request.
    case keyReused
}

/// The stored answer of a finished claim, replayed for a retried request.
public enum ClaimOutcome: Sendable, Equatable, Codable {
    case claimed(instanceId: String, conversationId: String, inviteUrl: String?, joined: Bool)
    case failed(instanceId: String, message: String)
}

extension PoolStore {
    public func recordStep(instanceId: String, step: CreateStep, serviceId: String?) async throws {
        try await recordStep(instanceId: instanceId, step: step, serviceId: serviceId, projectId: nil)
    }

    /// An intent with the pool key (no secret version): instances made before instance tokens.
    public func recordIntent(instanceId: String, serviceName: String, revision: String, at: Date) async throws {
        try await recordIntent(instanceId: instanceId, serviceName: serviceName, revision: revision, tokenVersion: nil, at: at)
    }

    public func beginClaim(agentName: String, idempotencyKey: String?, at: Date) async throws -> ClaimStart {
        try await beginClaim(agentName: agentName, idempotencyKey: idempotencyKey, requestHash: nil, at: at)
    }

    public func beginClaim(agentName: String, idempotencyKey: String?, requestHash: String?, at: Date) async throws -> ClaimStart {
        try await beginClaim(agentName: agentName, idempotencyKey: idempotencyKey, requestHash: requestHash,
                             behindWaitersSince: nil, at: at)
    }

    public func mark(instanceId: String, serviceId: String?, state: InstanceState, at: Date) async throws {
        try await mark(instanceId: instanceId, serviceId: serviceId, domain: nil, state: state, at: at)
    }
}
