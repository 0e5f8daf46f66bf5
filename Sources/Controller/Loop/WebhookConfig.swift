import Foundation
import Spec

/// Where Railway delivers the pool's webhooks, and the secret in that URL: on when the
/// environment has a public URL (`publicUrl` in pool.yaml, else `POOL_PUBLIC_URL`),
/// `POOL_WEBHOOK_SECRET` is set, and the pool runs on Railway with a workspace (a
/// notification rule belongs to one). Otherwise webhooks are off, with the reason.
public struct WebhookConfig: Sendable, Equatable {
    /// `POOL_WEBHOOK_SECRET`: the last path segment of the URL Railway posts to. Not the
    /// pool key: Railway keeps this URL, and it opens nothing but the webhook route.
    public var secret: String
    public var publicUrl: String
    public var workspaceId: String
    /// Marks this pool's rules among the workspace's (`?pool=` in the URL), so an old URL
    /// or secret of the same pool is recognised and replaced, and another pool's left alone.
    public var marker: String

    /// The deployment events the pool reacts to (Railway's names; matched without regard to
    /// case on delivery): each starts a tick; deployed and resumed ones make their instance
    /// probed at once.
    public static let eventTypes = ["Deployment.deployed", "Deployment.crashed", "Deployment.failed",
                                    "Deployment.oom_killed", "Deployment.slept", "Deployment.resumed"]

    /// Whether a webhook URL is one of this pool's rules (any secret, any base URL): its
    /// path is the webhook route and its `pool` query names this pool's marker.
    public func isOurs(_ url: String) -> Bool {
        guard let parts = URLComponents(string: url) else { return false }
        return parts.path.contains("/webhooks/railway/") && parts.percentEncodedQuery == "pool=\(marker)"
    }

    /// The shortest secret accepted: it is the webhook route's only credential.
    public static let minimumSecretLength = 24

    /// The delivery URL: `<publicUrl>/webhooks/railway/<secret>?pool=<marker>`.
    public var url: String {
        "\(publicUrl)/webhooks/railway/\(secret)?pool=\(marker)"
    }

    /// The configuration for `spec` in `environment`, or why webhooks are off. A bad value
    /// (a short secret, a malformed URL) is an error, never a silent off.
    public static func resolve(spec: EnvironmentSpec, environment: [String: String]) throws(WebhookConfigError) -> Result<WebhookConfig, Off> {
        let secret = environment["POOL_WEBHOOK_SECRET"] ?? ""
        let fromEnvironment = environment["POOL_PUBLIC_URL"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        if let url = fromEnvironment, let problem = SpecLoader.publicURLProblem(url) {
            throw .badPublicURL(problem)
        }
        guard let publicUrl = spec.publicUrl ?? fromEnvironment.map(SpecLoader.trimmedURL) else {
            return .failure(Off("no public URL (publicUrl in pool.yaml or POOL_PUBLIC_URL)"))
        }
        guard !secret.isEmpty else { return .failure(Off("POOL_WEBHOOK_SECRET is not set")) }
        guard secret.count >= minimumSecretLength,
              secret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw .badSecret
        }
        if let key = environment["POOL_API_KEY"], !key.isEmpty, key == secret { throw .secretIsPoolKey }
        guard spec.platform == .railway else { return .failure(Off("the local platform sends no webhooks")) }
        guard let workspaceId = spec.railway.workspaceId else {
            return .failure(Off("railway.workspaceId is not set (a notification rule belongs to a workspace)"))
        }
        let marker = "\(spec.prefix).\(spec.name)".addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._"))) ?? spec.prefix
        return .success(WebhookConfig(secret: secret, publicUrl: publicUrl, workspaceId: workspaceId, marker: marker))
    }

    /// Why webhooks are off.
    public struct Off: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}

/// A webhook setting that is set but wrong: the server refuses to start rather than run
/// without the webhooks the operator asked for. Never quotes the secret.
public enum WebhookConfigError: Error, Equatable, CustomStringConvertible {
    case badSecret
    case secretIsPoolKey
    case badPublicURL(String)

    public var description: String {
        switch self {
        case .badSecret:
            "POOL_WEBHOOK_SECRET must be at least \(WebhookConfig.minimumSecretLength) characters of letters, digits, '-' and '_' (it is a URL path segment), e.g. `openssl rand -hex 32`"
        case .secretIsPoolKey:
            "POOL_WEBHOOK_SECRET must differ from POOL_API_KEY: Railway keeps the webhook URL, and the pool key opens the whole API"
        case .badPublicURL(let problem):
            "POOL_PUBLIC_URL: \(problem)"
        }
    }
}
