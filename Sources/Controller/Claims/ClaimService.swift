import Credentials
import Foundation
import Logging
import Model
import Ports
import ServiceLifecycle
import Spec
import Store

/// Hands an idle instance to an agent (docs/design.md section 5). The store's atomic take
/// guarantees one claim per instance across processes; the instance call is never retried.
public struct ClaimService: Sendable {
    public var spec: EnvironmentSpec
    public var store: any PoolStore
    public var caller: any ClaimCaller
    /// Each instance is called with its own credential.
    public var credentials: InstanceCredentials
    public var logger: Logger
    public var clock: @Sendable () -> Date
    /// Asks for a reconcile tick (rename, backfill); coalesced by the loop.
    public var requestTick: @Sendable () -> Void

    public init(spec: EnvironmentSpec, store: any PoolStore, caller: any ClaimCaller, credentials: InstanceCredentials,
                logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                requestTick: @escaping @Sendable () -> Void = {}) {
        self.spec = spec
        self.credentials = credentials
        self.store = store
        self.caller = caller
        self.logger = logger
        self.clock = clock
        self.requestTick = requestTick
    }

    /// Takes an idle instance at once, unless claims are waiting in line for one (they are
    /// served first, first come first served): then the pool is empty for this claim.
    public func claim(_ request: ClaimRequest, idempotencyKey: String? = nil) async -> ClaimResult {
        await claim(request, idempotencyKey: idempotencyKey, myTurn: false, afterTake: {})
    }

    /// - Parameter myTurn: this claim is first in line: it takes whatever waiters there are.
    /// - Parameter afterTake: runs once the store handed an instance over, before it is called.
    func claim(_ request: ClaimRequest, idempotencyKey: String?, myTurn: Bool, afterTake: () async -> Void) async -> ClaimResult {
        do {
            try request.validate(allowedInviteHosts: spec.allowedInviteHosts, idempotencyKey: idempotencyKey)
        } catch {
            return .invalid(error)
        }
        let agentName = request.agentName.trimmingCharacters(in: .whitespacesAndNewlines)
        let asked = clock()
        let start: ClaimStart
        do {
            start = try await store.beginClaim(agentName: agentName, idempotencyKey: idempotencyKey,
                                               requestHash: idempotencyKey == nil ? nil : request.fingerprint,
                                               behindWaitersSince: myTurn ? nil : asked.addingTimeInterval(-Self.waiterLifetime), at: asked)
        } catch {
            logger.error("claim: the store is unavailable: \(error)")
            return .unavailable("the pool's store is unavailable; nothing was claimed")
        }
        switch start {
        case .poolEmpty: return .poolEmpty
        case .inProgress: return .inProgress
        case .keyReused: return .keyReused
        case .replay(.claimed(let id, let conversation, let invite, let joined)):
            // The instance's URL as the pool knows it now: null once it is deleted.
            let domain = try? await store.instance(id: id)?.domain
            return .claimed(ClaimedConversation(instanceId: id, conversationId: conversation, inviteUrl: invite, joined: joined,
                                                gatewayUrl: domain.map { "\(spec.instanceScheme)://\($0)" }))
        case .replay(.failed(let id, let message)):
            return .failed(instanceId: id, message: message)
        case .took(let record):
            await afterTake()
            let waited = clock().timeIntervalSince(asked)
            guard waited <= Self.maximumTakeDelay else {
                return await giveUpSlowTake(record, waited: waited)
            }
            return await call(record, request: request, agentName: agentName)
        }
    }

    /// The longest a claim may wait in line for an idle instance (`Prefer: wait=N`).
    public static let maximumWait: Duration = .seconds(60)
    /// How often a waiting claim renews its place and, first in line, tries to take one.
    static let waitPoll: Duration = .milliseconds(200)
    /// A waiter not heard from for this long (its replica died) is out of line.
    static let waiterLifetime: TimeInterval = 3

    /// Like `claim`, but on an empty pool waits up to `wait` for the next idle instance, in
    /// line with every other waiting claim of every replica (first come, first served: only
    /// the first in line takes). `stillWanted` is asked before every try: a client that
    /// went away leaves the line and takes nothing. A store that fails while waiting costs
    /// turns, not the wait; at the deadline the answer is an empty pool.
    public func claim(_ request: ClaimRequest, idempotencyKey: String? = nil, waitingUpTo wait: Duration,
                      stillWanted: @escaping @Sendable () -> Bool = { true }) async -> ClaimResult {
        let first = await claim(request, idempotencyKey: idempotencyKey)
        guard case .poolEmpty = first, wait > .zero else { return first }
        let waiter = UUID().uuidString
        let joined = clock()
        do { try await store.joinClaimQueue(waiterId: waiter, at: joined) } catch { return first }
        requestTick()
        let deadline = ContinuousClock.now + min(wait, Self.maximumWait)
        var result = first
        while ContinuousClock.now < deadline, stillWanted(), !Task.isCancelled, !Task.isShuttingDownGracefully {
            let now = clock()
            // A store that fails for a moment costs a turn, not the wait.
            let turn = (try? await store.claimQueueTurn(waiterId: waiter, joinedAt: joined, at: now,
                                                        liveSince: now.addingTimeInterval(-Self.waiterLifetime))) ?? false
            if turn, stillWanted() {
                // Out of line once the store hands it an instance, before the call (which may
                // take a minute), so the next waiter is not held up.
                result = await claim(request, idempotencyKey: idempotencyKey, myTurn: true,
                                     afterTake: { try? await store.leaveClaimQueue(waiterId: waiter) })
                if case .poolEmpty = result {} else { break }
            }
            do { try await Task.sleep(for: Self.waitPoll) } catch { break }
        }
        try? await store.leaveClaimQueue(waiterId: waiter)
        if !stillWanted() { logger.info("a waiting claim's client went away; it left the line and took nothing") }
        return result
    }

