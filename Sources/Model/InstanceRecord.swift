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
    /// before instance tokens, or found without a record of how it was made.
    public var tokenVersion: Int?
    /// Made before instance tokens (recorded before them, or imported from the system they
    /// replace): it holds the pool key and is called with it until it is replaced.
    public var holdsPoolKey: Bool
    /// When the instance asked to be removed (`POST /api/pool/self-destruct`): it goes,
    /// claimed or not.
    public var selfDestructAt: Date?
    /// Its project of its own (placement projectPerInstance), recorded with its service.
    public var projectId: String?

    public init(instanceId: String, serviceId: String? = nil, revision: String? = nil,
                createdAt: Date? = nil, createStep: CreateStep? = nil, claim: Claim = .none,
                agentName: String? = nil, conversationId: String? = nil,
                retiredReason: String? = nil, marked: InstanceState? = nil,
                lastHealthyAt: Date? = nil, domain: String? = nil, tokenVersion: Int? = nil,
                holdsPoolKey: Bool = false, selfDestructAt: Date? = nil, projectId: String? = nil) {
        self.projectId = projectId
        self.domain = domain
        self.tokenVersion = tokenVersion
        self.holdsPoolKey = holdsPoolKey
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

extension InstanceRecord {
    /// Decodes snapshots written before instance tokens, which lack `holdsPoolKey`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(instanceId: try c.decode(String.self, forKey: .instanceId),
                  serviceId: try c.decodeIfPresent(String.self, forKey: .serviceId),
                  revision: try c.decodeIfPresent(String.self, forKey: .revision),
                  createdAt: try c.decodeIfPresent(Date.self, forKey: .createdAt),
                  createStep: try c.decodeIfPresent(CreateStep.self, forKey: .createStep),
                  claim: try c.decode(Claim.self, forKey: .claim),
                  agentName: try c.decodeIfPresent(String.self, forKey: .agentName),
                  conversationId: try c.decodeIfPresent(String.self, forKey: .conversationId),
                  retiredReason: try c.decodeIfPresent(String.self, forKey: .retiredReason),
                  marked: try c.decodeIfPresent(InstanceState.self, forKey: .marked),
                  lastHealthyAt: try c.decodeIfPresent(Date.self, forKey: .lastHealthyAt),
                  domain: try c.decodeIfPresent(String.self, forKey: .domain),
                  tokenVersion: try c.decodeIfPresent(Int.self, forKey: .tokenVersion),
                  holdsPoolKey: try c.decodeIfPresent(Bool.self, forKey: .holdsPoolKey) ?? false,
                  selfDestructAt: try c.decodeIfPresent(Date.self, forKey: .selfDestructAt),
                  projectId: try c.decodeIfPresent(String.self, forKey: .projectId))
    }
}
