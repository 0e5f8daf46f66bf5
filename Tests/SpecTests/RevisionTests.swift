@testable import Spec
import Testing

@Suite struct RevisionTests {
    let base = (repo: "acme/agents", branch: "main", root: "agent", ref: "main", xmtp: "dev")

    func rev(_ vars: [String: String] = ["A": "1", "B": "2"], repo: String = "acme/agents", branch: String = "main",
             root: String = "agent", ref: String = "main", xmtp: String = "dev") -> Revision {
        Revision.of(repo: repo, branch: branch, rootDirectory: root, openclawRef: ref, xmtpEnv: xmtp, variables: vars)
    }

    @Test func stableAndHex() {
        #expect(rev() == rev())
        #expect(rev().hex.count == 64)
        #expect(rev().short.count == 12)
        #expect(rev().hex.allSatisfy { "0123456789abcdef".contains($0) })
    }

    @Test func everyShapingInputChangesIt() {
        let r = rev()
        #expect(rev(repo: "acme/other") != r)
        #expect(rev(branch: "dev") != r)
        #expect(rev(root: "") != r)
        #expect(rev(ref: "staging") != r)
        #expect(rev(xmtp: "production") != r)
        #expect(rev(["A": "1", "B": "3"]) != r)
        #expect(rev(["A": "1"]) != r)
        // Field boundaries cannot be forged by moving characters between fields.
        #expect(rev(["AB": "1"]) != rev(["A": "B1"]))
        #expect(rev(branch: "ma", root: "inagent") != rev(branch: "main", root: "agent"))
    }

    @Test func keyOrderInTheFileDoesNotMatter() throws {
        let a = """
        environments:
          dev:
            railway: {projectId: p, environmentId: e}
            source: {repo: acme/agents, branch: dev, rootDirectory: agent}
            variables: {ONE: "1", TWO: "2"}
        """
        let b = """
        environments:
          dev:
            variables: {TWO: "2", ONE: "1"}
            source: {rootDirectory: agent, branch: dev, repo: acme/agents}
            railway: {environmentId: e, projectId: p}
        """
        #expect(try load(a).environment?.revision == load(b).environment?.revision)
        // Pool numbers do not shape a built instance.
        #expect(try load(a).environment?.revision == load("minIdle: 1\n" + a).environment?.revision)
    }

    @Test func theSecretNeverAppearsInTheRevision() {
        let secret = "sk-live-abcdef0123456789"
        let r = rev(["API_KEY": secret])
        #expect(!r.hex.contains(secret) && !r.description.contains(secret))
        #expect(r != rev(["API_KEY": secret + "x"]))
    }
}

@Suite struct DurationAndInterpolationTests {
    @Test func durations() {
        #expect(DurationText.parse("500ms") == 0.5)
        #expect(DurationText.parse("30s") == 30)
        #expect(DurationText.parse("15m") == 900)
        #expect(DurationText.parse("1h30m") == 5400)
        #expect(DurationText.parse("1.5s") == 1.5)
        for bad in ["", "15", "15x", "m", "-5s", "5 s", "1h30"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(900) == "15m")
        #expect(DurationText.format(3600) == "1h")
        #expect(DurationText.format(45) == "45s")
        #expect(DurationText.format(0.25) == "250ms")
    }

    @Test func interpolation() throws {
        #expect(try Interpolation.resolve("a${X}b${Y:-d}c", environment: ["X": "1"]) == "a1bdc")
        #expect(try Interpolation.resolve("${X:-}", environment: [:]) == "")
        #expect(try Interpolation.resolve("$HOME and $", environment: [:]) == "$HOME and $")
        #expect(throws: Interpolation.Failure.unset("Z")) { try Interpolation.resolve("${Z}", environment: [:]) }
        #expect(Interpolation.isBareReference("${K}"))
        #expect(!Interpolation.isBareReference("${K:-v}"))
        #expect(!Interpolation.isBareReference("x${K}"))
    }
}
