import Foundation
@testable import LocalPlatform
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A new controller over the same state directory keeps the pool: after a shutdown it
/// restarts the finished instances; after a crash it adopts the processes still running.
@Suite(.timeLimit(.minutes(1))) struct RestartTests {
    @Test func afterShutdownFinishedInstancesRestartOnTheirPorts() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.platform()
            let ready = try await sandbox.createInstance(on: first, name: "agent-ready")
            sandbox.finishBuilds()
            let building = try await sandbox.createInstance(on: first, name: "agent-building")
            let deleted = try await sandbox.createInstance(on: first, name: "agent-deleted")
            let before = try await first.listServices()
            #expect(before.map(\.deployStatus) == [.success, .queued, .queued])
            // A controller that died halfway through a delete left this record behind.
            try await markDeleting(deleted.id, of: first, in: sandbox)
            await first.shutdown()
            // Checked by process, not by port: a freed port may serve a parallel test at once.
            #expect(try sandbox.runningInstances().isEmpty)

            let second = try await sandbox.platform()
            let after = try await second.listServices()
            #expect(after.map(\.serviceId) == [ready.id, building.id])
            #expect(after.map(\.name) == ["agent-ready", "agent-building"])
            #expect(after.map(\.domain) == [ready.domain, building.domain])
            #expect(after.map(\.deployStatus) == [.success, .queued])
            #expect(await second.records[building.id]?.pid == nil, "an unfinished build has no process yet")
            let answered = await eventually { await statusAnswer(domain: ready.domain, key: sandbox.key)?.code == 200 }
            #expect(answered, "the finished instance was not restarted on \(ready.domain)")
            await second.shutdown()
        }
    }

    @Test func afterACrashRunningProcessesAreAdoptedNotDuplicated() async throws {
        try await withSandbox { sandbox in
            var first: LocalPlatform? = try await sandbox.platform()
            let instance = try await sandbox.createInstance(on: first!, name: "agent-1")
            sandbox.finishBuilds()
            _ = try await first!.listServices()
            let pid = try #require(await first!.records[instance.id]?.pid)
            #expect(await eventually { isListening(instance.domain) })
            first = nil  // the controller dies without shutting down: its processes live on

            let second = try await sandbox.platform()
            #expect(try await second.listServices().map(\.deployStatus) == [.success])
            #expect(await second.records[instance.id]?.pid == pid, "the running process is adopted")
            #expect(try sandbox.runningInstances() == [pid], "and no second one starts")
            #expect(await statusAnswer(domain: instance.domain, key: sandbox.key)?.code == 200)

            await second.shutdown()
            #expect(!InstanceProcess.isAlive(pid))
        }
    }

    @Test func afterACrashWithItsProcessesGoneFinishedInstancesRestart() async throws {
        try await withSandbox { sandbox in
            var first: LocalPlatform? = try await sandbox.platform()
            let instance = try await sandbox.createInstance(on: first!, name: "agent-1")
            sandbox.finishBuilds()
            _ = try await first!.listServices()
            let pid = try #require(await first!.records[instance.id]?.pid)
            first = nil
            // The machine rebooted: controller and instances are gone, the records are not.
            kill(pid, SIGKILL)
            #expect(await eventually { !InstanceProcess.isAlive(pid) })

            let second = try await sandbox.platform()
            #expect(try await second.listServices().map(\.deployStatus) == [.success])
            let restarted = try #require(await second.records[instance.id]?.pid)
            #expect(restarted != pid)
            let answered = await eventually { await statusAnswer(domain: instance.domain, key: sandbox.key)?.code == 200 }
            #expect(answered, "the instance was not restarted on \(instance.domain)")
            await second.shutdown()
        }
    }

    /// What `deleteService` writes before it stops the process.
    private func markDeleting(_ id: String, of platform: LocalPlatform, in sandbox: Sandbox) async throws {
        var record = try #require(await platform.records[id])
        record.deleting = true
        try ServiceRecordStore(directory: sandbox.directory).save(record)
    }
}
