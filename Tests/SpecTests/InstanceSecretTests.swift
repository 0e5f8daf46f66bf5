import Credentials
import Spec
import TestSupport
import Testing

/// Instance tokens and keyed revisions: derived, distinct, checked in constant time, and
/// rotated by version.
@Suite struct InstanceSecretTests {
    static let old = "old-instance-secret-0123456789abcdef0123"
    static let new = "new-instance-secret-fedcba9876543210fedc"

    @Test func tokensAre256BitsPerInstanceAndVersionAndNeverThePoolKey() throws {
        let s = TestCredentials.secrets
        let a = s.currentToken(instanceId: "a"), b = s.currentToken(instanceId: "b")
        #expect(a.count == 64 && a.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(a != b && a == s.currentToken(instanceId: "a"), "one token per instance, the same every time")
        #expect(!a.contains(TestCredentials.poolKey) && !a.contains(TestCredentials.secret))
        #expect(s.isToken(a, instanceId: "a", version: 1))
        #expect(!s.isToken(a, instanceId: "b", version: 1))
        #expect(!s.isToken(a.uppercased(), instanceId: "a", version: 1), "exactly the token")
        #expect(!s.isToken(String(a.dropLast()), instanceId: "a", version: 1))
        #expect(!s.isToken(TestCredentials.poolKey, instanceId: "a", version: 1))
        #expect(s.token(instanceId: "a", version: 2) == nil, "no secret of version 2 is held")
    }

    @Test func rotationKeepsThePreviousVersionsTokens() throws {
        let before = try #require(try InstanceSecrets.fromEnvironment(["POOL_INSTANCE_SECRET": Self.old]))
        let after = try #require(try InstanceSecrets.fromEnvironment([
            "POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_VERSION": "2", "POOL_INSTANCE_SECRET_PREVIOUS": Self.old]))
        let oldToken = before.currentToken(instanceId: "x")
        #expect(after.token(instanceId: "x", version: 1) == oldToken, "an instance of version 1 keeps its token")
        #expect(after.currentToken(instanceId: "x") != oldToken)
        #expect(after.versionOf(token: oldToken, instanceId: "x") == 1)
        #expect(after.versionOf(token: after.currentToken(instanceId: "x"), instanceId: "x") == 2)
        let credentials = InstanceCredentials(poolKey: "pool", secrets: after)
        #expect(credentials.kind(tokenVersion: nil, holdsPoolKey: true) == .poolKey
                && credentials.bearer(instanceId: "x", tokenVersion: nil, holdsPoolKey: true) == "pool")
        // Found without a record of being made with the pool key: never sent it.
        #expect(credentials.bearer(instanceId: "x", tokenVersion: nil) == after.currentToken(instanceId: "x"))
        #expect(credentials.kind(tokenVersion: 1) == .previous && credentials.kind(tokenVersion: 2) == .current)
        #expect(credentials.kind(tokenVersion: 7) == .unknown && credentials.bearer(instanceId: "x", tokenVersion: 7) == nil)
        #expect(!"\(after)".contains(Self.new) && !"\(after)".contains(Self.old), "a description shows versions only")
    }

    @Test func badEnvironmentsAreRefusedWithoutShowingTheValue() {
        let cases: [([String: String], InstanceSecretError)] = [
            (["POOL_INSTANCE_SECRET": "short"], .tooShort(variable: "POOL_INSTANCE_SECRET", length: 5)),
            (["POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_VERSION": "0"], .badVersion("0")),
            (["POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_VERSION": "two"], .badVersion("two")),
            (["POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_PREVIOUS": Self.old], .previousNeedsVersion),
            (["POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_VERSION": "2", "POOL_INSTANCE_SECRET_PREVIOUS": Self.new],
             .previousSameAsCurrent),
            (["POOL_INSTANCE_SECRET_PREVIOUS": Self.old], .previousWithoutCurrent),
            (["POOL_INSTANCE_SECRET": Self.new, "POOL_INSTANCE_SECRET_VERSION": "2", "POOL_INSTANCE_SECRET_PREVIOUS": "short"],
             .tooShort(variable: "POOL_INSTANCE_SECRET_PREVIOUS", length: 5)),
        ]
        for (env, expected) in cases {
            #expect(throws: expected) { try InstanceSecrets.fromEnvironment(env) }
            #expect(!expected.description.contains(Self.new) && !expected.description.contains("short\""))
        }
        #expect((try? InstanceSecrets.fromEnvironment([:])) == .some(nil), "unset: no secrets")
    }

    @Test func revisionsAreKeyedStableAndMoveWithTheSecret() throws {
        func revision(_ env: [String: String]) throws -> String {
            let yaml = "environments:\n  test:\n    platform: local\n    variables:\n      GREETING: hello\n"
            return try SpecLoader(processEnvironment: env).load(text: yaml, file: "pool.yaml", environment: "test").environment!.revision.hex
        }
        let keyed = try revision(["POOL_INSTANCE_SECRET": Self.old])
        #expect(keyed == (try revision(["POOL_INSTANCE_SECRET": Self.old])), "same inputs, same revision")
        #expect(keyed != (try revision([:])), "keyed: not the plain hash anyone could recompute")
        #expect(keyed != (try revision(["POOL_INSTANCE_SECRET": Self.new])), "a new secret is a new revision")
        #expect(keyed.count == 64)
        #expect(keyed == (try revision(["POOL_INSTANCE_SECRET": Self.old, "POOL_API_KEY": "a-rotated-pool-key"])),
                "rotating the pool key touches no instance")
        #expect(keyed != (try revision(["POOL_INSTANCE_SECRET": Self.old, "POOL_INSTANCE_SECRET_VERSION": "2",
                                        "POOL_INSTANCE_SECRET_PREVIOUS": Self.new])),
                "a new version is a new revision, even under the same secret")
    }

    @Test func aBadSecretIsASpecErrorThatNamesTheVariable() {
        let yaml = "environments:\n  test:\n    platform: local\n"
        #expect {
            _ = try SpecLoader(processEnvironment: ["POOL_INSTANCE_SECRET": "tiny-secret"]).load(text: yaml, file: "pool.yaml", environment: "test")
        } throws: { error in
            let text = "\(error)"
            return text.contains("POOL_INSTANCE_SECRET is 11 characters long") && !text.contains("tiny-secret")
        }
    }
}
