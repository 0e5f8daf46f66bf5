@testable import Controller
import Foundation
import Model
import Planning
import Ports
import Railway
import RailwayFake
import Spec
import Store
import TestSupport
import Testing

/// Images and placements end to end: the real reconciler, executor and Railway client
/// against the fake, which counts projects, calls and deploys.
@Suite(.timeLimit(.minutes(3))) struct PlacementReconcileTests {
    static let variables: Set<String> = ["INSTANCE_ID", "INSTANCE_TOKEN", "OPENCLAW_GIT_REF", "PORT", "XMTP_ENV"]

    /// Every deploy of every pool service started with the instance's variables, and each
    /// service was deployed once.
    static func expectOneDeployEachWithVariables(_ services: [FakeService], sourceLocation: SourceLocation = #_sourceLocation) {
        for s in services {
            #expect(s.deployments.count == 1, "\(s.name) deployed \(s.deployments.count) times", sourceLocation: sourceLocation)
            for d in s.deployments {
                #expect(Self.variables.isSubset(of: Set(d.variableNames)), "\(s.name) deployed without \(Self.variables.subtracting(d.variableNames))",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func anImagePoolInASharedProjectTakesThreeCallsPerInstance() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 2)) { w in
            #expect(await w.converge(w.reconciler(), idle: 2) != nil)
            let services = await w.poolServices()
            #expect(services.count == 2)
            #expect(services.allSatisfy { $0.image == "ghcr.io/acme/runtime@\(ReconcileWorld.digestA)" && $0.sleepApplication == false })
            Self.expectOneDeployEachWithVariables(services)
            for op in ["ServiceCreate", "ServiceDomainCreate", "EnvironmentPatchCommit"] {
                #expect(await w.fake.calls(of: op) == 2, "\(op)")
            }
            for op in ["ServiceInstanceConfigure", "ServiceConnect", "ServiceDisconnect", "ProjectCreate"] {
                #expect(await w.fake.calls(of: op) == 0, "\(op)")
            }
            let records = try await w.store.instances()
            #expect(records.allSatisfy { $0.createStep == .pinned })
        }
    }

    @Test func projectPerInstanceFillsAtRailwaysPaceWithoutARefusal() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 3, placement: .projectPerInstance)) { w in
            let ticks = await w.converge(w.reconciler(), idle: 3, step: .seconds(30), limit: 12)
            #expect(ticks != nil)
            let projects = await w.fake.projects
            #expect(projects.count == 3)
            #expect(await w.fake.projectCreatesPaced == 0, "the planner kept Railway's pace: no call was refused")
            let services = await w.allPoolServices()
            #expect(services.count == 3)
            #expect(Set(services.map(\.projectId)) == Set(projects.map(\.id)), "one service in each project")
            #expect(projects.allSatisfy { p in services.contains { $0.projectId == p.id && $0.name == p.name } })
            Self.expectOneDeployEachWithVariables(services)
            // Observing 3 projects is one call per tick, never one per instance.
            let before = await w.fake.calls(of: "WorkspaceProjectServices")
            _ = await w.reconciler().tick()
            #expect(await w.fake.calls(of: "WorkspaceProjectServices") == before + 1)
            #expect(await w.fake.calls(of: "EnvironmentServices") == 0)
        }
    }

    /// A process killed right after any call of either create sequence: a fresh one
    /// converges to one project, one service and one deploy, and leaks nothing.
    @Test(arguments: [Placement.sharedProject, .projectPerInstance].flatMap { p in (0...(p == .sharedProject ? 5 : 6)).map { (p, $0) } })
    func aCrashAtAnyStepConvergesWithoutALeak(placement: Placement, afterCall: Int) async throws {
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 1, maxTotal: 3, pacing: 1, placement: placement)) { w in
            let crashing = CrashingPlatform(RailwayPlatform(client: w.client()), afterCall: afterCall)
            let dying = await w.reconciler(platform: crashing).tick()
            #expect(dying.failed == 1)
            let ticks = await w.converge(w.reconciler(seed: 99), idle: 1, step: .seconds(60))
            #expect(ticks != nil, "no convergence after a crash at call \(afterCall) (\(placement))")
            let services = await w.allPoolServices()
            #expect(services.count == 1, "services: \(services.map(\.name))")
            #expect(await w.fake.deploysStarted == 1)
            Self.expectOneDeployEachWithVariables(services)
            let records = try await w.store.instances()
            #expect(records.count == 1 && records.first?.serviceId == services.first?.id && records.first?.createStep == .pinned)
            if placement == .projectPerInstance {
                let projects = await w.fake.projects.map(\.name)
                #expect(projects.count == 1, "projects: \(projects)")
                #expect(await w.fake.projectsCreated == 1)
            }
        }
    }

    /// A prober under which the given services hold a conversation (claimed), the rest idle.
    final class ClaimedAt: StatusProber, @unchecked Sendable {
        private let lock = NSLock()
        private var bound: Set<String> = []
        func bind(_ serviceId: String) { lock.withLock { _ = bound.insert(serviceId) } }
        func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
            let bound = lock.withLock { self.bound }
            return Dictionary(uniqueKeysWithValues: targets.map { t in
                (t.id, .status(AgentStatus(usable: true, conversationId: bound.contains(t.id) ? "conv-1" : nil, streaming: true)))
            })
        }
    }

    /// Claims the oldest idle instance in the store; returns its id and service id.
    static func claimOne(_ w: ReconcileWorld) async throws -> (String, String) {
        guard case .took(let taken) = try await w.store.beginClaim(agentName: "Ann", idempotencyKey: nil, at: w.clock.now) else {
            throw TimedOut(description: "nothing to claim")
        }
        try await w.store.completeClaim(instanceId: taken.instanceId, conversationId: "conv-1", inviteUrl: nil, joined: false,
                                        at: w.clock.now)
        let record = try #require(try await w.store.instances().first { $0.instanceId == taken.instanceId })
        return (taken.instanceId, try #require(record.serviceId))
    }

    /// A moved tag rolls idle instances surge-first: with room under maxTotal idle never
    /// goes below minIdle; the claimed one is untouched. Without room (maxTotal 3 with one
    /// claimed) they go one at a time, and in projects of their own each replacement
    /// reuses the project of the one it replaced: no projectCreate at all.
    @Test(arguments: [(Placement.sharedProject, 4), (.projectPerInstance, 4), (.sharedProject, 3), (.projectPerInstance, 3)])
    func aMovedTagRollsIdleInstancesAndLeavesTheClaimedOne(placement: Placement, maxTotal: Int) async throws {
        let surge = maxTotal > 3
        let spec = try ReconcileWorld.imageSpec(minIdle: 2, maxTotal: maxTotal, pacing: 2, placement: placement, digest: nil)
        try await ReconcileWorld.with(spec) { w in
            let registry = Registry(digest: ReconcileWorld.digestA)
            let prober = ClaimedAt()
            var parts = w.parts(platform: RailwayPlatform(client: w.client()), prober: prober)
            parts.resolveImage = { _, _ in try registry.answer() }
            let loop = try buildReconcileLoop(spec: spec, parts: parts)
            await loop.refreshImage()
            #expect(await loop.runtime.spec.imageDigest == ReconcileWorld.digestA)
            for _ in 0..<12 {
                let t = await loop.runtime.reconciler.tick()
                if t.plan.counts[.idle] == 2 && !t.plan.hasChanges { break }
                await w.advance(.seconds(40))
            }
            let (claimedId, claimedService) = try await Self.claimOne(w)
            prober.bind(claimedService)
            for _ in 0..<12 {
                await w.advance(.seconds(40))
                let t = await loop.runtime.reconciler.tick()
                if t.plan.counts[.idle] == 2 && t.plan.counts[.claimed] == 1 && !t.plan.hasChanges { break }
            }
            let createsBefore = await w.fake.projectsCreated
            // The tag moves; the next check (a minute on) sees it.
            registry.set(ReconcileWorld.digestB)
            await w.advance(.seconds(61))
            await loop.refreshImage()
            let rolled = await loop.runtime.spec
            #expect(rolled.imageDigest == ReconcileWorld.digestB && rolled.revision != spec.revision)
            var done = false
            var reached = false
            for _ in 0..<20 {
                let t = await loop.runtime.reconciler.tick()
                let idle = t.plan.counts[.idle]
                if reached && surge { #expect(idle >= 2, "idle fell to \(idle)") }
                reached = reached || idle >= 2
                #expect(!t.results.contains { $0.action.kind == .delete && $0.action.instanceId == claimedId })
                let current = t.classification.owned.filter { $0.state == .idle && !$0.outdated }.count
                if current == 2, t.plan.counts.outdated == 0, !t.plan.hasChanges { done = true; break }
                await w.advance(.seconds(40))
            }
            #expect(done, "the roll did not finish")
            let claimed = try #require(await w.fake.service(id: claimedService), "the claimed instance is gone")
            #expect(claimed.image == "ghcr.io/acme/runtime@\(ReconcileWorld.digestA)" && claimed.deployments.count == 1)
            #expect(claimed.name.contains("-ann"), "renamed for its agent: \(claimed.name)")
            if placement == .projectPerInstance {
                let project = await w.fake.projects.first { $0.id == claimed.projectId }
                #expect(project?.name == claimed.name, "its project carries the same name: \(project?.name ?? "none")")
            }
            let idleImages = await w.allPoolServices().filter { $0.id != claimedService }.map(\.image)
            #expect(idleImages.count == 2 && idleImages.allSatisfy { $0 == "ghcr.io/acme/runtime@\(ReconcileWorld.digestB)" })
            if placement == .projectPerInstance {
                let made = await w.fake.projectsCreated - createsBefore
                if surge {
                    // The first new instance comes before any old one goes; the second reuses
                    // the project of the first one replaced.
                    #expect(made == 1, "surge-first with one spare: \(made) projectCreate")
                } else {
                    #expect(made == 0, "two idle instances rolled with \(made) projectCreate: each reuses the project of the one it replaces")
                }
            }
            // The registry fails: the last digest stays, nothing rolls or goes.
            registry.fail()
            await w.advance(.seconds(61))
            await loop.refreshImage()
            #expect(await loop.runtime.spec.imageDigest == ReconcileWorld.digestB)
            #expect(await loop.image?.error != nil)
            #expect(await !loop.runtime.reconciler.tick().plan.hasChanges)
        }
    }

    /// A repo pool in the shared project moves to images in projects of their own: idle
    /// instances are replaced surge-first into projects, the claimed one stays where it is,
    /// and every tick lists both placements, one query each.
    @Test func movingASharedRepoPoolToProjectsOfTheirOwn() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, maxTotal: 5)) { w in
            let prober = ClaimedAt()
            let before = w.reconciler(prober: prober)
            #expect(await w.converge(before, idle: 2) != nil)
            let (claimedId, claimedService) = try await Self.claimOne(w)
            prober.bind(claimedService)
            var moved = try ReconcileWorld.spec(
                minIdle: 2, maxTotal: 5,
                railway: "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId), projectId: project-1, environmentId: environment-1}",
                source: "{image: \"ghcr.io/acme/runtime:dev\"}")
            moved.imageDigest = ReconcileWorld.digestA
            let after = w.reconciler(spec: moved, prober: prober)
            var done = false
            var reached = false
            for _ in 0..<16 {
                let (lists, pages) = (await w.fake.calls(of: "EnvironmentServices"), await w.fake.calls(of: "WorkspaceProjectServices"))
                let t = await after.tick()
                #expect(await w.fake.calls(of: "EnvironmentServices") == lists + 1)
                #expect(await w.fake.calls(of: "WorkspaceProjectServices") == pages + 1)
                let idle = t.plan.counts[.idle]
                if reached { #expect(idle >= 2, "idle fell to \(idle)") }
                reached = reached || idle >= 2
                #expect(!t.results.contains { $0.action.kind == .delete && $0.action.instanceId == claimedId })
                let states = Dictionary(t.classification.owned.map { ($0.instanceId, $0) }, uniquingKeysWith: { a, _ in a })
                #expect(states[claimedId]?.state == .claimed, "claimed is \(states[claimedId]?.state.rawValue ?? "gone")")
                if t.plan.counts.outdated == 0, idle == 2, !t.plan.hasChanges { done = true; break }
                await w.advance(.seconds(60))
            }
            #expect(done, "the move did not finish")
            let shared = await w.poolServices()
            #expect(shared.map(\.id) == [claimedService], "only the claimed instance is left in the shared project")
            let projects = await w.fake.projects
            let inProjects = await w.allPoolServices().filter { $0.projectId != "project-1" }
            #expect(projects.count == 2 && inProjects.count == 2)
            #expect(inProjects.allSatisfy { $0.image == "ghcr.io/acme/runtime@\(ReconcileWorld.digestA)" })
        }
    }

    /// Railway's pace answered anyway (another client used the token): the create waits, it
    /// is no failed build, nothing backs off, and the next tick goes on.
    @Test func aPaceAnswerIsNotAFailedBuild() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 1, placement: .projectPerInstance)) { w in
            let r = w.reconciler()
            await w.fake.inject(.graphQLError(message: "Only one project can be created per user every 30s"), operation: "ProjectCreate")
            let paced = await r.tick()
            let create = try #require(paced.results.first { $0.action.kind == .create })
            guard case .refused(let why) = create.outcome else {
                Issue.record("expected a refusal, got \(create.outcome)")
                return
            }
            #expect(why.contains("paced by the platform"))
            #expect(try await w.store.observe(revision: w.spec.revision.hex).consecutiveBuildFailures == 0)
            #expect(await w.converge(r, idle: 1, step: .seconds(30)) != nil)
            #expect(await w.fake.projects.count == 1)
        }
    }

    nonisolated(unsafe) static var ids = SplitMix64(seed: 31)

    /// A replica that takes the lead and cannot confirm the digest runs unresolved until
    /// the registry answers: it never acts on a digest older than its predecessor's.
    @Test func aFailedCheckOnTakeoverLeavesTheImageUnresolvedUntilTheRegistryAnswers() async throws {
        let spec = try ReconcileWorld.imageSpec(minIdle: 1, digest: nil)
        try await ReconcileWorld.with(spec) { w in
            let registry = Registry(digest: ReconcileWorld.digestA)
            var parts = w.parts(platform: RailwayPlatform(client: w.client()))
            parts.resolveImage = { _, _ in try registry.answer() }
            let loop = try buildReconcileLoop(spec: spec, parts: parts)
            await loop.refreshImage(force: true)
            #expect(await loop.runtime.spec.imageDigest == ReconcileWorld.digestA)
            registry.fail()
            await loop.refreshImage(force: true)
            #expect(await loop.runtime.spec.imageDigest == nil)
            #expect(await loop.runtime.reconciler.tick().plan.notes.contains { $0.contains("digest is not known yet") })
            registry.set(ReconcileWorld.digestA)
            await loop.refreshImage(force: true)
            #expect(await loop.runtime.spec.imageDigest == ReconcileWorld.digestA)
        }
    }

    final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var digest: String?
        init(digest: String) { self.digest = digest }
        func set(_ d: String) { lock.withLock { digest = d } }
        func fail() { lock.withLock { digest = nil } }
        func answer() throws -> String {
            guard let d = lock.withLock({ digest }) else { throw TimedOut(description: "registry down") }
            return d
        }
    }
}

