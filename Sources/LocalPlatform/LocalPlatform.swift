import Foundation
import Logging
import Model
import Ports

/// `Platform` on this machine, for trying the pool out with no account: each instance is
/// a process of the stand-in agent (`poolctl stand-in-agent`) on a loopback port, after a
/// simulated build that takes it through Railway's statuses by the clock.
///
/// Mirrors `RailwayPlatform`: create makes an empty service, the domain is reserved before
/// the single build, delete and rename of an unknown service succeed. Status advances
/// lazily: `listServices` (which the controller calls every tick) starts the process of a
/// build that just finished and notices processes that exited on their own.
///
/// Every process it starts is recorded in the state directory before any other call can
/// run, or killed; `shutdown()` stops them all, and a new instance over the same directory
/// adopts the ones still running or restarts the ones that are gone.
public actor LocalPlatform: Platform {
    let configuration: LocalPlatformConfiguration
    let store: ServiceRecordStore
    let logger: Logger
    var records: [String: LocalServiceRecord] = [:]
    var isShutDown = false
    /// This process's hold on the state folder, for the platform's life.
    let lock: StateLock

    /// Locks the state directory (throws `LocalPlatformError.stateInUse` when another
    /// process holds it, having touched nothing), reads it and brings its services back
    /// (see `recover()`).
    public init(configuration: LocalPlatformConfiguration,
                logger: Logger = Logger(label: "local-platform")) async throws {
        self.configuration = configuration
        self.store = try ServiceRecordStore(directory: configuration.stateDirectory)
        self.lock = try StateLock(folder: configuration.stateDirectory)
        self.logger = logger
        do {
            try await recover()
        } catch {
            // Processes it restarted before failing are its own: stopped, not orphaned.
            await shutdown()
            throw error
        }
    }

    public func listServices() async throws -> [PlatformService] {
        let now = configuration.now()
        for id in records.keys.sorted() {
            try advance(id, now: now)
        }
        return records.values
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .map { $0.platformService(at: now) }
    }

    public func createService(_ blueprint: InstanceBlueprint) async throws -> String {
        guard !isShutDown else { throw LocalPlatformError.shutDown }
        let id = "local-" + String((0..<12).map { _ in Self.idAlphabet.randomElement()! })
        let record = LocalServiceRecord(id: id, name: blueprint.name, createdAt: configuration.now())
        try store.save(record)
        records[id] = record
        return id
    }

    public func configureService(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        try update(serviceId) {
            $0.rootDirectory = blueprint.rootDirectory
            $0.variables = blueprint.variables
        }
    }

    /// Reserves the instance's loopback port. `blueprint.port` (the port inside a Railway
    /// container) does not apply: every local instance needs a port of its own.
    /// Asking again returns the same domain.
    public func createDomain(serviceId: String, _ blueprint: InstanceBlueprint) async throws -> String {
        guard !isShutDown else { throw LocalPlatformError.shutDown }
        if records[serviceId]?.port == nil {
            let port = try freePort()
            try update(serviceId) { $0.port = port }
        }
        return try existing(serviceId).domain!
    }

    /// Starts the single build; a second call leaves the build under way alone.
    public func startBuild(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        guard !isShutDown else { throw LocalPlatformError.shutDown }
        let now = configuration.now()
        try update(serviceId) { record in
            if record.build == nil {
                record.build = configuration.phases.schedule(startingAt: now, fails: configuration.failBuilds)
            }
        }
    }

    /// Nothing to pin locally (no source can push a new build); recorded for the operator.
    public func pinSource(serviceId: String, _ blueprint: InstanceBlueprint) async throws {
        let now = configuration.now()
        try update(serviceId) { $0.pinnedAt = $0.pinnedAt ?? now }
    }

    /// Idempotent: a service that is already gone counts as deleted. Returns once its
    /// process has exited.
    public func deleteService(serviceId: String) async throws {
        guard var record = records.removeValue(forKey: serviceId) else { return }
        record.deleting = true
        try store.save(record)
        if let pid = record.pid {
            logger.info("stopping local instance", metadata: ["service": "\(serviceId)", "pid": "\(pid)"])
            await InstanceProcess.stop(pid)
        }
        store.remove(serviceId)
    }

    /// Idempotent: renaming to the current name, or renaming a service that is gone, succeeds.
    public func renameService(serviceId: String, to name: String) async throws {
        guard records[serviceId] != nil else { return }
        try update(serviceId) { $0.name = name }
    }

    private static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    private func existing(_ id: String) throws -> LocalServiceRecord {
        guard let record = records[id] else { throw LocalPlatformError.serviceNotFound(id) }
        return record
    }

    /// Changes a record on disk first, then in memory, so the two never disagree.
    private func update(_ id: String, _ change: (inout LocalServiceRecord) -> Void) throws {
        var record = try existing(id)
        change(&record)
        try store.save(record)
        records[id] = record
    }

    /// A free port no other service holds (the kernel may hand out a reserved, not yet
    /// bound port again).
    private func freePort() throws -> Int {
        let taken = Set(records.values.compactMap(\.port))
        while true {
            let port = try LoopbackPort.free()
            if !taken.contains(port) { return port }
        }
    }

    /// Brings one service up to date with the clock: a process that exited on its own
    /// makes it CRASHED; a build that finished gets its process. Not after shutdown: the
    /// processes it stopped did not crash, and none may start.
    private func advance(_ id: String, now: Date) throws {
        guard !isShutDown, var record = records[id] else { return }
        if let pid = record.pid, !InstanceProcess.isAlive(pid) {
            logger.warning("local instance exited on its own", metadata: ["service": "\(id)", "pid": "\(pid)"])
            record.pid = nil
            record.exitedAt = now
            try store.save(record)
            records[id] = record
        }
        if record.needsProcess(at: now) {
            try startProcess(id)
        }
    }

    /// Spawns the instance on its port (reserving one if the service has no domain yet)
    /// and records the pid before returning; if the record cannot be written the process
    /// is killed, so that no process runs untracked. A spawn that fails counts as a crash.
    func startProcess(_ id: String) throws {
        var record = try existing(id)
        let port = try record.port ?? freePort()
        record.port = port
        do {
            let pid = try InstanceProcess.spawn(
                executable: configuration.executable, arguments: configuration.arguments(port),
                variables: record.variables ?? ["POOL_API_KEY": configuration.apiKey], log: store.logFile(of: id))
            record.pid = pid
            logger.info("started local instance", metadata: ["service": "\(id)", "port": "\(port)", "pid": "\(pid)"])
        } catch {
            logger.error("cannot start local instance", metadata: [
                "service": "\(id)", "executable": "\(configuration.executable.path)", "error": "\(error)"])
            record.exitedAt = configuration.now()
        }
        do {
            try store.save(record)
        } catch {
            if let pid = record.pid { InstanceProcess.kill(pid) }
            throw error
        }
        records[id] = record
    }
}
