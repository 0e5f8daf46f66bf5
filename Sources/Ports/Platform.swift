import Model

/// The seam between the controller and where instances run (Railway, or local processes).
///
/// Every mutation must be idempotent from the caller's point of view: deleting a service
/// that is already gone and renaming a service to the name it already has both succeed.
/// Create is split into steps so the executor can record each one and resume after a crash.
public protocol Platform: Sendable {
    /// Every service of the environment, in one observation. Throws rather than return a
    /// partial list: a missing page must never look like a deleted service.
    func listServices() async throws -> [PlatformService]

    /// Step 1: create an empty service (no source, so no build starts). Returns its id.
    func createService(_ blueprint: InstanceBlueprint) async throws -> String
    /// Step 2: settings that must exist before the one and only build (root directory,
    /// sleeping disabled).
    func configureService(serviceId: String, _ blueprint: InstanceBlueprint) async throws
    /// Step 3: a public domain routed to the instance's port. Returns the host name.
    func createDomain(serviceId: String, _ blueprint: InstanceBlueprint) async throws -> String
    /// Step 4: connect the source and start the single build.
    func startBuild(serviceId: String, _ blueprint: InstanceBlueprint) async throws
    /// Step 5: pin the instance to what it was built from (a push must never redeploy it).
    func pinSource(serviceId: String, _ blueprint: InstanceBlueprint) async throws

    func deleteService(serviceId: String) async throws
    func renameService(serviceId: String, to name: String) async throws
}