@Suite struct ImageWatchTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int { lock.withLock { n += 1; return n } }
        var count: Int { lock.withLock { n } }
    }

    @Test func asksTheRegistryAtMostOncePerIntervalAndKeepsTheLastDigest() async throws {
        let clock = TestClock(ReconcileWorld.epoch)
        let calls = Counter()
        let failing = Counter()
        let watch = ImageWatch(logger: quiet, clock: { clock.now }) { _, _ in
            _ = calls.next()
            if failing.count > 0 { throw TimedOut(description: "registry down") }
            return ReconcileWorld.digestA
        }
        let spec = try ReconcileWorld.imageSpec(digest: nil)
        #expect(await watch.digest(for: spec) == ReconcileWorld.digestA)
        #expect(await watch.digest(for: spec) == ReconcileWorld.digestA)
        clock.advance(.seconds(59))
        #expect(await watch.digest(for: spec) == ReconcileWorld.digestA)
        #expect(calls.count == 1, "imageCheckInterval is a minute")
        _ = failing.next()
        clock.advance(.seconds(2))
        #expect(await watch.digest(for: spec) == ReconcileWorld.digestA, "the last known digest stays")
        #expect(calls.count == 2)
        let state = try #require(await watch.state)
        #expect(state.failures == 1 && state.error?.contains("registry down") == true && state.digest == ReconcileWorld.digestA)
    }
}

