import Foundation
import Logging
import RailwayFake
import Store
import TestSupport
import Testing

/// `poolctl plan`, `apply` and `migrate` as an operator runs them, against a fake Railway.
@Suite struct PoolctlRailwayTests {
    static let token = "acct-token-cli-8a2f"

    let spec = RailwayFake.poolYAML(["minIdle": "2", "maxTotal": "4"], instanceScheme: nil)

    func withFake(_ body: (_ env: [String: String], _ fake: RailwayFake, _ specPath: String) async throws -> Void) async throws {
        try await withFakeRailway(spec: spec, token: Self.token, key: "pool-key-cli-s3cr3t", body)
    }

    /// An image pool in projects of their own, planned and applied by the real poolctl:
    /// the tag resolved through a registry on loopback, creates paced to one new project.
    @Test func planAndApplyAnImagePoolInProjectsOfTheirOwn() async throws {
        let spec = RailwayFake.poolYAML(["minIdle": "2", "maxTotal": "4"], instanceScheme: nil,
                                        railway: "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId)}",
                                        source: "{image: \"ghcr.io/acme/runtime:dev\"}")
        let registry = LoopbackRegistry()
        try await registry.start()
        let digest = "sha256:" + String(repeating: "d", count: 64)
        await registry.set("acme/runtime", tag: "dev", digest: digest)
        try await withFakeRailway(spec: spec, token: Self.token, key: "pool-key-cli-s3cr3t") { env, fake, specPath in
            var env = env
            env["POOL_REGISTRY_BASE_URL"] = await registry.baseURL
            let base = ["--spec", specPath, "--env", "test"]
            #expect(try await Poolctl.runDetached(["migrate", "--sqlite", env["POOL_SQLITE_PATH"]!], env: env).status == 0)
            let plan = try await Poolctl.runDetached(["plan"] + base, env: env)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.components(separatedBy: "+ create").count - 1 == 1, "\(plan.stdout)")
            #expect(plan.stdout.contains("paced: 1 create(s) wait for projectCreate"), "\(plan.stdout)")
            let apply = try await Poolctl.runDetached(["apply"] + base + ["--yes"], env: env)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(await fake.projects.count == 1)
            #expect(await fake.allServices.first?.image == "ghcr.io/acme/runtime@\(digest)")
            // The registry is down: nothing is created, rolled or deleted, and the plan says why.
            await registry.stop()
            let blind = try await Poolctl.runDetached(["plan"] + base, env: env)
            #expect(blind.stdout.contains("the image's digest is not known yet"), "\(blind.stdout)\(blind.stderr)")
            #expect(!blind.stdout.contains("+ create") && !blind.stdout.contains("- delete"))
        }
        await registry.stop()
    }

    @Test func applyRefusesWhileAServerLeads() async throws {
        try await withFake { env, fake, specPath in
            let path = env["POOL_SQLITE_PATH"]!
            #expect(try await Poolctl.runDetached(["migrate", "--sqlite", path], env: env).status == 0)
            let store = try SQLiteStore(path: path, logger: quiet)
            _ = try await store.acquireLease("reconcile:test", holder: "replica-1#0a1b2c3d", duration: 60, at: Date())
            await store.close()
            let apply = try await Poolctl.runDetached(["apply", "--spec", specPath, "--env", "test", "--yes"], env: env)
            #expect(apply.status == 1)
            #expect(apply.stderr.contains("poolctl serve (replica-1#0a1b2c3d) runs the reconcile loop"), "\(apply.stderr)")
            #expect(await fake.calls(of: "ServiceCreate") == 0)
        }
    }

    @Test func planSaveApplyAndRefuseAStalePlan() async throws {
        try await withFake { env, fake, specPath in
            let base = ["--spec", specPath, "--env", "test"]
            // Before migrate, the store cannot be read: the plan is blind and says so.
            let blind = try await Poolctl.runDetached(["plan"] + base + ["--detailed-exitcode"], env: env)
            #expect(blind.status == 1)
            #expect(blind.stderr.contains("observation was incomplete"))

            #expect(try await Poolctl.runDetached(["migrate", "--sqlite", env["POOL_SQLITE_PATH"]!], env: env).stdout.contains("Applied: "))
            let plan = try await Poolctl.runDetached(["plan"] + base + ["--detailed-exitcode"], env: env)
            #expect(plan.status == 2, "\(plan.stderr)")
            #expect(plan.stdout.components(separatedBy: "+ create").count - 1 == 2)
            #expect(await fake.calls(of: "ServiceCreate") == 0, "plan is a dry run")

            let saved = env["POOL_SQLITE_PATH"]! + ".plan.json"
            #expect(try await Poolctl.runDetached(["plan"] + base + ["--save", saved], env: env).status == 0)
            let apply = try await Poolctl.runDetached(["apply"] + base + ["--plan", saved, "--yes"], env: env)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("Apply complete: 2 applied, 0 failed."))
            #expect(await fake.services(projectId: "project-1", environmentId: "environment-1").count == 2)

            // The same plan again: the world moved on, so it is refused and nothing happens.
            let stale = try await Poolctl.runDetached(["apply"] + base + ["--plan", saved, "--yes"], env: env)
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("the pool changed since the plan was made"))
            #expect(await fake.calls(of: "ServiceCreate") == 2)

            let after = try await Poolctl.runDetached(["plan"] + base + ["--detailed-exitcode"], env: env)
            #expect(after.status == 0, "\(after.stdout)")
            for r in [blind, plan, apply, stale, after] {
                #expect(!(r.stdout + r.stderr).contains("s3cr3t") && !(r.stdout + r.stderr).contains(Self.token))
            }
        }
    }

    @Test func applyNeedsConfirmationAndCredentials() async throws {
        try await withFake { env, _, specPath in
            let base = ["--spec", specPath, "--env", "test"]
            let unconfirmed = try await Poolctl.runDetached(["apply"] + base, env: env)
            #expect(unconfirmed.status == 1, "\(unconfirmed.stdout)")
            #expect(unconfirmed.stderr.contains("pass --yes"))
            var noToken = env
            noToken["RAILWAY_API_TOKEN"] = nil
            let r = try await Poolctl.runDetached(["plan"] + base, env: noToken)
            #expect(r.status == 1)
            #expect(r.stderr.contains("RAILWAY_API_TOKEN"), "\(r.stderr)")
            var noKey = env
            noKey["POOL_API_KEY"] = nil
            #expect(try await Poolctl.runDetached(["apply"] + base + ["--yes"], env: noKey).stderr.contains("POOL_API_KEY is not set"))
        }
    }
}
