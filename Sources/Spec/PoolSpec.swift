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
    public var railwayProjectId: String?
    public var railwayEnvironmentId: String?
    public var repo: String
    public var branch: String
    public var rootDirectory: String
    public var openclawRef: String
    public var xmtpEnv: XMTPEnv
    /// Instance variables with secrets resolved. Never print these values.
    public var variables: [String: String]
    public var allowedInviteHosts: [String]
    /// `https` in production; `http` lets tests reach instances on loopback.
    public var instanceScheme: String
    public var instancePort: Int
    /// Names of variables whose values are secrets (from `${VAR}` references): redact them.
    public var secretVariableNames: Set<String>
    /// From the process environment (`POOL_INSTANCE_SECRET` and its rotation variables);
    /// nil when unset. The revision is keyed under it; instances' tokens derive from it.
    public var instanceSecrets: InstanceSecrets?

    public var revision: Revision {
        Revision.of(repo: repo, branch: branch, rootDirectory: rootDirectory,
                    openclawRef: openclawRef, xmtpEnv: xmtpEnv.rawValue, variables: variables, key: instanceSecrets)
    }
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
