import Model

/// Which instances are the pool's, decided in one place: the observer joins services to
/// records and picks what to probe with it, the classifier picks what to plan for.
public enum Ownership {
    /// The instance id when the pool owns this instance: recorded in its store, or a
    /// service named exactly `<prefix>-<id>`. Nil for everything else in the environment.
    public static func ownerId(of inst: ObservedInstance, prefix: String) -> String? {
        inst.record?.instanceId
            ?? inst.service.flatMap { InstanceNaming.instanceId(fromServiceName: $0.name, prefix: prefix) }
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
