import Foundation

/// A notification rule the fake keeps for a workspace: a webhook URL and the event types
/// it is sent.
public struct FakeRule: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var eventTypes: [String]
    public var url: String
}

/// One webhook the fake sends (or drops): Railway's payload for a deployment event.
public struct FakeWebhook: Sendable {
    public var url: String
    public var type: String
    public var serviceId: String
    public var body: Data
}

/// Notification rules and the deployment events they deliver: when the fake clock moves a
/// deployment to SUCCESS, FAILED or CRASHED, every rule of its workspace that lists the
/// event type gets Railway's payload (`Deployment.deployed`, `.failed`, `.crashed`).
extension FakeWorld {
    mutating func ruleAnswer(_ operation: String, _ v: JSONValue) throws -> JSONValue? {
        switch operation {
        case "NotificationRules":
            let workspace = try v.required("workspaceId")
            return ["notificationRules": .array(rules.filter { $0.workspaceId == workspace }.map(ruleJSON))]
        case "NotificationRuleCreate":
            guard case .array(let types)? = v["eventTypes"], case .array(let channels)? = v["channelConfigs"],
                  let url = channels.first?["url"]?.string else {
                throw FakeGraphQLError(message: "notificationRuleCreate needs eventTypes and a webhook channel config with a url")
            }
            let rule = FakeRule(id: makeId("rule"), workspaceId: try v.required("workspaceId"),
                                eventTypes: types.compactMap(\.string), url: url)
            rules.append(rule)
            return ["notificationRuleCreate": ruleJSON(rule)]
        case "NotificationRuleDelete":
            let id = try v.required("id")
            guard rules.contains(where: { $0.id == id }) else { throw FakeGraphQLError(message: "Notification rule not found: \(id)") }
            rules.removeAll { $0.id == id }
            return ["notificationRuleDelete": true]
        default:
            return nil
        }
    }

    private func ruleJSON(_ rule: FakeRule) -> JSONValue {
        ["id": .string(rule.id), "workspaceId": .string(rule.workspaceId), "projectId": .null, "environmentId": .null,
         "serviceId": .null, "eventTypes": .array(rule.eventTypes.map { .string($0) }), "severities": [],
         "ephemeralEnvironments": .null, "createdAt": .string(epoch.formatted(.iso8601)),
         "channels": [["id": .string("ch-" + rule.id), "config": ["type": "webhook", "url": .string(rule.url)]]]]
    }

    /// The events since the last call: each service's latest deployment that reached an
    /// end, once, as webhooks to every rule that wants them.
    mutating func deploymentEvents(workspaceOfShared: String) -> [FakeWebhook] {
        var out: [FakeWebhook] = []
        for service in services {
            guard let deployment = service.deployments.last else { continue }
            let status = status(of: deployment)
            guard reported[deployment.id] != status else { continue }
            reported[deployment.id] = status
            let type = switch status {
            case "SUCCESS": "Deployment.deployed"
            case "FAILED": "Deployment.failed"
            case "CRASHED": "Deployment.crashed"
            default: ""
            }
            guard !type.isEmpty else { continue }
            let project = projects.first { $0.id == service.projectId }
            let workspace = project?.workspaceId ?? workspaceOfShared
            let payload: JSONValue = [
                "type": .string(type), "severity": type == "Deployment.deployed" ? "INFO" : "WARNING",
                "timestamp": .string(date(now).formatted(.iso8601)),
                "details": ["id": .string(deployment.id), "status": .string(status)],
                "resource": [
                    "workspace": ["id": .string(workspace)],
                    "project": ["id": .string(service.projectId), "name": .string(project?.name ?? service.projectId)],
                    "environment": ["id": .string(service.environmentId), "name": .string(project?.environmentName ?? service.environmentId),
                                    "isEphemeral": false],
                    "service": ["id": .string(service.id), "name": .string(service.name)],
                    "deployment": ["id": .string(deployment.id)],
                ],
            ]
            let body = (try? JSONEncoder().encode(payload)) ?? Data()
            for rule in rules where rule.workspaceId == workspace && rule.eventTypes.contains(type) {
                out.append(FakeWebhook(url: rule.url, type: type, serviceId: service.id, body: body))
            }
        }
        return out
    }
}
