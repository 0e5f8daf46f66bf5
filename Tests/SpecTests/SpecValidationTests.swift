@testable import Spec
import Testing

/// Helpers: load text, expect success or the exact diagnostics.
func load(_ yaml: String, env: String? = "dev", vars: [String: String] = [:]) throws(SpecError) -> LoadedSpec {
    try SpecLoader(processEnvironment: vars).load(text: yaml, file: "pool.yaml", environment: env)
}

func diagnostics(_ yaml: String, env: String? = "dev", vars: [String: String] = [:]) -> [SpecDiagnostic] {
    do {
        _ = try load(yaml, env: env, vars: vars)
        return []
    } catch {
        return error.diagnostics
    }
}

let minimalDev = """
environments:
  dev:
    railway:
      projectId: p1
      environmentId: e1
    source:
      repo: acme/agents
"""

@Suite struct SpecDefaultsTests {
    @Test func defaultsApplyToAMinimalFile() throws {
        let e = try #require(try load(minimalDev).environment)
        #expect(e.prefix == "convos-agent")
        #expect(e.settings == PoolSettings())
        #expect(e.settings.minIdle == 3 && e.settings.maxTotal == 10)
        #expect(e.settings.stuckTimeout == 900 && e.settings.tickInterval == 30 && e.settings.probeTimeout == 5)
        #expect(e.settings.claimCreateTimeout == 60 && e.settings.claimJoinTimeout == 90)
        #expect(e.settings.failureBackoff == 5)
        #expect(e.settings.resyncInterval == 300 && e.settings.resyncCallsPerHour == nil && e.settings.resyncBudget == 12)
        #expect(e.branch == "main" && e.rootDirectory == "" && e.xmtpEnv == .dev)
        #expect(e.allowedInviteHosts == ["dev.convos.org"])
        #expect(e.instanceScheme == "https" && e.platform == .railway)
    }

    @Test func environmentOverridesTopLevelNumbers() throws {
        let yaml = """
        minIdle: 2
        maxTotal: 8
        stuckTimeout: 10m
        claimTimeouts:
          join: 2m
        environments:
          dev:
            minIdle: 4
            claimTimeouts:
              create: 45s
            railway: {projectId: p, environmentId: e}
            source: {repo: acme/agents, branch: dev, rootDirectory: agent}
            xmtpEnv: production
            resyncCallsPerHour: 30
          other:
            platform: local
        """
        let dev = try #require(try load(yaml).environment)
        #expect(dev.settings.minIdle == 4)
        #expect(dev.settings.maxTotal == 8)
        #expect(dev.settings.stuckTimeout == 600)
        #expect(dev.settings.claimCreateTimeout == 45)
        #expect(dev.settings.claimJoinTimeout == 120)
        #expect(dev.settings.resyncCallsPerHour == 30)
        #expect(dev.allowedInviteHosts == ["popup.convos.org", "convos.org"])
        let other = try #require(try load(yaml, env: "other").environment)
        #expect(other.settings.minIdle == 2)
        #expect(other.platform == .local)
    }

    @Test func interpolationResolvesVariablesAndDefaults() throws {
        let yaml = """
        environments:
          dev:
            railway: {projectId: "${PID}", environmentId: "env-${SUFFIX:-x}"}
            source: {repo: acme/agents, branch: "${BRANCH:-dev}"}
            variables:
              API_TOKEN: ${TOKEN}
              GREETING: "hi ${WHO:-there}"
        """
        let e = try #require(try load(yaml, vars: ["PID": "p9", "TOKEN": "t0k", "WHO": "you"]).environment)
        #expect(e.railwayProjectId == "p9")
        #expect(e.railwayEnvironmentId == "env-x")
        #expect(e.branch == "dev")
        #expect(e.variables == ["API_TOKEN": "t0k", "GREETING": "hi you"])
        #expect(e.secretVariableNames == ["API_TOKEN"])
    }

