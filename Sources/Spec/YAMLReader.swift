import Credentials
import Yams

/// Typed reads of a composed YAML tree that collect every problem with its line and
/// column instead of stopping at the first. `${VAR}` references are resolved here, so
/// every value is checked after interpolation.
final class YAMLReader {
    let file: String
    let environment: [String: String]
    /// When false (an environment that was not selected), an unset variable is noted,
    /// not an error, and the value it feeds is not type-checked.
    var resolving = true
    private(set) var diagnostics: [SpecDiagnostic] = []
    private(set) var unresolved: [String] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func error(_ node: Node?, _ message: String) {
        let mark = node?.mark
        diagnostics.append(SpecDiagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1,
                                          message: message))
    }

    func error(line: Int, column: Int, _ message: String) {
        diagnostics.append(SpecDiagnostic(file: file, line: line, column: column, message: message))
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar(let s): s.string.isEmpty || s.tag.description.hasSuffix(":null") ? "nothing" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// The entries of a mapping, keys as strings, after checking them against `allowed`.
    /// Unknown keys are errors: a typo must not silently become a default.
    func mapping(_ node: Node, at path: String, allowed: [String]?) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let m) = node else {
            error(node, "\(path): expected a mapping, got \(Self.kind(node))")
            return nil
        }
        var seen: Set<String> = []
        var out: [(String, Node, Node)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                error(k, "\(path): keys must be plain names")
                continue
            }
            let key = ks.string
            if !seen.insert(key).inserted {
                error(k, "\(path): duplicate key '\(key)'")
                continue
            }
            if let allowed, !allowed.contains(key) {
                let hint = Self.closest(key, in: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                error(k, "\(path): unknown key '\(key)'\(hint); expected one of: \(allowed.joined(separator: ", "))")
                continue
            }
            out.append((key, k, v))
        }
        return out
    }

    /// The scalar's text with `${VAR}` references resolved; nil after an error, or when a
    /// reference cannot be resolved in an environment that is not being resolved.
    func text(_ node: Node, at path: String) -> String? {
        guard case .scalar(let s) = node else {
            error(node, "\(path): expected a value, got \(Self.kind(node))")
            return nil
        }
        // The manager's own secrets have no place in pool.yaml: every value of it ends up in
        // an instance, a service name, a summary or a plan.
        if let leaked = (try? Interpolation.references(in: s.string))?.first(where: { InstanceSecrets.managerOnlyVariables.contains($0.name) }) {
            error(node, "\(path): references ${\(leaked.name)}, a secret that never leaves the manager; remove it")
            return nil
        }
        do {
            return try Interpolation.resolve(s.string, environment: environment)
        } catch {
            switch error {
            case .unset(let name):
                if resolving {
                    let hint = SpecLoader.looksSecret(name) ? "" : " (write ${\(name):-default} to give one)"
                    self.error(node, "\(path): environment variable \(name) is not set and has no default\(hint)")
                } else {
                    unresolved.append(name)
                }
            case .unterminated:
                self.error(node, "\(path): unterminated '${' reference; expected ${NAME} or ${NAME:-default}")
            case .badName(let name):
                self.error(node, "\(path): '\(name)' is not a variable name; expected letters, digits and _ (not starting with a digit)")
            case .nested:
                self.error(node, "\(path): a default may not contain another ${...} reference")
            }
        }
        return nil
    }

    /// What an error may quote of a value: the text as written when it holds a `${VAR}`
    /// reference (the resolved value may be a secret), else the value.
    func shown(_ node: Node, _ resolved: String) -> String {
        if case .scalar(let s) = node, s.string.contains("${") { return s.string }
        return resolved
    }

    func nonEmptyString(_ node: Node, at path: String) -> String? {
        guard let t = text(node, at: path) else { return nil }
        if t.trimmingCharacters(in: .whitespaces).isEmpty {
            error(node, "\(path): expected a non-empty string")
            return nil
        }
        return t
    }

    func integer(_ node: Node, at path: String, minimum: Int) -> Int? {
        guard let t = text(node, at: path) else { return nil }
        let trimmed = t.trimmingCharacters(in: .whitespaces)
        guard let n = Int(trimmed) else {
            let digits = trimmed.first == "-" || trimmed.first == "+" ? trimmed.dropFirst() : Substring(trimmed)
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                // Digits that overflow Int: a whole number, just an impossible one.
                let bound = trimmed.first == "-" ? "at least \(minimum)" : "at most \(Int.max)"
                error(node, "\(path): expected a whole number \(bound), got '\(shown(node, t))'")
            } else {
                error(node, "\(path): expected a whole number, got '\(shown(node, t))'")
            }
            return nil
        }
        guard n >= minimum else {
            error(node, "\(path): expected a whole number of at least \(minimum), got \(n)")
            return nil
        }
        return n
    }

    func duration(_ node: Node, at path: String) -> Double? {
        guard let t = text(node, at: path) else { return nil }
        guard let d = DurationText.parse(t) else {
            error(node, "\(path): '\(shown(node, t))' is not a duration; expected a number and a unit (ms, s, m, h), e.g. 30s, 15m, 1h")
            return nil
        }
        guard d > 0, d <= DurationText.longest else {
            error(node, "\(path): expected a duration above zero and at most 30 days, got '\(shown(node, t))'")
            return nil
        }
        return d
    }

    func oneOf<T: RawRepresentable>(_ node: Node, at path: String, _ cases: [T]) -> T? where T.RawValue == String {
        guard let t = text(node, at: path) else { return nil }
        guard let v = cases.first(where: { $0.rawValue == t }) else {
            error(node, "\(path): unknown value '\(shown(node, t))'; expected one of: \(cases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return v
    }

    /// A list of non-empty strings; `problem` says what is wrong with an item, if anything.
    func stringList(_ node: Node, at path: String, problem: (String) -> String? = { _ in nil }) -> [String]? {
        guard case .sequence(let seq) = node else {
            error(node, "\(path): expected a list of strings, got \(Self.kind(node))")
            return nil
        }
        var out: [String] = []
        for (i, item) in seq.enumerated() {
            guard let s = nonEmptyString(item, at: "\(path)[\(i)]") else { continue }
            if let p = problem(s) {
                error(item, "\(path)[\(i)]: '\(shown(item, s))' \(p)")
                continue
            }
            out.append(s)
        }
        return out
    }

    /// A suggestion for a misspelt key: the allowed key at edit distance 1 or 2, if any.
    static func closest(_ key: String, in allowed: [String]) -> String? {
        allowed.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
            .filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
