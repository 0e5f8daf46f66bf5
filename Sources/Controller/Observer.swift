import Foundation
import Observers
import Store

/// Gathers one tick's ObservedState: one platform listing, the store's records, and a
/// status probe of every owned instance whose deployment succeeded. Never throws: a
/// failure makes the observation incomplete (a blind tick), never a shorter list.
public struct Observer: Sendable {
    public var platform: any Platform
    public var store: any PoolStore
    public var prober: (any StatusProber)?
    public var prefix: String
    public var revision: String
    /// `https` in production; `http` for loopback tests.
    public var scheme: String

    public init(platform: any Platform, store: any PoolStore, prober: (any StatusProber)?,
                prefix: String, revision: String, scheme: String) {
        self.platform = platform
        self.store = store
        self.prober = prober
        self.prefix = prefix
        self.revision = revision
        self.scheme = scheme
    }

    public func observe() async -> ObservedState {
        let records: [InstanceRecord]
        let failures: Int
        let lastFailure: Date?
        do {
            records = try await store.instances()
            failures = try await store.consecutiveBuildFailures(revision: revision)
            lastFailure = try await store.lastBuildFailureAt(revision: revision)
        } catch {
            return ObservedState(complete: false, incompleteReason: "store unavailable: \(error)", instances: [])
        }
        let services: [PlatformService]
        do {
            services = try await platform.listServices()
        } catch {
            return ObservedState(complete: false, incompleteReason: "platform listing failed: \(error)",
                                 consecutiveBuildFailures: failures, lastBuildFailureAt: lastFailure,
                                 instances: records.map { ObservedInstance(service: nil, record: $0) })
        }
        var instances = Self.join(services: services, records: records, prefix: prefix)
        if let prober {
            // Claims may have started during the listing: never probe one in flight.
            let inFlight = Set((try? await store.claimsInFlight(startedBefore: .distantFuture))?.map(\.instanceId) ?? [])
            let targets = instances.compactMap { i -> (id: String, baseURL: String)? in
                guard let s = i.service, s.deployStatus == .success, let domain = s.domain,
                      i.record?.claim != .claiming,
                      let id = Classifier.ownerId(of: i, prefix: prefix), !inFlight.contains(id)
                else { return nil }
                // Keyed by service: a duplicate service shares its instance's id.
                return (s.serviceId, "\(scheme)://\(domain)")
            }
            let results = await prober.probeAll(targets)
            for k in instances.indices {
                guard let s = instances[k].service, let r = results[s.serviceId] else { continue }
                instances[k].probe = r
            }
        }
        return ObservedState(complete: true, consecutiveBuildFailures: failures, lastBuildFailureAt: lastFailure,
                             instances: instances)
    }

    /// Services and records matched by service id, or by name `<prefix>-<id>` for a record
    /// whose create was interrupted before its service id was recorded. Records with no
    /// service become record-only instances; services with no record stand alone.
    public static func join(services: [PlatformService], records: [InstanceRecord], prefix: String) -> [ObservedInstance] {
        var byServiceId: [String: InstanceRecord] = [:]
        var byName: [String: InstanceRecord] = [:]
        for r in records {
            if let s = r.serviceId { byServiceId[s] = r }
            byName[InstanceNaming.serviceName(prefix: prefix, instanceId: r.instanceId)] = r
        }
        var used: Set<String> = []
        var out: [ObservedInstance] = []
        for s in services {
            var record = byServiceId[s.serviceId]
            if record == nil, let r = byName[s.name], r.serviceId == nil || r.serviceId == s.serviceId, !used.contains(r.instanceId) {
                record = r
            }
            if let r = record { used.insert(r.instanceId) }
            out.append(ObservedInstance(service: s, record: record))
        }
        for r in records where !used.contains(r.instanceId) {
            out.append(ObservedInstance(service: nil, record: r))
        }
        return out
    }
}
