import Foundation
import Logging
import Model
import Planning
import Ports
import Store

/// The outcome of one applied action.
public struct ActionResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case ok
        case failed(String)
        /// Not attempted (e.g. a guard refused it); says why.
        case refused(String)
    }
    public var action: PlanAction
    public var outcome: Outcome
    public var ok: Bool { outcome == .ok }
}

/// Applies a plan: each action idempotent, intent recorded before side effects, every
/// result recorded as an event, one failure never stopping the others.
public struct Executor: Sendable {
    public var platform: any Platform
    public var store: any PoolStore
    /// The blueprint of a new instance of the current revision, by instance id and service name.
    public var blueprint: @Sendable (_ instanceId: String, _ name: String) -> InstanceBlueprint
    public var revision: String
    /// The instance secret version new instances' tokens derive from, recorded with each.
    public var tokenVersion: Int
    public var concurrency: Int
    public var logger: Logger
    public var clock: @Sendable () -> Date
    /// Checked before every action: false once this replica no longer holds the leader
    /// lease, so a replica that lost it mid-tick stops at the next action.
    public var mayAct: @Sendable () -> Bool
    /// Recorded with every event, when several replicas share the store.
    public var replica: String?

    public init(platform: any Platform, store: any PoolStore, revision: String, tokenVersion: Int,
                concurrency: Int = 4, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() },
                mayAct: @escaping @Sendable () -> Bool = { true }, replica: String? = nil,
                blueprint: @escaping @Sendable (_ instanceId: String, _ name: String) -> InstanceBlueprint) {
        self.tokenVersion = tokenVersion
        self.mayAct = mayAct
        self.replica = replica
        self.platform = platform
        self.store = store
        self.blueprint = blueprint
        self.revision = revision
        self.concurrency = max(1, concurrency)
        self.logger = logger
        self.clock = clock
    }

    /// What the executor reads of the classification the plan was made from.
    struct Known: Sendable {
        /// Owned instances by the service they were listed with.
        var byService: [String: ClassifiedInstance]
        /// Owned instances with no listed service (a create that has not made one yet).
        var unlisted: [String: ClassifiedInstance]
        /// Ours: owned services in the listing, and services our records name (one may be
        /// missing from a lagging listing and still be ours to delete).
        var ownedServices: Set<String>
        /// The pool's own projects, by id.
        var projects: [String: PlatformProject]

        init(_ c: Classification) {
            projects = c.projects
            byService = Dictionary(c.owned.compactMap { i in i.service.map { ($0.serviceId, i) } }, uniquingKeysWith: { a, _ in a })
            unlisted = Dictionary(c.owned.filter { $0.service == nil }.map { ($0.instanceId, $0) }, uniquingKeysWith: { a, _ in a })
            ownedServices = Set(c.owned.compactMap { $0.service?.serviceId } + c.owned.compactMap { $0.record?.serviceId })
        }

        /// The instance an action names: by its service when it has one, so that two
        /// services carrying one instance's name are never mixed up.
        func instance(_ id: String, service: String?) -> ClassifiedInstance? {
            service.map { byService[$0] } ?? unlisted[id]
        }
    }

    /// Applies `plan`, made from `classification`, with at most `concurrency` actions in
    /// flight. Marks go first (store only), so claims see the truth as early as possible.
    public func apply(_ plan: Plan, classification: Classification) async -> [ActionResult] {
        let known = Known(classification)
        var results: [ActionResult] = []
        for a in plan.actions where a.kind == .mark {
            results.append(await run(a, known))
        }
        let rest = plan.actions.filter { $0.kind != .mark }
        await withTaskGroup(of: (Int, ActionResult).self) { group in
            var next = 0
            var collected: [(Int, ActionResult)] = []
            func launch() {
                let i = next, a = rest[i]
                next += 1
                group.addTask { (i, await run(a, known)) }
            }
            while next < min(concurrency, rest.count) { launch() }
            while let r = await group.next() {
                collected.append(r)
                if next < rest.count { launch() }
            }
            results += collected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return results
    }

    func run(_ action: PlanAction, _ known: Known) async -> ActionResult {
        let outcome: ActionResult.Outcome
        do {
            try stillLeading()
            switch action {
            case .create(let a): try await create(a, known.instance(a.instanceId, service: a.serviceId), known)
            case .delete(let a): try await delete(a, known)
            case .rename(let a):
                try owned(a.serviceId, known)
                if a.fromName != a.name { try await platform.renameService(serviceId: a.serviceId, to: a.name) }
                if let p = a.projectId {
                    try ownedProject(p, known)
                    try await platform.renameProject(projectId: p, to: a.name)
                }
            case .mark(let a): try await mark(a, known.instance(a.instanceId, service: a.serviceId))
            }
            outcome = .ok
        } catch let refusal as Refusal {
            outcome = .refused(refusal.reason)
        } catch let paced as PlatformPaced {
            // Railway's pace, not a failure: the create resumes on a later tick.
            outcome = .refused("\(paced); the create goes on a later tick")
        } catch {
            outcome = .failed("\(error)")
        }
        let result = ActionResult(action: action, outcome: outcome)
        await record(result)
        return result
    }

    struct Refusal: Error { var reason: String }

    /// Deletes and renames touch a live service: only ever one this pool owns.
    func owned(_ serviceId: String?, _ known: Known) throws {
        if let s = serviceId, !known.ownedServices.contains(s) {
            throw Refusal(reason: "service \(s) is not owned by this pool")
        }
    }

    /// Projects are deleted and renamed only when they are the pool's own.
    func ownedProject(_ projectId: String, _ known: Known) throws {
        if known.projects[projectId] == nil {
            throw Refusal(reason: "project \(projectId) is not one of this pool's projects")
        }
    }

    /// The project a create's service goes in: the empty one the plan names (kept from an
    /// earlier instance, or made by this create before a crash), else a new one.
    func project(for a: PlanAction.Create, _ bp: InstanceBlueprint, _ known: Known) async throws -> ProjectPlacement {
        if let id = a.projectId {
            guard let p = known.projects[id], p.serviceCount == 0 else {
                throw Refusal(reason: "project \(id) is not an empty project of this pool")
            }
            return p.placement
        }
        try stillLeading()
        return try await platform.createProject(bp)
    }

    /// The create sequence, resumable at every step. Each completed step is recorded before
    /// the next starts; a step whose effect the observation already shows is not repeated.
    func create(_ a: PlanAction.Create, _ observed: ClassifiedInstance?, _ known: Known) async throws {
        guard a.revision == revision else {
            throw Refusal(reason: "built from revision \(a.revision.prefix(8)), the spec is now at \(revision.prefix(8))")
        }
        var bp = blueprint(a.instanceId, a.name)
        let service = observed?.service
        if let p = service?.project { bp.project = p.placement }
        try await store.recordIntent(instanceId: a.instanceId, serviceName: a.name, revision: revision,
                                     tokenVersion: tokenVersion, at: clock())
        // The record as this tick observed it: a new instance has none yet.
        let record = observed?.record
        var step = record?.createStep ?? .intentRecorded
        var serviceId = record?.serviceId ?? service?.serviceId
        // The listing does not show the service the record names (yet): what the remaining
        // steps would repeat cannot be known, so wait for a listing that shows it.
        if let recorded = record?.serviceId, service == nil, step < .pinned {
            throw Refusal(reason: "service \(recorded) is not in the platform's listing yet; resuming when it is")
        }
        if step < .serviceCreated {
            try stillLeading()
            if serviceId == nil {
                if bp.projectName != nil { bp.project = try await project(for: a, bp, known) }
                serviceId = try await platform.createService(bp)
            }
            try await store.recordStep(instanceId: a.instanceId, step: .serviceCreated, serviceId: serviceId,
                                       projectId: bp.project?.projectId)
            step = .serviceCreated
        }
        guard let serviceId else { throw Refusal(reason: "create step \(step.rawValue) recorded without a service id") }
        if step < .configured {
            try stillLeading()
            try await platform.configureService(serviceId: serviceId, bp)
            try await store.recordStep(instanceId: a.instanceId, step: .configured, serviceId: nil)
            step = .configured
        }
        if step < .domainCreated {
            try stillLeading()
            if service?.domain == nil { _ = try await platform.createDomain(serviceId: serviceId, bp) }
            try await store.recordStep(instanceId: a.instanceId, step: .domainCreated, serviceId: nil)
            step = .domainCreated
        }
        if step < .buildStarted {
            // A deployment already exists: the build was started before a crash. Never twice.
            try stillLeading()
            if service?.deployStatus == nil { try await platform.startBuild(serviceId: serviceId, bp) }
            try await store.recordStep(instanceId: a.instanceId, step: .buildStarted, serviceId: nil)
            step = .buildStarted
        }
        if step < .pinned {
            try stillLeading()
            try await platform.pinSource(serviceId: serviceId, bp)
            try await store.recordStep(instanceId: a.instanceId, step: .pinned, serviceId: nil)
        }
    }

    /// A create is five platform calls: a replica that lost the lease meanwhile stops
    /// between them (the new leader resumes the sequence from the record).
    func stillLeading() throws {
        if !mayAct() { throw Refusal(reason: "this replica no longer holds the leader lease") }
    }

    func delete(_ a: PlanAction.Delete, _ known: Known) async throws {
        if a.cause == .emptyProject {
            guard let p = a.projectId else { throw Refusal(reason: "an empty-project delete without a project") }
            try ownedProject(p, known)
            guard known.projects[p]?.serviceCount == 0 else { throw Refusal(reason: "project \(p) is not empty") }
            try stillLeading()
            try await platform.deleteProject(projectId: p)
            return
        }
        try owned(a.serviceId, known)
        if let p = a.projectId { try ownedProject(p, known) }
        // Retire it first, in the store: a claim that started after the observation can no
        // longer take it, and one that already did makes this delete stand down.
        if a.cause != .duplicate {
            guard try await store.reserveForDelete(instanceId: a.instanceId, reason: "deleting: \(a.reason)", at: clock()) else {
                throw Refusal(reason: "claimed since the observation; not deleted")
            }
        }
        try stillLeading()
        if let p = a.projectId {
            try await platform.deleteProject(projectId: p)
        } else if let s = a.serviceId {
            // An unclaimed instance's project of its own is kept, empty, for the next create.
            // A service the listing does not show is deleted in the project its record names
            // (in every environment of it), never in the shared environment.
            let listed = known.byService[s]?.service?.project?.placement
            let recorded = (known.byService[s] ?? known.unlisted[a.instanceId])?.record?.projectId.map {
                ProjectPlacement(projectId: $0, environmentId: "")
            }
            try await platform.deleteService(serviceId: s, in: listed ?? recorded)
        }
        // A duplicate's record belongs to the other service: keep it.
        guard a.cause != .duplicate else { return }
        try await store.forget(instanceId: a.instanceId, at: clock())
        if a.cause == .failedBuild {
            try await store.recordBuildOutcome(revision: revision, succeeded: false, at: clock())
        }
    }

    func mark(_ a: PlanAction.Mark, _ observed: ClassifiedInstance?) async throws {
        try await markState(a, observed)
        // Found in a project of its own without a record of it (adopted by name): recorded
        // now, so that project is never reused and goes whole with it.
        if let project = observed?.service?.project, observed?.record?.projectId == nil {
            try await store.recordProject(instanceId: a.instanceId, projectId: project.projectId)
        }
    }

    func markState(_ a: PlanAction.Mark, _ observed: ClassifiedInstance?) async throws {
        // Back from crashed: adopted in the store already (adopt only takes unclaimed
        // records), so only its mark changes; else it would be re-marked every tick.
        if a.toState == .adopted, a.fromState != .crashed {
            let conversation = observed.flatMap { i -> String? in
                if case .status(let s) = i.observed.probe { s.conversationId } else { nil }
            }
            try await store.adopt(instanceId: a.instanceId, serviceId: a.serviceId, conversationId: conversation ?? "unknown", at: clock())
            return
        }
        try await store.mark(instanceId: a.instanceId, serviceId: a.serviceId, domain: observed?.service?.domain,
                             state: a.toState, at: clock())
        // First healthy answer of a new instance: its build succeeded, the backoff resets.
        if a.toState == .idle, a.fromState == nil || a.fromState == .provisioning, observed?.revision == revision {
            try await store.recordBuildOutcome(revision: revision, succeeded: true, at: clock())
        }
    }

    func record(_ r: ActionResult) async {
        let a = r.action
        let (outcome, detail): (String, String) = switch r.outcome {
        case .ok: ("ok", a.reason)
        case .failed(let e): ("failed", "\(a.reason): \(e)")
        case .refused(let why): ("refused", "\(a.reason): \(why)")
        }
        var line = Logger.Metadata()
        line["action"] = "\(a.kind.rawValue)"
        line["instance"] = "\(a.instanceId)"
        if let s = a.serviceId { line["service"] = "\(s)" }
        line["outcome"] = "\(outcome)"
        if r.ok { logger.info("\(a.kind.rawValue) \(a.name ?? a.instanceId): \(detail)", metadata: line) }
        else { logger.warning("\(a.kind.rawValue) \(a.name ?? a.instanceId) \(outcome): \(detail)", metadata: line) }
        do {
            _ = try await store.append(PoolEvent(at: clock(), kind: a.kind.rawValue, instanceId: a.instanceId,
                                                 serviceId: a.serviceId, outcome: outcome, detail: detail, replica: replica))
        } catch {
            logger.error("could not record the event of \(a.kind.rawValue) \(a.instanceId): \(error)")
        }
    }
}
