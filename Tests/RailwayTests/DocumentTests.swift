import Railway
import RailwayFake
import TestSupport
import Testing

@Suite struct DocumentTests {
    @Test func everyOperationHasItsDocument() throws {
        for operation in RailwayOperation.allCases {
            let text = try RailwayDocuments.text(of: operation)
            #expect(text.contains("\(operation.rawValue)("), "\(operation.rawValue).graphql declares another name")
        }
    }

    @Test func theCreateDocumentCarriesNoSource() throws {
        #expect(!(try RailwayDocuments.text(of: .serviceCreate)).contains("source:"))
        #expect(try RailwayDocuments.text(of: .serviceInstanceConfigure).contains("sleepApplication: false"))
    }

    @Test func anUnknownDocumentGets400() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let (status, body) = try await harness.postRaw(
                query: "query Me { me { id email } }", operationName: "Me")
            #expect(status == 400)
            #expect(body.contains("GRAPHQL_VALIDATION_FAILED"))
        }
    }

    @Test func aChangedProjectDocumentGets400() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let changed = try RailwayDocuments.text(of: .serviceDelete).replacingOccurrences(of: "serviceDelete(", with: "serviceDelete(force: true, ")
            let (status, _) = try await harness.postRaw(query: changed, operationName: "ServiceDelete",
                                                        variables: #"{"id":"x"}"#)
            #expect(status == 400)
        }
    }

    @Test func aDocumentUnderAnotherOperationNameGets400() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let (status, _) = try await harness.postRaw(
                query: try RailwayDocuments.text(of: .serviceDelete), operationName: "ServiceRename",
                variables: #"{"id":"x"}"#)
            #expect(status == 400)
        }
    }

    @Test func whitespaceDoesNotMatter() async throws {
        try await FakeRailwayHarness.with { harness throws in
            let reflowed = try RailwayDocuments.text(of: .serviceDelete)
                .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: " ")
                .split(whereSeparator: \.isWhitespace).joined(separator: "\n  ")
            let (status, body) = try await harness.postRaw(query: reflowed, operationName: "ServiceDelete",
                                                           variables: #"{"id":"x"}"#)
            #expect(status == 200)
            #expect(body.contains("not found"))
        }
    }
}
