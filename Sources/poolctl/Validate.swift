import ArgumentParser
import Spec

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check pool.yaml: every problem as FILE:LINE:COL, exit 1; a summary and exit 0 when valid.")

    @OptionGroup var options: SpecOptions

    func run() async throws {
        let loaded: LoadedSpec
        do {
            loaded = try SpecLoader().load(path: options.spec, environment: options.env)
        } catch {
            Output.error(error.description)
            Output.error("\(options.spec): \(error.diagnostics.count) error(s)")
            throw ExitCode(1)
        }
        print(SpecSummary.render(loaded))
        for warning in SpecSummary.warnings(loaded) { Output.error("warning: \(warning)") }
    }
}

enum SpecSummary {
    static func render(_ loaded: LoadedSpec) -> String {
        var lines = ["\(loaded.file): valid (environments: \(loaded.environmentNames.joined(separator: ", ")))"]
        guard let e = loaded.environment else {
            if !loaded.unresolvedReferences.isEmpty {
                lines.append("unset variables, needed when their environment is selected: \(loaded.unresolvedReferences.joined(separator: ", "))")
            }
            lines.append("pass --env NAME to resolve one environment")
            return lines.joined(separator: "\n")
        }
        let s = e.settings
        lines.append("environment \(e.name): platform \(e.platform.rawValue), revision \(e.revision.short)")
        lines.append("  pool: prefix \(e.prefix), minIdle \(s.minIdle), maxTotal \(s.maxTotal), createsPerTick \(s.createsPerTick), failureBackoff \(s.failureBackoff)")
        lines.append("  timeouts: stuck \(DurationText.format(s.stuckTimeout)), tick \(DurationText.format(s.tickInterval)), probe \(DurationText.format(s.probeTimeout)), claim create \(DurationText.format(s.claimCreateTimeout)) / join \(DurationText.format(s.claimJoinTimeout))")
        if e.platform == .railway {
            let r = e.railway
            var line = "  railway: placement \(r.placement.rawValue)"
            if let p = r.projectId, let env = r.environmentId { line += ", project \(p), environment \(env)" }
            if let w = r.workspaceId { line += ", workspace \(w)" }
            switch r.placement {
            case .sharedProject: line += ", maxServicesPerProject \(r.maxServicesPerProject)"
            case .projectPerInstance: line += ", projectCreateInterval \(DurationText.format(r.projectCreateInterval))"
            }
            lines.append(line)
        }
        if let image = e.image {
            lines.append("  source: image \(image)\(e.registryCredentials == nil ? "" : " (private registry)"), checked every \(DurationText.format(e.imageCheckInterval)), OpenClaw ref \(e.openclawRef)")
        }
        if !e.repo.isEmpty {
            lines.append("  source: \(e.repo)@\(e.branch), root directory \(e.rootDirectory.isEmpty ? "/" : e.rootDirectory), OpenClaw ref \(e.openclawRef)")
        }
        lines.append("  xmtp: \(e.xmtpEnv.rawValue), invite hosts \(e.allowedInviteHosts.joined(separator: ", ")); instances over \(e.instanceScheme) on port \(e.instancePort)")
        // Names only: values never leave the process.
        let vars = e.variables.keys.sorted().map { e.secretVariableNames.contains($0) ? "\($0) (secret)" : $0 }
        lines.append("  variables: \(vars.isEmpty ? "none" : vars.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    /// What is valid but likely to bite: a shared project the pool could fill.
    static func warnings(_ loaded: LoadedSpec) -> [String] {
        guard let e = loaded.environment, e.platform == .railway, e.railway.placement == .sharedProject else { return [] }
        let cap = e.railway.maxServicesPerProject
        // The manager itself, and whatever else the project holds, need room too.
        guard e.settings.maxTotal >= cap else { return [] }
        return ["environment \(e.name): maxTotal \(e.settings.maxTotal) plus the project's other services (this manager at least) can exceed maxServicesPerProject \(cap); creates stop at the cap (\"at the project's service cap\"). Lower maxTotal, or use placement projectPerInstance"]
    }
}
