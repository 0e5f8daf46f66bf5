import ArgumentParser
import Controller
import Foundation
import Views
import Model
import Planning
import Spec

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print what the next tick would do (a dry run).",
        discussion: """
        Without --observed, observes the live platform read-only (needs the platform's credentials).
        With --observed, plans offline from an observed-state snapshot (docs/snapshot-format.md).
        With --detailed-exitcode: 0 no changes, 1 error, 2 changes present.
        """)

    @OptionGroup var options: SpecOptions

    @Option(help: "Observed-state snapshot (JSON) to plan from instead of the live platform.")
    var observed: String?

    @Option(help: "The time to plan at, ISO-8601 (default: now). Makes offline plans reproducible.")
    var now: String?

    @Flag(help: "Print the plan as JSON (docs/plan-format.md).")
    var json = false

    @Option(help: "Write the plan, with a fingerprint of the observation, for `poolctl apply --plan`.")
    var save: String?

    @Flag(help: "Exit 0 when there are no changes, 2 when there are, 1 on error.")
    var detailedExitcode = false

    func run() async throws {
        guard let envName = options.env else {
            Output.error("plan needs --env NAME: the environment of \(options.spec) to plan for")
            throw ExitCode(1)
        }
        var spec: EnvironmentSpec
        do {
            spec = try SpecLoader().load(path: options.spec, environment: envName).environment!
        } catch {
            Output.error(error.description)
            throw ExitCode(1)
        }
        let at: Date
        if let now {
            guard let d = PoolJSON.parseDate(now) else {
                Output.error("--now: '\(now)' is not a time; expected ISO-8601 like 2026-11-25T10:00:00Z")
                throw ExitCode(1)
            }
            at = d
        } else {
            at = Date()
        }
        guard let observed else {
            try await planLive(at: at)
            return
        }
        if save != nil { throw CLIError("--save needs a live observation; it cannot be used with --observed") }
        if spec.instanceSecrets == nil {
            Output.error("note: POOL_INSTANCE_SECRET is not set, so revisions are unkeyed here: a snapshot of a pool that runs with a secret shows its instances as outdated")
        }
        // The registry is not the pool: an offline plan still asks it for the image's digest.
        await PoolContext.resolveImage(&spec, environment: ProcessInfo.processInfo.environment, logger: Log.make("plan"))
        let (state, bytes) = try Self.loadSnapshot(observed)
        // Ids derived from the inputs: the same snapshot, spec and time give the same plan.
        var g = SplitMix64(seed: SplitMix64.seed(from: bytes + Array("\(spec.revision.hex)|\(PoolJSON.formatDate(at))".utf8)))
        let desired = DesiredState(spec: spec, newInstanceIds: InstanceNaming.ids(spec.settings.createsPerTick, using: &g))
        try output(Planner.plan(desired: desired, observed: state, now: at))
    }

    /// Observes the live platform read-only and plans: the dry run for CI.
    func planLive(at: Date) async throws {
        let context = try await PoolContext.make(options: options, logger: Log.make("plan"), migrate: false)
        let (observed, plan) = await context.reconciler.plan()
        await context.close()
        if let save {
            let saved = SavedPlan(plan: plan, observed: observed, savedAt: at)
            try PoolJSON.encoder().encode(saved).write(to: URL(fileURLWithPath: save))
            Output.error("plan saved to \(save); apply it with: poolctl apply --env \(plan.environment) --plan \(save)")
        }
        try output(plan)
        // CI must not read "no changes" into a plan made blind.
        if !observed.complete {
            Output.error("error: the observation was incomplete (\(observed.incompleteReason ?? "unknown reason")); this plan cannot be trusted")
            throw ExitCode(1)
        }
    }

    func output(_ plan: Plan) throws {
        if json {
            print(String(decoding: try PoolJSON.encoder().encode(plan), as: UTF8.self))
        } else {
            print(PlanRenderer(color: Output.stdoutIsTerminal).render(plan), terminator: "")
        }
        if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
    }

    static func loadSnapshot(_ path: String) throws -> (ObservedState, [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            Output.error("\(path): cannot read the snapshot file")
            throw ExitCode(1)
        }
        do {
            return (try PoolJSON.decoder().decode(ObservedState.self, from: data), Array(data))
        } catch {
            Output.error("\(path): \(PoolJSON.describe(error))")
            throw ExitCode(1)
        }
    }
}
