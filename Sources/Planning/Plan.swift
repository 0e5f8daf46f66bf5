import Model

/// What a tick will do: data, not behaviour. Rendering (`PlanRenderer`) and applying
/// (`Executor`) are separate. The JSON form is documented in docs/plan-format.md; field
/// names are stable.
public struct Plan: Codable, Sendable, Equatable {
    public static let formatVersion = 1
    public var formatVersion: Int = Plan.formatVersion
    public var environment: String
    /// Full revision hash of the spec the plan was made for.
    public var revision: String
    public var actions: [PlanAction]
    /// Things an operator should know that are not actions (blind tick, not progressing).
    public var notes: [String]
    /// Instances by state, before the plan is applied.
    public var counts: PlanCounts

    public init(environment: String, revision: String, actions: [PlanAction] = [], notes: [String] = [],
                counts: PlanCounts = PlanCounts()) {
        self.environment = environment
        self.revision = revision
        self.actions = actions
        self.notes = notes
        self.counts = counts
    }

    public var hasChanges: Bool { !actions.isEmpty }

    public func count(_ kind: PlanAction.Kind) -> Int { actions.filter { $0.kind == kind }.count }
}

/// Owned instances by state, and how many of the idle and provisioning ones are of another
/// revision. In JSON one object: every state, plus `outdated`.
public struct PlanCounts: Sendable, Equatable, Codable, CustomStringConvertible {
    public private(set) var byState: [InstanceState: Int]
    /// Idle or provisioning instances of an older revision (also counted in their state).
    public var outdated: Int

    public init(byState: [InstanceState: Int] = [:], outdated: Int = 0) {
        self.byState = byState
        self.outdated = outdated
    }

    public subscript(state: InstanceState) -> Int {
        get { byState[state] ?? 0 }
        set { byState[state] = newValue }
    }

    /// Every owned instance, each counted once.
    public var total: Int { byState.values.reduce(0, +) }

    public var description: String {
        (InstanceState.allCases.map { "\($0.rawValue)=\(self[$0])" } + ["outdated=\(outdated)"]).joined(separator: " ")
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let outdated = Key(stringValue: "outdated")
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        byState = [:]
        for state in InstanceState.allCases {
            byState[state] = try c.decodeIfPresent(Int.self, forKey: Key(stringValue: state.rawValue)) ?? 0
        }
        outdated = try c.decodeIfPresent(Int.self, forKey: .outdated) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for state in InstanceState.allCases { try c.encode(self[state], forKey: Key(stringValue: state.rawValue)) }
        try c.encode(outdated, forKey: .outdated)
    }
}

/// Why an instance is being deleted: the executor records build failures from it.
public enum DeleteCause: String, Codable, Sendable {
    case dead, failedBuild, tainted, outdated, excess, abandoned
    /// A second service with a recorded instance's name: only that service goes.
    case duplicate
    /// An operator's drain request: replaced by a fresh instance.
    case drained
}

/// One change a plan makes, with exactly the fields its kind needs.
public enum PlanAction: Sendable, Equatable {
    case create(Create)
    case delete(Delete)
    case rename(Rename)
    case mark(Mark)

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case create, delete, rename, mark
    }

    public struct Create: Sendable, Equatable {
        public var instanceId: String
        /// The new service's name.
        public var name: String
        /// The revision it is built from.
        public var revision: String
        /// The service an interrupted create already made, when the listing shows it.
        public var serviceId: String?
        /// Continues an interrupted create instead of starting one.
        public var resume: Bool
        public var reason: String
    }

    public struct Delete: Sendable, Equatable {
        public var instanceId: String
        /// The service to delete; nil for a record whose create never made one.
        public var serviceId: String?
        /// Its current name, when the listing shows it.
        public var name: String?
        public var cause: DeleteCause
        public var reason: String
    }

    public struct Rename: Sendable, Equatable {
        public var instanceId: String
        public var serviceId: String
        public var fromName: String
        public var name: String
        public var reason: String
    }

    public struct Mark: Sendable, Equatable {
        public var instanceId: String
        public var serviceId: String?
        /// Its current name, when the listing shows it.
        public var name: String?
        /// The state recorded before (nil: none yet), and the state to record.
        public var fromState: InstanceState?
        public var toState: InstanceState
        public var reason: String
    }

    public static func create(id: String, name: String, revision: String, serviceId: String? = nil,
                              resume: Bool = false, reason: String) -> PlanAction {
        .create(Create(instanceId: id, name: name, revision: revision, serviceId: serviceId, resume: resume, reason: reason))
    }

    public static func delete(_ i: ClassifiedInstance, cause: DeleteCause, reason: String) -> PlanAction {
        // A record whose service is missing from the listing still names it: delete that.
        .delete(Delete(instanceId: i.instanceId, serviceId: i.service?.serviceId ?? i.record?.serviceId,
                       name: i.service?.name, cause: cause, reason: reason))
    }

    public static func rename(_ i: ClassifiedInstance, service: PlatformService, to name: String, reason: String) -> PlanAction {
        .rename(Rename(instanceId: i.instanceId, serviceId: service.serviceId, fromName: service.name, name: name, reason: reason))
    }

    public static func mark(_ i: ClassifiedInstance, reason: String) -> PlanAction {
        .mark(Mark(instanceId: i.instanceId, serviceId: i.service?.serviceId, name: i.service?.name,
                   fromState: i.record?.marked, toState: i.state, reason: reason))
    }
}

