import Foundation
import Model
import Ports

/// Dies right after the `afterCall`-th create-step call has reached the platform, the way a
/// process killed at that moment would: the effect happened, nothing was recorded.
final class CrashingPlatform: Platform, @unchecked Sendable {
    struct SimulatedCrash: Error {}
    let base: any Platform
    let afterCall: Int
    private let lock = NSLock()
    private var calls = 0

    init(_ base: any Platform, afterCall: Int) {
        self.base = base
        self.afterCall = afterCall
    }

    private func step<T>(_ body: () async throws -> T) async throws -> T {
        let n = lock.withLock { calls += 1; return calls }
        if afterCall == 0 { throw SimulatedCrash() }
        let result = try await body()
        if n == afterCall { throw SimulatedCrash() }
        return result
    }

    func listServices() async throws -> [PlatformService] { try await base.listServices() }
    var hasProjects: Bool { base.hasProjects }
    func observe() async throws -> PlatformListing { try await base.observe() }
    func createProject(_ b: InstanceBlueprint) async throws -> ProjectPlacement { try await step { try await base.createProject(b) } }
    func deleteService(serviceId: String, in project: ProjectPlacement?) async throws { try await base.deleteService(serviceId: serviceId, in: project) }
    func deleteProject(projectId: String) async throws { try await base.deleteProject(projectId: projectId) }
    func renameProject(projectId: String, to name: String) async throws { try await base.renameProject(projectId: projectId, to: name) }
    func createService(_ b: InstanceBlueprint) async throws -> String { try await step { try await base.createService(b) } }
    func configureService(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.configureService(serviceId: serviceId, b) } }
    func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String { try await step { try await base.createDomain(serviceId: serviceId, b) } }
    func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.startBuild(serviceId: serviceId, b) } }
    func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws { try await step { try await base.pinSource(serviceId: serviceId, b) } }
    func deleteService(serviceId: String) async throws { try await base.deleteService(serviceId: serviceId) }
    func renameService(serviceId: String, to name: String) async throws { try await base.renameService(serviceId: serviceId, to: name) }
}
