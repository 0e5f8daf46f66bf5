import Foundation
import Logging
import Model
import Ports
import Store

/// What an operator asks of the pool, in one place: drain and replenish requests (served by
/// the next ticks), killing a claimed instance and dismissing a crashed one. Kill and
/// dismiss change what a tick is looking at, so they take their turn on the tick lock.
public struct PoolOperator: Sendable {
    public var store: any PoolStore
    public var platform: any Platform
    public var lock: TickLock
    public var logger: Logger
    public var clock: @Sendable () -> Date
    /// Asks for a reconcile tick; coalesced by the loop.
    public var requestTick: @Sendable () -> Void

    public init(store: any PoolStore, platform: any Platform, lock: TickLock = TickLock(), logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }, requestTick: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.platform = platform
        self.lock = lock
        self.logger = logger
        self.clock = clock
        self.requestTick = requestTick
    }

    public enum OperatorError: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case wrongState(String)
        public var description: String {
            switch self {
            case .notFound(let m), .wrongState(let m): m
            }
        }
    }

    /// Records a drain or replenish request and asks for a tick. Returns the request's id.
    public func request(_ kind: PoolRequest.Kind, count: Int?) async throws -> Int64 {
        let id = try await store.addRequest(kind: kind, count: count, at: clock())
        requestTick()
        return id
    }

    /// Kill: delete a claimed (or adopted) instance's service and close its record.
    public func kill(instanceId: String) async throws {
        try await lock.run {
            guard let r = try await store.instance(id: instanceId) else { throw OperatorError.notFound("no instance \(instanceId)") }
            // A claim left "claiming" by a crash can be killed too: nothing else clears it.
            guard r.claim != .none || r.marked == .adopted || r.conversationId != nil else {
                throw OperatorError.wrongState("instance \(instanceId) is not claimed; the pool manages it")
            }
            try await remove(r, kind: "kill")
        }
    }

    /// Dismiss: remove a crashed claimed instance the operator has looked at.
    public func dismiss(instanceId: String) async throws {
        try await lock.run {
            guard let r = try await store.instance(id: instanceId) else { throw OperatorError.notFound("no instance \(instanceId)") }
            guard r.marked == .crashed else {
                throw OperatorError.wrongState("instance \(instanceId) is not crashed (it is \(r.marked?.rawValue ?? "unmarked"))")
            }
            try await remove(r, kind: "dismiss")
        }
    }

    func remove(_ r: InstanceRecord, kind: String) async throws {
        // A project of its own goes whole: it held an agent's instance, never reused. One
        // not recorded (found before its record named it) is looked up in a listing.
        var project = r.projectId
        if project == nil, platform.hasProjects, let s = r.serviceId {
            project = try await platform.observe().services.first { $0.serviceId == s }?.project?.projectId
        }
        if let p = project {
            try await platform.deleteProject(projectId: p)
        } else if let s = r.serviceId {
            try await platform.deleteService(serviceId: s)
        }
        try await store.forget(instanceId: r.instanceId, at: clock())
        let detail = "\(kind) by the operator\(r.agentName.map { " (agent \"\($0)\")" } ?? "")"
        do {
            _ = try await store.append(PoolEvent(at: clock(), kind: kind, instanceId: r.instanceId, outcome: "ok", detail: detail))
        } catch {
            logger.error("could not record the \(kind) event of \(r.instanceId): \(error)")
        }
        requestTick()
    }
}
