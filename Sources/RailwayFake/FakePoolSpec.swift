extension RailwayFake {
    /// The project and environment a fake serves its pool services in.
    public static let projectId = "project-1"
    public static let environmentId = "environment-1"

    /// A pool.yaml for a pool on a fake, for the benchmarks and tests: the top-level
    /// `settings` in order, then one environment in the fake's project, built from a repo
    /// (`example/agents` at `branch`, root `agent`) and reached over `instanceScheme` (nil:
    /// the default, https), then `environmentLines` as they are (more keys of that
    /// environment, indented by four, or more environments, by two).
    public static func poolYAML(_ settings: KeyValuePairs<String, String>, environment: String = "test",
                                branch: String = "main", instanceScheme: String? = "http",
                                environmentLines: String = "") -> String {
        var lines = settings.map { "\($0.key): \($0.value)" }
        lines += [
            "environments:",
            "  \(environment):",
            "    railway: {projectId: \(projectId), environmentId: \(environmentId)}",
            "    source: {repo: example/agents, branch: \(branch), rootDirectory: agent}",
        ]
        if let instanceScheme { lines.append("    instanceScheme: \(instanceScheme)") }
        if !environmentLines.isEmpty { lines.append(environmentLines) }
        return lines.joined(separator: "\n") + "\n"
    }
}
