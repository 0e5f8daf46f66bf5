import Foundation
import Store

extension PoolStore {
    /// Records an idle instance as the pool would have made it: its intent, its finished
    /// create (service `svc-<id>` unless named) and its mark as idle. The one way tests seed
    /// a claimable instance in a store.
    public func seedIdleRecord(_ id: String, serviceName: String? = nil, serviceId: String? = nil, domain: String? = nil,
                               revision: String = "r", tokenVersion: Int? = 1, at time: Date) async throws {
        let service = serviceId ?? "svc-\(id)"
        try await recordIntent(instanceId: id, serviceName: serviceName ?? "pool-\(id)", revision: revision,
                               tokenVersion: tokenVersion, at: time)
        try await recordStep(instanceId: id, step: .pinned, serviceId: service)
        try await mark(instanceId: id, serviceId: service, domain: domain, state: .idle, at: time)
    }
}
