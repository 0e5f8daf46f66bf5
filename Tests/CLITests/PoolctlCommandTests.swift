import Foundation
import Planning
import TestSupport
import Testing

@Suite struct PoolctlCommandTests {
    let now = ["--now", "2026-11-25T10:00:00Z"]

    @Test func validateTheShippedSpec() throws {
        let r = try Poolctl.run(["validate", "--env", "local"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("environment local: platform local, revision "))
        #expect(r.stdout.contains("pool: prefix convos-agent, minIdle 2, maxTotal 6"))
    }

    @Test func validateReportsEveryErrorWithPositionAndExits1() throws {
        let bad = try Poolctl.temp("bad.yaml", "minIdle: -1\nstuckTimeout: 15x\nenvironments:\n  dev:\n    platform: local\n    xmtpEnv: moon\n")
        let r = try Poolctl.run(["validate", "--spec", bad, "--env", "dev"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(bad):1:10: error: minIdle: expected a whole number of at least 0, got -1"))
        #expect(r.stderr.contains("\(bad):2:15: error: stuckTimeout: '15x' is not a duration"))
        #expect(r.stderr.contains("\(bad):6:14: error: environments.dev.xmtpEnv: unknown value 'moon'"))
        #expect(r.stdout.isEmpty)
    }

    @Test func validateSummarisesImagesAndPlacementsAndWarnsOfTheServiceCap() throws {
        let spec = try Poolctl.temp("images.yaml", """
            maxTotal: 120
            environments:
              shared:
                railway: {projectId: p1, environmentId: e1}
                source: {image: "ghcr.io/acme/runtime:dev"}
              apart:
                railway: {placement: projectPerInstance, workspaceId: w1}
                source:
                  image: ghcr.io/acme/runtime:production
                  registryCredentials: {username: "${REGISTRY_USERNAME}", password: "${REGISTRY_PASSWORD}"}
            """)
        let shared = try Poolctl.run(["validate", "--spec", spec, "--env", "shared"])
        #expect(shared.status == 0, "\(shared.stderr)")
        #expect(shared.stdout.contains("railway: placement sharedProject, project p1, environment e1, maxServicesPerProject 100"))
        #expect(shared.stdout.contains("source: image ghcr.io/acme/runtime:dev, checked every 1m"))
        #expect(shared.stderr.contains("warning: environment shared: maxTotal 120 plus the project's other services"))
        let env = ["REGISTRY_USERNAME": "bot", "REGISTRY_PASSWORD": "pat-s3cr3t"]
        let apart = try Poolctl.run(["validate", "--spec", spec, "--env", "apart"], env: env)
        #expect(apart.status == 0, "\(apart.stderr)")
        #expect(apart.stdout.contains("railway: placement projectPerInstance, workspace w1, projectCreateInterval 30s"))
        #expect(apart.stdout.contains("(private registry)"))
        #expect(!apart.stderr.contains("warning"), "no service cap in projects of their own")
        #expect(!apart.stdout.contains("s3cr3t") && !apart.stderr.contains("s3cr3t"))
    }

    @Test func validateNeverPrintsSecretValues() throws {
        let env = ["RAILWAY_PROJECT_ID": "p", "RAILWAY_PRODUCTION_ENVIRONMENT_ID": "e",
                   "POOL_API_KEY": "pool-key-s3cr3t", "OPENROUTER_API_KEY": "sk-or-s3cr3t"]
        let r = try Poolctl.run(["validate", "--env", "production"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("OPENROUTER_API_KEY (secret)"))
        #expect(!r.stdout.contains("s3cr3t") && !r.stderr.contains("s3cr3t"))
    }

    @Test func planTheExampleSnapshot() throws {
        let r = try Poolctl.run(["plan", "--env", "local", "--observed", "examples/observed.json"] + now)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("- delete  convos-agent-c3d4e5f6a7b8 [svc-fail-3]  # dead: deploy FAILED"))
        #expect(r.stdout.contains("~ rename  convos-agent-d4e5f6a7b8c9 → convos-agent-tokyo-trip-planner"))
        #expect(!r.stdout.contains("pool-manager"), "the manager's own service is invisible")
        #expect(r.stdout.hasSuffix("Plan: 0 to create, 1 to delete, 1 to rename, 1 to mark.\n"))
    }

    @Test func detailedExitcodeAndDeterminism() throws {
        let args = ["plan", "--env", "local", "--observed", "examples/observed.json", "--detailed-exitcode", "--json"] + now
        let a = try Poolctl.run(args), b = try Poolctl.run(args)
        #expect(a.status == 2)
        #expect(a.stdout == b.stdout, "same inputs, same plan, byte for byte")
        let plan = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any]
        #expect(plan?["formatVersion"] as? Int == 1)
        let empty = try Poolctl.temp("empty.json", #"{"version": 1, "instances": []}"#)
        let noChange = try Poolctl.temp("zero.yaml", "minIdle: 0\nenvironments:\n  local:\n    platform: local\n")
        let c = try Poolctl.run(["plan", "--spec", noChange, "--env", "local", "--observed", empty, "--detailed-exitcode"] + now)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.hasSuffix("No changes. The pool matches pool.yaml.\n"))
        // Without --detailed-exitcode, changes still exit 0.
        #expect(try Poolctl.run(["plan", "--env", "local", "--observed", "examples/observed.json"] + now).status == 0)
    }

    @Test func badSnapshotsAndArgumentsExit1WithTheField() throws {
        let bad = try Poolctl.temp("bad.json", #"{"instances":[{"serviceId":"s","name":"n","createdAt":"2026-11-25T10:00:00Z","deployStatus":"BOOTING"}]}"#)
        let r = try Poolctl.run(["plan", "--env", "local", "--observed", bad, "--detailed-exitcode"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("instances[0].deployStatus: unknown deploy status 'BOOTING'"))
        let malformed = try Poolctl.temp("malformed.json", "{nope")
        #expect(try Poolctl.run(["plan", "--env", "local", "--observed", malformed]).stderr.contains("malformed JSON"))
        #expect(try Poolctl.run(["plan", "--env", "local", "--observed", "/nonexistent.json"]).status == 1)
        #expect(try Poolctl.run(["plan", "--env", "local", "--observed", "examples/observed.json", "--now", "soon"]).stderr.contains("--now: 'soon' is not a time"))
        #expect(try Poolctl.run(["plan", "--env", "nope", "--observed", "examples/observed.json"]).stderr.contains("no environment named 'nope'"))
    }
}
