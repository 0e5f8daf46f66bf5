import Controller
import Foundation
import Hummingbird
import Spec
import Store

/// One owned instance as `GET /api/pool/status` shows it. Every field is written, the
/// unknown ones as null, so a client sees the same shape for every instance.
struct InstanceStatus: Encodable, Equatable {
    var instanceId: String
    var serviceId: String?
    var name: String?
    var state: String
    var why: String
    /// scheme://domain, nil until the instance has a domain.
    var url: String?
    /// Short revision it was built from; nil when unknown (adopted).
    var revision: String?
    var ageSeconds: Int
    var agentName: String?
    var conversationId: String?
    var inviteUrl: String?
    var outdated: Bool

    init(_ i: ClassifiedInstance, scheme: String, now: Date, answer: ClaimOutcome?) {
        instanceId = i.instanceId
        serviceId = i.service?.serviceId ?? i.record?.serviceId
        name = i.service?.name
        state = i.state.rawValue
        why = i.why
        url = (i.service?.domain ?? i.record?.domain).map { "\(scheme)://\($0)" }
        revision = i.revision.map { Revision(hex: $0).short }
        ageSeconds = max(0, Int(now.timeIntervalSince(i.createdAt)))
        agentName = i.record?.agentName
        conversationId = i.record?.conversationId
        if case .claimed(_, _, let invite, _)? = answer { inviteUrl = invite }
        outdated = i.outdated
    }

    enum CodingKeys: String, CodingKey {
        case instanceId, serviceId, name, state, why, url, revision, ageSeconds, agentName, conversationId, inviteUrl, outdated
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(instanceId, forKey: .instanceId)
        try c.encode(serviceId, forKey: .serviceId)
        try c.encode(name, forKey: .name)
        try c.encode(state, forKey: .state)
        try c.encode(why, forKey: .why)
        try c.encode(url, forKey: .url)
        try c.encode(revision, forKey: .revision)
        try c.encode(ageSeconds, forKey: .ageSeconds)
        try c.encode(agentName, forKey: .agentName)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(inviteUrl, forKey: .inviteUrl)
        try c.encode(outdated, forKey: .outdated)
    }
}

/// `GET /api/pool/status`: the counts, when and how the last tick observed, and every instance.
struct PoolStatus: ResponseEncodable {
    /// Replicas sharing one store: which one this is and which one leads.
    struct Leader: Encodable {
        /// This replica's name.
        var replica: String
        /// Whether this replica runs the reconcile loop.
        var leading: Bool
        /// The replica holding the lease as last read; null when none holds it.
        var holder: String?
        var expiresAt: Date?

        enum CodingKeys: String, CodingKey { case replica, leading, holder, expiresAt }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(replica, forKey: .replica)
            try c.encode(leading, forKey: .leading)
            try c.encode(holder, forKey: .holder)
            try c.encode(expiresAt, forKey: .expiresAt)
        }
    }
    /// Null for a lone process (no lease).
    var leader: Leader?
    struct Tick: Encodable {
        var finishedAt: Date
        var complete: Bool
        var incompleteReason: String?
    }
    var counts: PoolCounts
    var tick: Tick
    var instances: [InstanceStatus]
}
