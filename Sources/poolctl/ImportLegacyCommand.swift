import ArgumentParser
import Foundation
import Store

/// Takes over the agents the legacy system handed out: each claimed row of its
/// `agent_metadata` table becomes a claimed instance in our store (DATABASE_URL or the
/// SQLite file), so the pool never hands it out or deletes it, and shows its invite URL.
struct ImportLegacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-legacy",
        abstract: "Record the agents the legacy system handed out (its agent_metadata table) as claimed instances.",
        discussion: """
            Safe to run again: known instances are left alone, and an instance the store knows \
            as claimed by someone else (or retired, or deleted) is reported as a conflict, never \
            overwritten. Instructions are never read. Exits 0 when the import ran, conflicts included.
            """)

    @Option(help: ArgumentHelp("The legacy database, read only: postgres://user:password@host:port/database[?sslmode=require]. Default: LEGACY_DATABASE_URL (keeps the password out of the process list).",
                               valueName: "url"))
    var from: String?

    @Option(help: "Schema holding agent_metadata (default: the legacy server's search path).")
    var schema: String?

    @Flag(help: "Say what would be imported, and write nothing.")
    var dryRun = false

    @Option(help: "SQLite file used when DATABASE_URL is not set.")
    var sqlite = ProcessInfo.processInfo.environment["POOL_SQLITE_PATH"] ?? "pool.sqlite"

    func run() async throws {
        let logger = Log.make("import-legacy")
        do {
            // Read here, not as the option's default: --help prints defaults, and this holds a password.
            guard let from = from ?? ProcessInfo.processInfo.environment["LEGACY_DATABASE_URL"], !from.isEmpty else {
                throw CLIError("needs --from postgres://... (or LEGACY_DATABASE_URL): the legacy database")
            }
            let usesSQLite = (ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty
            if dryRun, usesSQLite, !FileManager.default.fileExists(atPath: sqlite) {
                throw CLIError("no store at \(sqlite), and a dry run creates none: set DATABASE_URL, or run `poolctl migrate` first")
            }
            // The legacy table first: when it cannot be read, the store is not touched.
            let rows = try await LegacyAgentTable.read(url: from, schema: schema, logger: logger)
            let store = try makeStoreFromEnvironment(sqlitePath: sqlite, logger: logger)
            do {
                // A dry run must not write, not even the schema; a real run brings it up to date.
                if !dryRun { _ = try await store.migrate() }
                let report = try await LegacyImport.run(rows: rows, into: store, dryRun: dryRun, at: Date())
                await store.close()
                report.text.forEach { print($0) }
            } catch let error as StoreError where dryRun {
                await store.close()
                throw CLIError("\(error) (a dry run creates no tables: if the store is new, run `poolctl migrate` first)")
            } catch {
                await store.close()
                throw error
            }
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}
