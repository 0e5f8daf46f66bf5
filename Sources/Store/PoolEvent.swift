import Model
import Foundation

/// One line of the audit trail: what the controller did or saw, and how it went.
public struct PoolEvent: Codable, Sendable, Equatable {
    /// Assigned by the store when the event is appended; nil before.
    public var id: Int64?
    public var at: Date
    /// What happened: "create", "delete", "rename", "mark", "claim", "tick", ...
    public var kind: String
    public var instanceId: String?
    public var serviceId: String?
    /// How it went: "ok", "failed", ...
    public var outcome: String
    /// Human text, e.g. the planner's reason or the error.
    public var detail: String
    /// The replica that recorded it, when several share the store.
    public var replica: String?

    public init(id: Int64? = nil, at: Date, kind: String, instanceId: String? = nil,
                serviceId: String? = nil, outcome: String, detail: String, replica: String? = nil) {
        self.id = id
        self.at = at
        self.kind = kind
        self.instanceId = instanceId
        self.serviceId = serviceId
        self.outcome = outcome
        self.detail = detail
        self.replica = replica
    }
}
