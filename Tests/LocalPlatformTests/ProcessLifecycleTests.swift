import Foundation
@testable import LocalPlatform
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Instance processes that die on their own, and the platform's own shutdown.
@Suite(.timeLimit(.minutes(1))) struct ProcessLifecycleTests {
    @Test func aProcessKilledFromOutsideShowsCrashedAndStaysDown() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let (id, _) = try await sandbox.createInstance(on: platform, name: "agent-1")
            sandbox.finishBuilds()
            #expect(try await sandbox.status(of: id, on: platform) == .success)
            let pid = try #require(await platform.records[id]?.pid)

            kill(pid, SIGKILL)
            let crashed = try await eventually { try await sandbox.status(of: id, on: platform) == .crashed }
            #expect(crashed)
            sandbox.clock.advance(.seconds(60))
            #expect(try await sandbox.status(of: id, on: platform) == .crashed)
            #expect(await platform.records[id]?.pid == nil, "a crashed instance is not restarted")
            await platform.shutdown()
        }
    }

    @Test func shutdownStopsEveryProcessAndStartsNoMore() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let first = try await sandbox.createInstance(on: platform, name: "agent-1")
            let second = try await sandbox.createInstance(on: platform, name: "agent-2")
            sandbox.finishBuilds()
            _ = try await platform.listServices()
            var pids: [Int32] = []
            for id in [first.id, second.id] { pids.append(try #require(await platform.records[id]?.pid)) }
            #expect(await eventually { isListening(first.domain) && isListening(second.domain) })

            await platform.shutdown()
            #expect(pids.allSatisfy { !InstanceProcess.isAlive($0) })
            #expect(try sandbox.runningInstances().isEmpty)

            _ = try await platform.listServices()
            #expect(try sandbox.runningInstances().isEmpty, "no process starts after shutdown")
            await #expect(throws: LocalPlatformError.shutDown) {
                try await sandbox.createInstance(on: platform, name: "agent-3")
            }
        }
    }
}
