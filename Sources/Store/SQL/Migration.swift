import Model
import Foundation

/// One numbered SQL file of `Migrations/<database>/`, e.g. `0001_init.sql`.
struct Migration: Sendable, Equatable {
    var name: String
    var statements: [String]

    /// The migrations of one database, in the order of their numbers.
    static func load(folder: String) throws -> [Migration] {
        guard let root = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StoreError.migrationFailed(name: folder, problem: "the Migrations resource folder is missing from the bundle")
        }
        let directory = root.appendingPathComponent(folder, isDirectory: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        var seenNumbers = Set<Substring>()
        return try names.map { name in
            let number = name.prefix { $0.isNumber }
            guard number.count == 4, name.dropFirst(4).first == "_" else {
                throw StoreError.migrationFailed(name: name, problem: "name must look like 0001_what_it_does.sql")
            }
            guard seenNumbers.insert(number).inserted else {
                throw StoreError.migrationFailed(name: name, problem: "another migration already has number \(number)")
            }
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return Migration(name: name, statements: splitStatements(text))
        }
    }

    private static let statementEnd = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ";"))

    /// Splits a script into statements at each ";" that ends a line, dropping `--` comment
    /// lines. Drivers run one statement at a time, and this rule keeps the files plain SQL.
    static func splitStatements(_ script: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n").trimmingCharacters(in: statementEnd))
                current = []
            }
        }
        let rest = current.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }
}