    @Test func unselectedEnvironmentsNeedNoVariables() throws {
        let yaml = """
        environments:
          dev:
            railway: {projectId: p, environmentId: e}
            source: {repo: acme/agents}
          prod:
            railway: {projectId: "${PROD_PROJECT}", environmentId: e}
            source: {repo: acme/agents}
        """
        #expect(try load(yaml).environment?.name == "dev")
        let all = try load(yaml, env: nil)
        #expect(all.environment == nil)
        #expect(all.unresolvedReferences == ["PROD_PROJECT"])
        #expect(diagnostics(yaml, env: "prod").map(\.message) == [
            "environments.prod.railway.projectId: environment variable PROD_PROJECT is not set and has no default (write ${PROD_PROJECT:-default} to give one)"])
    }

    @Test func theShippedPoolYamlIsValidForEveryEnvironment() throws {
        let path = #filePath.components(separatedBy: "/Tests/")[0] + "/pool.yaml"
        let vars = ["RAILWAY_PROJECT_ID": "p", "RAILWAY_DEV_ENVIRONMENT_ID": "d", "RAILWAY_STAGING_ENVIRONMENT_ID": "s",
                    "RAILWAY_PRODUCTION_ENVIRONMENT_ID": "r", "POOL_API_KEY": "k", "OPENROUTER_API_KEY": "o"]
        let loader = SpecLoader(processEnvironment: vars)
        let names = try loader.load(path: path, environment: nil).environmentNames
        #expect(Set(names) == ["local", "dev", "staging", "production"])
        let dev = try #require(try loader.load(path: path, environment: "dev").environment)
        #expect(dev.xmtpEnv == .dev && dev.branch == "dev" && dev.openclawRef == "staging" && dev.rootDirectory == "agent")
        let devBranch = try #require(try SpecLoader(processEnvironment: vars.merging(["POOL_DEV_BRANCH": "feature-x"]) { $1 })
            .load(path: path, environment: "dev").environment)
        #expect(devBranch.branch == "feature-x")
        let staging = try #require(try loader.load(path: path, environment: "staging").environment)
        #expect(staging.branch == "staging" && staging.openclawRef == "staging" && staging.xmtpEnv == .dev)
        let prod = try #require(try loader.load(path: path, environment: "production").environment)
        #expect(prod.branch == "main" && prod.openclawRef == "main" && prod.xmtpEnv == .production)
        let local = try #require(try SpecLoader(processEnvironment: [:]).load(path: path, environment: "local").environment)
        #expect(local.platform == .local && local.instanceScheme == "http")
    }
}

@Suite struct SpecErrorTests {
    /// Every test names the exact line and column of the offending node.
    func expectOne(_ yaml: String, line: Int, column: Int, contains text: String,
                   env: String? = "dev", vars: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) {
        let d = diagnostics(yaml, env: env, vars: vars)
        #expect(d.count == 1, "expected one diagnostic, got \(d)", sourceLocation: sourceLocation)
        guard let first = d.first else { return }
        #expect(first.line == line && first.column == column, "at \(first.line):\(first.column): \(first.message)", sourceLocation: sourceLocation)
        #expect(first.message.contains(text), "message: \(first.message)", sourceLocation: sourceLocation)
        #expect(first.description.hasPrefix("pool.yaml:\(line):\(column): error: "), sourceLocation: sourceLocation)
    }

    @Test func unknownTopLevelKeySuggestsTheNearestOne() {
        expectOne("minIdel: 3\n" + minimalDev, line: 1, column: 1, contains: "unknown key 'minIdel' (did you mean 'minIdle'?)")
    }

    @Test func unknownEnvironmentKey() {
        expectOne(minimalDev + "\n    branch: main", line: 8, column: 5, contains: "environments.dev: unknown key 'branch'")
    }

    @Test func unknownNestedKey() {
        expectOne(minimalDev + "\n      ref: main", line: 8, column: 7, contains: "environments.dev.source: unknown key 'ref'")
    }

    @Test func wrongTypes() {
        expectOne("minIdle: three\n" + minimalDev, line: 1, column: 10, contains: "minIdle: expected a whole number, got 'three'")
        expectOne("maxTotal: [1, 2]\n" + minimalDev, line: 1, column: 11, contains: "maxTotal: expected a value, got a list")
        expectOne(minimalDev + "\n    allowedInviteHosts: dev.convos.org", line: 8, column: 25, contains: "expected a list of strings")
        expectOne("environments: [dev]", line: 1, column: 15, contains: "environments: expected a mapping, got a list")
    }

