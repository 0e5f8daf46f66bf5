import Credentials
import Foundation

/// The pool numbers: defaults at the top of pool.yaml, each overridable per environment.
public struct PoolSettings: Equatable, Sendable, Codable {
    public var minIdle = 3
    public var maxTotal = 10
    /// How long a new or unreachable instance may take to become healthy before it is dead.
    public var stuckTimeout: TimeInterval = 15 * 60
    public var tickInterval: TimeInterval = 30
    public var probeTimeout: TimeInterval = 5
    public var claimCreateTimeout: TimeInterval = 60
    public var claimJoinTimeout: TimeInterval = 90
    /// At most this many new instances per tick, so a burst never floods the platform.
    public var createsPerTick = 3
    /// Stop creating after this many consecutive failed builds of the current revision.
    public var failureBackoff = 5
    /// With Railway's webhooks healthy, a full observation (every service listed, every
    /// instance probed) runs this often; the ticks between list nothing.
    public var resyncInterval: TimeInterval = 5 * 60
    /// Railway calls per hour the resyncs may spend; nil: one per `resyncInterval` (12 at
    /// 5m). A full listing takes one call per page (500 services, or 50 projects), so a
    /// larger pool's resync reads a page at a time at this pace: 20 pages at 12 an hour
    /// take 100 minutes a round, and no hour spends more. Probes keep `resyncInterval`.
    public var resyncCallsPerHour: Int?
    /// `resyncCallsPerHour`, or what one page per `resyncInterval` costs.
    public var resyncBudget: Int { resyncCallsPerHour ?? max(1, Int((3_600 / max(1, resyncInterval)).rounded(.down))) }
    /// No webhook for this long while deploys are in flight: back to observing every tick.
    public var webhookStaleAfter: TimeInterval = 15 * 60

    public init() {}
}

public enum PlatformKind: String, Equatable, Sendable, Codable {
    case railway, local
}

public enum XMTPEnv: String, Equatable, Sendable, Codable, CaseIterable {
    case dev, production

    /// Invite hosts a join URL may point at on this network (docs/agent-contract.md section 6).
    public var defaultInviteHosts: [String] {
        switch self {
        case .dev: ["dev.convos.org"]
        case .production: ["popup.convos.org", "convos.org"]
        }
    }
}

/// One environment of pool.yaml, resolved: defaults applied, overrides merged,
/// `${VAR}` references interpolated.
public struct EnvironmentSpec: Equatable, Sendable {
    public var name: String
    public var prefix: String
    public var settings: PoolSettings
    public var platform: PlatformKind
    /// Placement, ids and pacing on Railway (defaults when `platform: local`).
    public var railway = RailwaySpec()
    public var railwayProjectId: String? { railway.projectId }
    public var railwayEnvironmentId: String? { railway.environmentId }
    /// The repo source; empty when instances run a pre-built image.
    public var repo: String
    public var branch: String
    public var rootDirectory: String
    /// `source.image` as written (a tag), when instances run a pre-built image.
    public var image: ImageReference?
    /// What the registry said the tag points at (`sha256:...`), set by the controller at
    /// most once per `imageCheckInterval`; the last known one stays when the registry fails.
    /// Part of the revision: a moved tag rolls idle instances.
    public var imageDigest: String?
    public var imageCheckInterval: TimeInterval = 60
    public var registryCredentials: RegistryCredentials?
    public var openclawRef: String
    public var xmtpEnv: XMTPEnv
    /// Instance variables with secrets resolved. Never print these values.
    public var variables: [String: String]
    public var allowedInviteHosts: [String]
    /// `https` in production; `http` lets tests reach instances on loopback.
    public var instanceScheme: String
    public var instancePort: Int
    /// Where Railway reaches this manager (`https://pool.example.com`): webhooks are
    /// registered at `<publicUrl>/webhooks/railway/<secret>`. Nil: from `POOL_PUBLIC_URL`,
    /// else webhooks are off and the loop observes every tick.
    public var publicUrl: String? = nil
    /// Names of variables whose values are secrets (from `${VAR}` references): redact them.
    public var secretVariableNames: Set<String>
    /// From the process environment (`POOL_INSTANCE_SECRET` and its rotation variables);
    /// nil when unset. The revision is keyed under it; instances' tokens derive from it.
    public var instanceSecrets: InstanceSecrets?

    public var revision: Revision {
        Revision.of(repo: repo, branch: branch, rootDirectory: rootDirectory,
                    openclawRef: openclawRef, xmtpEnv: xmtpEnv.rawValue, variables: variables,
                    image: image.map { img in imageDigest.map { img.pinned(to: $0) } ?? img.description },
                    placement: railway.placement == .sharedProject ? nil : railway.placement.rawValue,
                    key: instanceSecrets)
    }

    /// What new instances are created from: `registry/name@sha256:...` once the digest is
    /// known; nil for a repo source, or while an image's digest is still unknown.
    public var pinnedImage: String? {
        guard let image else { return nil }
        if let d = image.digest ?? imageDigest { return image.pinned(to: d) }
        return nil
    }

    /// An image source whose digest is not known yet: nothing may be created or rolled.
    public var imageUnresolved: Bool { image != nil && pinnedImage == nil }
}

/// The whole file: what every environment is called, and the selected one resolved.
public struct LoadedSpec: Sendable {
    public var file: String
    public var environmentNames: [String]
    /// The selected environment, when one was named.
    public var environment: EnvironmentSpec?
    /// `${VAR}` references left unresolved because no environment was selected.
    public var unresolvedReferences: [String]
}
