import Foundation
@testable import Spec
import Testing

/// Loader fixes found while building the broken-spec corpus (Tests/SpecTests/BrokenSpecs).
@Suite struct SpecRobustnessTests {
    func only(_ yaml: String, env: String? = "dev", sourceLocation: SourceLocation = #_sourceLocation) -> SpecDiagnostic? {
        let d = diagnostics(yaml, env: env)
        #expect(d.count == 1, "\(d)", sourceLocation: sourceLocation)
        return d.first
    }

    @Test func controlCharactersArePlacedAndNamed() {
        // Yams reports these as reader errors; they were all put at 1:1 with a multi-line message.
        for (char, code) in [("\u{01}", "U+0001"), ("\u{00}", "U+0000"), ("\u{1B}", "U+001B")] {
            let d = only(minimalDev.replacingOccurrences(of: "p1", with: "p\(char)1"))
            #expect(d.map { ($0.line, $0.column) } ?? (0, 0) == (4, 19))
            #expect(d?.message == "YAML syntax: control characters are not allowed (\(code))")
        }
    }

    @Test func aFileThatIsNotUTF8SaysWhere() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bytes = Array("environments:\n  local:\n    openclawRef: caf".utf8) + [0xE9, 0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SpecLoader(processEnvironment: [:]).load(path: path, environment: nil)
            Issue.record("a Latin-1 file loaded")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "\(path):3:21: error: the file is not UTF-8 text: byte 0xE9 does not decode; save pool.yaml as UTF-8"])
        }
        #expect(SpecLoader.invalidUTF8(Data("héllo\nwörld".utf8), file: "f") == nil)
        #expect(SpecLoader.invalidUTF8(Data([0x61, 0x0A, 0x62, 0xC3, 0x28]), file: "f").map { ($0.line, $0.column) } ?? (0, 0) == (2, 2))
    }

    @Test func syntaxErrorsSayWhereTheConstructBegan() {
        // An unclosed quote is only noticed at the end of the file; the message points back at it.
        let d = only("prefix: \"convos\nenvironments:\n  dev: {}\n")
        #expect(d.map { ($0.line, $0.column) } ?? (0, 0) == (4, 1))
        #expect(d?.message == "YAML syntax: while scanning a quoted scalar (from 1:9): found unexpected end of stream")
    }

    @Test func tabIndentationIsNamed() {
        let d = only("environments:\n  local:\n\tplatform: local\n")
        #expect(d.map { ($0.line, $0.column) } ?? (0, 0) == (3, 1))
        #expect(d?.message.hasSuffix("(a tab: YAML indents with spaces only)") == true, "\(String(describing: d))")
    }

    @Test func tooDeepNestingIsAnErrorInWords() {
        let d = only("minIdle: " + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000))
        #expect(d?.message.contains("nested too deeply") == true, "\(String(describing: d))")
        #expect(d?.message.contains("yaml_set_max_nest_level") == false)
    }

    @Test func overflowingNumbersSayTooLargeNotNotANumber() {
        #expect(only("maxTotal: 99999999999999999999\n" + minimalDev)?.message
            == "maxTotal: expected a whole number at most \(Int.max), got '99999999999999999999'")
        #expect(only("minIdle: -99999999999999999999\n" + minimalDev)?.message
            == "minIdle: expected a whole number at least 0, got '-99999999999999999999'")
        #expect(only("minIdle: 1e3\n" + minimalDev)?.message == "minIdle: expected a whole number, got '1e3'")
    }

    @Test func inviteHostsMustBeHostNames() throws {
        // They are compared with a join URL's host: a scheme, port or path would never match.
        for bad in ["https://dev.convos.org", "dev.convos.org:443", "dev.convos.org/v2", "dev..convos.org", "-x.org", "a b.org", "[]", "[x]"] {
            let d = only(minimalDev + "\n    allowedInviteHosts: [\"\(bad)\"]")
            #expect(d?.message == "environments.dev.allowedInviteHosts[0]: '\(bad)' is not a host name; expected a name such as dev.convos.org (no scheme, port or path)")
            #expect(d.map { ($0.line, $0.column) } ?? (0, 0) == (8, 26))
        }
        let e = try load(minimalDev + "\n    allowedInviteHosts: [dev.convos.org, Popup.Convos.org, localhost, 127.0.0.1, \"[::1]\"]")
        #expect(e.environment?.allowedInviteHosts == ["dev.convos.org", "Popup.Convos.org", "localhost", "127.0.0.1", "[::1]"])
    }

    @Test func aRenderedDiagnosticIsOneLineWithoutControlCharacters() {
        // A quoted value may hold a line break or a terminal escape sequence.
        let d = only(minimalDev + "\n    xmtpEnv: \"dev\\nproduction\\e[2J\"")
        #expect(d?.message.contains("\n") == true)
        #expect(d?.description == "pool.yaml:8:14: error: environments.dev.xmtpEnv: unknown value 'dev\\nproduction\\u{1B}[2J'; expected one of: dev, production")
    }

    @Test func anUnknownPlatformDoesNotAlsoReportRailwayKeysMissing() {
        let d = only("environments:\n  dev:\n    platform: kubernetes\n")
        #expect(d?.message == "environments.dev.platform: unknown value 'kubernetes'; expected one of: railway, local")
    }

    @Test func aliasBombsAreRefusedQuickly() {
        // Ten aliases of ten aliases of ...: 10^9 nodes once expanded; Yams would hash a key that size.
        var yaml = "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n"
        for i in 1...8 { yaml += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        yaml += "? *l8\n: x\n" + minimalDev
        let clock = ContinuousClock()
        var d: [SpecDiagnostic] = []
        let took = clock.measure { d = diagnostics(yaml) }
        #expect(took < .seconds(2))
        #expect(d.count == 1, "\(d)")
        // l3's eighth *l2 takes the running size past 10,000.
        #expect(d.first.map { ($0.line, $0.column) } ?? (0, 0) == (4, 45))
        #expect(d.first?.message.hasPrefix("YAML aliases: *l2 expands the file past 10000 values") == true, "\(d)")
    }

    @Test func modestAliasesStillWork() throws {
        let yaml = """
        environments:
          dev:
            railway: {projectId: p, environmentId: e}
            source: &src {repo: acme/agents, branch: "a*b"}
            variables: &vars {A: "1", B: "*"}
          prod:
            railway: {projectId: p, environmentId: e}
            source: *src
            variables: *vars
        """
        let prod = try #require(try load(yaml, env: "prod").environment)
        #expect(prod.repo == "acme/agents" && prod.branch == "a*b")
        #expect(prod.variables == ["A": "1", "B": "*"])
    }
}
