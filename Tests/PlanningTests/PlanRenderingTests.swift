@testable import Controller
import Foundation
import Model
import Planning
import Views
import Testing

@Suite struct PlanRenderingTests {
    let plan = F.plan([
        F.instance("a", .failed, probe: .notProbed),
        F.instance("b", record: F.record("b", claim: .claimed, agent: "Tokyo Trip")),
        F.instance("c"),
    ], F.desired(F.settings(minIdle: 2)))

    @Test func textHasOneLinePerActionAndASummary() {
        let text = PlanRenderer(color: false).render(plan)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "Pool \"test\" at revision cccccccccccc: 1 idle, 1 claimed, 1 dead")
        #expect(lines.contains { $0.hasPrefix("  * mark    convos-agent-ccccccccccc0 new → idle  # ready, no conversation") })
        #expect(lines.contains { $0.hasPrefix("  ~ rename  convos-agent-bbbbbbbbbbb0 → convos-agent-tokyo-trip  # claimed by \"Tokyo Trip\"") })
        #expect(lines.contains { $0 == "  - delete  convos-agent-aaaaaaaaaaa0 [svc-a]  # dead: deploy FAILED" })
        #expect(lines.contains { $0.hasPrefix("  + create  convos-agent-") && $0.hasSuffix("# 1 idle + 0 provisioning below minIdle 2") })
        #expect(lines.last == "Plan: 1 to create, 1 to delete, 1 to rename, 1 to mark.")
        #expect(!text.contains("\u{1B}["))
    }

    @Test func colourOnlyWhenAskedFor() {
        #expect(PlanRenderer(color: true).render(plan).contains("\u{1B}[32m+ create"))
    }

    @Test func noChanges() {
        let idle = ["a", "b", "c"].map { F.instance($0, record: F.record($0, marked: .idle)) }
        let text = PlanRenderer(color: false).render(F.plan(idle))
        #expect(text.hasSuffix("\nNo changes. The pool matches pool.yaml.\n"))
    }

    @Test func jsonRoundTripsWithStableFieldNames() throws {
        let data = try PoolJSON.encoder().encode(plan)
        #expect(try PoolJSON.decoder().decode(Plan.self, from: data) == plan)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["formatVersion", "environment", "revision", "actions", "notes", "counts"])
        #expect(object["formatVersion"] as? Int == 1)
        let actions = try #require(object["actions"] as? [[String: Any]])
        let mark = try #require(actions.first { $0["kind"] as? String == "mark" })
        #expect(mark["toState"] as? String == "idle")
        let delete = try #require(actions.first { $0["kind"] as? String == "delete" })
        #expect(delete["cause"] as? String == "failedBuild" && delete["serviceId"] as? String == "svc-a")
    }

    @Test func snapshotsRoundTripAndBadOnesNameTheField() throws {
        let observed = ObservedState(consecutiveBuildFailures: 2, instances: [
            F.instance("a"), F.instance("b", .building, probe: .unreachable("refused")),
            ObservedInstance(service: nil, record: F.record("c", step: .configured)), F.unowned("x"),
        ])
        let data = try PoolJSON.encoder().encode(observed)
        #expect(try PoolJSON.decoder().decode(ObservedState.self, from: data) == observed)

        func error(_ json: String) -> String {
            do { _ = try PoolJSON.decoder().decode(ObservedState.self, from: Data(json.utf8)); return "" }
            catch { return PoolJSON.describe(error) }
        }
        let instance = #"{"serviceId":"s","name":"n","createdAt":"2026-11-25T10:00:00Z","deployStatus":"BUILDING"}"#
        #expect(error(#"{"instances":[\#(instance.replacingOccurrences(of: "BUILDING", with: "BOOTING"))]}"#)
            .hasPrefix("instances[0].deployStatus: unknown deploy status 'BOOTING'"))
        #expect(error(#"{"instances":[{"serviceId":"s","createdAt":"2026-11-25T10:00:00Z"}]}"#) == "instances[0].name: missing field")
        #expect(error(#"{"instances":[\#(instance.replacingOccurrences(of: "2026-11-25T10:00:00Z", with: "yesterday"))]}"#)
            .hasPrefix("instances[0].createdAt: 'yesterday' is not a time"))
        #expect(error(#"{"instances": [}"#).hasPrefix("malformed JSON"))
        #expect(error(#"{}"#) == "instances: missing field")
        #expect(error(#"{"instances":[{"probe":{"result":"status","ready":true}}]}"#).contains("needs a serviceId"))
        #expect(error(#"{"instances":[{"serviceId":"s","name":"n","createdAt":"2026-11-25T10:00:00Z","probe":{"result":"maybe"}}]}"#)
            .hasPrefix("instances[0].probe.result: unknown probe result 'maybe'"))
    }
}
