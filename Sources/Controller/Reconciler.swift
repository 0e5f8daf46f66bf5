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
        let requests = await pendingRequests()
        let (observed, plan) = await planNow(remember: true, requests: requests)
        await recordHealthy(observed)
        let results = await executor.apply(plan, observed: observed)
        // A drain is served by the tick that planned it (up to its count of idle instances);
        // a replenish ends when its window has passed.
        if observed.complete {
            let now = clock()
            for request in requests where request.kind == .drain || !replenishInEffect(request, now: now) {
                do { try await executor.store.completeRequest(id: request.id, at: clock()) }
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
        guard observed.complete else { return observed }
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

    func recordHealthy(_ observed: ObservedState) async {
        let healthy = observed.instances.compactMap { i -> String? in
            guard case .status(let s) = i.probe, s.usable, let r = i.record else { return nil }
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
    }
}
