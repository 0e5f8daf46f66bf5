import Foundation
import Logging

/// Keeps the pool's one notification rule in a Railway workspace: the webhook that tells
/// the loop a deployment changed. It lists the workspace's rules first, so restarts and
/// replicas never add a duplicate; a rule of this pool that points at an old URL or secret
/// is replaced (the new one is made before the old one goes, so events are never lost
/// between); rules of other pools and people are left alone.
///
/// Two managers of one environment (a copy left running, a second deploy) would replace
/// each other's rule at every check: a rule this keeper made that is gone, with another of
/// this pool at another host in its place, is reported (`Outcome.contested`, and a warning
/// naming the hosts, never the secret in the path).
public struct WebhookRuleKeeper: Sendable {
    public let client: RailwayClient
    private let logger: Logger
    /// The rule this keeper made or kept last, to see one that someone else replaced.
    private let last = LastRule()

    public init(client: RailwayClient, logger: Logger = Logger(label: "webhook-rule")) {
        self.client = client
        self.logger = logger
    }

    final class LastRule: @unchecked Sendable {
        private let lock = NSLock()
        private var id: String?
        func swap(_ new: String) -> String? { lock.withLock { defer { id = new }; return id } }
    }

    /// What `keep` did.
    public enum Outcome: Equatable, Sendable, CustomStringConvertible {
        case kept(String)
        case created(String, replaced: Int)
        /// Made again: the rule made before was gone and rules of this pool at `hosts`
        /// (another manager of this environment, most likely) were in its place, now removed.
        case contested(String, replaced: Int, hosts: [String])

        public var description: String {
            switch self {
            case .kept(let id): "rule \(id) in place"
            case .created(let id, let replaced): "rule \(id) created" + (replaced > 0 ? ", \(replaced) stale rule(s) of this pool removed" : "")
            case .contested(let id, let replaced, let hosts):
                "rule \(id) created again: the one made before was gone and \(replaced) rule(s) of this pool at "
                    + hosts.joined(separator: ", ") + " were in its place (removed); if another manager of this environment "
                    + "runs, the two replace each other's rule at every check"
            }
        }
    }

    /// Makes sure exactly one rule of this pool delivers `eventTypes` to `url`.
    /// - Parameter isOurs: whether a webhook URL is one of this pool's (any secret).
    public func keep(workspaceId: String, url: String, eventTypes: [String], isOurs: @Sendable (String) -> Bool) async throws -> Outcome {
        let rules = try await client.send(.notificationRules, variables: RulesVariables(workspaceId: workspaceId),
                                          expecting: OnlyField<[Rule]>.self).value
        let ours = rules.filter { $0.webhookURLs.contains(where: isOurs) }
        let current = ours.filter { $0.webhookURLs.contains(url) && Set(eventTypes).isSubset(of: Set($0.eventTypes)) }
        var keep = current.first?.id
        let created = keep == nil
        if keep == nil {
            let variables = CreateVariables(workspaceId: workspaceId, eventTypes: eventTypes,
                                            channelConfigs: [.init(type: "webhook", url: url)])
            keep = try await client.send(.notificationRuleCreate, variables: variables, expecting: OnlyField<Identified>.self).value.id
        }
        let stale = ours.filter { $0.id != keep }
        for rule in stale {
            _ = try await client.send(.notificationRuleDelete, variables: IdVariables(id: rule.id), expecting: OnlyField<Bool>.self)
        }
        let before = last.swap(keep ?? "")
        let ownHost = URLComponents(string: url)?.host
        let hosts = Set(stale.flatMap(\.webhookURLs).filter(isOurs).compactMap { URLComponents(string: $0)?.host }
            .filter { $0 != ownHost }).sorted()
        if created, let before, !rules.contains(where: { $0.id == before }), !hosts.isEmpty {
            let outcome = Outcome.contested(keep ?? "", replaced: stale.count, hosts: hosts)
            logger.warning("webhook \(outcome)")
            return outcome
        }
        return created ? .created(keep ?? "", replaced: stale.count) : .kept(keep ?? "")
    }

    struct RulesVariables: Encodable, Sendable { var workspaceId: String }

    struct CreateVariables: Encodable, Sendable {
        struct Channel: Encodable, Sendable { var type: String; var url: String }
        var workspaceId: String
        var eventTypes: [String]
        var channelConfigs: [Channel]
    }

    struct Rule: Decodable, Sendable {
        struct Channel: Decodable, Sendable {
            /// A JSON scalar to the schema: `{type, url}` for a webhook; anything else is not one.
            struct Config: Decodable, Sendable { var type: String?; var url: String?; var webhookUrl: String? }
            var config: Config?

            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                config = try? c.decode(Config.self, forKey: .config)
            }
            enum CodingKeys: String, CodingKey { case config }
        }
        var id: String
        var eventTypes: [String]
        var channels: [Channel]

        /// The URLs of its webhook channels.
        var webhookURLs: [String] {
            channels.compactMap { c in
                guard let config = c.config, config.type?.lowercased() == "webhook" else { return nil }
                return config.url ?? config.webhookUrl
            }
        }
    }
}
