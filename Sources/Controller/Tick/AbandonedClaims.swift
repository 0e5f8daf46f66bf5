import Foundation
import Logging
import Model
import Spec
import Store

/// The tick's step between observing and planning that ends claims abandoned in flight
/// (the claiming process stopped, or lost its store, before recording the end), by what
/// their instance said to this tick's probe. Holding a conversation: the claim took effect
/// (its caller may even have been answered), so it is recorded as claimed and kept.
/// Holding none: it may be dirty, so it is retired and replaced. Anything else
/// (unreachable, 401): left for a later tick; a claiming instance is never deleted.
struct AbandonedClaims {
    var store: any PoolStore
    var logger: Logger
    var clock: @Sendable () -> Date

    /// How long past its call's hard timeout a claim may stay in flight before it counts as
    /// abandoned.
    static let grace: TimeInterval = 60

    static func limit(_ settings: PoolSettings) -> TimeInterval {
        max(settings.claimCreateTimeout, settings.claimJoinTimeout) + grace
    }

    /// Ends the claims of `observed` in flight since before `cutoff` (the time the observer
    /// probed them by) in the store, and returns the observation with the records as they
    /// now stand, so this tick plans from what was recorded.
    func end(in observed: ObservedState, startedBefore cutoff: Date, limit: TimeInterval) async -> ObservedState {
        var observed = observed
        for k in observed.instances.indices {
            guard var record = observed.instances[k].record, record.claim == .claiming,
                  let started = observed.claimsInFlight[record.instanceId], started < cutoff else { continue }
            let id = record.instanceId
            let agent = record.agentName.map { "\"\($0)\"" } ?? "an unknown agent"
            guard case .status(let status) = observed.instances[k].probe else {
                logger.warning("claim of \(id) for \(agent) is still in flight after \(Int(limit)) s and the instance gives no status; left as it is")
                continue
            }
            do {
                if let conversation = status.conversationId {
                    try await store.completeClaim(instanceId: id, conversationId: conversation, inviteUrl: nil,
                                                  joined: false, at: clock())
                    record.claim = .claimed
                    record.conversationId = conversation
                    logger.warning("claim of \(id) for \(agent) was interrupted; the instance holds conversation \(conversation): recorded as claimed")
                } else {
                    let reason = "claim interrupted: nothing recorded within \(Int(limit)) s and the instance holds no conversation; retired (it may hold the claim's instructions)"
                    try await store.failClaim(instanceId: id, reason: reason, at: clock())
                    record.claim = .none
                    record.agentName = nil
                    record.retiredReason = reason
                    logger.warning("claim of \(id) for \(agent) was interrupted before it bound a conversation: retired, to be replaced")
                }
                observed.instances[k].record = record
                observed.claimsInFlight[id] = nil
            } catch {
                logger.warning("could not end the abandoned claim of \(id): \(error)")
            }
        }
        return observed
    }
}