    @Test func negativeNumbers() {
        expectOne("minIdle: -1\n" + minimalDev, line: 1, column: 10, contains: "minIdle: expected a whole number of at least 0, got -1")
        expectOne("maxTotal: 0\n" + minimalDev, line: 1, column: 11, contains: "maxTotal: expected a whole number of at least 1, got 0")
    }

    @Test func minIdleAboveMaxTotal() {
        expectOne("minIdle: 5\nmaxTotal: 4\n" + minimalDev, line: 1, column: 10, contains: "minIdle: 5 is more than maxTotal 4")
        expectOne(minimalDev + "\n    minIdle: 11", line: 8, column: 14, contains: "environments.dev.minIdle: 11 is more than maxTotal 10")
    }

    @Test func badDurations() {
        expectOne("stuckTimeout: 15x\n" + minimalDev, line: 1, column: 15, contains: "'15x' is not a duration")
        expectOne("claimTimeouts:\n  join: soon\n" + minimalDev, line: 2, column: 9, contains: "claimTimeouts.join: 'soon' is not a duration")
        expectOne("tickInterval: 0s\n" + minimalDev, line: 1, column: 15, contains: "expected a duration above zero")
    }

    @Test func unknownXMTPEnv() {
        expectOne(minimalDev + "\n    xmtpEnv: staging", line: 8, column: 14, contains: "unknown value 'staging'; expected one of: dev, production")
    }

    @Test func emptyOrMalformedRepo() {
        expectOne(minimalDev.replacingOccurrences(of: "acme/agents", with: "\"\""), line: 7, column: 13, contains: "source.repo: expected a non-empty string")
        expectOne(minimalDev.replacingOccurrences(of: "acme/agents", with: "agents"), line: 7, column: 13, contains: "expected OWNER/NAME")
    }

    @Test func literalSecretsAreRejected() {
        for name in ["OPENAI_API_KEY", "GATEWAY_TOKEN", "MY_SECRET", "DB_PASSWORD", "TOKENISH"] {
            expectOne(minimalDev + "\n    variables:\n      \(name): sk-live-123", line: 9, column: 9 + name.count,
                      contains: "a secret must not be written in pool.yaml")
        }
        // A default would embed the secret in the file too.
        expectOne(minimalDev + "\n    variables:\n      API_KEY: ${API_KEY:-sk-live-123}", line: 9, column: 16,
                  contains: "a secret must not be written", vars: ["API_KEY": "x"])
        // Not secret-looking names may hold literals.
        #expect(diagnostics(minimalDev + "\n    variables:\n      XMTP_ENV: dev").isEmpty)
    }

    @Test func literalSecretsAreRejectedInUnselectedEnvironmentsToo() {
        expectOne(minimalDev + "\n  prod:\n    platform: local\n    variables:\n      API_KEY: abc", line: 11, column: 16,
                  contains: "a secret must not be written")
    }

    @Test func interpolationErrors() {
        expectOne(minimalDev.replacingOccurrences(of: "p1", with: "${PROJECT"), line: 4, column: 18, contains: "unterminated '${' reference")
        expectOne(minimalDev.replacingOccurrences(of: "p1", with: "${1X}"), line: 4, column: 18, contains: "'1X' is not a variable name")
        expectOne(minimalDev.replacingOccurrences(of: "p1", with: "${NOPE}"), line: 4, column: 18,
                  contains: "environment variable NOPE is not set")
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let d = diagnostics("environments:\n  dev: [unclosed\n")
        #expect(d.count == 1)
        #expect(d.first?.message.hasPrefix("YAML syntax") == true)
        #expect((d.first?.line ?? 0) >= 2)
    }

    @Test func missingPiecesAndUnknownEnvironment() {
        expectOne("minIdle: 1", line: 1, column: 1, contains: "missing key 'environments'")
        expectOne(minimalDev, line: 2, column: 3, contains: "no environment named 'qa'; this file has: dev", env: "qa")
        expectOne("environments:\n  dev:\n    source: {repo: a/b}", line: 2, column: 3, contains: "missing 'railway'")
        expectOne("", line: 1, column: 1, contains: "the file is empty")
    }

