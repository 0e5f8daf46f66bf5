import Foundation
import Logging
import Observers
import Spec
import Store

/// What one tick saw, planned and did.
public struct TickResult: Sendable {
    public var observed: ObservedState
    public var plan: Plan
    public var results: [ActionResult]
    public var failed: Int { results.filter { !$0.ok }.count }
}

/// One reconcile tick: observe, plan, apply. Level-triggered: nothing carries over
/// between ticks except one safety check (an empty listing is believed only twice in a row).
public actor Reconciler {
    public let spec: EnvironmentSpec
    let observer: Observer
    let executor: Executor
    let logger: Logger
    let clock: @Sendable () -> Date
    let newIds: @Sendable (Int) -> [String]
    var sawEmptyListing = false
    /// Ticks, plans and applies run one at a time: an actor alone would interleave them at
    /// every await.
    var busy = false
    var waiting: [CheckedContinuation<Void, Never>] = []

    func exclusively<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }

    public init(spec: EnvironmentSpec, observer: Observer, executor: Executor, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() },
                newIds: @escaping @Sendable (Int) -> [String] = { n in
                    var g = SystemRandomNumberGenerator()
                    return InstanceNaming.ids(n, using: &g)
                }) {
        self.spec = spec
        self.observer = observer
        self.executor = executor
        self.logger = logger
        self.clock = clock
        self.newIds = newIds
    }

    /// Observe and plan, without changing anything.
    public func plan() async -> (ObservedState, Plan) {
        await exclusively { await planNow(remember: true) }
    }

    /// Observe and plan, without changing anything and without counting this listing
    /// toward the empty-listing check: a preview polled by the API must never make the
    /// next tick believe an empty listing it saw only once.
    public func preview() async -> (ObservedState, Plan) {
        await exclusively { await planNow(remember: false) }
    }

    func planNow(remember: Bool, requests: [PoolRequest]? = nil) async -> (ObservedState, Plan) {
        var observed = await observer.observe()
        observed = checkPlausible(observed, remember: remember)
        let pending = if let requests { requests } else { await pendingRequests() }
        let now = clock()
        let drain = pending.filter { $0.kind == .drain }.reduce(0) { $0 + min($1.count ?? 1_000, 1_000) }
        let extra = pending.filter { $0.kind == .replenish && replenishInEffect($0, now: now) }
            .reduce(0) { $0 + min($1.count ?? 0, 1_000) }
        let desired = DesiredState(spec: spec, newInstanceIds: newIds(spec.settings.createsPerTick + extra),
                                   drain: drain, extraIdle: extra)
        return (observed, Planner.plan(desired: desired, observed: observed, now: now))
    }

    /// A replenish request raises the idle target for one stuck timeout from when it was
    /// made: long enough to build its instances and meet a burst, then they are excess.
    func replenishInEffect(_ r: PoolRequest, now: Date) -> Bool {
        now.timeIntervalSince(r.requestedAt) <= spec.settings.stuckTimeout
    }

    /// Requests operators made through the API, not yet served.
    func pendingRequests() async -> [PoolRequest] {
        do {
            return try await executor.store.pendingRequests()
        } catch {
            logger.warning("could not read pending requests: \(error)")
            return []
        }
    }

    /// What a replica that does not lead does each tick: observe and plan, apply nothing,
    /// write nothing.
    public func observeOnly() async -> TickResult {
        let (observed, plan) = await preview()
        return TickResult(observed: observed, plan: plan, results: [])
    }

    /// One full tick.
    public func tick() async -> TickResult {
        await exclusively { await tickNow() }
    }

    func tickNow() async -> TickResult {
        await recoverAbandonedClaims()
        let requests = await pendingRequests()
        let (observed, plan) = await planNow(remember: true, requests: requests)
        await recordHealthy(observed)
        let results = await executor.apply(plan, observed: observed)
        // A drain is served by the tick that planned it (up to its count of idle instances);
        // a replenish ends when its window has passed.
        // A replica that lost the lease mid-tick applied nothing: the requests wait for the leader.
        if observed.complete && executor.mayAct() {
            let now = clock()
            for request in requests where request.kind == .drain || !replenishInEffect(request, now: now) {
                do { try await executor.store.completeRequest(id: request.id, at: now) }
                catch { logger.warning("could not complete \(request.kind.rawValue) request \(request.id): \(error)") }
            }
        }
        log(TickResult(observed: observed, plan: plan, results: results))
        return TickResult(observed: observed, plan: plan, results: results)
    }

    /// Applies a plan made earlier, after checking the world still looks as it did then.
    public func apply(saved: SavedPlan) async throws -> TickResult {
        try await exclusively { try await applyNow(saved: saved) }
    }

    func applyNow(saved: SavedPlan) async throws -> TickResult {
        var observed = await observer.observe()
        observed = checkPlausible(observed)
        guard observed.complete else {
            throw SavedPlan.Rejection.blind(observed.incompleteReason ?? "observation incomplete")
        }
        try saved.check(against: observed, spec: spec)
        let results = await executor.apply(saved.plan, observed: observed)
        log(TickResult(observed: observed, plan: saved.plan, results: results))
        return TickResult(observed: observed, plan: saved.plan, results: results)
    }

    /// A listing with no services while the store knows services it created is believed
    /// only when it comes twice in a row: one bad answer must never look like deletions.
    func checkPlausible(_ observed: ObservedState, remember: Bool = true) -> ObservedState {
        guard observed.complete else {
            // A failed observation breaks the row: empty, failed, empty is not twice in a row.
            if remember { sawEmptyListing = false }
            return observed
        }
        let listed = observed.instances.contains { $0.service != nil }
        let known = observed.instances.filter { $0.record?.serviceId != nil }.count
        if !listed && known > 0 {
            defer { if remember { sawEmptyListing = true } }
            if !sawEmptyListing {
                var o = observed
                o.complete = false
                o.incompleteReason = "the platform listed no services while the store knows \(known); waiting for a second listing"
                return o
            }
        } else if remember {
            sawEmptyListing = false
        }
        return observed
    }

    /// How long past its call's hard timeout a claim may stay in flight before it counts as
    /// abandoned (the claiming process stopped, or lost its store, before recording the end).
    static let abandonedClaimGrace: TimeInterval = 60

    /// Ends claims abandoned in flight, by what their instance says. Holding a conversation:
    /// the claim took effect (its caller may even have been answered), so it is recorded as
    /// claimed and kept. Holding none: it may be dirty, so it is retired and replaced.
    /// Anything else (unreachable, 401): left for a later tick; a claiming instance is never
    /// deleted.
    func recoverAbandonedClaims() async {
        guard let prober = observer.prober else { return }
        let limit = max(spec.settings.claimCreateTimeout, spec.settings.claimJoinTimeout) + Self.abandonedClaimGrace
        let abandoned: [InstanceRecord]
        do {
            abandoned = try await executor.store.claimsInFlight(startedBefore: clock().addingTimeInterval(-limit))
        } catch {
            logger.warning("could not look for abandoned claims: \(error)")
            return
        }
        guard !abandoned.isEmpty else { return }
        let answers = await prober.probeAll(abandoned.compactMap { r in
            r.domain.map { (id: r.instanceId, baseURL: "\(observer.scheme)://\($0)") }
        })
        for record in abandoned {
            let id = record.instanceId
            let agent = record.agentName.map { "\"\($0)\"" } ?? "an unknown agent"
            guard case .status(let status)? = answers[id] else {
                logger.warning("claim of \(id) for \(agent) is still in flight after \(Int(limit)) s and the instance gives no status; left as it is")
                continue
            }
            do {
                if let conversation = status.conversationId {
                    try await executor.store.completeClaim(instanceId: id, conversationId: conversation, inviteUrl: nil,
                                                           joined: false, at: clock())
                    logger.warning("claim of \(id) for \(agent) was interrupted; the instance holds conversation \(conversation): recorded as claimed")
                } else {
                    try await executor.store.failClaim(instanceId: id, reason: "claim interrupted: nothing recorded within \(Int(limit)) s and the instance holds no conversation; retired (it may hold the claim's instructions)", at: clock())
                    logger.warning("claim of \(id) for \(agent) was interrupted before it bound a conversation: retired, to be replaced")
                }
            } catch {
                logger.warning("could not end the abandoned claim of \(id): \(error)")
            }
        }
    }

    func recordHealthy(_ observed: ObservedState) async {
        let healthy = observed.instances.compactMap { i -> String? in
            // A bound instance whose message stream is down is not healthy (contract state D).
            guard case .status(let s) = i.probe, s.usable, let r = i.record,
                  s.conversationId == nil || s.streaming != false else { return nil }
            return r.instanceId
        }
        guard !healthy.isEmpty else { return }
        do { try await executor.store.recordHealthy(instanceIds: healthy, at: clock()) }
        catch { logger.warning("could not record healthy instances: \(error)") }
    }

    func log(_ t: TickResult) {
        let counts = t.plan.counts.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var line = "tick: \(counts.isEmpty ? "no instances" : counts.joined(separator: " ")); planned \(t.plan.actions.count), applied \(t.results.filter(\.ok).count), failed \(t.failed)"
        if !t.observed.complete { line += "; blind: \(t.observed.incompleteReason ?? "")" }
        for n in t.plan.notes where t.observed.complete { line += "; note: \(n)" }
        if t.failed > 0 || !t.observed.complete { logger.warning("\(line)") } else { logger.info("\(line)") }
        // Loud on every tick, not once: nothing else will fix it, and such instances count as
        // supply while nobody can claim them.
        if let refusing = t.plan.counts["misconfigured"], refusing > 0, t.observed.complete {
            logger.error("configuration fault: \(refusing) instance(s) answer 401 to the pool key; POOL_API_KEY differs from the key they were built with. They are kept (never deleted); kill or drain them once the key is right")
        }
    }
}
