import Model

/// The seam between the controller and where instances run (Railway, or local processes).
///
/// Every mutation must be idempotent from the caller's point of view: deleting a service
/// that is already gone and renaming a service to the name it already has both succeed.
/// Create is split into steps so the executor can record each one and resume after a crash.
/// A step a blueprint does not need (an image needs no root directory and no pin) makes no call.
public protocol Platform: Sendable {
    /// Every service of the environment, in one observation. Throws rather than return a
    /// partial list: a missing page must never look like a deleted service.
    func listServices() async throws -> [PlatformService]
    /// Whether instances may live in projects of their own (placement projectPerInstance).
    var hasProjects: Bool { get }
    /// The services and the pool's own projects in one observation (one paged query per
    /// placement). By default the services alone: a platform without projects.
    func observe() async throws -> PlatformListing
    /// One page of that observation, from `cursor` (nil: the first page), and where the
    /// next page starts (nil: that was the last). The resync reads a large pool a page at a
    /// time (`ObservationCache`). By default the whole observation is one page.
    func observePage(from cursor: ListingCursor?) async throws -> (page: PlatformListing, next: ListingCursor?)

    /// Step 0 in placement projectPerInstance: an empty project of the instance's own,
    /// named `blueprint.projectName`. Returns where its service goes.
    func createProject(_ blueprint: InstanceBlueprint) async throws -> ProjectPlacement
    /// Step 1: create an empty service (no source, so no build starts). Returns its id.
    func createService(_ blueprint: InstanceBlueprint) async throws -> String
    /// Step 2: settings that must exist before the one and only build (root directory,
    /// sleeping disabled).
    func configureService(serviceId: String, _ blueprint: InstanceBlueprint) async throws
    /// Step 3: a public domain routed to the instance's port. Returns the host name.
    func createDomain(serviceId: String, _ blueprint: InstanceBlueprint) async throws -> String
    /// Step 4: connect the source and start the single build (or, for an image, set image,
    /// variables and settings in one commit: the single deploy).
    func startBuild(serviceId: String, _ blueprint: InstanceBlueprint) async throws
    /// Step 5: pin the instance to what it was built from (a push must never redeploy it).
    func pinSource(serviceId: String, _ blueprint: InstanceBlueprint) async throws

    func deleteService(serviceId: String) async throws
    /// Deletes a service of a project of its own (nil: the shared environment's).
    func deleteService(serviceId: String, in project: ProjectPlacement?) async throws
    func renameService(serviceId: String, to name: String) async throws
    /// A whole project, its services and volumes with it. Idempotent.
    func deleteProject(projectId: String) async throws
    func renameProject(projectId: String, to name: String) async throws
}

/// Where a listing read a page at a time stands: which of the platform's listings (the
/// shared environment's services, then the workspace's projects) and the page cursor in it.
public struct ListingCursor: Sendable, Equatable {
    public var source: Int
    /// The platform's own cursor: the page starts after it (nil: the listing's first page).
    public var after: String?

    public init(source: Int, after: String?) {
        self.source = source
        self.after = after
    }
}

/// Where a service of a project of its own lives.
public struct ProjectPlacement: Codable, Sendable, Equatable {
    public var projectId: String
    /// Empty when only the project is known (a record whose service is not listed): a
    /// delete then takes the service from every environment of its project.
    public var environmentId: String

    public init(projectId: String, environmentId: String) {
        self.projectId = projectId
        self.environmentId = environmentId
    }
}

extension PlatformProject {
    /// Where its service lives, as the create and delete calls take it.
    public var placement: ProjectPlacement { ProjectPlacement(projectId: projectId, environmentId: environmentId) }
}

/// A platform asked for what it does not have (projects, on a platform without them).
public struct PlatformUnsupported: Error, CustomStringConvertible {
    public var what: String
    public init(_ what: String) { self.what = what }
    public var description: String { "this platform has no \(what)" }
}

extension Platform {
    public var hasProjects: Bool { false }
    public func observe() async throws -> PlatformListing {
        PlatformListing(services: try await listServices())
    }
    public func observePage(from cursor: ListingCursor?) async throws -> (page: PlatformListing, next: ListingCursor?) {
        (try await observe(), nil)
    }
    public func createProject(_ blueprint: InstanceBlueprint) async throws -> ProjectPlacement {
        throw PlatformUnsupported("projects")
    }
    public func deleteService(serviceId: String, in project: ProjectPlacement?) async throws {
        try await deleteService(serviceId: serviceId)
    }
    public func deleteProject(projectId: String) async throws { throw PlatformUnsupported("projects") }
    public func renameProject(projectId: String, to name: String) async throws { throw PlatformUnsupported("projects") }
}

/// The platform refused a call for its pace, not for what it asked (Railway: one
/// `projectCreate` per 30 s per user). Not a failed build; the next tick tries again.
public struct PlatformPaced: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "paced by the platform: \(message)" }
}
