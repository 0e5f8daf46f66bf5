import ArgumentParser

@main
struct PoolCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poolctl",
        abstract: "Keeps a pool of pre-warmed agent instances: validate the spec, plan, apply, serve.",
        subcommands: [Validate.self, PlanCommand.self, ApplyCommand.self, MigrateCommand.self, ServeCommand.self,
                      ClaimCommand.self, ImportLegacyCommand.self, FakeRailwayCommand.self, StandInAgentCommand.self,
                      Bench.self])
}

/// Options every command that reads pool.yaml shares.
struct SpecOptions: ParsableArguments {
    @Option(name: .long, help: "Path of the pool spec.")
    var spec = "pool.yaml"

    @Option(name: .long, help: "Environment of the spec to use (dev, staging, production, local, ...).")
    var env: String?
}
