import Foundation
import Planning
import Store
import TestSupport
import Testing

/// `poolctl import-legacy`'s logic against the real Postgres of scripts/with-postgres:
/// the legacy table is read from one schema, the import goes into SQLite and Postgres stores.
@Suite(.enabled(if: TestPostgres.willRun,
                "TEST_DATABASE_URL is not set: LegacyImportTests are skipped (run under scripts/with-postgres)"))
struct LegacyImportTests {
    /// An id that already is an instance id, one that is not, one with no invite URL, and
    /// a row that was never claimed.
    static let rows = [
        LegacyRow(id: "a1b2c3d4e5f6", serviceId: "svc-tokyo", agentName: "Tokyo Trip Planner",
                  conversationId: "conv-tokyo", inviteUrl: "https://convos.org/v2?i=tokyo"),
        LegacyRow(id: "8f14e45f-ceea-467f-a8b1-000000000042", serviceId: "svc-recipes", agentName: "Recipes",
                  conversationId: "conv-recipes", inviteUrl: "https://convos.org/v2?i=recipes"),
        LegacyRow(id: "agent-without-invite", serviceId: "svc-quiet", agentName: "Quiet One",
                  conversationId: "conv-quiet", inviteUrl: nil, claimedAt: nil),
        LegacyRow(id: "b2c3d4e5f6a7", serviceId: "svc-idle", agentName: nil, conversationId: nil, inviteUrl: nil,
                  claimedAt: nil),
    ]
    static let derivedId = LegacyInstanceId.instanceId(for: "8f14e45f-ceea-467f-a8b1-000000000042")
    static let quietId = LegacyInstanceId.instanceId(for: "agent-without-invite")

