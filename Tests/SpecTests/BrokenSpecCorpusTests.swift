import Foundation
@testable import Spec
import TestSupport
import Testing

/// Tests/SpecTests/BrokenSpecs: broken pool.yaml files, one mistake each. The first line of
/// every file says where and how the loader must reject it:
///
///     # expect: LINE:COL: part of the message
///     # environment: NAME        (optional: load with --env NAME; default: no environment)
///     # env: VAR=value           (optional, repeatable: the process environment; default: empty)
enum BrokenSpecCorpus {
    static let folder = #filePath.components(separatedBy: "/Tests/")[0] + "/Tests/SpecTests/BrokenSpecs"

    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    struct Expectation {
        var line: Int
        var column: Int
        var text: String
        var environment: String?
        var variables: [String: String] = [:]
    }

    /// The header comments; read from bytes, since a file may be broken after them (not UTF-8).
    static func expectation(in data: Data) -> Expectation? {
        let lines = data.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
            .prefix(3).map { String(decoding: $0, as: UTF8.self) }
        guard let first = lines.first, first.hasPrefix("# expect: ") else { return nil }
        let parts = first.dropFirst("# expect: ".count).split(separator: ":", maxSplits: 2)
        guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else { return nil }
        var e = Expectation(line: line, column: column, text: String(parts[2].drop { $0 == " " }))
        guard !e.text.isEmpty else { return nil }
        for header in lines.dropFirst() {
            if header.hasPrefix("# environment: ") {
                e.environment = String(header.dropFirst("# environment: ".count))
            } else if header.hasPrefix("# env: ") {
                let pair = header.dropFirst("# env: ".count).split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { return nil }
                e.variables[String(pair[0])] = String(pair[1])
            }
        }
        return e
    }
}

@Suite struct BrokenSpecCorpusTests {
    @Test func theCorpusHasAtLeastFiftyWellNamedFiles() {
        #expect(BrokenSpecCorpus.files.count >= 50, "\(BrokenSpecCorpus.folder): \(BrokenSpecCorpus.files.count) files")
        for name in BrokenSpecCorpus.files {
            #expect(name.wholeMatch(of: /[0-9]{2,3}-[a-z0-9]+(-[a-z0-9]+)*\.yaml/) != nil, "\(name): expected NN-what-is-wrong.yaml")
        }
        let numbers = BrokenSpecCorpus.files.map { $0.prefix { $0 != "-" } }
        #expect(Set(numbers).count == numbers.count, "two files share a number")
    }

    /// Loaded as `poolctl validate` loads it: SpecLoader.load(path:environment:).
    @Test(arguments: BrokenSpecCorpus.files)
    func isRejectedWithItsPositionAndMessage(_ name: String) throws {
        let path = BrokenSpecCorpus.folder + "/" + name
        let data = try #require(FileManager.default.contents(atPath: path), "cannot read \(path)")
        let e = try #require(BrokenSpecCorpus.expectation(in: data),
                             "\(name): the first line must be '# expect: LINE:COL: part of the message'")
        let error: SpecError
        do {
            let loaded = try SpecLoader(processEnvironment: e.variables).load(path: path, environment: e.environment)
            Issue.record("\(name) was accepted (environments: \(loaded.environmentNames)); expected \(e.line):\(e.column): \(e.text)")
            return
        } catch let caught {
            error = caught
        }
        let rendered = error.description
        let here = error.diagnostics.filter { $0.line == e.line && $0.column == e.column }
        #expect(!here.isEmpty, "\(name): no diagnostic at \(e.line):\(e.column); got:\n\(rendered)")
        #expect(here.contains { $0.message.contains(e.text) },
                "\(name): no diagnostic at \(e.line):\(e.column) says '\(e.text)'; got:\n\(rendered)")
        // What the CLI prints: one `FILE:LINE:COL: error: MESSAGE` line per problem.
        let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == error.diagnostics.count, "\(name): a message spans lines:\n\(rendered)")
        #expect(lines.contains { $0.hasPrefix("\(path):\(e.line):\(e.column): error: ") && $0.contains(e.text) },
                "\(name): rendered as:\n\(rendered)")
        let first = try #require(error.diagnostics.first, "\(name): rejected without a diagnostic")
        #expect(rendered.hasPrefix("\(path):\(first.line):\(first.column): error: "))
        let lineCount = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
        for d in error.diagnostics {
            #expect(d.file == path)
            #expect(d.line >= 1 && d.column >= 1 && d.line <= lineCount + 1, "\(name): out of the file: \(d)")
        }
    }

    @Test func theHeaderIsParsed() throws {
        let e = try #require(BrokenSpecCorpus.expectation(in: Data("# expect: 12:3: a: b\n# environment: dev\n# env: A=x=y\nk: v\n".utf8)))
        #expect(e.line == 12 && e.column == 3 && e.text == "a: b")
        #expect(e.environment == "dev" && e.variables == ["A": "x=y"])
        #expect(BrokenSpecCorpus.expectation(in: Data("# expect: 3: missing column\n".utf8)) == nil)
        #expect(BrokenSpecCorpus.expectation(in: Data("minIdle: 1\n".utf8)) == nil)
    }
}
