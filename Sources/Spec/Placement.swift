import Credentials
import Foundation

/// Where a Railway pool's instances live.
public enum Placement: String, Equatable, Sendable, Codable, CaseIterable {
    /// Every instance a service of one project and environment (`railway.projectId`,
    /// `railway.environmentId`): one private network for all of them.
    case sharedProject
    /// Each instance alone in a project of its own, in `railway.workspaceId`.
    case projectPerInstance
}

/// The `railway:` block of an environment, resolved.
public struct RailwaySpec: Equatable, Sendable {
    public var placement: Placement = .sharedProject
    /// The shared project and environment; in `projectPerInstance` they are optional and,
    /// when set, name where the instances of a pool being moved still live.
    public var projectId: String?
    public var environmentId: String?
    /// Required by `projectPerInstance`: where the instances' projects are created.
    public var workspaceId: String?
    /// Railway's pace for `projectCreate`, per token (one project per 30 s per user).
    public var projectCreateInterval: TimeInterval = 30
    /// Services one project may hold (Railway's reported cap); bounds `sharedProject`.
    public var maxServicesPerProject = 100
    /// Whether creates reuse empty projects of the pool's. Not a pool.yaml key: always on,
    /// switched off only by `poolctl bench placement` to measure what reuse saves.
    public var reuseEmptyProjects = true

    public init() {}
}

/// A container image reference: `[registry/]repository[:tag][@sha256:...]`, as Docker
/// reads it. A name without a registry host is on Docker Hub.
public struct ImageReference: Equatable, Sendable, CustomStringConvertible {
    /// The registry host, with its port if any, e.g. `ghcr.io`, `localhost:5000`.
    public var registry: String
    /// e.g. `xmtplabs/convos-runtime`; `library/NAME` for Docker Hub's official images.
    public var repository: String
    public var tag: String?
    /// `sha256:` and 64 hex characters.
    public var digest: String?

    public static let dockerHub = "registry-1.docker.io"

    /// `registry/repository:tag`, as written (without the digest).
    public var tagged: String { "\(registry)/\(repository)" + (tag.map { ":\($0)" } ?? "") }
    /// `registry/repository@sha256:...`: what an instance is created from.
    public func pinned(to digest: String) -> String { "\(registry)/\(repository)@\(digest)" }
    public var description: String { digest.map { pinned(to: $0) } ?? tagged }
    /// The tag the registry is asked about (`latest` when none is written).
    public var reference: String { digest ?? tag ?? "latest" }

    /// Nil when `text` is not an image reference.
    public static func parse(_ text: String) -> ImageReference? {
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "\"" }), !text.contains("://") else { return nil }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard isDigest(d) else { return nil }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            guard let t = tag, isTag(t) else { return nil }
        }
        var parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        var registry = dockerHub
        if parts.count > 1, parts[0].contains(".") || parts[0].contains(":") || parts[0] == "localhost" {
            registry = parts.removeFirst()
        }
        if registry == dockerHub, parts.count == 1 { parts.insert("library", at: 0) }
        guard parts.allSatisfy(isPathComponent) else { return nil }
        return ImageReference(registry: registry, repository: parts.joined(separator: "/"), tag: tag, digest: digest)
    }

    public static func isDigest(_ d: String) -> Bool {
        d.hasPrefix("sha256:") && d.count == 71 && d.dropFirst(7).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func isTag(_ t: String) -> Bool {
        (1...128).contains(t.count) && t.first != "." && t.first != "-"
            && t.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    static func isPathComponent(_ c: String) -> Bool {
        c.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
            && c.first.map { $0.isLetter || $0.isNumber } == true
    }
}

/// Credentials of a private registry, from secret references only. Never print them.
public typealias RegistryCredentials = RegistryLogin
