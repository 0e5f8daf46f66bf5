import Foundation

/// Everything the local platform needs: what to run for an instance, with which key,
/// where to keep its records, and how its simulated builds behave.
public struct LocalPlatformConfiguration: Sendable {
    /// The program that serves the agent contract, `poolctl` by default.
    public var executable: URL
    /// Its arguments for an instance listening on `port`. Its token is not among them:
    /// it goes through the environment (`INSTANCE_TOKEN`), since arguments show in `ps`.
    public var arguments: @Sendable (_ port: Int) -> [String]
    /// Only for a service configured before instance tokens (its record keeps no
    /// variables): restarted with the pool key it was built with, until it is replaced.
    public var apiKey: String
    /// One JSON record and one log file per service, so that a restarted controller
    /// finds its instances again.
    public var stateDirectory: URL
    public var phases: BuildPhases
    /// For tests: every build started from now on fails.
    public var failBuilds: Bool
    /// The clock that moves builds through their phases; injectable for tests.
    public var now: @Sendable () -> Date

    public init(apiKey: String, stateDirectory: URL,
                executable: URL = LocalPlatformConfiguration.runningExecutable,
                arguments: @escaping @Sendable (_ port: Int) -> [String] = LocalPlatformConfiguration.standInArguments,
                phases: BuildPhases = BuildPhases(), failBuilds: Bool = false,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.executable = executable
        self.arguments = arguments
        self.apiKey = apiKey
        self.stateDirectory = stateDirectory
        self.phases = phases
        self.failBuilds = failBuilds
        self.now = now
    }

    /// `poolctl stand-in-agent --port P`.
    public static let standInArguments: @Sendable (Int) -> [String] = { ["stand-in-agent", "--port", String($0)] }

    /// The running program as an absolute path: `poolctl serve` runs its instances with
    /// its own binary. A bare name (started through PATH) is looked up in PATH.
    public static var runningExecutable: URL {
        let invoked = CommandLine.arguments[0]
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if invoked.contains("/") {
            return URL(fileURLWithPath: invoked, relativeTo: current).standardizedFileURL
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let found = path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0), relativeTo: current).appendingPathComponent(invoked) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return (found ?? URL(fileURLWithPath: invoked, relativeTo: current)).standardizedFileURL
    }
}
