import Foundation
import Yams

/// The `source:` block as read, before the checks across its keys.
struct SourceFields {
    var repo: String?
    var branch = "main"
    var rootDirectory = ""
    var image: ImageReference?
    var imageCheckInterval: TimeInterval = 60
    var registryCredentials: RegistryCredentials?
    /// Where each key was written, for errors across keys.
    var keyNodes: [String: Node] = [:]
}

extension SpecLoader {
    static let railwayKeys = ["placement", "projectId", "environmentId", "workspaceId", "projectCreateInterval",
                              "maxServicesPerProject"]
    static let sourceKeys = ["image", "registryCredentials", "imageCheckInterval", "repo", "branch", "rootDirectory"]

    func readRailway(_ node: Node, at path: String, into r: inout RailwaySpec, reader: YAMLReader) -> Set<String> {
        var keys: Set<String> = []
        for (k, _, v) in reader.mapping(node, at: path, allowed: Self.railwayKeys) ?? [] {
            keys.insert(k)
            let at = "\(path).\(k)"
            switch k {
            case "placement": r.placement = reader.oneOf(v, at: at, Placement.allCases) ?? r.placement
            case "projectId": r.projectId = reader.nonEmptyString(v, at: at)
            case "environmentId": r.environmentId = reader.nonEmptyString(v, at: at)
            case "workspaceId": r.workspaceId = reader.nonEmptyString(v, at: at)
            case "projectCreateInterval": r.projectCreateInterval = reader.duration(v, at: at) ?? r.projectCreateInterval
            default: r.maxServicesPerProject = reader.integer(v, at: at, minimum: 1) ?? r.maxServicesPerProject
            }
        }
        return keys
    }

    func readSource(_ node: Node, at path: String, into s: inout SourceFields, reader: YAMLReader) -> Set<String> {
        var keys: Set<String> = []
        for (k, kn, v) in reader.mapping(node, at: path, allowed: Self.sourceKeys) ?? [] {
            keys.insert(k)
            s.keyNodes[k] = kn
            let at = "\(path).\(k)"
            switch k {
            case "repo":
                if let r = reader.nonEmptyString(v, at: at) {
                    if Self.isRepoName(r) { s.repo = r } else {
                        reader.error(v, "\(at): '\(reader.shown(v, r))' is not a repository; expected OWNER/NAME, e.g. xmtplabs/convos-agents")
                    }
                }
            case "branch": s.branch = reader.nonEmptyString(v, at: at) ?? s.branch
            case "rootDirectory": s.rootDirectory = reader.text(v, at: at) ?? s.rootDirectory
            case "image":
                if let text = reader.nonEmptyString(v, at: at) {
                    if let image = ImageReference.parse(text) { s.image = image } else {
                        reader.error(v, "\(at): '\(reader.shown(v, text))' is not an image reference; expected REGISTRY/NAME:TAG, e.g. ghcr.io/xmtplabs/convos-runtime:production (or NAME@sha256:... to pin one build)")
                    }
                }
            case "imageCheckInterval": s.imageCheckInterval = reader.duration(v, at: at) ?? s.imageCheckInterval
            default: s.registryCredentials = readRegistryCredentials(v, at: at, reader: reader)
            }
        }
        return keys
    }

    /// Both fields must be `${VAR}` references: a registry password is a secret, and a
    /// username next to it says whose account it is.
    private func readRegistryCredentials(_ node: Node, at path: String, reader: YAMLReader) -> RegistryCredentials? {
        var fields: [String: String] = [:]
        let entries = reader.mapping(node, at: path, allowed: ["username", "password"]) ?? []
        for (k, _, v) in entries {
            guard case .scalar(let raw) = v, Interpolation.isBareReference(raw.string) else {
                reader.error(v, "\(path).\(k): registry credentials are secrets; expected a reference like ${REGISTRY_\(k.uppercased())} and the value in the process environment")
                continue
            }
            if let t = reader.nonEmptyString(v, at: "\(path).\(k)") { fields[k] = t }
        }
        let missing = ["username", "password"].filter { k in !entries.contains { $0.key == k } }
        if !missing.isEmpty, case .mapping = node {
            reader.error(node, "\(path): missing \(missing.joined(separator: " and ")); expected both username and password")
        }
        guard let u = fields["username"], let p = fields["password"] else { return nil }
        return RegistryCredentials(username: u, password: p)
    }

    func checkRailway(_ r: RailwaySpec, keys: Set<String>, node: Node?, environmentKey: Node, name: String,
                      reader: YAMLReader) {
        let scope = "environments.\(name).railway"
        guard let node else {
            reader.error(environmentKey, "environments.\(name): missing 'railway' with projectId and environmentId (or set platform: local), or placement projectPerInstance with a workspaceId")
            return
        }
        guard case .mapping = node else { return }
        switch r.placement {
        case .sharedProject:
            let missing = ["projectId", "environmentId"].filter { !keys.contains($0) }
            if !missing.isEmpty {
                reader.error(node, "\(scope): missing \(missing.joined(separator: " and ")); expected both projectId and environmentId")
            }
        case .projectPerInstance:
            if !keys.contains("workspaceId") {
                reader.error(node, "\(scope): missing workspaceId; placement projectPerInstance creates a project per instance in a workspace")
            }
            // Optional here (the shared project of a pool being moved), but only as a pair.
            if keys.contains("projectId") != keys.contains("environmentId") {
                reader.error(node, "\(scope): projectId and environmentId go together; they name the shared project a pool moves out of")
            }
        }
    }

    func checkSource(_ s: SourceFields, keys: Set<String>, node: Node, scope: String, platform: PlatformKind?,
                     reader: YAMLReader) {
        guard case .mapping = node else { return }
        if keys.contains("image") {
            for k in ["repo", "branch", "rootDirectory"] where keys.contains(k) {
                reader.error(s.keyNodes[k], "\(scope)source.\(k): source.image excludes repo, branch and rootDirectory; an instance runs a pre-built image or is built from a repo, not both")
            }
            if platform == .local {
                reader.error(s.keyNodes["image"], "\(scope)source.image: platform local runs stand-in agents built from a repo; images need platform railway")
            }
        } else {
            if !keys.contains("repo") {
                reader.error(node, "\(scope)source: missing repo; expected a repository OWNER/NAME (or an image REGISTRY/NAME:TAG)")
            }
            for k in ["registryCredentials", "imageCheckInterval"] where keys.contains(k) {
                reader.error(s.keyNodes[k], "\(scope)source.\(k): applies to source.image only")
            }
        }
    }
}
