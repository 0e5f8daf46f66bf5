import ArgumentParser
import Controller
import Foundation
import Views
import Model

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Run one tick against the live platform: observe, plan, show, apply.",
        discussion: """
        With --plan FILE (from `poolctl plan --save FILE`), applies exactly that plan, and refuses
        it when the pool changed since it was made. Exit 0 when every action succeeded, 1 otherwise.
        """)

    @OptionGroup var options: SpecOptions

    @Option(help: "A plan saved by `poolctl plan --save`.")
    var plan: String?

    @Flag(help: "Apply without asking.")
    var yes = false

    func run() async throws {
        try await CLIError.reported { try await apply() }
    }

    func apply() async throws {
        let context = try await PoolContext.make(options: options, logger: Log.make("apply"), migrate: true)
        do {
            try await apply(context)
        } catch {
            await context.close()
            throw error
        }
        await context.close()
    }

    func apply(_ context: PoolContext) async throws {
        // A running server's leader applies its own plans: two appliers would race.
        if let lease = try? await context.store.lease(LeaderLease.name(environment: context.spec.name)), lease.expiresAt > Date() {
            throw CLIError("poolctl serve (\(lease.holder)) runs the reconcile loop of \(context.spec.name) and applies its plans itself; stop it (or use its API) instead of applying by hand")
        }
        let renderer = PlanRenderer(color: Output.stdoutIsTerminal)
        let result: TickResult
        if let plan {
            guard let data = FileManager.default.contents(atPath: plan) else { throw CLIError("\(plan): cannot read the plan file") }
            let saved: SavedPlan
            do { saved = try PoolJSON.decoder().decode(SavedPlan.self, from: data) }
            catch { throw CLIError("\(plan): not a saved plan: \(PoolJSON.describe(error))") }
            print(renderer.render(saved.plan), terminator: "")
            guard saved.plan.hasChanges else { return }
            try confirm()
            do { result = try await context.reconciler.apply(saved: saved) }
            catch { throw CLIError("\(error)") }
        } else {
            let (observed, preview) = await context.reconciler.plan()
            print(renderer.render(preview), terminator: "")
            guard observed.complete else {
                throw CLIError("the observation was incomplete (\(observed.incompleteReason ?? "unknown reason")); nothing applied")
            }
            guard preview.hasChanges else { return }
            try confirm()
            // Apply exactly what was shown: refused if the pool moved while the operator read it.
            do { result = try await context.reconciler.apply(saved: SavedPlan(plan: preview, observed: observed, savedAt: Date())) }
            catch { throw CLIError("\(error)") }
        }
        for r in result.results {
            switch r.outcome {
            case .ok: print("  ok       \(r.action.kind.rawValue) \(r.action.name ?? r.action.instanceId)")
            case .failed(let e): print("  FAILED   \(r.action.kind.rawValue) \(r.action.name ?? r.action.instanceId): \(e)")
            case .refused(let why): print("  REFUSED  \(r.action.kind.rawValue) \(r.action.name ?? r.action.instanceId): \(why)")
            }
        }
        print("Apply complete: \(result.results.filter(\.ok).count) applied, \(result.failed) failed.")
        if result.failed > 0 { throw ExitCode(1) }
    }

    /// Terraform's rule: only "yes" applies; without a terminal, only --yes does.
    func confirm() throws {
        if yes { return }
        guard isatty(STDIN_FILENO) == 1 else { throw CLIError("not applying without confirmation: pass --yes (no terminal to ask on)") }
        print("\nApply these actions? Only 'yes' will be accepted: ", terminator: "")
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else { throw CLIError("apply cancelled") }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the store's schema migrations (DATABASE_URL, or the SQLite file).")

    @Option(help: "SQLite file used when DATABASE_URL is not set.")
    var sqlite = ProcessInfo.processInfo.environment["POOL_SQLITE_PATH"] ?? "pool.sqlite"

    func run() async throws {
        let logger = Log.make("migrate")
        do {
            let store = try makeStoreFromEnvironment(sqlitePath: sqlite, logger: logger)
            let applied = try await store.migrate()
            await store.close()
            print(applied.isEmpty ? "Schema up to date." : "Applied: \(applied.joined(separator: ", "))")
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
    }
}
