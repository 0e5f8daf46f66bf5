import Credentials
import Foundation
import Yams

/// Loads pool.yaml: parse, check every key and value, apply defaults and per-environment
/// overrides, resolve `${VAR}` references for the selected environment.
public struct SpecLoader: Sendable {
    public var processEnvironment: [String: String]

    public init(processEnvironment: [String: String] = ProcessInfo.processInfo.environment) {
        self.processEnvironment = processEnvironment
    }

    static let settingKeys = ["minIdle", "maxTotal", "stuckTimeout", "tickInterval", "probeTimeout",
                              "claimTimeouts", "createsPerTick", "failureBackoff", "resyncInterval", "resyncCallsPerHour",
                              "webhookStaleAfter"]
    static let topKeys = ["version", "prefix"] + settingKeys + ["environments"]
    static let environmentKeys = ["platform", "railway", "source", "openclawRef", "xmtpEnv", "variables",
                                  "allowedInviteHosts", "instanceScheme", "instancePort", "publicUrl"] + settingKeys

    public func load(path: String, environment: String?) throws(SpecError) -> LoadedSpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            // A file that reads but does not decode: say where it stops being UTF-8.
            if let data = FileManager.default.contents(atPath: path), let d = Self.invalidUTF8(data, file: path) {
                throw SpecError(diagnostics: [d])
            }
            throw SpecError(diagnostics: [SpecDiagnostic(file: path, line: 1, column: 1,
                message: "cannot read the file: \((error as NSError).localizedDescription)")])
        }
        return try load(text: text, file: path, environment: environment)
    }

    public func load(text: String, file: String, environment selected: String?) throws(SpecError) -> LoadedSpec {
        let reader = YAMLReader(file: file, environment: processEnvironment)
        let root: Node
        if let bomb = Self.aliasExpansion(in: text, file: file) { throw SpecError(diagnostics: [bomb]) }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpecError(diagnostics: [SpecDiagnostic(file: file, line: 1, column: 1,
                    message: "the file is empty; expected a mapping with at least 'environments'")])
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw SpecError(diagnostics: [Self.diagnostic(for: error, file: file, text: text)])
        } catch {
            throw SpecError(diagnostics: [SpecDiagnostic(file: file, line: 1, column: 1, message: "\(error)")])
        }

        var settings = PoolSettings()
        var prefix = "convos-agent"
        var environmentsNode: Node?
        var settingsEntries: [(key: String, keyNode: Node, value: Node)] = []
        if let entries = reader.mapping(root, at: "pool.yaml", allowed: Self.topKeys) {
            for (key, _, value) in entries {
                switch key {
                case "version":
                    if let v = reader.integer(value, at: "version", minimum: 1), v != 1 {
                        reader.error(value, "version: unsupported version \(v); this controller reads version 1")
                    }
                case "prefix":
                    if let p = reader.nonEmptyString(value, at: "prefix") {
                        if Self.isValidPrefix(p) { prefix = p } else {
                            reader.error(value, "prefix: '\(reader.shown(value, p))' is not usable in service names; expected lowercase letters, digits and '-', 1 to 40 characters, starting with a letter and not ending with '-'")
                        }
                    }
                case "environments": environmentsNode = value
                default: settingsEntries.append((key, value, value))
                }
            }
        }
        applySettings(settingsEntries, to: &settings, reader: reader, at: "")
        checkSettings(settings, entries: settingsEntries, reader: reader, at: "")

        var names: [String] = []
        var environmentsParsed = false
        var resolved: EnvironmentSpec?
        if let environmentsNode {
            if let envs = reader.mapping(environmentsNode, at: "environments", allowed: nil) {
                environmentsParsed = true
                if envs.isEmpty { reader.error(environmentsNode, "environments: expected at least one environment") }
                for (name, keyNode, value) in envs {
                    names.append(name)
                    reader.resolving = (name == selected)
                    let env = environment(name: name, keyNode: keyNode, node: value, prefix: prefix,
                                          defaults: settings, reader: reader)
                    if name == selected { resolved = env }
                }
                reader.resolving = true
            }
        } else if case .mapping = root {
            reader.error(root, "pool.yaml: missing key 'environments'; expected a mapping of environment names (dev, staging, production, ...)")
        }
        if let selected, environmentsParsed, !names.contains(selected) {
            reader.error(environmentsNode ?? root, "environments: no environment named '\(selected)'; this file has: \(names.joined(separator: ", "))")
        }
        if resolved != nil {
            do {
                resolved?.instanceSecrets = try InstanceSecrets.fromEnvironment(processEnvironment)
            } catch {
                reader.error(line: 1, column: 1, "process environment: \(error)")
            }
        }
        guard reader.diagnostics.isEmpty else {
            throw SpecError(diagnostics: reader.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return LoadedSpec(file: file, environmentNames: names, environment: resolved,
                          unresolvedReferences: Array(Set(reader.unresolved)).sorted())
    }

    // MARK: - Pieces

    private func applySettings(_ entries: [(key: String, keyNode: Node, value: Node)],
                               to s: inout PoolSettings, reader: YAMLReader, at scope: String) {
        for (key, _, value) in entries {
            let path = scope + key
            switch key {
            case "minIdle": if let v = reader.integer(value, at: path, minimum: 0) { s.minIdle = v }
            case "maxTotal": if let v = reader.integer(value, at: path, minimum: 1) { s.maxTotal = v }
            case "createsPerTick": if let v = reader.integer(value, at: path, minimum: 1) { s.createsPerTick = v }
            case "failureBackoff": if let v = reader.integer(value, at: path, minimum: 1) { s.failureBackoff = v }
            case "resyncCallsPerHour": if let v = reader.integer(value, at: path, minimum: 1) { s.resyncCallsPerHour = v }
            case "stuckTimeout": if let v = reader.duration(value, at: path) { s.stuckTimeout = v }
            case "tickInterval": if let v = reader.duration(value, at: path) { s.tickInterval = v }
            case "probeTimeout": if let v = reader.duration(value, at: path) { s.probeTimeout = v }
            case "resyncInterval": if let v = reader.duration(value, at: path) { s.resyncInterval = v }
            case "webhookStaleAfter": if let v = reader.duration(value, at: path) { s.webhookStaleAfter = v }
            case "claimTimeouts":
                for (k, _, v) in reader.mapping(value, at: path, allowed: ["create", "join"]) ?? [] {
                    guard let d = reader.duration(v, at: "\(path).\(k)") else { continue }
                    if k == "create" { s.claimCreateTimeout = d } else { s.claimJoinTimeout = d }
                }
            default: break
            }
        }
    }

    /// Rules across fields, reported at the value that breaks them.
    private func checkSettings(_ s: PoolSettings, entries: [(key: String, keyNode: Node, value: Node)],
                               reader: YAMLReader, at scope: String) {
        if s.minIdle > s.maxTotal {
            let node = entries.first { $0.key == "minIdle" }?.value ?? entries.first { $0.key == "maxTotal" }?.value
            reader.error(node, "\(scope)minIdle: \(s.minIdle) is more than maxTotal \(s.maxTotal); expected minIdle <= maxTotal")
        }
    }

    private func environment(name: String, keyNode: Node, node: Node, prefix: String,
                             defaults: PoolSettings, reader: YAMLReader) -> EnvironmentSpec? {
        let scope = "environments.\(name)."
        guard let entries = reader.mapping(node, at: "environments.\(name)", allowed: Self.environmentKeys) else { return nil }
        var settings = defaults
        let overrides = entries.filter { Self.settingKeys.contains($0.key) }
        applySettings(overrides, to: &settings, reader: reader, at: scope)
        if !overrides.isEmpty || defaults.minIdle <= defaults.maxTotal {
            checkSettings(settings, entries: overrides, reader: reader, at: scope)
        }

        var platform = PlatformKind.railway
        // An invalid (or unresolved) platform: what it needs is unknown, so nothing is reported missing.
        var platformKnown = true
        var railway = RailwaySpec()
        var source = SourceFields()
        var openclawRef = "main"
        var xmtpEnv = XMTPEnv.dev
        var variables: [String: String] = [:]
        var secretNames: Set<String> = []
        var inviteHosts: [String]?
        var scheme: String?
        var port = 8080
        var publicUrl: String?
        var railwayNode: Node?, sourceNode: Node?
        var railwayKeys: Set<String> = [], sourceKeys: Set<String> = []
        for (key, _, value) in entries {
            let path = scope + key
            switch key {
            case "platform":
                if let p = reader.oneOf(value, at: path, [PlatformKind.railway, .local]) { platform = p } else { platformKnown = false }
            case "railway":
                railwayNode = value
                railwayKeys = readRailway(value, at: path, into: &railway, reader: reader)
            case "source":
                sourceNode = value
                sourceKeys = readSource(value, at: path, into: &source, reader: reader)
            case "openclawRef": openclawRef = reader.nonEmptyString(value, at: path) ?? openclawRef
            case "xmtpEnv": xmtpEnv = reader.oneOf(value, at: path, XMTPEnv.allCases) ?? xmtpEnv
            case "allowedInviteHosts":
                // Compared with a join URL's host, so a scheme, port or path would never match.
                inviteHosts = reader.stringList(value, at: path) { host in
                    Self.isHostName(host) ? nil : "is not a host name; expected a name such as dev.convos.org (no scheme, port or path)"
                }
            case "instanceScheme": scheme = reader.oneOf(value, at: path, [Scheme.https, .http])?.rawValue
            case "publicUrl":
                if let url = reader.nonEmptyString(value, at: path) {
                    if let problem = Self.publicURLProblem(url) { reader.error(value, "\(path): \(problem)") } else { publicUrl = Self.trimmedURL(url) }
                }
            case "instancePort":
                if let p = reader.integer(value, at: path, minimum: 1) {
                    if p <= 65535 { port = p } else { reader.error(value, "\(path): expected a port from 1 to 65535, got \(p)") }
                }
            case "variables":
                for (k, kn, v) in reader.mapping(value, at: path, allowed: nil) ?? [] {
                    guard Interpolation.isValidName(Substring(k)) else {
                        reader.error(kn, "\(path): '\(k)' is not a variable name; expected letters, digits and _")
                        continue
                    }
                    if Self.poolSetVariables.contains(k) {
                        reader.error(kn, "\(path).\(k): set by the pool for each instance; remove it from pool.yaml")
                        continue
                    }
                    if Self.looksSecret(k) {
                        guard case .scalar(let raw) = v, Interpolation.isBareReference(raw.string) else {
                            reader.error(v, "\(path).\(k): a secret must not be written in pool.yaml; expected a reference like ${\(k)} and the value in the process environment")
                            continue
                        }
                        secretNames.insert(k)
                    }
                    if case .scalar(let raw) = v, let leaked = (try? Interpolation.references(in: raw.string))?
                        .first(where: { InstanceSecrets.managerOnlyVariables.contains($0.name) }) {
                        reader.error(v, "\(path).\(k): passes ${\(leaked.name)} to every instance; it never leaves the manager (each instance gets INSTANCE_TOKEN, a token of its own)")
                        continue
                    }
                    if let t = reader.text(v, at: "\(path).\(k)") { variables[k] = t }
                }
            default: break
            }
        }
        // Missing keys are reported whether or not this environment is being resolved.
        if platform == .railway, platformKnown {
            checkRailway(railway, keys: railwayKeys, node: railwayNode, environmentKey: keyNode, name: name, reader: reader)
            if sourceNode == nil {
                reader.error(keyNode, "environments.\(name): missing 'source' with repo, branch and rootDirectory (or an image)")
            }
        }
        if let sourceNode {
            checkSource(source, keys: sourceKeys, node: sourceNode, scope: scope, platform: platformKnown ? platform : nil,
                        reader: reader)
        }
        return EnvironmentSpec(
            name: name, prefix: prefix, settings: settings, platform: platform,
            railway: railway,
            repo: source.repo ?? "", branch: source.branch, rootDirectory: source.rootDirectory,
            image: source.image, imageCheckInterval: source.imageCheckInterval,
            registryCredentials: source.registryCredentials, openclawRef: openclawRef,
            xmtpEnv: xmtpEnv, variables: variables,
            allowedInviteHosts: inviteHosts ?? xmtpEnv.defaultInviteHosts,
            // Local instances listen on loopback without TLS.
            instanceScheme: scheme ?? (platform == .local ? "http" : "https"), instancePort: port,
            publicUrl: publicUrl, secretVariableNames: secretNames, instanceSecrets: nil)
    }

    enum Scheme: String { case https, http }

    /// Why `url` cannot be the manager's public URL (`POOL_PUBLIC_URL` too), or nil: an
    /// absolute http(s) URL with a host, no query, fragment or credentials.
    public static func publicURLProblem(_ url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), ["https", "http"].contains(scheme),
              let host = parts.host, !host.isEmpty else {
            return "expected an absolute URL such as https://pool.example.com"
        }
        if parts.query != nil || parts.fragment != nil { return "expected no query or fragment: the webhook path is appended to it" }
        if parts.user != nil || parts.password != nil { return "expected no user or password in the URL" }
        return nil
    }

    /// The URL without a trailing `/`, so paths append cleanly.
    public static func trimmedURL(_ url: String) -> String {
        var u = url
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }

    /// Variables the pool sets on every instance itself: the spec may not set them.
    public static let poolSetVariables: Set<String> = ["INSTANCE_ID", "INSTANCE_TOKEN"]

    /// Names that hold secrets by convention: their values may only come from the environment.
    public static func looksSecret(_ name: String) -> Bool {
        let n = name.uppercased()
        return n.hasSuffix("_KEY") || n == "KEY" || n.contains("TOKEN") || n.contains("SECRET") || n.contains("PASSWORD")
    }

    static func isValidPrefix(_ p: String) -> Bool {
        guard (1...40).contains(p.count), let first = p.first, first.isLetter, p.last != "-" else { return false }
        return p.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// A DNS name (dot-separated labels of letters, digits and inner '-'), or an IPv6
    /// literal in brackets as a URL writes it.
    static func isHostName(_ h: String) -> Bool {
        if h.hasPrefix("["), h.hasSuffix("]"), h.count > 2 {
            return h.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        guard (1...253).contains(h.count) else { return false }
        return h.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    static func isRepoName(_ r: String) -> Bool {
        let parts = r.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.contains(" ") }
    }

    static func diagnostic(for error: YamlError, file: String, text: String) -> SpecDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _):
            var what = problem.hasPrefix("Maximum nesting level reached")
                ? "nested too deeply; pool.yaml needs a few levels, not hundreds" : problem
            if scalar(atLine: mark.line, column: mark.column, in: text) == "\t" {
                what += " (a tab: YAML indents with spaces only)"
            }
            if let context, !context.text.isEmpty {
                // Where the construct began, e.g. the opening quote of an unclosed string.
                let from = (context.mark.line, context.mark.column) == (mark.line, mark.column)
                    ? "" : " (from \(context.mark.line):\(context.mark.column))"
                what = "\(context.text)\(from): \(what)"
            }
            return SpecDiagnostic(file: file, line: mark.line, column: mark.column, message: "YAML syntax: \(what)")
        case .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return SpecDiagnostic(file: file, line: mark.line, column: mark.column,
                                  message: "YAML syntax: \(what)")
        case .reader(let problem, let offset, let value, let yaml):
            // Characters YAML refuses (control characters, NUL): Yams gives a character offset.
            let (line, column) = offset.flatMap { position(ofCharacter: $0, in: yaml) } ?? (1, 1)
            let code = value >= 0 ? String(format: " (U+%04X)", value) : ""
            return SpecDiagnostic(file: file, line: line, column: column, message: "YAML syntax: \(problem)\(code)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams points at the mapping; point at the second occurrence of the key instead.
            let (line, column) = secondOccurrence(of: duplicates.first ?? "", in: text, after: context.mark.line,
                                                  indent: context.mark.column - 1)
                ?? (context.mark.line, context.mark.column)
            return SpecDiagnostic(file: file, line: line, column: column,
                                  message: "duplicate key '\(duplicates.joined(separator: "', '"))'; each key may appear once")
        default:
            return SpecDiagnostic(file: file, line: 1, column: 1, message: "YAML: \(error)")
        }
    }

    /// Line and column (1-based, columns in Unicode scalars as libyaml counts them) of the
    /// character `offset` characters into `text`.
    static func position(ofCharacter offset: Int, in text: String) -> (Int, Int)? {
        guard offset >= 0, let end = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) else { return nil }
        var line = 1, column = 1
        for scalar in text[..<end].unicodeScalars {
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// The Unicode scalar at a 1-based line and column, if there is one.
    static func scalar(atLine line: Int, column: Int, in text: String) -> Unicode.Scalar? {
        guard line >= 1, column >= 1 else { return nil }
        let lines = text.split(separator: "\n", maxSplits: line, omittingEmptySubsequences: false)
        guard line <= lines.count else { return nil }
        let scalars = lines[line - 1].unicodeScalars
        guard let i = scalars.index(scalars.startIndex, offsetBy: column - 1, limitedBy: scalars.endIndex),
              i < scalars.endIndex else { return nil }
        return scalars[i]
    }

    /// Where bytes stop being UTF-8: the line and column of the first byte that does not decode.
    static func invalidUTF8(_ data: Data, file: String) -> SpecDiagnostic? {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var line = 1, column = 1, offset = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let encoded):
                offset += encoded.count
                if encoded.count == 1, encoded.first == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return nil
            case .error:
                let byte = data[data.index(data.startIndex, offsetBy: offset)]
                return SpecDiagnostic(file: file, line: line, column: column,
                    message: String(format: "the file is not UTF-8 text: byte 0x%02X does not decode; save pool.yaml as UTF-8", byte))
            }
        }
    }

    /// Aliases (`*name`) repeat the node their anchor (`&name`) marks, and aliases of nodes
    /// holding aliases repeat exponentially (a "billion laughs"); Yams hashes mapping keys while
    /// composing, so a dozen such lines would take hours. Past this many nodes, the file is refused.
    static let aliasExpansionLimit = 10_000

    /// The alias that expands the file past `aliasExpansionLimit` nodes, if any. The text is
    /// composed once with every `*` replaced by a unique marker, which makes each alias a
    /// plain scalar (nothing expands), and the expanded size is counted on that tree.
    /// Nil when the marked text does not compose: the real compose reports the problem.
    static func aliasExpansion(in text: String, file: String) -> SpecDiagnostic? {
        guard text.contains("*"), text.contains("&") else { return nil }
        let used = Set(text.unicodeScalars)
        guard let marker = (0xE000...0xF8FF).lazy.compactMap(Unicode.Scalar.init).first(where: { !used.contains($0) })
        else { return nil }
        var marked = String.UnicodeScalarView()
        var stars = 0
        for scalar in text.unicodeScalars {
            guard scalar == "*" else { marked.append(scalar); continue }
            // marker, index of this `*`, marker: unique, so no two keys become equal.
            marked.append(marker)
            marked.append(contentsOf: String(stars).unicodeScalars)
            marked.append(marker)
            stars += 1
        }
        // The parser holds the anchors: nodes refer to them weakly, so it must outlive the walk.
        guard let parser = try? Parser(yaml: String(marked)), let root = try? parser.singleRoot() else { return nil }

        var anchors: [String: Int] = [:]
        var count = 0
        var offender: (star: Int, name: String)?
        func walk(_ node: Node) {
            guard offender == nil else { return }
            let start = count
            switch node {
            case .scalar(let s):
                let parts = s.string.unicodeScalars.split(separator: marker, maxSplits: 2, omittingEmptySubsequences: false)
                if s.string.unicodeScalars.first == marker, parts.count == 3, let star = Int(String(parts[1])),
                   let size = anchors[String(parts[2])] {
                    count += size
                    if count > aliasExpansionLimit { offender = (star, String(parts[2])) }
                } else {
                    count += 1
                }
            case .mapping(let m):
                count += 1
                for (k, v) in m { walk(k); walk(v) }
            case .sequence(let q):
                count += 1
                for v in q { walk(v) }
            case .alias:
                count += 1
            }
            if offender == nil, let anchor = node.anchor { anchors[anchor.rawValue] = count - start }
        }
        withExtendedLifetime(parser) { walk(root) }
        guard let offender else { return nil }
        var line = 1, column = 1, seen = 0
        for scalar in text.unicodeScalars {
            if scalar == "*" {
                if seen == offender.star { break }
                seen += 1
            }
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return SpecDiagnostic(file: file, line: line, column: column,
            message: "YAML aliases: *\(offender.name) expands the file past \(aliasExpansionLimit) values (aliases of aliases grow exponentially); write the values out")
    }

    /// The second line, from `after` on, where `key:` starts at exactly `indent` spaces
    /// (the mapping's own keys, not a nested mapping's).
    static func secondOccurrence(of key: String, in text: String, after line: Int, indent: Int) -> (Int, Int)? {
        var seen = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where i + 1 >= line {
            let trimmed = raw.drop { $0 == " " }
            guard raw.count - trimmed.count == indent, trimmed.hasPrefix(key),
                  trimmed.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") else { continue }
            seen += 1
            if seen == 2 { return (i + 1, indent + 1) }
        }
        return nil
    }
}
