import Foundation
import Planning
import Spec

/// One owned instance as `GET /api/pool/status` shows it. Every field is written, the
/// unknown ones as null, so a client sees the same shape for every instance.
public struct InstanceStatus: Encodable, Equatable, Sendable {
    public var instanceId: String
    public var serviceId: String?
    public var name: String?
    public var state: String
    public var why: String
    /// scheme://domain, nil until the instance has a domain.
    public var url: String?
    /// Short revision it was built from; nil when unknown (adopted).
    public var revision: String?
    public var ageSeconds: Int
    public var agentName: String?
    public var conversationId: String?
    public var inviteUrl: String?
    public var outdated: Bool

    /// - Parameter inviteUrl: the invite link its claim answered, when it was claimed here.
    public init(_ i: ClassifiedInstance, scheme: String, now: Date, inviteUrl: String?) {
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
        self.inviteUrl = inviteUrl
        outdated = i.outdated
    }

    enum CodingKeys: String, CodingKey {
        case instanceId, serviceId, name, state, why, url, revision, ageSeconds, agentName, conversationId, inviteUrl, outdated
    }

    public func encode(to encoder: any Encoder) throws {
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