// The fields every kind shares, and the flat view that rendering, JSON and tests read.
extension PlanAction {
    public var kind: Kind {
        switch self {
        case .create: .create
        case .delete: .delete
        case .rename: .rename
        case .mark: .mark
        }
    }

    public var instanceId: String {
        switch self {
        case .create(let a): a.instanceId
        case .delete(let a): a.instanceId
        case .rename(let a): a.instanceId
        case .mark(let a): a.instanceId
        }
    }

    public var reason: String {
        switch self {
        case .create(let a): a.reason
        case .delete(let a): a.reason
        case .rename(let a): a.reason
        case .mark(let a): a.reason
        }
    }

    /// The platform service acted on, when there is one.
    public var serviceId: String? {
        switch self {
        case .create(let a): a.serviceId
        case .delete(let a): a.serviceId
        case .rename(let a): a.serviceId
        case .mark(let a): a.serviceId
        }
    }

    /// create: the new service name; rename: the new name; delete, mark: the current name.
    public var name: String? {
        switch self {
        case .create(let a): a.name
        case .delete(let a): a.name
        case .rename(let a): a.name
        case .mark(let a): a.name
        }
    }

    public var cause: DeleteCause? { if case .delete(let a) = self { a.cause } else { nil } }
    public var toState: InstanceState? { if case .mark(let a) = self { a.toState } else { nil } }
    public var fromState: InstanceState? { if case .mark(let a) = self { a.fromState } else { nil } }
    public var fromName: String? { if case .rename(let a) = self { a.fromName } else { nil } }
    public var revision: String? { if case .create(let a) = self { a.revision } else { nil } }
    /// true for a create that resumes an interrupted one; nil otherwise.
    public var resume: Bool? { if case .create(let a) = self, a.resume { true } else { nil } }
}

extension PlanAction: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, instanceId, serviceId, name, fromName, revision, resume, cause, fromState, toState, reason
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(instanceId, forKey: .instanceId)
        try c.encodeIfPresent(serviceId, forKey: .serviceId)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(fromName, forKey: .fromName)
        try c.encodeIfPresent(revision, forKey: .revision)
        try c.encodeIfPresent(resume, forKey: .resume)
        try c.encodeIfPresent(cause, forKey: .cause)
        try c.encodeIfPresent(fromState, forKey: .fromState)
        try c.encodeIfPresent(toState, forKey: .toState)
        try c.encode(reason, forKey: .reason)
    }

    /// A saved plan read back: each kind must carry the fields it needs.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(String.self, forKey: .instanceId)
        let reason = try c.decode(String.self, forKey: .reason)
        let serviceId = try c.decodeIfPresent(String.self, forKey: .serviceId)
        switch try c.decode(Kind.self, forKey: .kind) {
        case .create:
            self = .create(Create(instanceId: id, name: try c.decode(String.self, forKey: .name),
                                  revision: try c.decode(String.self, forKey: .revision), serviceId: serviceId,
                                  resume: try c.decodeIfPresent(Bool.self, forKey: .resume) ?? false, reason: reason))
        case .delete:
            self = .delete(Delete(instanceId: id, serviceId: serviceId, name: try c.decodeIfPresent(String.self, forKey: .name),
                                  cause: try c.decode(DeleteCause.self, forKey: .cause), reason: reason))
        case .rename:
            self = .rename(Rename(instanceId: id, serviceId: try c.decode(String.self, forKey: .serviceId),
                                  fromName: try c.decode(String.self, forKey: .fromName),
                                  name: try c.decode(String.self, forKey: .name), reason: reason))
        case .mark:
            self = .mark(Mark(instanceId: id, serviceId: serviceId, name: try c.decodeIfPresent(String.self, forKey: .name),
                              fromState: try c.decodeIfPresent(InstanceState.self, forKey: .fromState),
                              toState: try c.decode(InstanceState.self, forKey: .toState), reason: reason))
        }
    }
}
