import Foundation
import Logging
import Model
import Observers
import Planning
import Spec
import Store

/// What one tick saw, planned and did. The classification is the planner's own: the
/// executor and `GET /api/pool/status` read it rather than derive states again.
public struct TickResult: Sendable {
    public var observed: ObservedState
    public var plan: Plan
    public var classification: Classification
    public var results: [ActionResult]
    /// Which credential the owned instances hold.
    public var credentials: CredentialCounts
    /// The image watch's view when instances run an image (set by the loop).
    public var image: ImageWatch.State? = nil
    public var failed: Int { results.filter { !$0.ok }.count }
}

/// One reconcile tick, one pass each way: observe (one listing, one store read, one round
/// of probes), end abandoned claims, plan, apply, record. Level-triggered: nothing carries
/// over between ticks except one safety check (an empty listing is believed only twice in
/// a row). Ticks, plans and saved-plan applies take turns on one `TickLock`.
public actor Reconciler {
    public let spec: EnvironmentSpec
    let observer: Observer
    let executor: Executor
    let lock: TickLock
    let logger: Logger
    let clock: @Sendable () -> Date
    let newIds: @Sendable (Int) -> [String]
    /// Tokens `projectCreate` rotates over: the planner's pace allows one project per
    /// interval for each.
    let projectCreateTokens: Int
    /// Placements (the shared environment: false; projects of their own: true) whose last
    /// listing was empty while the store knew services there.
    var sawEmptyListing: Set<Bool> = []
    /// Whether the last tick's observation was complete and believed: only then may the
    /// next tick reuse its listing.
    var lastListingBelieved = false

    public init(spec: EnvironmentSpec, observer: Observer, executor: Executor, lock: TickLock = TickLock(), logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() },
                newIds: @escaping @Sendable (Int) -> [String] = { n in
                    var g = SystemRandomNumberGenerator()
                    return InstanceNaming.ids(n, using: &g)
                }, projectCreateTokens: Int = 1) {
        self.projectCreateTokens = projectCreateTokens
        self.spec = spec
        self.observer = observer
        self.executor = executor
        self.lock = lock
        self.logger = logger
        self.clock = clock
        self.newIds = newIds
    }

    /// Observe and plan, without changing anything.
    public func plan() async -> (ObservedState, Plan) {
        let t = await lock.run { await self.observeAndPlan(remember: true) }
        return (t.observed, t.plan)
    }

    /// Observe and plan, without changing anything and without counting this listing
    /// toward the empty-listing check: a preview polled by the API must never make the
    /// next tick believe an empty listing it saw only once.
    public func preview() async -> (ObservedState, Plan) {
        let t = await lock.run { await self.observeAndPlan(remember: false) }
        return (t.observed, t.plan)
    }

    /// What a replica that does not lead does each tick: observe and plan, apply nothing,
    /// write nothing.
    public func observeOnly() async -> TickResult {
        await lock.run { await self.observeAndPlan(remember: false) }
    }

    /// One tick; `scope` says how much of the world it observes (all of it without webhooks).
    public func tick(scope: ObservationScope = .full) async -> TickResult {
        await lock.run { await self.tickNow(scope: scope) }
    }

    /// Applies a plan made earlier, after checking the world still looks as it did then.
    public func apply(saved: SavedPlan) async throws -> TickResult {
        try await lock.run { try await self.applyNow(saved: saved) }
    }

    func tickNow(scope: ObservationScope = .full) async -> TickResult {
        var observedAt = clock()
        var scope = scope
        // Only a listing the last tick believed may be reused: after a blind tick, list again.
        if !lastListingBelieved { scope.list = true }
        var tick = await observeAndPlanForTick(scope: scope, at: observedAt)
        // A reused listing, or a carried answer, may be as old as the last resync: a delete
        // resting on either is decided again on a fresh listing and fresh probes.
        let carried = Set(tick.observed.instances.filter { !$0.probedNow }.compactMap { $0.record?.instanceId })
        if tick.plan.actions.contains(where: { $0.kind == .delete && (!tick.observed.report.listed || carried.contains($0.instanceId)) }) {
            observedAt = clock()
            tick = await observeAndPlanForTick(scope: .full, at: observedAt)
        }
        tick.results = await executor.apply(tick.plan, classification: tick.classification)
        await record(tick, observedAt: observedAt)
        log(tick)
        return tick
    }

    /// A tick's observation (with the abandoned claims it ends) and its plan.
    func observeAndPlanForTick(scope: ObservationScope, at observedAt: Date) async -> TickResult {
        let abandonedBefore = observedAt.addingTimeInterval(-AbandonedClaims.limit(spec.settings))
        let raw = await observer.observe(abandonedBefore: abandonedBefore, scope: scope)
        // A reused listing was checked when it was made; it says nothing new about emptiness.
        var observed = checkPlausible(raw, remember: raw.report.listed)
        lastListingBelieved = observed.complete
        // Ended whatever the listing said (they are probed where the claim reached them),
        // by a replica that still leads, when there are probes to end them by.
        if observer.prober != nil && executor.mayAct() {
            observed = await AbandonedClaims(store: executor.store, logger: logger, clock: clock)
                .end(in: observed, startedBefore: abandonedBefore, limit: AbandonedClaims.limit(spec.settings))
        }
        return planned(observed)
    }

    /// Observes everything without the tick's cache: a preview (the API's plan, a
    /// follower) must neither replace the listing the next tick compares with nor hide the
    /// changes it finds.
    func observeAndPlan(remember: Bool) async -> TickResult {
        var observer = self.observer
        observer.cache = nil
        return planned(checkPlausible(await observer.observe(), remember: remember))
    }

    func applyNow(saved: SavedPlan) async throws -> TickResult {
        let observed = checkPlausible(await observer.observe())
        guard observed.complete else {
            throw SavedPlan.Rejection.blind(observed.incompleteReason ?? "observation incomplete")
        }
        try saved.check(against: observed, spec: spec)
        // The classification the saved plan was made from (same observation, by the check).
        let classification = Classifier.classify(observed, desired: DesiredState(spec: spec, newInstanceIds: []), now: clock())
        let results = await executor.apply(saved.plan, classification: classification)
        let tick = TickResult(observed: observed, plan: saved.plan, classification: classification, results: results,
                              credentials: CredentialCounts(classification.owned, credentials: observer.credentials))
        log(tick)
        return tick
    }

    /// The desired state from the spec and the observation's requests, and the plan.
    func planned(_ observed: ObservedState) -> TickResult {
        let now = clock()
        let drain = observed.requests.filter { $0.kind == .drain }.reduce(0) { $0 + min($1.count ?? 1_000, 1_000) }
        let extra = observed.requests.filter { $0.kind == .replenish && replenishInEffect($0, now: now) }
            .reduce(0) { $0 + min($1.count ?? 0, 1_000) }
        let desired = DesiredState(spec: spec, newInstanceIds: newIds(spec.settings.createsPerTick + extra),
                                   drain: drain, extraIdle: extra, projectCreateTokens: projectCreateTokens)
        let result = Planner.planAndClassify(desired: desired, observed: observed, now: now)
        return TickResult(observed: observed, plan: result.plan, classification: result.classification, results: [],
                          credentials: CredentialCounts(result.classification.owned, credentials: observer.credentials))
    }

    /// A replenish request raises the idle target for one stuck timeout from when it was
    /// made: long enough to build its instances and meet a burst, then they are excess.
    func replenishInEffect(_ r: PoolRequest, now: Date) -> Bool {
        now.timeIntervalSince(r.requestedAt) <= spec.settings.stuckTimeout
    }

    /// After applying: healthy answers (at the time they were observed), and the requests
    /// this tick served. A drain is served by the tick that planned it (up to its count of
    /// idle instances); a replenish ends when its window has passed. A replica that lost the
    /// lease mid-tick applied nothing and records nothing: the requests wait for the leader.
    func record(_ tick: TickResult, observedAt: Date) async {
        guard executor.mayAct() else { return }
        await recordHealthy(tick.observed, at: observedAt)
        guard tick.observed.complete else { return }
        let now = clock()
        for request in tick.observed.requests where request.kind == .drain || !replenishInEffect(request, now: now) {
            do { try await executor.store.completeRequest(id: request.id, at: now) }
            catch { logger.warning("could not complete \(request.kind.rawValue) request \(request.id): \(error)") }
        }
    }

    func recordHealthy(_ observed: ObservedState, at time: Date) async {
        let healthy = observed.instances.compactMap { i -> String? in
            // A bound instance whose message stream is down is not healthy (docs/agent-contract.md
            // section 2, state D).
            guard i.probedNow, case .status(let s) = i.probe, s.usable, let r = i.record,
                  s.conversationId == nil || s.streaming != false else { return nil }
            return r.instanceId
        }
        guard !healthy.isEmpty else { return }
        do { try await executor.store.recordHealthy(instanceIds: healthy, at: time) }
        catch { logger.warning("could not record healthy instances: \(error)") }
    }

    /// A listing with no services while the store knows services it created is believed
    /// only when it comes twice in a row: one bad answer must never look like deletions.
    /// Checked per placement (the shared environment, the projects of their own): during a
    /// move both are listed, and one query answering empty must not pass for the other.
    func checkPlausible(_ observed: ObservedState, remember: Bool = true) -> ObservedState {
        guard observed.complete else {
            // A failed observation breaks the row: empty, failed, empty is not twice in a row.
            if remember { sawEmptyListing = [] }
            return observed
        }
        // A record's placement is its listed service's, else the project it names; without
        // a shared environment, every record is in the projects.
        let shared = spec.platform == .local || spec.railway.placement == .sharedProject || spec.railway.environmentId != nil
        var empty: Set<Bool> = []
        var known = 0
        for inProjects in [false, true] {
            let listed = observed.instances.contains { $0.service.map { ($0.project != nil) == inProjects } ?? false }
            let here = observed.instances.filter { i in
                i.record?.serviceId != nil
                    && (i.service.map { $0.project != nil } ?? (i.record?.projectId != nil || !shared)) == inProjects
            }.count
            if !listed && here > 0 {
                empty.insert(inProjects)
                if !sawEmptyListing.contains(inProjects) { known += here }
            }
        }
        defer { if remember { sawEmptyListing = empty } }
        // Believed only when the same placement came back empty twice in a row.
        guard known > 0 else { return observed }
        var o = observed
        o.complete = false
        o.incompleteReason = "the platform listed no services while the store knows \(known); waiting for a second listing"
        return o
    }

    func log(_ t: TickResult) {
        let counts = InstanceState.allCases.filter { t.plan.counts[$0] > 0 }.map { "\($0.rawValue)=\(t.plan.counts[$0])" }
            + (t.plan.counts.outdated > 0 ? ["outdated=\(t.plan.counts.outdated)"] : [])
        var line = "tick: \(counts.isEmpty ? "no instances" : counts.sorted().joined(separator: " ")); planned \(t.plan.actions.count), applied \(t.results.filter(\.ok).count), failed \(t.failed)"
        if !t.observed.complete { line += "; blind: \(t.observed.incompleteReason ?? "")" }
        for n in t.plan.notes where t.observed.complete { line += "; note: \(n)" }
        if t.failed > 0 || !t.observed.complete { logger.warning("\(line)") } else { logger.info("\(line)") }
        // Loud on every tick, not once: nothing else will fix it, and such instances count as
        // supply while nobody can claim them.
        let refusing = t.plan.counts[.misconfigured]
        if refusing > 0, t.observed.complete {
            logger.error("configuration fault: \(refusing) instance(s) refuse their credential (401), or were made under an instance secret version the pool no longer holds: POOL_INSTANCE_SECRET (or POOL_INSTANCE_SECRET_PREVIOUS, or POOL_API_KEY for instances made before instance tokens) differs from what they were built with. They are kept (never deleted); kill or drain them once the secret is right")
        }
    }
}
