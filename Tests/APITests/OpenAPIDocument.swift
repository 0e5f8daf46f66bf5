import Foundation
import Yams

/// The served OpenAPI document, read as the tests need it: which operations exist and
/// which of them need the key.
struct OpenAPIDocument {
    struct Operation: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var description: String { "\(method) \(path)" }
    }

    let operations: [Operation: Bool]  // operation -> protected

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]

    init(yaml: String) throws {
        guard let root = try Yams.load(yaml: yaml) as? [String: Any],
              let paths = root["paths"] as? [String: Any] else { throw Malformed() }
        let globalSecurity = (root["security"] as? [Any]) ?? []
        var operations: [Operation: Bool] = [:]
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { throw Malformed() }
            for method in Self.methods {
                guard let op = item[method] as? [String: Any] else { continue }
                let security = (op["security"] as? [Any]) ?? globalSecurity
                operations[Operation(method: method.uppercased(), path: path)] = !security.isEmpty
            }
        }
        self.operations = operations
    }

    struct Malformed: Error {}
}
