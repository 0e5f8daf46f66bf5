import Credentials
import Ports
import Spec

/// The production blueprint of an instance: the spec's variables plus the ones every
/// instance needs (XMTP env, OpenClaw ref, port, and its own id and token). See
/// docs/agent-contract.md section 9. The pool key is never among them.
public struct InstanceBlueprints: Sendable {
    public var spec: EnvironmentSpec
    /// Derives each new instance's `INSTANCE_TOKEN`.
    public var secrets: InstanceSecrets

    public init(spec: EnvironmentSpec, secrets: InstanceSecrets) {
        self.spec = spec
        self.secrets = secrets
    }

    public func make(instanceId: String, name: String) -> InstanceBlueprint {
        var variables = spec.variables
        variables["XMTP_ENV"] = spec.xmtpEnv.rawValue
        variables["OPENCLAW_GIT_REF"] = spec.openclawRef
        variables["PORT"] = String(spec.instancePort)
        variables["INSTANCE_ID"] = instanceId
        variables["INSTANCE_TOKEN"] = secrets.currentToken(instanceId: instanceId)
        return InstanceBlueprint(
            name: name, repo: spec.repo, branch: spec.branch, rootDirectory: spec.rootDirectory,
            variables: variables, port: spec.instancePort, image: spec.pinnedImage,
            registryCredentials: spec.registryCredentials,
            // A project of its own is named like its service when it is made.
            projectName: spec.platform == .railway && spec.railway.placement == .projectPerInstance ? name : nil)
    }
}
