import SQLiteNIO

/// SQLite answers "busy" at once, without waiting out the busy timeout, where waiting could
/// deadlock: for example while another connection switches a new database file to WAL, or
/// when two connections open it at the same moment. A step that failed so did nothing (a
/// connection's set-up, `BEGIN IMMEDIATE`), so it is tried again after a short pause.
enum SQLiteBusy {
    static let attempts = 8

    static func retrying<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as SQLiteError where error.reason == .busy && attempt < attempts {
                try await Task.sleep(for: .milliseconds(25 * attempt))
                attempt += 1
            }
        }
    }
}
