import Foundation

/// What the pool's store knows about one instance. The store, not the instance, decides
/// whether an instance was ever handed out.
public struct InstanceRecord: Codable, Sendable, Equatable {
    public enum Claim: String, Codable, Sendable {
        /// Never handed out.
        case none
        /// A claim call is in flight: nobody else may touch or probe it.
        case claiming
        /// Handed out (agentName nil: adopted, claimed by an unknown agent).
        case claimed
    }

    public var instanceId: String
    public var serviceId: String?
    /// Revision of the spec it was built from; nil when unknown (adopted or imported).
    public var revision: String?
    public var createdAt: Date?
    /// Last completed step of its create sequence; nil when it was not created by us.
    public var createStep: CreateStep?
    public var claim: Claim
    public var agentName: String?
    public var conversationId: String?
    /// Set when a failed claim retired it: it is tainted and will be deleted.
    public var retiredReason: String?
    /// The last state the controller recorded for it (by a `mark` action).
    public var marked: InstanceState?
    /// Last time its status probe answered usable JSON.
    public var lastHealthyAt: Date?
    /// Public host it is reached at, as last recorded (claims call it there).
    public var domain: String?
    /// The instance secret version its `INSTANCE_TOKEN` derives from; nil when it was made
    /// before instance tokens (it holds the pool key) or not made by this pool.
    public var tokenVersion: Int?
    /// When the instance asked to be removed (`POST /api/pool/self-destruct`): it goes,
    /// claimed or not.
    public var selfDestructAt: Date?

    public init(instanceId: String, serviceId: String? = nil, revision: String? = nil,
                createdAt: Date? = nil, createStep: CreateStep? = nil, claim: Claim = .none,
                agentName: String? = nil, conversationId: String? = nil,
                retiredReason: String? = nil, marked: InstanceState? = nil,
                lastHealthyAt: Date? = nil, domain: String? = nil, tokenVersion: Int? = nil,
                selfDestructAt: Date? = nil) {
        self.domain = domain
        self.tokenVersion = tokenVersion
        self.selfDestructAt = selfDestructAt
        self.instanceId = instanceId
        self.serviceId = serviceId
        self.revision = revision
        self.createdAt = createdAt
        self.createStep = createStep
        self.claim = claim
        self.agentName = agentName
        self.conversationId = conversationId
        self.retiredReason = retiredReason
        self.marked = marked
        self.lastHealthyAt = lastHealthyAt
    }
}
