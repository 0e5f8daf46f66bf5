/// Why the legacy table could not be read. Never carries a password.
public enum LegacyImportError: Error, Equatable, CustomStringConvertible {
    case invalidSchema(String)
    case missingTable(table: String, schema: String?)
    case missingColumns(table: String, columns: [String])
    case wrongType(table: String, column: String, type: String, expected: String)

    public var description: String {
        switch self {
        case let .invalidSchema(schema):
            "invalid schema \"\(schema)\": lower-case letters, digits and underscores, starting with a letter"
        case let .missingTable(table, schema):
            "the legacy database has no table \(table) \(schema.map { "in schema \($0)" } ?? "on its search path")"
        case let .missingColumns(table, columns):
            "the legacy table \(table) has no column \(columns.joined(separator: ", ")) "
                + "(expected id, railway_service_id, agent_name, conversation_id, invite_url, created_at, claimed_at)"
        case let .wrongType(table, column, type, expected):
            "the legacy column \(table).\(column) is \(type), expected \(expected)"
        }
    }
}
