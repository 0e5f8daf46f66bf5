import Controller
import Foundation
import Planning
import Store
import Testing

/// The id rule and the report's text need no database.
@Suite struct LegacyInstanceIdTests {
    @Test(arguments: ["a1b2c3d4e5f6", "orchestrator", "A1B2C3D4E5F6", "a1b2c3d4e5f", "a1b2c3d4e5f6g", "abc-3d4e5f6g", "000000000000"])
    func agreesWithTheControllersRule(_ id: String) {
        #expect(LegacyInstanceId.isInstanceId(id) == InstanceNaming.isInstanceId(Substring(id)))
    }

    @Test func keepsAnIdThatIsAlreadyAnInstanceId() {
        #expect(LegacyInstanceId.instanceId(for: "a1b2c3d4e5f6") == "a1b2c3d4e5f6")
    }

    @Test(arguments: ["42", "orchestrator", "8f14e45f-ceea-467f-a8b1-000000000042", "Tokyo", ""])
    func derivesAStableInstanceIdFromAnyOtherId(_ legacyId: String) {
        let id = LegacyInstanceId.instanceId(for: legacyId)
        #expect(InstanceNaming.isInstanceId(Substring(id)))
        #expect(id == LegacyInstanceId.instanceId(for: legacyId))
    }

    /// Pinned: a change of the derivation would import the same agents a second time.
    @Test func derivationIsPinned() {
        #expect(LegacyInstanceId.instanceId(for: "42") == LegacyInstanceIdTests.pinned42)
    }

    @Test func derivedIdsDiffer() {
        let ids = Set((0..<2000).map { LegacyInstanceId.instanceId(for: "agent-\($0)") })
        #expect(ids.count == 2000)
    }

    static let pinned42 = "h9uako87yq70"
}