    @Test func duplicateKeys() {
        let d = diagnostics("minIdle: 1\nminIdle: 2\n" + minimalDev)
        #expect(d.count == 1)
        #expect(d.first?.line == 2)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = """
        minIdle: -2
        stuckTimeout: 15x
        bogus: 1
        environments:
          dev:
            xmtpEnv: moon
            railway: {projectId: p, environmentId: e}
            source: {repo: ""}
            variables:
              SECRET_THING: plain
        """
        let d = diagnostics(yaml)
        #expect(d.map(\.line) == [1, 2, 3, 6, 8, 10], "\(d.map(\.description))")
    }

    @Test func unreadableFile() {
        #expect(throws: SpecError.self) { try SpecLoader().load(path: "/nonexistent/pool.yaml", environment: nil) }
    }
}

/// Counterexamples found in review, kept as tests.
@Suite struct SpecReviewTests {
    @Test func errorsQuoteTheReferenceNeverTheSecretBehindIt() {
        let secret = "sk-live-SECRET1"
        let cases = ["minIdle: ${POOL_API_KEY}\n" + minimalDev,
                     "stuckTimeout: ${POOL_API_KEY}\n" + minimalDev,
                     minimalDev + "\n    instanceScheme: ${POOL_API_KEY}",
                     minimalDev.replacingOccurrences(of: "acme/agents", with: "${POOL_API_KEY}"),
                     "prefix: ${POOL_API_KEY}\n" + minimalDev]
        for yaml in cases {
            let d = diagnostics(yaml, vars: ["POOL_API_KEY": secret])
            #expect(d.count == 1, "\(d)")
            #expect(!d.description.contains(secret), "\(d)")
            #expect(d.first?.message.contains("${POOL_API_KEY}") == true, "\(d)")
        }
    }

    @Test func hugeDurationsAreErrorsNotCrashes() {
        for value in ["99999999999999999999h", "1" + String(repeating: "0", count: 400) + "s", "31d", "800h"] {
            let d = diagnostics("stuckTimeout: \(value)\n" + minimalDev)
            #expect(d.count == 1 && d.first?.line == 1, "\(value): \(d)")
        }
    }

    @Test func missingKeysAreReportedWhateverElseIsWrong() {
        let yaml = """
        minIdel: 3
        environments:
          dev:
            railway: {projectId: p1}
            source: {repo: acme/agents}
          prod:
            railway: {projectId: p2}
            source: {branch: main}
        """
        let d = diagnostics(yaml, env: nil)
        #expect(d.contains { $0.message.contains("did you mean 'minIdle'") })
        #expect(d.contains { $0.message == "environments.dev.railway: missing environmentId; expected both projectId and environmentId" })
        #expect(d.contains { $0.message == "environments.prod.railway: missing environmentId; expected both projectId and environmentId" })
        #expect(d.contains { $0.message.hasPrefix("environments.prod.source: missing repo; expected a repository OWNER/NAME") })
        #expect(diagnostics("minIdel: 3\n" + minimalDev, env: "qa").contains { $0.message.contains("no environment named 'qa'") })
    }

    @Test func duplicateKeysPointAtTheDuplicateNotANestedKey() {
        let d = diagnostics("minIdle: 1\nenvironments:\n  local:\n    platform: local\n    minIdle: 2\nminIdle: 3\n", env: "local")
        #expect(d.count == 1)
        #expect(d.first.map { ($0.line, $0.column) } ?? (0, 0) == (6, 1))
    }

    @Test func nestedReferencesInDefaultsAreErrors() {
        let d = diagnostics(minimalDev.replacingOccurrences(of: "p1", with: "${B:-${C}}"))
        #expect(d.map(\.message) == ["environments.dev.railway.projectId: a default may not contain another ${...} reference"])
    }

    @Test func portsOutOfRangeAreErrors() {
        let d = diagnostics(minimalDev + "\n    instancePort: 99999")
        #expect(d.map(\.message) == ["environments.dev.instancePort: expected a port from 1 to 65535, got 99999"])
    }
}
