import Foundation
import Railway
import RailwayFake
import Testing

/// The pool's notification rule on the fake Railway: made once, found again (never a
/// duplicate) by later checks, restarts and replicas; a rule of this pool with an old
/// secret or URL is replaced, a rule of anyone else is left alone.
@Suite struct WebhookRuleTests {
    static let workspace = "workspace-1"
    static let types = ["Deployment.deployed", "Deployment.failed"]
    static let url = "https://pool.example.com/webhooks/railway/secret-new-0123456789abcdef?pool=pool.test"
    let isOurs: @Sendable (String) -> Bool = { $0.contains("/webhooks/railway/") && $0.hasSuffix("?pool=pool.test") }

    @Test func theRuleIsMadeOnceAndFoundAgain() async throws {
        try await FakeRailwayHarness.with { h in
            let keeper = WebhookRuleKeeper(client: h.client())
            let first = try await keeper.keep(workspaceId: Self.workspace, url: Self.url, eventTypes: Self.types, isOurs: isOurs)
            guard case .created(let id, replaced: 0) = first else { Issue.record("\(first)"); return }
            // A restart, another replica: the same rule is found, nothing is made.
            for _ in 0..<3 {
                #expect(try await keeper.keep(workspaceId: Self.workspace, url: Self.url, eventTypes: Self.types, isOurs: isOurs) == .kept(id))
            }
            let rules = await h.fake.rules
            #expect(rules.count == 1 && rules[0].url == Self.url && rules[0].eventTypes == Self.types)
            #expect(await h.fake.calls(of: "NotificationRuleCreate") == 1)
            #expect(await h.fake.calls(of: "NotificationRules") == 4, "one listing per check")
        }
    }

    @Test func aStaleRuleOfThisPoolIsReplacedAndOthersAreLeftAlone() async throws {
        try await FakeRailwayHarness.with { h in
            let old = "https://old.example.com/webhooks/railway/secret-old-0123456789abcdef?pool=pool.test"
            let otherPool = "https://pool.example.com/webhooks/railway/secret-new-0123456789abcdef?pool=pool.prod"
            let someone = "https://hooks.example.org/deploys"
            await h.fake.addRule(workspaceId: Self.workspace, url: old, eventTypes: Self.types)
            await h.fake.addRule(workspaceId: Self.workspace, url: old, eventTypes: Self.types)  // a duplicate too
            await h.fake.addRule(workspaceId: Self.workspace, url: otherPool, eventTypes: Self.types)
            await h.fake.addRule(workspaceId: Self.workspace, url: someone, eventTypes: ["Deployment.crashed"])
            // Our URL but missing an event type: replaced as well.
            await h.fake.addRule(workspaceId: Self.workspace, url: Self.url, eventTypes: ["Deployment.deployed"])
            let keeper = WebhookRuleKeeper(client: h.client())
            let outcome = try await keeper.keep(workspaceId: Self.workspace, url: Self.url, eventTypes: Self.types, isOurs: isOurs)
            guard case .created(_, replaced: 3) = outcome else { Issue.record("\(outcome)"); return }
            let urls = await h.fake.rules.map(\.url).sorted()
            #expect(urls == [otherPool, Self.url, someone].sorted(), "\(urls)")
            #expect(try await keeper.keep(workspaceId: Self.workspace, url: Self.url, eventTypes: Self.types, isOurs: isOurs) != outcome)
        }
    }

    /// The fake posts each deployment end to every rule that wants it, and drops on demand.
    @Test func theFakeDeliversDeploymentEventsAndDropsOnDemand() async throws {
        try await FakeRailwayHarness.with { h in
            let platform = h.platform()
            let blueprint = imageBlueprint
            let id = try await platform.createService(blueprint)
            _ = try await platform.createDomain(serviceId: id, blueprint)
            try await platform.startBuild(serviceId: id, blueprint)
            await h.fake.addRule(workspaceId: RailwayFake.workspaceId, url: "http://127.0.0.1:9/webhooks/railway/x", eventTypes: ["Deployment.deployed"])
            await h.fake.dropWebhooks(1)
            await h.fake.advance(by: .seconds(600))
            #expect(await h.fake.webhooksDropped.map(\.serviceId) == [id])
            #expect(await h.fake.webhooksSent.isEmpty)
            // A second deploy of it ends: sent this time, with Railway's payload.
            try await platform.startBuild(serviceId: id, blueprint)
            await h.fake.advance(by: .seconds(600))
            let sent = await h.fake.webhooksSent
            #expect(sent.map(\.type) == ["Deployment.deployed"] && sent.map(\.serviceId) == [id])
            let payload = try #require(try JSONSerialization.jsonObject(with: sent[0].body) as? [String: Any])
            let resource = payload["resource"] as? [String: Any]
            #expect((resource?["service"] as? [String: Any])?["id"] as? String == id)
            #expect((resource?["environment"] as? [String: Any])?["id"] as? String == FakeRailwayHarness.environmentId)
        }
    }
}

/// Two managers of one environment replace each other's rule: the second check of the
/// first finds its rule gone and one of this pool at another host in its place, and says
/// so (the host, never the secret).
@Suite struct ContestedRuleTests {
    @Test func aRuleReplacedByAnotherManagerIsReportedByHost() async throws {
        try await FakeRailwayHarness.with { h in
            let isOurs: @Sendable (String) -> Bool = { $0.contains("/webhooks/railway/") && $0.hasSuffix("?pool=pool.test") }
            let here = WebhookRuleKeeper(client: h.client()), there = WebhookRuleKeeper(client: h.client())
            let copy = "https://copy.example.net/webhooks/railway/secret-copy-0123456789abcdef?pool=pool.test"
            let types = WebhookRuleTests.types, url = WebhookRuleTests.url
            guard case .created = try await here.keep(workspaceId: WebhookRuleTests.workspace, url: url, eventTypes: types, isOurs: isOurs)
            else { Issue.record("the first rule"); return }
            _ = try await there.keep(workspaceId: WebhookRuleTests.workspace, url: copy, eventTypes: types, isOurs: isOurs)
            let outcome = try await here.keep(workspaceId: WebhookRuleTests.workspace, url: url, eventTypes: types, isOurs: isOurs)
            guard case .contested(let id, replaced: 1, let hosts) = outcome, hosts == ["copy.example.net"] else {
                Issue.record("\(outcome)")
                return
            }
            #expect(!"\(outcome)".contains("secret-copy"), "no secret in what is logged")
            #expect(await h.fake.rules.map(\.url) == [url])
            #expect(try await here.keep(workspaceId: WebhookRuleTests.workspace, url: url, eventTypes: types, isOurs: isOurs) == .kept(id),
                    "no contest while nobody replaces it")
        }
    }
}
