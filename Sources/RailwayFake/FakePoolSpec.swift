extension RailwayFake {
    /// The project and environment a fake serves its pool services in.
    public static let projectId = "project-1"
    public static let environmentId = "environment-1"
    /// The workspace a fake serves projects of their own in (placement projectPerInstance).
    public static let workspaceId = "workspace-1"

    /// A pool.yaml for a pool on a fake, for the benchmarks and tests: the top-level
    /// `settings` in order, then one environment in the fake's project, built from a repo
    /// (`example/agents` at `branch`, root `agent`) and reached over `instanceScheme` (nil:
    /// the default, https), then `environmentLines` as they are (more keys of that
    /// environment, indented by four, or more environments, by two). `railway` and
    /// `source` replace those blocks (flow mappings), e.g. for an image or a placement.
    public static func poolYAML(_ settings: KeyValuePairs<String, String>, environment: String = "test",
                                branch: String = "main", instanceScheme: String? = "http",
                                environmentLines: String = "", railway: String? = nil, source: String? = nil) -> String {
        var lines = settings.map { "\($0.key): \($0.value)" }
        lines += [
            "environments:",
            "  \(environment):",
            "    railway: \(railway ?? "{projectId: \(projectId), environmentId: \(environmentId)}")",
            "    source: \(source ?? "{repo: example/agents, branch: \(branch), rootDirectory: agent}")",
        ]
        if let instanceScheme { lines.append("    instanceScheme: \(instanceScheme)") }
        if !environmentLines.isEmpty { lines.append(environmentLines) }
        return lines.joined(separator: "\n") + "\n"
    }
}
