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

    /// States missing from `byState` count 0.
    public init(byState: [InstanceState: Int] = [:], outdated: Int = 0) {
        self.byState = Dictionary(uniqueKeysWithValues: InstanceState.allCases.map { ($0, byState[$0] ?? 0) })
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
    /// A project of the pool's own left empty and not needed by a create (placement
    /// projectPerInstance): there is no instance, the action names the project.
    case emptyProject
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
        /// Placement projectPerInstance: an empty project of the pool's own the service goes
        /// in (kept from an earlier instance, or made by an interrupted create); nil when a
        /// new project is created (paced) or the placement has none.
        public var projectId: String? = nil
    }

    public struct Delete: Sendable, Equatable {
        public var instanceId: String
        /// The service to delete; nil for a record whose create never made one.
        public var serviceId: String?
        /// Its current name, when the listing shows it.
        public var name: String?
        public var cause: DeleteCause
        public var reason: String
        /// The project that goes with it, whole (a claimed instance's, or an empty one);
        /// nil when only the service goes (and an unclaimed instance's project is kept).
        public var projectId: String? = nil
    }

    public struct Rename: Sendable, Equatable {
        public var instanceId: String
        public var serviceId: String
        public var fromName: String
        public var name: String
        public var reason: String
        /// Its project of its own, renamed with it (placement projectPerInstance).
        public var projectId: String? = nil
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
                              resume: Bool = false, reason: String, projectId: String? = nil) -> PlanAction {
        .create(Create(instanceId: id, name: name, revision: revision, serviceId: serviceId, resume: resume, reason: reason,
                       projectId: projectId))
    }

    public static func delete(_ i: ClassifiedInstance, cause: DeleteCause, reason: String) -> PlanAction {
        // A record whose service is missing from the listing still names it: delete that.
        // A project that held a claimed instance goes with it, whole: its volume and history
        // belong to that agent and are never handed to another.
        .delete(Delete(instanceId: i.instanceId, serviceId: i.service?.serviceId ?? i.record?.serviceId,
                       name: i.service?.name, cause: cause, reason: reason,
                       projectId: i.wasClaimed && cause != .duplicate ? i.service?.project?.projectId ?? i.record?.projectId : nil))
    }

    /// An empty project of the pool's own that no create needs.
    public static func deleteProject(_ p: PlatformProject, instanceId: String, reason: String) -> PlanAction {
        .delete(Delete(instanceId: instanceId, serviceId: nil, name: p.name, cause: .emptyProject, reason: reason,
                       projectId: p.projectId))
    }

    public static func rename(_ i: ClassifiedInstance, service: PlatformService, to name: String, reason: String) -> PlanAction {
        .rename(Rename(instanceId: i.instanceId, serviceId: service.serviceId, fromName: service.name, name: name, reason: reason,
                       projectId: service.project?.projectId))
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

    /// What every kind has, read in one switch.
    private var common: (instanceId: String, reason: String, serviceId: String?, name: String?) {
        switch self {
        case .create(let a): (a.instanceId, a.reason, a.serviceId, a.name)
        case .delete(let a): (a.instanceId, a.reason, a.serviceId, a.name)
        case .rename(let a): (a.instanceId, a.reason, a.serviceId, a.name)
        case .mark(let a): (a.instanceId, a.reason, a.serviceId, a.name)
        }
    }

    public var instanceId: String { common.instanceId }
    public var reason: String { common.reason }
    /// The platform service acted on, when there is one.
    public var serviceId: String? { common.serviceId }
    /// create: the new service name; rename: the new name; delete, mark: the current name.
    public var name: String? { common.name }
    public var cause: DeleteCause? { if case .delete(let a) = self { a.cause } else { nil } }
    public var toState: InstanceState? { if case .mark(let a) = self { a.toState } else { nil } }
    public var fromState: InstanceState? { if case .mark(let a) = self { a.fromState } else { nil } }
    public var fromName: String? { if case .rename(let a) = self { a.fromName } else { nil } }
    public var revision: String? { if case .create(let a) = self { a.revision } else { nil } }
    /// true for a create that resumes an interrupted one; nil otherwise.
    public var resume: Bool? { if case .create(let a) = self, a.resume { true } else { nil } }
    /// The project an action reuses, deletes or renames (placement projectPerInstance).
    public var projectId: String? {
        switch self {
        case .create(let a): a.projectId
        case .delete(let a): a.projectId
        case .rename(let a): a.projectId
        case .mark: nil
        }
    }
}

extension PlanAction: Codable {
    /// The JSON form: one flat object, each kind with its fields (docs/plan-format.md).
    private struct Flat: Codable {
        var kind: Kind
        var instanceId: String
        var serviceId, name, fromName, revision, projectId: String?
        var resume: Bool?
        var cause: DeleteCause?
        var fromState, toState: InstanceState?
        var reason: String
    }

    public func encode(to encoder: any Encoder) throws {
        try Flat(kind: kind, instanceId: instanceId, serviceId: serviceId, name: name, fromName: fromName, revision: revision,
                 projectId: projectId, resume: resume, cause: cause, fromState: fromState, toState: toState, reason: reason).encode(to: encoder)
    }

    /// A saved plan read back: each kind must carry the fields it needs.
    public init(from decoder: any Decoder) throws {
        let f = try Flat(from: decoder)
        func required<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else {
                throw DecodingError.valueNotFound(T.self, .init(codingPath: decoder.codingPath,
                                                                debugDescription: "a \(f.kind.rawValue) needs \(field)"))
            }
            return value
        }
        switch f.kind {
        case .create:
            self = .create(Create(instanceId: f.instanceId, name: try required(f.name, "name"), revision: try required(f.revision, "revision"),
                                  serviceId: f.serviceId, resume: f.resume ?? false, reason: f.reason, projectId: f.projectId))
        case .delete:
            self = .delete(Delete(instanceId: f.instanceId, serviceId: f.serviceId, name: f.name,
                                  cause: try required(f.cause, "cause"), reason: f.reason, projectId: f.projectId))
        case .rename:
            self = .rename(Rename(instanceId: f.instanceId, serviceId: try required(f.serviceId, "serviceId"),
                                  fromName: try required(f.fromName, "fromName"), name: try required(f.name, "name"), reason: f.reason,
                                  projectId: f.projectId))
        case .mark:
            self = .mark(Mark(instanceId: f.instanceId, serviceId: f.serviceId, name: f.name, fromState: f.fromState,
                              toState: try required(f.toState, "toState"), reason: f.reason))
        }
    }
}
