import Foundation
import ImageRegistry
import Spec
import TestSupport
import Testing

/// The OCI digest lookup over real HTTP against a registry on loopback.
@Suite struct RegistryClientTests {
    static let digestA = "sha256:" + String(repeating: "1", count: 64)
    static let digestB = "sha256:" + String(repeating: "2", count: 64)
    let image = ImageReference.parse("ghcr.io/acme/runtime:production")!

    func withRegistry(_ body: (LoopbackRegistry, RegistryClient) async throws -> Void) async throws {
        let registry = LoopbackRegistry()
        try await registry.start()
        await registry.set("acme/runtime", tag: "production", digest: Self.digestA)
        let client = RegistryClient.fromEnvironment(["POOL_REGISTRY_BASE_URL": await registry.baseURL])
        do { try await body(registry, client) } catch { await registry.stop(); throw error }
        await registry.stop()
    }

    @Test func anAnonymousPullTokenThenTheDigestHeader() async throws {
        try await withRegistry { registry, client throws in
            #expect(try await client.digest(of: image, credentials: nil) == Self.digestA)
            #expect(await registry.tokenRequests == 1)
            #expect(await registry.manifestHeads == 2, "a challenge, then the answer")
            let accept = await registry.lastAccept ?? ""
            #expect(accept.contains("application/vnd.oci.image.index.v1+json") && accept.contains("application/vnd.docker.distribution.manifest.v2+json"))
            await registry.set("acme/runtime", tag: "production", digest: Self.digestB)
            #expect(try await client.digest(of: image, credentials: nil) == Self.digestB, "a moved tag")
        }
    }

    @Test func aPrivateRegistryGetsTheLoginOnlyAtItsTokenEndpoint() async throws {
        try await withRegistry { registry, client throws in
            await registry.requireLogin(user: "bot", password: "pat-secret-1")
            await #expect(throws: RegistryError.status(401, image: image.tagged)) { try await client.digest(of: image, credentials: nil) }
            let digest = try await client.digest(of: image, credentials: RegistryCredentials(username: "bot", password: "pat-secret-1"))
            #expect(digest == Self.digestA)
        }
    }

    @Test func nonsenseAndFailuresAreErrorsNeverADigest() async throws {
        try await withRegistry { registry, client throws in
            await registry.misbehave(.noDigestHeader)
            await #expect { try await client.digest(of: image, credentials: nil) } throws: { "\($0)".contains("no sha256 Docker-Content-Digest") }
            await registry.misbehave(.notADigest)
            await #expect { try await client.digest(of: image, credentials: nil) } throws: { "\($0)".contains("md5:not-a-digest") }
            await registry.misbehave(.serverError)
            await #expect(throws: RegistryError.status(500, image: image.tagged)) { try await client.digest(of: image, credentials: nil) }
            await registry.misbehave(.none)
            let unknown = ImageReference.parse("ghcr.io/acme/runtime:nope")!
            await #expect(throws: RegistryError.status(404, image: unknown.tagged)) { try await client.digest(of: unknown, credentials: nil) }
        }
        // Nothing listening.
        let closed = RegistryClient(baseURL: "http://127.0.0.1:9", timeout: .seconds(2))
        await #expect { try await closed.digest(of: image, credentials: nil) } throws: { "\($0)".hasPrefix("the image registry could not be reached") }
    }

    /// A login is sent over plain http only to the token endpoint of the registry the
    /// client was pointed at, never to another host a challenge names.
    @Test func aLoginNeverGoesToAnotherPlainHTTPHost() async throws {
        try await withRegistry { registry, _ throws in
            // The challenge names 127.0.0.1; this client was pointed at localhost.
            let port = (await registry.baseURL).split(separator: ":").last!
            let client = RegistryClient(baseURL: "http://localhost:\(port)")
            let login = RegistryCredentials(username: "bot", password: "pat-secret-1")
            await #expect { try await client.digest(of: image, credentials: login) } throws: { "\($0)".contains("not sent over plain http") }
            #expect(await registry.tokenRequests == 0)
            #expect(try await client.digest(of: image, credentials: nil) == Self.digestA, "anonymous pulls may go")
        }
    }

    @Test func aReferencePinnedByDigestAsksNobody() async throws {
        let pinned = ImageReference.parse("ghcr.io/acme/runtime@\(Self.digestA)")!
        let closed = RegistryClient(baseURL: "http://127.0.0.1:9", timeout: .seconds(1))
        #expect(try await closed.digest(of: pinned, credentials: nil) == Self.digestA)
    }
}
