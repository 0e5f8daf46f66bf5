import Foundation
import Planning
@testable import Spec
import Testing

/// Draws for the mutator from the planner's seeded generator, so every mutant is
/// reproducible from the run's seed.
private extension SplitMix64 {
    /// 0 ..< n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Random damage to a good pool.yaml, at the byte level (so not every mutant is UTF-8).
private enum SpecMutator {
    static let punctuation = [":", "-", "[", "]", "{", "}", ",", "\"", "'", "&", "*", "!", "|", ">", "%", "@", "`",
                              "#", "?", "~", "\\", "\t", " ", "\n", "\r", "\r\n", "---\n", "...\n", "- ", ": ", "? ",
                              "&a ", "*a", "!!str ", "!!binary ", "<<: ", "%YAML 1.1\n---\n", "\u{FEFF}", "\u{2028}", "\u{0}"]
    static let numbers = ["0", "-1", "-0", "+3", "1.5", "1e9", "99999999999999999999", "-99999999999999999999",
                          "9223372036854775807", "9223372036854775808", "0x10", "1_000", ".inf", ".nan", "65536",
                          "0s", "-5s", "31d", "800h", "1h30", "99999999999999999999h", "0.0001ms", "720h", "1h1ms"]
    static let references = ["${", "${}", "${A", "${1X}", "${A-B}", "${A:-}", "${A:-${B}}", "${POOL_API_KEY}",
                             "${UNSET_VAR}", "${MIN_IDLE:-7}", "$", "}", "${A}${B}", "pre-${POOL_API_KEY}",
                             "${POOL_API_KEY:-literal}", "${${A}}", "${A:-}}"]
    static let values = ["", "~", "null", "[]", "{}", "[a, b]", "{a: 1}", "\"\"", "''", "true", "no", "|\n  text",
                         ">-\n  folded", "\"\\u0000\"", "\"\\e[31m\"", "\"a\\nb\"", "&x v", "*x", "!!int 3", "!!map {}",
                         "? a", "local", "railway", "production", "http", "a/b", "https://x.org/y"]
    static let keys = ["version", "prefix", "minIdle", "maxTotal", "stuckTimeout", "tickInterval", "probeTimeout",
                       "claimTimeouts", "create", "join", "createsPerTick", "failureBackoff", "environments", "platform",
                       "railway", "projectId", "environmentId", "source", "repo", "branch", "rootDirectory",
                       "openclawRef", "xmtpEnv", "variables", "allowedInviteHosts", "instanceScheme", "instancePort",
                       "API_KEY", "SECRET", "minIdel", "<<", "\"quoted\"", "- item", "local", "dev"]

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
    }

    static func joined(_ lines: [[UInt8]]) -> [UInt8] { Array(lines.joined(separator: [UInt8(ascii: "\n")])) }

    /// Where a line's value starts (after the first ": "), if it has one.
    static func valueStart(_ line: [UInt8]) -> Int? {
        guard line.count >= 2 else { return nil }
        for i in 0..<(line.count - 1) where line[i] == UInt8(ascii: ":") && line[i + 1] == UInt8(ascii: " ") { return i + 2 }
        return nil
    }

    static func mutate(_ original: [UInt8], _ g: inout SplitMix64) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + g.below(4)) {
            var ls = lines(bytes)
            let n = ls.count
            switch g.below(12) {
            case 0: // delete a line
                ls.remove(at: g.below(n))
            case 1: // duplicate a line somewhere
                ls.insert(ls[g.below(n)], at: g.below(n + 1))
            case 2: // swap two lines
                ls.swapAt(g.below(n), g.below(n))
            case 3: // random bytes, any value
                let at = g.below(bytes.count + 1)
                bytes.insert(contentsOf: (0..<(1 + g.below(8))).map { _ in UInt8(truncatingIfNeeded: g.next()) }, at: at)
                continue
            case 4: // YAML punctuation
                bytes.insert(contentsOf: Array(g.pick(punctuation).utf8), at: g.below(bytes.count + 1))
                continue
            case 5: // indentation: more, less, or a tab
                let i = g.below(n)
                switch g.below(3) {
                case 0: ls[i].insert(contentsOf: Array(repeating: UInt8(ascii: " "), count: 1 + g.below(3)), at: 0)
                case 1: ls[i].removeFirst(min(1 + g.below(3), ls[i].prefix { $0 == UInt8(ascii: " ") }.count))
                default: ls[i] = [UInt8(ascii: "\t")] + ls[i].drop { $0 == UInt8(ascii: " ") }
                }
            case 6: // truncate
                bytes = Array(bytes.prefix(g.below(bytes.count + 1)))
                continue
            case 7: // a number becomes huge, negative, fractional, or no number
                let digitRuns = bytes.indices.filter { (bytes[$0] >= 0x30 && bytes[$0] <= 0x39) && ($0 == 0 || !(bytes[$0 - 1] >= 0x30 && bytes[$0 - 1] <= 0x39)) }
                guard !digitRuns.isEmpty else { continue }
                let start = g.pick(digitRuns)
                var end = start
                while end < bytes.count, bytes[end] >= 0x30 && bytes[end] <= 0x39 || bytes[end] == UInt8(ascii: "s") || bytes[end] == UInt8(ascii: "m") || bytes[end] == UInt8(ascii: "h") { end += 1 }
                bytes.replaceSubrange(start..<end, with: Array(g.pick(numbers).utf8))
                continue
            case 8, 9: // a value becomes a broken reference, or something of another type
                let candidates = ls.indices.filter { valueStart(ls[$0]) != nil }
                guard !candidates.isEmpty else { continue }
                let i = g.pick(candidates)
                let start = valueStart(ls[i])!
                let replacement = g.below(2) == 0 ? g.pick(references) : g.pick(values)
                ls[i].replaceSubrange(start..., with: Array(replacement.utf8))
            case 10: // a key line, known or not, at any depth
                let line = String(repeating: " ", count: 2 * g.below(4)) + g.pick(keys) + ": " + g.pick(values + numbers + references)
                ls.insert(Array(line.utf8), at: g.below(n + 1))
            default: // an anchor on one value and aliases of it elsewhere
                let candidates = ls.indices.filter { valueStart(ls[$0]) != nil }
                guard candidates.count >= 2 else { continue }
                let a = g.pick(candidates), b = g.pick(candidates)
                ls[a].insert(contentsOf: Array("&x ".utf8), at: valueStart(ls[a])!)
                ls[b].replaceSubrange(valueStart(ls[b])!..., with: Array("*x".utf8))
            }
            bytes = joined(ls)
        }
        return bytes
    }
}

