import Foundation
import Model
import Planning
import Spec

/// One owned instance as `GET /api/pool/status` shows it. Every field is written, the
/// unknown ones as null, so a client sees the same shape for every instance.
public struct InstanceStatus: Encodable, Equatable, Sendable {
    public var instanceId: String
    @EncodedAsNull public var serviceId: String?
    @EncodedAsNull public var name: String?
    public var state: String
    public var why: String
    /// scheme://domain, nil until the instance has a domain.
    @EncodedAsNull public var url: String?
    /// Short revision it was built from; nil when unknown (adopted).
    @EncodedAsNull public var revision: String?
    public var ageSeconds: Int
    @EncodedAsNull public var agentName: String?
    @EncodedAsNull public var conversationId: String?
    @EncodedAsNull public var inviteUrl: String?
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
}
