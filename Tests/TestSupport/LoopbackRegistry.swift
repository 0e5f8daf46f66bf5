import Foundation
import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// An OCI registry on loopback, as much of one as resolving a tag needs: `HEAD
/// /v2/<name>/manifests/<tag>` answers 401 with a Bearer challenge until it gets the
/// token `GET /token` hands out, then the tag's digest in `Docker-Content-Digest`. Tags
/// move with `set`; `misbehave` makes it answer nonsense. Call `stop()` when done.
public actor LoopbackRegistry {
    public enum Misbehaviour: Sendable { case none, noDigestHeader, notADigest, serverError }

    public private(set) var baseURL = ""
    /// `name:tag` → digest.
    private var tags: [String: String] = [:]
    private var misbehaviour = Misbehaviour.none
    /// `user:password` the token endpoint requires; nil: anonymous pulls.
    private var login: String?
    public private(set) var manifestHeads = 0
    public private(set) var tokenRequests = 0
    /// The Accept header of the last manifest request.
    public private(set) var lastAccept: String?
    private var task: Task<Void, Never>?
    static let token = "pull-token-5f3c"

    public init() {}

    public func set(_ image: String, tag: String, digest: String) { tags["\(image):\(tag)"] = digest }
    public func misbehave(_ m: Misbehaviour) { misbehaviour = m }
    public func requireLogin(user: String, password: String) { login = "\(user):\(password)" }

    public func start() async throws {
        let router = Router()
        router.get("token") { [self] request, _ -> Response in
            await self.tokenAnswer(request.headers[.authorization])
        }
        router.head("v2/**") { [self] request, _ -> Response in
            await self.manifestAnswer(path: request.uri.path, authorization: request.headers[.authorization],
                                      accept: request.headers[.accept])
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              },
                              logger: quiet)
        task = Task { try? await app.run(); continuation.finish() }
        var bound = 0
        for await p in ports { bound = p }
        baseURL = "http://127.0.0.1:\(bound)"
    }

    public func stop() async {
        task?.cancel()
        await task?.value
    }

    func tokenAnswer(_ authorization: String?) -> Response {
        tokenRequests += 1
        if let login {
            let expected = "Basic " + Data(login.utf8).base64EncodedString()
            guard authorization == expected else { return Response(status: .unauthorized) }
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: "{\"token\":\"\(Self.token)\"}")))
    }

    func manifestAnswer(path: String, authorization: String?, accept: String?) -> Response {
        manifestHeads += 1
        lastAccept = accept
        guard authorization == "Bearer \(Self.token)" else {
            var headers = HTTPFields()
            headers[HTTPField.Name("WWW-Authenticate")!] = "Bearer realm=\"\(baseURL)/token\",service=\"loopback\",scope=\"repository:x:pull\""
            return Response(status: .unauthorized, headers: headers)
        }
        // /v2/<name>/manifests/<tag>
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "v2", parts[parts.count - 2] == "manifests" else { return Response(status: .notFound) }
        let key = parts[1..<(parts.count - 2)].joined(separator: "/") + ":" + parts[parts.count - 1]
        guard let digest = tags[key] else { return Response(status: .notFound) }
        var headers = HTTPFields()
        switch misbehaviour {
        case .none: headers[HTTPField.Name("Docker-Content-Digest")!] = digest
        case .noDigestHeader: break
        case .notADigest: headers[HTTPField.Name("Docker-Content-Digest")!] = "md5:not-a-digest"
        case .serverError: return Response(status: .internalServerError)
        }
        return Response(status: .ok, headers: headers)
    }
}
