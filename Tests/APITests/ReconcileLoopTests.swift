import Foundation
import Controller
@testable import Server
import ServiceLifecycle
import Spec
import TestSupport
import Testing

/// The loop: serialized ticks, coalesced triggers, the timer, graceful shutdown, reload.
@Suite(.timeLimit(.minutes(1))) struct ReconcileLoopTests {
    /// A loop whose first tick is held at its listing, running in `group` as `running`.
    func withFirstTickHeld(_ body: (ServerWorld, MemoryPlatform, ServiceGroup, Task<Void, any Error>) async throws -> Void) async throws {
        let platform = MemoryPlatform()
        platform.holdListings()
        try await ServerWorld.with(platform: platform, runLoop: false) { world in
            let group = ServiceGroup(configuration: .init(services: [world.loop], logger: quiet))
            let running = Task { try await group.run() }
            try await eventually("the first tick to start") { platform.listings == 1 }
            try await body(world, platform, group, running)
        }
    }

    @Test func triggersDuringASlowTickGiveExactlyOneMoreTick() async throws {
        try await withFirstTickHeld { world, platform, group, running in
            for _ in 0..<10 { world.loop.trigger() }
            platform.releaseListings()
            try await eventually("the extra tick") { await world.loop.ticksRun == 2 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await world.loop.ticksRun == 2)
            #expect(platform.listings == 2)
            await group.triggerGracefulShutdown()
            try await running.value
        }
    }

    @Test func ticksNeverOverlap() async throws {
        let platform = MemoryPlatform()
        platform.listingDelay = .milliseconds(20)
        try await ServerWorld.with(platform: platform) { world in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<12 {
                    group.addTask {
                        if k.isMultiple(of: 2) {
                            #expect(await world.loop.tickNow() != nil)
                        } else {
                            world.loop.trigger()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(platform.mostConcurrentListings == 1)
            #expect(platform.listings >= 2)
        }
    }

    @Test func tickNowWaitsForATickThatStartsAfterIt() async throws {
        let platform = MemoryPlatform()
        try await ServerWorld.with(platform: platform) { world in
            platform.holdListings()
            world.loop.trigger()
            try await eventually("a tick in flight") { platform.listings == 2 }
            // Made after the tick in flight listed: only a tick that starts later sees it.
            platform.add(name: "made-after-the-listing")
            let asked = Task { await world.loop.tickNow() }
            try await Task.sleep(for: .milliseconds(50))
            platform.releaseListings()
            let result = try #require(await asked.value)
            #expect(result.observed.instances.contains { $0.service?.name == "made-after-the-listing" })
        }
    }

    @Test func theTimerTicksEveryInterval() async throws {
        try await ServerWorld.with(spec: try ServerFixtures.spec(tickInterval: "50ms")) { world in
            try await eventually("timer ticks") { await world.loop.ticksRun >= 4 }
        }
    }

    @Test func gracefulShutdownFinishesTheTickInFlight() async throws {
        try await withFirstTickHeld { world, platform, group, running in
            world.loop.trigger()  // pending when the shutdown comes: dropped, not run
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(100))
            #expect(await world.loop.ticksRun == 0, "still in its tick")
            platform.releaseListings()
            try await running.value
            #expect(await world.loop.ticksRun == 1)
            #expect(await world.loop.lastTick != nil)
            #expect(await world.loop.tickNow() == nil, "a stopped loop runs no ticks")
        }
    }

    @Test func reloadTakesAValidSpecAndKeepsTheLastGoodOneOtherwise() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).yaml").path
        try ServerFixtures.yaml(minIdle: 0).write(toFile: path, atomically: true, encoding: .utf8)
        let load: ReconcileLoop.LoadSpec = {
            try SpecLoader(processEnvironment: TestCredentials.environment).load(path: path, environment: "test").environment!
        }
        try await ServerWorld.with(spec: try load(), loadSpec: load) { world in
            try ServerFixtures.yaml(minIdle: 2).write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await world.loop.reload())
            #expect(await world.loop.runtime.spec.settings.minIdle == 2)
            // The reload triggered a tick with the new spec: it fills the pool to 2.
            try await eventually("the new spec's tick") { world.platform.serviceCount == 2 }

            try "minIdle: -1\nenvironments:\n  test:\n    platform: moon\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await world.loop.reload() == false)
            #expect(await world.loop.runtime.spec.settings.minIdle == 2)
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test func claimsAfterAReloadUseTheNewSpec() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).yaml").path
        try ServerFixtures.yaml().write(toFile: path, atomically: true, encoding: .utf8)
        let load: ReconcileLoop.LoadSpec = {
            try SpecLoader(processEnvironment: TestCredentials.environment).load(path: path, environment: "test").environment!
        }
        try await ServerWorld.with(spec: try load(), loadSpec: load) { world in
            try ServerFixtures.yaml(tickInterval: "7s").write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await world.loop.reload())
            #expect(await world.loop.runtime.claims.spec.settings.tickInterval == 7)
            #expect(await world.loop.runtime.retryAfterSeconds == 7)
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}