    @Test(arguments: StoreKind.allCases)
    func importsClaimedRowsWithTheirInviteURLs(_ kind: StoreKind) async throws {
        let legacy = try await LegacyDatabase.make(Self.rows)
        try await kind.withStore { store in
            let report = try await legacy.importInto(store)
            #expect((report.imported, report.alreadyKnown, report.conflicts, report.skipped) == (3, 0, 0, 1))
            #expect(report.text.last == "Imported 3 claimed instances (0 already known, 0 conflicts).")
            #expect(report.text.contains("- skipped legacy id b2c3d4e5f6a7: no conversation_id: never claimed"))

            let records = Dictionary(uniqueKeysWithValues: try await store.instances().map { ($0.instanceId, $0) })
            #expect(Set(records.keys) == ["a1b2c3d4e5f6", Self.derivedId, Self.quietId])
            let tokyo = try #require(records["a1b2c3d4e5f6"])
            #expect(tokyo.claim == .claimed)
            #expect(tokyo.agentName == "Tokyo Trip Planner")
            #expect(tokyo.conversationId == "conv-tokyo")
            #expect(tokyo.serviceId == "svc-tokyo")
            #expect(tokyo.createdAt == Date(timeIntervalSince1970: 1_760_000_000))
            let recipes = try #require(records[Self.derivedId])
            #expect((recipes.claim, recipes.agentName, recipes.serviceId) == (.claimed, "Recipes", "svc-recipes"))

            let answers = try await store.claimAnswers(instanceIds: Array(records.keys))
            #expect(answers["a1b2c3d4e5f6"] == .claimed(instanceId: "a1b2c3d4e5f6", conversationId: "conv-tokyo",
                                                         inviteUrl: "https://convos.org/v2?i=tokyo", joined: false))
            #expect(answers[Self.derivedId] == .claimed(instanceId: Self.derivedId, conversationId: "conv-recipes",
                                                        inviteUrl: "https://convos.org/v2?i=recipes", joined: false))
            #expect(answers[Self.quietId] == .claimed(instanceId: Self.quietId, conversationId: "conv-quiet",
                                                      inviteUrl: nil, joined: false))

            // Imported instances are never handed out.
            #expect(try await store.beginClaim(agentName: "new", idempotencyKey: nil, at: Date()) == .poolEmpty)
            let events = try await store.events(limit: 10, before: nil)
            #expect(events.count == 3)
            #expect(events.allSatisfy { $0.kind == "import" && !$0.detail.contains("Secret") })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func secondRunChangesNothing(_ kind: StoreKind) async throws {
        let legacy = try await LegacyDatabase.make(Self.rows)
        try await kind.withStore { store in
            _ = try await legacy.importInto(store)
            let records = try await store.instances()
            let events = try await store.events(limit: 100, before: nil)
            let again = try await legacy.importInto(store)
            #expect((again.imported, again.alreadyKnown, again.conflicts) == (0, 3, 0))
            #expect(again.text == ["- skipped legacy id b2c3d4e5f6a7: no conversation_id: never claimed",
                                   "Skipped 1 legacy row(s) that describe no claimed instance.",
                                   "Imported 0 claimed instances (3 already known, 0 conflicts)."])
            #expect(try await store.instances() == records)
            #expect(try await store.events(limit: 100, before: nil) == events)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func neverOverwritesAnInstanceClaimedBySomeoneElse(_ kind: StoreKind) async throws {
        let legacy = try await LegacyDatabase.make(Self.rows)
        try await kind.withStore { store in
            // The pool created a1b2c3d4e5f6 itself and handed it out to another agent.
            let now = Date(timeIntervalSince1970: 1_765_000_000)
            try await store.recordIntent(instanceId: "a1b2c3d4e5f6", serviceName: "convos-agent-a1b2c3d4e5f6",
                                         revision: "r1", at: now)
            try await store.mark(instanceId: "a1b2c3d4e5f6", serviceId: "svc-tokyo", state: .idle, at: now)
            guard case .took = try await store.beginClaim(agentName: "Someone Else", idempotencyKey: nil, at: now) else {
                Issue.record("the claim took nothing")
                return
            }
            try await store.completeClaim(instanceId: "a1b2c3d4e5f6", conversationId: "conv-other",
                                          inviteUrl: "https://convos.org/v2?i=other", joined: false, at: now)
            let before = try await store.instance(id: "a1b2c3d4e5f6")

            let report = try await legacy.importInto(store)
            #expect((report.imported, report.alreadyKnown, report.conflicts) == (2, 0, 1))
            #expect(report.text.contains(
                "! conflict instance a1b2c3d4e5f6 \"Tokyo Trip Planner\": claimed by agent \"Someone Else\" in conversation conv-other"))
            #expect(try await store.instance(id: "a1b2c3d4e5f6") == before)
            let answer = try await store.claimAnswers(instanceIds: ["a1b2c3d4e5f6"])["a1b2c3d4e5f6"]
            #expect(answer == .claimed(instanceId: "a1b2c3d4e5f6", conversationId: "conv-other",
                                       inviteUrl: "https://convos.org/v2?i=other", joined: false))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func completesRecordsThePoolFoundWithoutAClaim(_ kind: StoreKind) async throws {
        let legacy = try await LegacyDatabase.make(Self.rows)
        try await kind.withStore { store in
            let now = Date(timeIntervalSince1970: 1_765_000_000)
            // Seen by name, taken for idle: it must never be handed out.
            try await store.mark(instanceId: "a1b2c3d4e5f6", serviceId: "svc-tokyo", state: .idle, at: now)
            // Found holding its conversation: adopted, agent unknown.
            try await store.adopt(instanceId: Self.derivedId, serviceId: "svc-recipes", conversationId: "conv-recipes", at: now)

            let report = try await legacy.importInto(store)
            #expect((report.imported, report.alreadyKnown, report.conflicts) == (3, 0, 0))
            let tokyo = try #require(try await store.instance(id: "a1b2c3d4e5f6"))
            #expect((tokyo.claim, tokyo.agentName, tokyo.conversationId) == (.claimed, "Tokyo Trip Planner", "conv-tokyo"))
            let recipes = try #require(try await store.instance(id: Self.derivedId))
            #expect((recipes.claim, recipes.agentName) == (.claimed, "Recipes"))
            let answers = try await store.claimAnswers(instanceIds: [Self.derivedId])
            #expect(answers[Self.derivedId] == .claimed(instanceId: Self.derivedId, conversationId: "conv-recipes",
                                                        inviteUrl: "https://convos.org/v2?i=recipes", joined: false))
            #expect(try await legacy.importInto(store).imported == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func dryRunWritesNothing(_ kind: StoreKind) async throws {
        let legacy = try await LegacyDatabase.make(Self.rows)
        try await kind.withStore { store in
            let report = try await legacy.importInto(store, dryRun: true)
            #expect((report.imported, report.alreadyKnown, report.conflicts) == (3, 0, 0))
            #expect(report.text.contains("+ would import instance a1b2c3d4e5f6 \"Tokyo Trip Planner\""))
            #expect(report.text.contains(
                "+ would import instance \(Self.derivedId) \"Recipes\" (legacy id 8f14e45f-ceea-467f-a8b1-000000000042)"))
            #expect(report.text.last == "Would import 3 claimed instances (0 already known, 0 conflicts). Dry run: nothing was written.")
            #expect(try await store.instances().isEmpty)
            #expect(try await store.events(limit: 10, before: nil).isEmpty)
            #expect(try await legacy.importInto(store).imported == 3)
        }
    }

    @Test func aTableMissingAColumnIsNamed() async throws {
        let legacy = try await LegacyDatabase.make([], columns: """
            id TEXT PRIMARY KEY, railway_service_id TEXT, agent_name TEXT, invite_url TEXT,
            instructions TEXT, created_at TIMESTAMPTZ
            """)
        let error = await #expect(throws: LegacyImportError.self) { try await legacy.read() }
        #expect(error == .missingColumns(table: "agent_metadata", columns: ["conversation_id", "claimed_at"]))
        #expect(String(describing: try #require(error)).contains("has no column conversation_id, claimed_at"))
    }

    @Test func aTimeColumnOfAnotherTypeIsNamed() async throws {
        let legacy = try await LegacyDatabase.make([], columns: """
            id TEXT, railway_service_id TEXT, agent_name TEXT, conversation_id TEXT, invite_url TEXT,
            created_at BIGINT, claimed_at TIMESTAMP
            """)
        let error = await #expect(throws: LegacyImportError.self) { try await legacy.read() }
        #expect(error == .wrongType(table: "agent_metadata", column: "created_at", type: "bigint", expected: "a timestamp"))
    }

    @Test func aMissingTableIsNamed() async throws {
        let schema = TestPostgres.newSchema("empty")
        let error = await #expect(throws: LegacyImportError.self) {
            try await LegacyAgentTable.read(url: try TestPostgres.url(), schema: schema, logger: testLogger)
        }
        #expect(error == .missingTable(table: "agent_metadata", schema: schema))
    }

    @Test func aWrongPasswordNeverAppearsInTheError() async throws {
        var components = try #require(URLComponents(string: try TestPostgres.url()))
        let wrong = "wrong-Pa55word-\(UUID().uuidString.prefix(8))"
        components.password = wrong
        let legacy = try await LegacyDatabase.make([])
        let error = await #expect(throws: StoreError.self) {
            try await LegacyAgentTable.read(url: try #require(components.string), schema: legacy.schema, logger: testLogger)
        }
        let text = String(describing: try #require(error))
        #expect(!text.contains(wrong))
        #expect(text.contains("28P01"), "the error should say why: \(text)")
    }
}
