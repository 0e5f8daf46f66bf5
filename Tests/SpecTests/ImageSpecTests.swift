@testable import Spec
import Testing

@Suite struct ImageReferenceTests {
    @Test(arguments: [
        ("ghcr.io/xmtplabs/convos-runtime:production", "ghcr.io", "xmtplabs/convos-runtime", "production"),
        ("nginx", ImageReference.dockerHub, "library/nginx", nil),
        ("acme/agent:1.2.3", ImageReference.dockerHub, "acme/agent", "1.2.3"),
        ("localhost:5000/team/agent:dev", "localhost:5000", "team/agent", "dev"),
        ("127.0.0.1:5000/agent:v1", "127.0.0.1:5000", "agent", "v1"),
    ] as [(String, String, String, String?)])
    func parsesRegistryRepositoryAndTag(_ text: String, registry: String, repository: String, tag: String?) throws {
        let r = try #require(ImageReference.parse(text))
        #expect(r.registry == registry)
        #expect(r.repository == repository)
        #expect(r.tag == tag)
        #expect(r.digest == nil)
    }

    @Test func aDigestPinsIt() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let r = try #require(ImageReference.parse("ghcr.io/acme/agent:dev@\(digest)"))
        #expect(r.digest == digest && r.tag == "dev")
        #expect(r.pinned(to: digest) == "ghcr.io/acme/agent@\(digest)")
        #expect(r.reference == digest)
    }

    @Test(arguments: ["", "https://ghcr.io/acme/agent", "ghcr.io/Acme/agent:dev", "agent:", "agent@sha256:12",
                      "ghcr.io//agent", "agent:-bad", "with space:dev"])
    func refusesWhatIsNotAnImage(_ text: String) {
        #expect(ImageReference.parse(text) == nil, "\(text)")
    }
}

let imageDev = """
environments:
  dev:
    railway: {projectId: p1, environmentId: e1}
    source:
      image: ghcr.io/acme/runtime:dev
"""

@Suite struct ImageSpecTests {
    let digestA = "sha256:" + String(repeating: "a", count: 64)
    let digestB = "sha256:" + String(repeating: "b", count: 64)

    @Test func anImageSourceLoadsWithoutARepo() throws {
        let e = try #require(try load(imageDev).environment)
        #expect(e.image?.tagged == "ghcr.io/acme/runtime:dev")
        #expect(e.repo.isEmpty)
        #expect(e.imageCheckInterval == 60)
        // Not resolved yet: nothing to create from.
        #expect(e.imageUnresolved && e.pinnedImage == nil)
    }

    @Test func theDigestIsPartOfTheRevision() throws {
        var e = try #require(try load(imageDev).environment)
        e.imageDigest = digestA
        let a = e.revision
        #expect(e.pinnedImage == "ghcr.io/acme/runtime@\(digestA)")
        e.imageDigest = digestB
        #expect(e.revision != a, "a moved tag is a new revision")
        e.imageDigest = digestA
        #expect(e.revision == a)
    }

    /// Upgrading the controller rolls nothing: a repo pool in a shared project keeps the
    /// revision it had before images and placements existed.
    @Test func aRepoPoolKeepsItsRevision() throws {
        let e = try #require(try load(minimalDev).environment)
        let before = Revision.of(repo: e.repo, branch: e.branch, rootDirectory: e.rootDirectory, openclawRef: e.openclawRef,
                                 xmtpEnv: e.xmtpEnv.rawValue, variables: e.variables)
        #expect(e.revision == before)
        // The image's field name holds a '.', which no variable name may: a variable can
        // never pass for it.
        #expect(!Interpolation.isValidName("source.image"))
        let d = diagnostics(minimalDev + "\n    variables: {source.image: x}")
        #expect(d.contains { $0.message.contains("'source.image' is not a variable name") })
    }

    @Test func projectPerInstanceReadsItsKeysAndIsANewRevision() throws {
        let yaml = """
        environments:
          dev:
            railway:
              placement: projectPerInstance
              workspaceId: ${RAILWAY_WORKSPACE_ID}
              projectCreateInterval: 45s
            source:
              image: ghcr.io/acme/runtime:dev
        """
        let e = try #require(try load(yaml, vars: ["RAILWAY_WORKSPACE_ID": "ws-1"]).environment)
        #expect(e.railway.placement == .projectPerInstance)
        #expect(e.railway.workspaceId == "ws-1")
        #expect(e.railway.projectCreateInterval == 45)
        #expect(e.railwayProjectId == nil)
        let shared = try #require(try load(imageDev).environment)
        #expect(e.revision != shared.revision, "moving placement replaces idle instances")
    }

    @Test func registryCredentialsComeFromTheEnvironment() throws {
        let yaml = imageDev + """

              registryCredentials: {username: "${REGISTRY_USERNAME}", password: "${REGISTRY_PASSWORD}"}
              imageCheckInterval: 5m
        """
        let e = try #require(try load(yaml, vars: ["REGISTRY_USERNAME": "bot", "REGISTRY_PASSWORD": "pat-123456"]).environment)
        #expect(e.registryCredentials == RegistryCredentials(username: "bot", password: "pat-123456"))
        #expect(e.imageCheckInterval == 300)
        let d = diagnostics(yaml, vars: ["REGISTRY_USERNAME": "bot", "REGISTRY_PASSWORD": "pat-123456"])
        #expect(d.isEmpty)
    }

    @Test func maxServicesPerProjectDefaultsToRailwaysReportedCap() throws {
        let e = try #require(try load(minimalDev).environment)
        #expect(e.railway.maxServicesPerProject == 100 && e.railway.placement == .sharedProject)
        let raised = try #require(try load(minimalDev.replacingOccurrences(of: "environmentId: e1", with: "environmentId: e1\n      maxServicesPerProject: 40")).environment)
        #expect(raised.railway.maxServicesPerProject == 40)
    }
}
