import Foundation
import Model

/// One service of the local platform, as kept in its (owner-only) JSON file in the state
/// directory, with the variables its process is started with, as Railway keeps a
/// service's variables.
struct LocalServiceRecord: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var createdAt: Date
    var rootDirectory: String?
    /// The instance variables set by `configureService` (its own `INSTANCE_TOKEN` among
    /// them); nil for a service configured before they were kept, which gets the pool key.
    var variables: [String: String]?
    /// Loopback port reserved by `createDomain` (or at first start), kept across restarts
    /// so that the instance's domain never changes.
    var port: Int?
    var build: LocalBuild?
    var pinnedAt: Date?
    /// The instance process while it is believed to run; nil before the first start and
    /// after a shutdown (a later start restarts it).
    var pid: Int32?
    /// Set when the process ended (or could not start) without being asked to: CRASHED.
    var exitedAt: Date?
    /// Set before the process is stopped, so that a controller that dies mid-delete
    /// finishes the delete on its next start.
    var deleting = false

    var domain: String? { port.map { "127.0.0.1:\($0)" } }

    func deployStatus(at now: Date) -> DeployStatus? {
        guard let build else { return nil }
        if now < build.queuedUntil { return .queued }
        if now < build.buildingUntil { return .building }
        if build.fails { return .failed }
        if now < build.deployingUntil { return .deploying }
        return exitedAt == nil ? .success : .crashed
    }

    /// The build finished successfully by the clock and no process runs for it, nor did
    /// one crash (a crashed instance stays CRASHED for the controller to replace).
    func needsProcess(at now: Date) -> Bool {
        guard let build, !build.fails, pid == nil, exitedAt == nil, !deleting else { return false }
        return now >= build.deployingUntil
    }

    func platformService(at now: Date) -> PlatformService {
        PlatformService(serviceId: id, name: name, createdAt: createdAt,
                        deployStatus: deployStatus(at: now), domain: domain)
    }
}

/// The single simulated build of a service: when each phase ends, decided at its start
/// (a later change of the configured phases does not move a build under way).
struct LocalBuild: Codable, Sendable, Equatable {
    var startedAt: Date
    var queuedUntil: Date
    var buildingUntil: Date
    var deployingUntil: Date
    /// A failing build ends FAILED when its building phase ends and never starts a process.
    var fails: Bool
}
