import Foundation

/// The GraphQL documents shipped as resources, loaded once by operation name.
public enum RailwayDocuments {
    /// The text of an operation's document, exactly as kept in its `.graphql` file.
    public static func text(of operation: RailwayOperation) throws -> String {
        guard let text = try loaded.get()[operation] else {
            throw RailwayError.missingDocument(operation.rawValue)
        }
        return text
    }

    /// Every document, by operation name (the fake server accepts exactly these).
    public static func all() throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try loaded.get().map { ($0.key.rawValue, $0.value) })
    }

    private static let loaded: Result<[RailwayOperation: String], RailwayError> = {
        var documents: [RailwayOperation: String] = [:]
        for operation in RailwayOperation.allCases {
            guard let url = Bundle.module.url(
                forResource: operation.rawValue, withExtension: "graphql", subdirectory: "GraphQL"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { return .failure(.missingDocument(operation.rawValue)) }
            documents[operation] = text
        }
        return .success(documents)
    }()
}