@Suite struct SpecFuzzTests {
    static let goodFile = #filePath.components(separatedBy: "/Tests/")[0] + "/pool.yaml"
    /// Every variable the shipped pool.yaml references, so the selected environment can resolve.
    static let variables = ["RAILWAY_PROJECT_ID": "p", "RAILWAY_DEV_ENVIRONMENT_ID": "d", "RAILWAY_STAGING_ENVIRONMENT_ID": "s",
                            "RAILWAY_PRODUCTION_ENVIRONMENT_ID": "r", "POOL_API_KEY": "k", "OPENROUTER_API_KEY": "o"]

    /// Lines as libyaml may count them: LF, CR, NEL, LS and PS all break lines (a CRLF counts twice
    /// here, once there), so this is an upper bound.
    static func lineBreaks(_ bytes: [UInt8]) -> Int {
        var count = 0
        for (i, b) in bytes.enumerated() {
            if b == 0x0A || b == 0x0D { count += 1 }
            if b == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0x85 { count += 1 }
            if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 { count += 1 }
        }
        return count
    }

    /// SPEC_FUZZ_SEED and SPEC_FUZZ_ITERATIONS replay or lengthen a run. The mutant being loaded
    /// is written to a file first, so if the loader crashes the process, the culprit is on disk.
    @Test(.timeLimit(.minutes(2)))
    func mutantsOfTheShippedPoolYamlAreLoadedOrRejectedWithAPosition() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = env["SPEC_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_251_125
        let iterations = env["SPEC_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 3_000
        let good = try #require(FileManager.default.contents(atPath: Self.goodFile).map(Array.init))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spec-fuzz-\(seed)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let current = dir + "/mutant.yaml"
        print("SpecFuzzTests: seed \(seed), \(iterations) mutants of pool.yaml (replay: SPEC_FUZZ_SEED=\(seed)); the mutant in flight is \(current)")

        let environments: [String?] = [nil, "local", "dev", "staging", "production", "qa"]
        var g = SplitMix64(seed: seed)
        var rejected = 0, notUTF8 = 0, failures = 0
        let started = ContinuousClock.now
        for i in 0..<iterations {
            let mutant = SpecMutator.mutate(good, &g)
            let environment = g.pick(environments)
            let loader = SpecLoader(processEnvironment: g.below(4) == 0 ? [:] : Self.variables)
            try Data(mutant).write(to: URL(fileURLWithPath: current))
            let text = String(bytes: mutant, encoding: .utf8)
            let error: SpecError
            do {
                // UTF-8 mutants as text (the parser's path); the rest through the file (the reader's path).
                if let text {
                    _ = try loader.load(text: text, file: current, environment: environment)
                } else {
                    _ = try loader.load(path: current, environment: environment)
                }
                continue
            } catch let caught {
                error = caught
            }
            rejected += 1
            if text == nil { notUTF8 += 1 }
            let lastLine = Self.lineBreaks(mutant) + 2
            var problems: [String] = []
            if error.diagnostics.isEmpty { problems.append("rejected without a diagnostic") }
            for d in error.diagnostics {
                if d.file != current { problems.append("names file \(d.file)") }
                if d.line < 1 || d.line > lastLine { problems.append("line \(d.line) outside 1...\(lastLine)") }
                if d.column < 1 || d.column > mutant.count + 1 { problems.append("column \(d.column) outside 1...\(mutant.count + 1)") }
                if d.message.isEmpty { problems.append("an empty message") }
                if d.description.contains(where: { $0.isNewline }) { problems.append("a message over several lines") }
                if !d.description.hasPrefix("\(current):\(d.line):\(d.column): error: ") { problems.append("rendered as \(d.description)") }
            }
            if !problems.isEmpty {
                failures += 1
                if failures <= 5 {
                    Issue.record("""
                        seed \(seed), mutant \(i) (environment \(environment ?? "none")): \(problems.joined(separator: "; "))
                        mutant: \(String(decoding: mutant, as: UTF8.self).debugDescription)
                        diagnostics:
                        \(error.description)
                        """)
                }
            }
        }
        let took = ContinuousClock.now - started
        try? FileManager.default.removeItem(atPath: dir)
        print("SpecFuzzTests: \(iterations) mutants in \(took): \(rejected) rejected (\(notUTF8) not UTF-8), \(iterations - rejected) still valid, \(failures) without a proper position")
        #expect(failures == 0, "\(failures) mutants were rejected without a proper position; rerun with SPEC_FUZZ_SEED=\(seed)")
        // The mutations must bite: most mutants are broken.
        #expect(rejected * 2 > iterations, "only \(rejected) of \(iterations) mutants were rejected")
    }
}