    /// The longest a claim may wait for the store to hand it an instance before calling it.
    /// The leader treats a claim still in flight past its call's timeout and a minute as
    /// abandoned; a call started much later than the claim was recorded could outlive that.
    public static let maximumTakeDelay: TimeInterval = 10

    /// The store took too long: the instance is not called, and is retired (replaced) rather
    /// than put back, since nothing can tell a later recovery that this claim never called it.
    func giveUpSlowTake(_ record: InstanceRecord, waited: TimeInterval) async -> ClaimResult {
        let reason = "the store took \(Int(waited)) s to hand out this instance; not called, retired"
        do {
            try await store.failClaim(instanceId: record.instanceId, reason: reason, at: clock())
        } catch {
            logger.error("claim of \(record.instanceId) gave up (\(reason)) and could not be recorded: \(error)")
        }
        logger.warning("claim of \(record.instanceId): \(reason)")
        requestTick()
        return .unavailable("the pool's store is too slow right now; nothing was claimed")
    }

    func call(_ record: InstanceRecord, request: ClaimRequest, agentName: String) async -> ClaimResult {
        let id = record.instanceId
        guard let domain = record.domain else {
            return await finish(id, .failure(.configurationFault("the pool has no address for instance \(id)")), agentName: agentName)
        }
        let baseURL = "\(spec.instanceScheme)://\(domain)"
        guard let bearer = credentials.bearer(instanceId: id, tokenVersion: record.tokenVersion,
                                                  holdsPoolKey: record.holdsPoolKey) else {
            return await finish(id, .failure(.configurationFault(
                "instance \(id) was made under an instance secret version the pool no longer holds")),
                agentName: agentName)
        }
        let env = spec.xmtpEnv.rawValue
        var outcome: Result<ClaimedConversation, ClaimCallFailure>
        if let joinUrl = request.joinUrl {
            outcome = await caller.join(instanceId: id, baseURL: baseURL, bearer: bearer, inviteUrl: joinUrl, agentName: agentName,
                                        env: env, instructions: request.instructions,
                                        timeout: .seconds(spec.settings.claimJoinTimeout))
        } else {
            outcome = await caller.createConversation(instanceId: id, baseURL: baseURL, bearer: bearer, agentName: agentName,
                                                      env: env, instructions: request.instructions,
                                                      timeout: .seconds(spec.settings.claimCreateTimeout))
        }
        outcome = outcome.map { claimed in
            var answer = claimed
            answer.gatewayUrl = baseURL
            return answer
        }
        return await finish(id, outcome, agentName: agentName)
    }

    func finish(_ id: String, _ outcome: Result<ClaimedConversation, ClaimCallFailure>, agentName agent: String) async -> ClaimResult {
        defer { requestTick() }
        switch outcome {
        case .success(let claimed):
            do {
                try await store.completeClaim(instanceId: id, conversationId: claimed.conversationId,
                                              inviteUrl: claimed.inviteUrl, joined: claimed.joined, at: clock())
            } catch {
                // The instance is this agent's now, recorded or not: answer it. The record
                // stays "claiming", which nothing deletes; the operator finds it in the log.
                logger.critical("claim of \(id) for \"\(agent)\" succeeded on the instance but could not be recorded: \(error); conversation \(claimed.conversationId), invite \(claimed.inviteUrl ?? "none")")
            }
            logger.info("claimed \(id) for \"\(agent)\"")
            return .claimed(claimed)
        case .failure(let failure):
            // The store records the claim's audit event in the same transaction.
            let what: String
            do {
                switch failure {
                case .alreadyBound(let message):
                    // Someone's conversation may be live on it: keep it, never hand it out.
                    what = "kept as adopted (already bound)"
                    try await store.claimFoundBound(instanceId: id, reason: message, at: clock())
                case .configurationFault(let message):
                    // Not dirty: nothing was written on it. Marked misconfigured, not retired.
                    what = "released (configuration fault)"
                    try await store.releaseClaim(instanceId: id, reason: message, at: clock())
                case .failed(let message):
                    what = "retired"
                    try await store.failClaim(instanceId: id, reason: message, at: clock())
                }
            } catch {
                logger.error("claim of \(id) failed (\(failure.message)) and could not be recorded: \(error)")
            }
            logger.warning("claim of \(id) for \"\(agent)\" failed: \(failure.message); \(what)")
            return .failed(instanceId: id, message: failure.message)
        }
    }
}
