import Observers

/// What a tick will do: data, not behaviour. Rendering and applying are separate.
/// The JSON form is documented in docs/plan-format.md; field names are stable.
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
    public var counts: [String: Int]

    public var hasChanges: Bool { !actions.isEmpty }

    public func count(_ kind: PlanAction.Kind) -> Int { actions.filter { $0.kind == kind }.count }
}

/// Why an instance is being deleted: the executor records build failures from it.
public enum DeleteCause: String, Codable, Sendable {
    case dead, failedBuild, tainted, outdated, excess, abandoned
    /// A second service with a recorded instance's name: only that service goes.
    case duplicate
    /// An operator's drain request: replaced by a fresh instance.
    case drained
}

public struct PlanAction: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case create, delete, rename, mark
    }

    public var kind: Kind
    public var instanceId: String
    /// The platform service acted on (delete, rename, mark; a resumed create once it exists).
    public var serviceId: String?
    /// create: the new service name; rename: the new name; delete/mark: the current name.
    public var name: String?
    /// rename: the name it has now.
    public var fromName: String?
    /// create: revision it is built from.
    public var revision: String?
    /// create: true when it resumes an interrupted create instead of starting one.
    public var resume: Bool?
    public var cause: DeleteCause?
    /// mark: the state recorded before (nil: none yet) and the state to record.
    public var fromState: InstanceState?
    public var toState: InstanceState?
    public var reason: String

    public static func create(id: String, name: String, revision: String, serviceId: String? = nil,
                              resume: Bool = false, reason: String) -> PlanAction {
        PlanAction(kind: .create, instanceId: id, serviceId: serviceId, name: name, revision: revision,
                   resume: resume ? true : nil, reason: reason)
    }

    public static func delete(_ i: ClassifiedInstance, cause: DeleteCause, reason: String) -> PlanAction {
        // A record whose service is missing from the listing still names it: delete that.
        PlanAction(kind: .delete, instanceId: i.instanceId, serviceId: i.service?.serviceId ?? i.record?.serviceId,
                   name: i.service?.name, cause: cause, reason: reason)
    }

    public static func rename(_ i: ClassifiedInstance, to name: String, reason: String) -> PlanAction {
        PlanAction(kind: .rename, instanceId: i.instanceId, serviceId: i.service?.serviceId, name: name,
                   fromName: i.service?.name, reason: reason)
    }

    public static func mark(_ i: ClassifiedInstance, reason: String) -> PlanAction {
        PlanAction(kind: .mark, instanceId: i.instanceId, serviceId: i.service?.serviceId, name: i.service?.name,
                   fromState: i.record?.marked, toState: i.state, reason: reason)
    }

    init(kind: Kind, instanceId: String, serviceId: String? = nil, name: String? = nil, fromName: String? = nil,
         revision: String? = nil, resume: Bool? = nil, cause: DeleteCause? = nil,
         fromState: InstanceState? = nil, toState: InstanceState? = nil, reason: String) {
        self.kind = kind
        self.instanceId = instanceId
        self.serviceId = serviceId
        self.name = name
        self.fromName = fromName
        self.revision = revision
        self.resume = resume
        self.cause = cause
        self.fromState = fromState
        self.toState = toState
        self.reason = reason
    }
}
