import Railway
import RailwayFake
import Testing

@Suite struct CredentialsTests {
    @Test func noTokenIsAClearError() {
        #expect(throws: RailwayError.missingCredentials) {
            try RailwayConfig.fromEnvironment(["RAILWAY_API_URL": "http://127.0.0.1:9/graphql/v2"],
                                              projectId: "p", environmentId: "e")
        }
        #expect(throws: RailwayError.missingCredentials) {
            try RailwayConfig.fromEnvironment(["RAILWAY_API_TOKEN": "  "], projectId: "p", environmentId: "e")
        }
        let description = RailwayError.missingCredentials.description
        #expect(description.contains("RAILWAY_API_TOKEN") && description.contains("RAILWAY_PROJECT_TOKEN"))
    }

    @Test func readsTheEnvironment() throws {
        let account = try RailwayConfig.fromEnvironment(["RAILWAY_API_TOKEN": "a"], projectId: "p", environmentId: "e")
        #expect(account.endpoint == "https://backboard.railway.com/graphql/v2")
        guard case .accountToken("a") = account.credentials else { Issue.record("account token expected"); return }
        let project = try RailwayConfig.fromEnvironment(
            ["RAILWAY_API_URL": "http://127.0.0.1:4000/graphql/v2", "RAILWAY_API_TOKEN": "a", "RAILWAY_PROJECT_TOKEN": "b"],
            projectId: "p", environmentId: "e")
        #expect(project.endpoint == "http://127.0.0.1:4000/graphql/v2")
        guard case .projectToken("b") = project.credentials else { Issue.record("project token expected"); return }
        #expect(project.projectId == "p" && project.environmentId == "e")
    }

    @Test func credentialsDoNotPrintTheirToken() {
        #expect(!"\(RailwayCredentials.accountToken("tok-123"))".contains("tok-123"))
        #expect(!"\(RailwayCredentials.projectToken("tok-123"))".contains("tok-123"))
    }

    /// Every error the client can meet, including a server that echoes the token back.
    @Test func noErrorDescriptionContainsTheToken() async throws {
        let token = FakeRailwayHarness.accountToken
        let faults: [FakeFault] = [
            .rateLimited(retryAfterSeconds: 1), .serverError(status: 500), .htmlPage,
            .graphQLError(message: "token \(token) is not allowed here"), .latency(.seconds(3)),
        ]
        var descriptions: [String] = []
        try await FakeRailwayHarness.with { harness throws in
            // Short of the latency fault, long enough for the others on a loaded machine.
            let platform = harness.platform(harness.client(timeout: .seconds(1)))
            for fault in faults {
                await harness.fake.inject(fault)
                do {
                    _ = try await platform.createService(blueprint)
                    Issue.record("\(fault) did not fail")
                } catch {
                    descriptions.append("\(error)")
                }
            }
        }
        #expect(descriptions.count == faults.count)
        #expect(descriptions.contains { $0.contains("<redacted>") })
        for description in descriptions { #expect(!description.contains(token)) }
    }
}