/// What must never happen to a project: taken by another pool, reused after an agent had
/// it, or left behind by an operator.
@Suite(.timeLimit(.minutes(2))) struct ProjectOwnershipTests {
    /// Two environments of one pool.yaml in one workspace share the prefix: each keeps to
    /// the projects made with its own environment's name.
    @Test func twoEnvironmentsInOneWorkspaceNeverTouchEachOther() async throws {
        func spec(_ environment: String) throws -> EnvironmentSpec {
            let yaml = RailwayFake.poolYAML(["minIdle": "2", "maxTotal": "4"], environment: environment,
                                            railway: "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId)}",
                                            source: "{image: \"ghcr.io/acme/runtime:dev\"}")
            var s = try SpecLoader(processEnvironment: TestCredentials.environment).load(text: yaml, file: "pool.yaml", environment: environment).environment!
            s.imageDigest = ReconcileWorld.digestA
            return s
        }
        let staging = try spec("staging"), production = try spec("production")
        try await ReconcileWorld.with(staging) { w in
            // The other environment's manager: a store of its own, the same Railway workspace.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("other-\(UUID().uuidString).sqlite").path
            let otherStore = try SQLiteStore(path: path, logger: quiet)
            _ = try await otherStore.migrate()
            var parts = w.parts(platform: RailwayPlatform(client: w.client(for: production)), seed: 7)
            parts.store = otherStore
            let other = try buildPoolRuntime(spec: production, parts: parts).reconciler
            let mine = w.reconciler()
            for _ in 0..<10 {
                let a = await mine.tick(), b = await other.tick()
                for t in [a, b] {
                    #expect(!t.results.contains { $0.action.kind == .delete }, "a delete: \(t.results.filter { $0.action.kind == .delete }.map(\.action.reason))")
                }
                #expect(a.plan.counts.total <= 2 && b.plan.counts.total <= 2, "one pool counted the other's instances")
                await w.advance(.seconds(30))
            }
            let projects = await w.fake.projects
            #expect(projects.count == 4)
            #expect(projects.filter { $0.environmentName == "staging" }.count == 2)
            #expect(projects.filter { $0.environmentName == "production" }.count == 2)
            await otherStore.close()
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// An instance found by name in a project of the pool's (its record lost) gets that
    /// project recorded, so it is never reused.
    @Test func anInstanceFoundInAProjectHasItsProjectRecorded() async throws {
        // minIdle 1: it is the supply, marked idle, not excess.
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 1, placement: .projectPerInstance)) { w in
            let id = InstanceNaming.ids(1, using: &PlacementReconcileTests.ids)[0]
            let name = InstanceNaming.serviceName(prefix: w.spec.prefix, instanceId: id)
            let projectId = try #require(await w.fake.addProjectsWithServices(names: [name], workspaceId: RailwayFake.workspaceId,
                                                                          image: "img", environmentName: w.spec.name).first)
            _ = await w.reconciler(prober: PlacementReconcileTests.ClaimedAt()).tick()
            #expect(try await w.store.instance(id: id)?.projectId == projectId)
        }
    }

    @Test func killingAClaimedInstanceTakesItsWholeProject() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.imageSpec(minIdle: 1, placement: .projectPerInstance)) { w in
            #expect(await w.converge(w.reconciler(), idle: 1, step: .seconds(30)) != nil)
            let (id, _) = try await PlacementReconcileTests.claimOne(w)
            let record = try #require(try await w.store.instance(id: id))
            let projectId = try #require(record.projectId, "the record names its project")
            #expect(await w.fake.projects.map(\.id).contains(projectId))
            try await PoolOperator(store: w.store, platform: RailwayPlatform(client: w.client()), logger: quiet).kill(instanceId: id)
            #expect(await !w.fake.projects.map(\.id).contains(projectId), "the agent's project is gone, not left for reuse")
        }
    }

    /// During a move, the workspace listing answering empty once is a blind tick: the
    /// shared project's listing does not vouch for it.
    @Test func anEmptyWorkspaceListingDuringAMoveDeletesNothing() async throws {
        let railway = "{placement: projectPerInstance, workspaceId: \(RailwayFake.workspaceId), projectId: project-1, environmentId: environment-1}"
        var spec = try ReconcileWorld.spec(minIdle: 2, maxTotal: 4, railway: railway, source: "{image: \"ghcr.io/acme/runtime:dev\"}")
        spec.imageDigest = ReconcileWorld.digestA
        try await ReconcileWorld.with(spec) { w in
            let r = w.reconciler()
            #expect(await w.converge(r, idle: 2, step: .seconds(60)) != nil)
            // Something else in the shared project keeps its listing non-empty.
            await w.fake.addDeployedServices(names: ["someone-elses-service"], domains: ["x.up.railway.app"],
                                             projectId: "project-1", environmentId: "environment-1")
            _ = await r.tick()
            await w.fake.inject(.emptyEnvironment, operation: "WorkspaceProjectServices")
            let t = await r.tick()
            #expect(!t.observed.complete, "believed an empty workspace: \(t.plan.actions.map(\.reason))")
            #expect(t.plan.actions.isEmpty)
            #expect(await w.fake.calls(of: "ServiceDelete") == 0)
            #expect(await w.fake.calls(of: "ProjectDelete") == 0)
            #expect(await w.fake.projects.count == 2)
        }
    }
}
