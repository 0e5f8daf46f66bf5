import Model
import Foundation

/// An instance handed out by another system (the legacy controller), to be recorded as
/// claimed so that the pool keeps it, never hands it out and shows its invite URL.
public struct ImportedClaim: Sendable, Equatable {
    public var instanceId: String
    public var serviceId: String
    /// nil when the other system did not record one: the instance is kept like an adopted one.
    public var agentName: String?
    public var conversationId: String
    public var inviteUrl: String?
    public var createdAt: Date?
    public var claimedAt: Date
    /// Where the claim comes from, for the audit log (e.g. "legacy agent_metadata id 42").
    public var source: String

    public init(instanceId: String, serviceId: String, agentName: String?, conversationId: String,
                inviteUrl: String?, createdAt: Date?, claimedAt: Date, source: String) {
        self.instanceId = instanceId
        self.serviceId = serviceId
        self.agentName = agentName
        self.conversationId = conversationId
        self.inviteUrl = inviteUrl
        self.createdAt = createdAt
        self.claimedAt = claimedAt
        self.source = source
    }
}

/// What `importClaimed` did (or, in a dry run, would do) with one claim.
public enum ImportOutcome: Sendable, Equatable {
    /// Recorded as claimed: the store did not know it, knew it only as unclaimed, or knew
    /// it as adopted in the same conversation (the agent name and invite URL are added).
    case imported
    /// Already recorded as claimed in the same conversation: nothing to change.
    case alreadyKnown
    /// The store knows this instance otherwise (claimed by someone else, retired,
    /// deleted, another service): left untouched, and this says why.
    case conflict(String)
}
