import Foundation
import Planning
import TestSupport
import Testing

/// `poolctl import-legacy` as an operator runs it: the real binary, the legacy table in the
/// test server, the store in a fresh SQLite file.
@Suite(.enabled(if: TestPostgres.willRun,
                "TEST_DATABASE_URL is not set: the import-legacy command tests are skipped (run under scripts/with-postgres)"))
struct ImportLegacyCommandTests {
    @Test func importsThenFindsEverythingKnown() async throws {
        let legacy = try await LegacyDatabase.make(LegacyImportTests.rows)
        let sqlite = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: sqlite) }
        let arguments = ["import-legacy", "--from", try TestPostgres.url(), "--schema", legacy.schema, "--sqlite", sqlite]

        let dryRunWithoutStore = try quietPoolctl(arguments + ["--dry-run"])
        #expect(dryRunWithoutStore.status == 1)
        #expect(dryRunWithoutStore.stderr.contains("no store at \(sqlite)"))
        #expect(!FileManager.default.fileExists(atPath: sqlite))

        let first = try quietPoolctl(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("+ imported instance a1b2c3d4e5f6 \"Tokyo Trip Planner\"\n"))
        #expect(first.stdout.hasSuffix("Imported 3 claimed instances (0 already known, 0 conflicts).\n"))

        let second = try quietPoolctl(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.hasSuffix("Imported 0 claimed instances (3 already known, 0 conflicts).\n"))
    }

    @Test func thePasswordNeverAppears() async throws {
        var components = try #require(URLComponents(string: try TestPostgres.url()))
        let password = try #require(components.password)
        let sqlite = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: sqlite) }

        // Right password, missing table: the error names the table, not the URL's secret.
        let missing = try quietPoolctl(["import-legacy", "--schema", TestPostgres.newSchema("none"), "--sqlite", sqlite],
                                      env: ["LEGACY_DATABASE_URL": try TestPostgres.url()])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no table agent_metadata"))
        #expect(!(missing.stdout + missing.stderr).contains(password))

        let help = try quietPoolctl(["import-legacy", "--help"], env: ["LEGACY_DATABASE_URL": try TestPostgres.url()])
        #expect(help.status == 0)
        #expect(!help.stdout.contains(password))

        let wrong = "wrong-\(UUID().uuidString.prefix(12))"
        components.password = wrong
        let refused = try quietPoolctl(["import-legacy", "--from", try #require(components.string), "--sqlite", sqlite])
        #expect(refused.status == 1)
        #expect(!(refused.stdout + refused.stderr).contains(wrong), "\(refused.stderr)")
    }
}

/// `poolctl` with its log at error level: the tests read what it prints for the operator.
private func quietPoolctl(_ arguments: [String], env: [String: String] = [:]) throws -> Poolctl.Result {
    try Poolctl.run(arguments, env: ["LOG_LEVEL": "error"].merging(env) { $1 })
}
