import Model
import Foundation
import Logging

/// One row of the legacy system's `agent_metadata` table, as far as the import needs it.
/// `instructions` is deliberately absent: they may be private, and the instance already
/// holds them, so the import never reads that column.
public struct LegacyAgentRow: Sendable, Equatable {
    public var id: String?
    public var railwayServiceId: String?
    public var agentName: String?
    public var conversationId: String?
    public var inviteUrl: String?
    public var createdAt: Date?
    public var claimedAt: Date?

    public init(id: String?, railwayServiceId: String?, agentName: String?, conversationId: String?,
                inviteUrl: String?, createdAt: Date?, claimedAt: Date?) {
        self.id = id
        self.railwayServiceId = railwayServiceId
        self.agentName = agentName
        self.conversationId = conversationId
        self.inviteUrl = inviteUrl
        self.createdAt = createdAt
        self.claimedAt = claimedAt
    }
}

/// Reads `agent_metadata` from the legacy Postgres database, read-only. Errors never carry
/// the database password.
public enum LegacyAgentTable {
    public static let name = "agent_metadata"
    /// Columns read as text, whatever their type (ids may be integers or uuids).
    static let textColumns = ["id", "railway_service_id", "agent_name", "conversation_id", "invite_url"]
    /// Columns that must hold times.
    static let timeColumns = ["created_at", "claimed_at"]

    /// `url`: postgres://user:password@host:port/database[?sslmode=...]; `schema`: where the
    /// table is (nil: the server's search path).
    public static func read(url: String, schema: String?, logger: Logger) async throws -> [LegacyAgentRow] {
        if let schema, !PostgresStore.isPlainIdentifier(schema) {
            throw LegacyImportError.invalidSchema(schema)
        }
        // Read-only at the server, whatever the role may do; no query may hang the import.
        var settings = [("default_transaction_read_only", "on"), ("statement_timeout", "60s")]
        if let schema { settings.append(("search_path", schema)) }
        return try await PostgresSingleConnection.run(url: try PostgresURL(url), settings: settings,
                                                      operation: "reading \(name)", logger: logger) { db in
            try await checkShape(schema: schema, db)
            return try await readRows(db)
        }
    }

    private static func readRows(_ db: any SQLSession) async throws -> [LegacyAgentRow] {
        let times = timeColumns.map { "(EXTRACT(EPOCH FROM \($0)) * 1000)::bigint AS \($0)" }
        let columns = textColumns.map { "\($0)::text AS \($0)" } + times
        return try await db.run("""
            SELECT \(columns.joined(separator: ", ")) FROM \(name) ORDER BY created_at NULLS FIRST, id
            """).map { row in
            LegacyAgentRow(id: try row.text("id"), railwayServiceId: try row.text("railway_service_id"),
                           agentName: try row.text("agent_name"), conversationId: try row.text("conversation_id"),
                           inviteUrl: try row.text("invite_url"), createdAt: try row.date("created_at"),
                           claimedAt: try row.date("claimed_at"))
        }
    }

    /// Fails with the table or the columns that are missing, or a time column of another
    /// type, before any row is read.
    private static func checkShape(schema: String?, _ db: any SQLSession) async throws {
        let found = try await db.run("SELECT to_regclass($1)::text AS relation", .text(name))
        guard try found.first?.text("relation") != nil else {
            throw LegacyImportError.missingTable(table: name, schema: schema)
        }
        let rows = try await db.run("""
            SELECT attname::text AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
            WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
            """, .text(name))
        var types: [String: String] = [:]
        for row in rows { types[try row.requiredText("name")] = try row.requiredText("type") }
        let missing = (textColumns + timeColumns).filter { types[$0] == nil }
        if !missing.isEmpty { throw LegacyImportError.missingColumns(table: name, columns: missing) }
        for column in timeColumns {
            let type = types[column]!
            if !(type.hasPrefix("timestamp") || type == "date") {
                throw LegacyImportError.wrongType(table: name, column: column, type: type, expected: "a timestamp")
            }
        }
    }
}
