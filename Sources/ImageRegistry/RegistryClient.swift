import AsyncHTTPClient
import Foundation
import NIOCore
import Spec

/// Turns an image tag into the digest it points at now.
public protocol DigestResolving: Sendable {
    /// `sha256:` and 64 hex characters; throws `RegistryError` for anything else.
    func digest(of image: ImageReference, credentials: RegistryCredentials?) async throws -> String
}

/// The OCI distribution protocol, as `docker pull` speaks it: a `HEAD` of the manifest
/// with the OCI index and Docker manifest types accepted, the digest from the
/// `Docker-Content-Digest` header. A `401` with a `Bearer` challenge is answered with a
/// pull token from the challenge's realm (anonymous, or with the registry credentials).
public struct RegistryClient: DigestResolving {
    /// Overrides `https://<registry host>` (`POOL_REGISTRY_BASE_URL`): tests point it at
    /// a registry on loopback.
    public var baseURL: String?
    public var timeout: Duration
    let httpClient: HTTPClient

    public static let manifestTypes = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]

    public init(baseURL: String? = nil, timeout: Duration = .seconds(5), httpClient: HTTPClient = .shared) {
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.timeout = timeout
        self.httpClient = httpClient
    }

    /// From the process environment: `POOL_REGISTRY_BASE_URL`, when set.
    public static func fromEnvironment(_ env: [String: String]) -> RegistryClient {
        RegistryClient(baseURL: env["POOL_REGISTRY_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 })
    }

    public func digest(of image: ImageReference, credentials: RegistryCredentials?) async throws -> String {
        if let pinned = image.digest { return pinned }
        let url = "\(baseURL ?? "https://\(image.registry)")/v2/\(image.repository)/manifests/\(image.reference)"
        var answer = try await head(url, authorization: nil)
        if answer.status == 401, let challenge = answer.challenge {
            let token = try await pullToken(challenge, image: image, credentials: credentials)
            answer = try await head(url, authorization: "Bearer \(token)")
        }
        guard answer.status == 200 else {
            throw RegistryError.status(answer.status, image: image.tagged)
        }
        guard let digest = answer.digest, ImageReference.isDigest(digest) else {
            throw RegistryError.nonsense(image: image.tagged,
                                         detail: "no sha256 Docker-Content-Digest header (got \(answer.digest.map { "\"\($0.prefix(80))\"" } ?? "none"))")
        }
        return digest
    }

    struct Answer {
        var status: Int
        var digest: String?
        var challenge: String?
    }

    func head(_ url: String, authorization: String?) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .HEAD
        request.headers.add(name: "Accept", value: Self.manifestTypes.joined(separator: ", "))
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
            return Answer(status: Int(response.status.code), digest: response.headers.first(name: "Docker-Content-Digest"),
                          challenge: response.headers.first(name: "WWW-Authenticate"))
        } catch {
            throw RegistryError.unreachable("\(error)")
        }
    }

    /// `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"`.
    func pullToken(_ challenge: String, image: ImageReference, credentials: RegistryCredentials?) async throws -> String {
        let fields = Self.challengeFields(challenge)
        guard challenge.lowercased().hasPrefix("bearer"), let realm = fields["realm"],
              realm.hasPrefix("https://") || realm.hasPrefix("http://") else {
            throw RegistryError.nonsense(image: image.tagged, detail: "a 401 without a Bearer challenge with a realm")
        }
        var query = [("scope", fields["scope"] ?? "repository:\(image.repository):pull")]
        if let service = fields["service"] { query.insert(("service", service), at: 0) }
        guard var components = URLComponents(string: realm) else {
            throw RegistryError.nonsense(image: image.tagged, detail: "the challenge's realm is not a URL")
        }
        let existing = components.queryItems ?? []
        components.queryItems = existing + query.map { URLQueryItem(name: $0.0, value: $0.1) }
        guard let url = components.string else {
            throw RegistryError.nonsense(image: image.tagged, detail: "the challenge's realm is not a URL")
        }
        // A login goes only over TLS, unless this client was pointed at a registry of its
        // own (`POOL_REGISTRY_BASE_URL`, e.g. on loopback in tests) and the token endpoint is
        // on that same host.
        let ownHost = baseURL.flatMap { URLComponents(string: $0)?.host } == components.host && components.host != nil
        if credentials != nil, !url.hasPrefix("https://"), !ownHost {
            throw RegistryError.nonsense(image: image.tagged, detail: "its token endpoint is not https; the registry login is not sent over plain http")
        }
        var request = HTTPClientRequest(url: url)
        if let credentials {
            let basic = Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(basic)")
        }
        struct TokenAnswer: Decodable {
            var token: String?
            var access_token: String?
        }
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(timeout))
            guard response.status == .ok else { throw RegistryError.status(Int(response.status.code), image: image.tagged) }
            body = try await response.body.collect(upTo: 64 * 1024)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw RegistryError.unreachable("\(error)")
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: Data(body.readableBytesView)),
              let token = answer.token ?? answer.access_token, !token.isEmpty else {
            throw RegistryError.nonsense(image: image.tagged, detail: "the token endpoint answered no token")
        }
        return token
    }

    static func challengeFields(_ challenge: String) -> [String: String] {
        var fields: [String: String] = [:]
        let parameters = challenge.drop { $0 != " " }
        var rest = Substring(parameters)
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " ,"))
            rest = rest[rest.index(after: eq)...]
            let value: Substring
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let close = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = rest[..<close]
                rest = close < rest.endIndex ? rest[rest.index(after: close)...] : ""
            } else {
                let comma = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<comma]
                rest = rest[comma...]
            }
            fields[key.lowercased()] = String(value)
        }
        return fields
    }
}

/// Why a tag could not be resolved. Never holds credentials.
public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case unreachable(String)
    case status(Int, image: String)
    case nonsense(image: String, detail: String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "the image registry could not be reached: \(detail)"
        case .status(let code, let image): "the image registry answered HTTP \(code) for \(image)"
        case .nonsense(let image, let detail): "the image registry's answer for \(image) makes no sense: \(detail)"
        }
    }
}
