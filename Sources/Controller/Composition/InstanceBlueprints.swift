import Ports
import Spec

/// The production blueprint of an instance: the spec's variables plus the ones every
/// instance needs (XMTP env, OpenClaw ref, pool key, port). See docs/agent-contract.md
/// section 9.
public struct InstanceBlueprints: Sendable {
    public var spec: EnvironmentSpec
    /// The process environment: `POOL_API_KEY` is passed on to every instance.
    public var environment: [String: String]

    public init(spec: EnvironmentSpec, environment: [String: String]) {
        self.spec = spec
        self.environment = environment
    }

    public func make(name: String) -> InstanceBlueprint {
        var variables = spec.variables
        variables["XMTP_ENV"] = spec.xmtpEnv.rawValue
        variables["OPENCLAW_GIT_REF"] = spec.openclawRef
        variables["PORT"] = String(spec.instancePort)
        if let key = environment["POOL_API_KEY"], !key.isEmpty { variables["POOL_API_KEY"] = key }
        return InstanceBlueprint(name: name, repo: spec.repo, branch: spec.branch, rootDirectory: spec.rootDirectory,
                                 variables: variables, port: spec.instancePort)
    }
}
