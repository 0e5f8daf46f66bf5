import Foundation
import Model
import Ports

/// Services in memory, deployed at once. Listings can be held at a gate (a slow tick)
/// and are counted, with the most that ever ran at the same time.
public final class MemoryPlatform: Platform, @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var services: [PlatformService] = []
    private var next = 0
    private var gate: Gate?
    private var running = 0
    private var listed = 0
    private var mostConcurrent = 0
    private var delay: Duration = .zero
    private var failure: String?

    public var listings: Int { lock.withLock { listed } }
    public var mostConcurrentListings: Int { lock.withLock { mostConcurrent } }
    public var listingDelay: Duration {
        get { lock.withLock { delay } }
        set { lock.withLock { delay = newValue } }
    }
    public var listingFailure: String? {
        get { lock.withLock { failure } }
        set { lock.withLock { failure = newValue } }
    }

    public var serviceCount: Int { lock.withLock { services.count } }
    public var all: [PlatformService] { lock.withLock { services } }

    @discardableResult
    public func add(name: String) -> PlatformService {
        lock.withLock {
            next += 1
            let s = PlatformService(serviceId: "svc-\(next)", name: name, createdAt: Date(timeIntervalSinceNow: -60),
                                    deployStatus: .success, deploymentId: "dep-\(next)", domain: "instance-\(next).test")
            services.append(s)
            return s
        }
    }

    /// Listings wait until `releaseListings()`.
    public func holdListings() { lock.withLock { gate = Gate() } }
    public func releaseListings() { lock.withLock { gate }?.open() }

    public struct ListingFailed: Error, CustomStringConvertible { public var description: String }

    /// What a listing returns is what existed when it started, however long it is held.
    public func listServices() async throws -> [PlatformService] {
        let (gate, snapshot) = lock.withLock {
            listed += 1
            running += 1
            mostConcurrent = max(mostConcurrent, running)
            return (self.gate, services)
        }
        defer { lock.withLock { running -= 1 } }
        await gate?.wait()
        if listingDelay > .zero { try? await Task.sleep(for: listingDelay) }
        if let failure = listingFailure { throw ListingFailed(description: failure) }
        return snapshot
    }

    public func createService(_ b: InstanceBlueprint) async throws -> String { add(name: b.name).serviceId }
    public func configureService(serviceId: String, _ b: InstanceBlueprint) async throws {}
    public func createDomain(serviceId: String, _ b: InstanceBlueprint) async throws -> String {
        lock.withLock { services.first { $0.serviceId == serviceId }?.domain ?? "" }
    }
    public func startBuild(serviceId: String, _ b: InstanceBlueprint) async throws {}
    public func pinSource(serviceId: String, _ b: InstanceBlueprint) async throws {}
    public func deleteService(serviceId: String) async throws { lock.withLock { services.removeAll { $0.serviceId == serviceId } } }
    public func renameService(serviceId: String, to name: String) async throws {
        lock.withLock { if let k = services.firstIndex(where: { $0.serviceId == serviceId }) { services[k].name = name } }
    }
}

