import Foundation
import Logging
import Model
import Observers
import Planning
import ServiceLifecycle
import Spec
import Store

/// The reconcile loop of docs/design.md section 1 as a service: one tick every
/// `tickInterval`, never two at once. The timer, `trigger()` (claims, operator actions),
/// `tickNow()` (the reconcile route) and a reload all feed the same queue, so ticks stay
/// serialized; operator actions take their turn on the same `TickLock` as ticks.
///
/// Triggers are coalesced: the queue holds at most one pending tick, so any number of
/// triggers while a tick runs yield exactly one more tick after it.
public actor ReconcileLoop: Service {
    /// Builds what a spec makes (`buildPoolRuntime`), on the loop's one lock; `requestTick`
    /// is the loop's trigger, for claims and operator actions.
    public typealias MakeRuntime = @Sendable (_ spec: EnvironmentSpec, _ lock: TickLock,
                                              _ requestTick: @escaping @Sendable () -> Void) throws -> PoolRuntime
    /// Reads pool.yaml again (SIGHUP); throws the file's errors.
    public typealias LoadSpec = @Sendable () throws -> EnvironmentSpec

    /// The last tick, with when it ended.
    public struct LastTick: Sendable {
        public var result: TickResult
        public var finishedAt: Date
    }

    public enum Readiness: Sendable, Equatable {
        case ready
        case notReady(String)
    }

    public private(set) var runtime: PoolRuntime
    public private(set) var lastTick: LastTick?
    /// Ticks run since start, for tests and logs.
    public private(set) var ticksRun = 0
    private var observedOnce = false
    private var waiters: [CheckedContinuation<TickResult?, Never>] = []
    private var stopped = false
    /// Ticks and operator actions take turns on it, whatever runtime a reload made.
    private let lock = TickLock()

    private let pending: AsyncStream<Void>
    private let pendingInput: AsyncStream<Void>.Continuation
    private let makeRuntime: MakeRuntime
    private let loadSpec: LoadSpec?
    private let logger: Logger
    private let clock: @Sendable () -> Date
    /// Whether this replica may act (holds the leader lease); always true for one process.
    private let leading: @Sendable () -> Bool
    /// A follower observes on the timer only, not on every claim's trigger: each
    /// observation is a platform call, and the leader is the one that acts on claims.
    private var timerFired = false
    /// Resolves `source.image` to its digest before ticks; nil for a repo source.
    private let imageWatch: ImageWatch?
    /// Whether this replica led the last tick: one that takes over asks the registry at
    /// once, so it never acts on a digest older than the one its predecessor rolled to.
    private var ledLastTick = false
    /// A takeover's check failed: the digest this replica knows may be older than the one
    /// in force, so it runs unresolved (creates, rolls and deletes nothing) and asks again
    /// every tick until the registry answers.
    private var mustConfirmImage = false

    /// Called after every tick with its result and how long it took (metrics).
    let onTick: @Sendable (TickResult, Duration) -> Void
    /// Railway's webhooks: how much each tick observes. Off: every tick observes everything.
    public nonisolated let webhooks: WebhookWatch
    /// Keeps the pool's notification rule (the leader, hourly); nil without webhooks.
    private let keepRule: KeepRule?
    /// With webhooks on, ticks start at least this far apart: a flood of events costs one
    /// tick per window, the first event of a quiet spell none.
    private let coalescingWindow: Duration
    private var lastTickStarted: ContinuousClock.Instant?
    /// Where the leader writes the counts once a minute, the dashboard chart's history; nil: nowhere.
    private let history: (any PoolStore)?
    private var lastSampleMinute: Date?

    /// Registers (or confirms) the pool's notification rule; returns what it did.
    public typealias KeepRule = @Sendable (_ spec: EnvironmentSpec) async throws -> String

    public init(spec: EnvironmentSpec, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                loadSpec: LoadSpec? = nil, onTick: @escaping @Sendable (TickResult, Duration) -> Void = { _, _ in },
                leading: @escaping @Sendable () -> Bool = { true }, imageWatch: ImageWatch? = nil,
                webhooks: WebhookWatch = WebhookWatch(offReason: "no webhooks configured"), keepRule: KeepRule? = nil,
                coalescingWindow: Duration = .seconds(1), history: (any PoolStore)? = nil,
                makeRuntime: @escaping MakeRuntime) throws {
        self.webhooks = webhooks
        self.keepRule = keepRule
        self.coalescingWindow = coalescingWindow
        self.history = history
        self.imageWatch = imageWatch
        self.leading = leading
        self.onTick = onTick
        // Newest-one buffering is the coalescing: a trigger while one is pending adds nothing.
        (pending, pendingInput) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let input = pendingInput
        // Claims and operator actions ask for a tick that lists (they may change what Railway has).
        self.runtime = try makeRuntime(spec, lock, { webhooks.demand(); _ = input.yield() })
        self.makeRuntime = makeRuntime
        self.loadSpec = loadSpec
        self.logger = logger
        self.clock = clock
    }

    /// Asks for a tick soon (a claim, an operator action); coalesced with any tick already
    /// pending. It lists the platform, whatever the webhooks.
    public nonisolated func trigger() {
        webhooks.demand()
        pendingInput.yield()
    }

    /// A known Railway event about `serviceId`: a tick soon, which lists and probes that
    /// instance. Never changes state by itself.
    public nonisolated func webhookReceived(serviceId: String?) {
        webhooks.received(serviceId: serviceId)
        pendingInput.yield()
    }

    /// Runs a tick that starts after this call and returns it; nil once the loop has stopped.
    public func tickNow() async -> TickResult? {
        if stopped { return nil }
        return await withCheckedContinuation { waiter in
            waiters.append(waiter)
            trigger()
        }
    }

    /// Waits out the rest of the coalescing window since the last tick started (webhooks
    /// on only: without them ticks come from the timer and callers, as before).
    private func coalesce() async {
        guard webhooks.enabled, let last = lastTickStarted, waiters.isEmpty else { return }
        let wait = coalescingWindow - (ContinuousClock.now - last)
        if wait > .zero { try? await Task.sleep(for: wait) }
    }

    /// Ready once a first observation succeeded (the store was readable and the platform listed).
    public var readiness: Readiness {
        if observedOnce { return .ready }
        guard let last = lastTick else { return .notReady("no tick has completed yet") }
        return .notReady("no complete observation yet: \(last.result.observed.incompleteReason ?? "unknown reason")")
    }

    /// Loads pool.yaml again and swaps in what the new spec makes. An invalid file is
    /// rejected with its errors logged, and the last good spec keeps running. The tick in
    /// flight, if any, finishes with the old spec. Returns whether the new spec was taken.
    @discardableResult
    public func reload() -> Bool {
        guard let loadSpec else {
            logger.warning("reload requested, but this loop has no spec file to read")
            return false
        }
        do {
            var spec = try loadSpec()
            // The digest is the controller's, not the file's: the same tag keeps it until
            // the next check.
            if spec.image == runtime.spec.image { spec.imageDigest = runtime.spec.imageDigest }
            let (input, watch) = (pendingInput, webhooks)
            runtime = try makeRuntime(spec, lock, { watch.demand(); _ = input.yield() })
            logger.info("reloaded the spec", metadata: ["environment": "\(spec.name)", "revision": "\(spec.revision.short)",
                                                        "minIdle": "\(spec.settings.minIdle)", "maxTotal": "\(spec.settings.maxTotal)"])
            trigger()
            return true
        } catch {
            logger.error("reload rejected; the last good spec keeps running:\n\(error)")
            return false
        }
    }

    /// Ticks until a graceful shutdown (the tick in flight finishes) or cancellation.
    public nonisolated func run() async throws {
        trigger()  // the first tick runs at once
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.runTimer() }
                await self.runTicks()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.pendingInput.finish()
        }
        await stop()
    }

    private func runTicks() async {
        for await _ in pending {
            // A trigger still buffered when the shutdown came is dropped, not ticked.
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await coalesce()
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await tickOnce()
        }
    }

    private func runTimer() async {
        while !Task.isCancelled {
            // Read each time: a reload may change the interval.
            let interval = runtime.spec.settings.tickInterval
            do { try await Task.sleep(for: .milliseconds(Int64(interval * 1000))) } catch { return }
            timerFired = true
            // Not `trigger()`: the timer is no demand to list (webhooks decide that).
            pendingInput.yield()
        }
    }

    private func tickOnce() async {
        let led = leading()
        // A follower's first observation, its timer and explicit requests observe; a
        // claim's trigger does not.
        guard led || timerFired || !waiters.isEmpty || lastTick == nil else { return }
        timerFired = false
        let served = waiters
        waiters = []
        await refreshImage(force: (led && !ledLastTick) || mustConfirmImage)
        ledLastTick = led
        let started = ContinuousClock.now
        lastTickStarted = started
        let settings = runtime.spec.settings
        let inFlight = (lastTick?.result.plan.counts[.provisioning] ?? 0) > 0
        let scope = led ? webhooks.scope(settings: settings, deploysInFlight: inFlight) : .full
        var result = led ? await runtime.reconciler.tick(scope: scope) : await runtime.reconciler.observeOnly()
        if led {
            webhooks.observed(scope: scope, report: result.observed.report, complete: result.observed.complete,
                              acted: !result.results.isEmpty)
        }
        result.image = await image
        onTick(result, ContinuousClock.now - started)
        if led, let keepRule, webhooks.ruleCheckDue { await checkRule(keepRule) }
        let finished = clock()
        lastTick = LastTick(result: result, finishedAt: finished)
        ticksRun += 1
        if result.observed.complete { observedOnce = true }
        for waiter in served { waiter.resume(returning: result) }
        // After the waiters: a slow store write delays no one waiting on this tick.
        if led, result.observed.complete { await recordSample(result.plan.counts, at: finished) }
    }

    /// The image watch's view (tag, digest, last check, last error); nil for a repo source.
    public var image: ImageWatch.State? {
        get async { runtime.spec.image == nil ? nil : await imageWatch?.state }
    }

    /// Asks the registry (at most once per `imageCheckInterval`) and, when the tag points
    /// at a new digest, swaps in what the spec with it makes, as a reload does: a new
    /// revision, so idle instances roll surge-first and claimed ones stay.
    public func refreshImage(force: Bool = false) async {
        guard let imageWatch, runtime.spec.image != nil else { return }
        let before = runtime.spec
        var digest = await imageWatch.digest(for: before, force: force)
        if force {
            mustConfirmImage = await imageWatch.state?.error != nil
            if mustConfirmImage { digest = nil }
        }
        // A reload while the registry answered: the next tick looks again.
        guard digest != before.imageDigest, runtime.spec == before else { return }
        var spec = before
        spec.imageDigest = digest
        do {
            let (input, watch) = (pendingInput, webhooks)
            runtime = try makeRuntime(spec, lock, { watch.demand(); _ = input.yield() })
            logger.info("image digest in force", metadata: ["image": "\(spec.image?.tagged ?? "")", "digest": "\(digest ?? "none until the registry answers")",
                                                            "revision": "\(spec.revision.short)"])
        } catch {
            logger.error("could not run the image digest \(digest ?? "none"); the last one keeps running:\n\(error)")
        }
    }

    /// Registers or confirms the pool's notification rule; a failure is logged, shown in
    /// status, and tried again in a minute, while the resyncs keep the pool right.
    private func checkRule(_ keepRule: KeepRule) async {
        do {
            let what = try await keepRule(runtime.spec)
            webhooks.ruleChecked(error: nil)
            logger.info("webhook rule: \(what)")
        } catch {
            webhooks.ruleChecked(error: "\(error)")
            logger.warning("could not keep the webhook rule (resyncs keep the pool right meanwhile): \(error)")
        }
    }

    /// The first complete tick of each minute writes the counts to the history: a flood of
    /// ticks costs one write a minute. A failed write is logged and tried at the next tick.
    private func recordSample(_ counts: PlanCounts, at now: Date) async {
        let minute = PoolSample.minute(of: now)
        guard let history, minute != lastSampleMinute else { return }
        do {
            try await history.recordSample(PoolSample(minute: minute, idle: counts[.idle], provisioning: counts[.provisioning],
                                                      claimed: counts[.claimed]))
            lastSampleMinute = minute
        } catch {
            logger.warning("could not record the pool's counts in the history (the chart misses this minute): \(error)")
        }
    }

    private func stop() {
        stopped = true
        pendingInput.finish()
        for waiter in waiters { waiter.resume(returning: nil) }
        waiters = []
    }
}
