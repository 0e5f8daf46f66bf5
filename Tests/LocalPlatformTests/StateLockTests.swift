import Foundation
@testable import LocalPlatform
import Model
import TestSupport
import Testing

/// One owner per state folder: a second platform over a folder in use refuses to start,
/// names the folder and the process that holds it, and touches none of its instances.
@Suite(.timeLimit(.minutes(1))) struct StateLockTests {
    @Test func aSecondPlatformOverTheSameFolderRefusesAndTouchesNothing() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.platform()
            let instance = try await sandbox.runningInstance(on: first, name: "agent-1")
            #expect(await eventually { isListening(instance.domain) })

            await #expect(throws: LocalPlatformError.stateInUse(folder: sandbox.directory.path, pid: getpid())) {
                _ = try await sandbox.platform()
            }
            let message = LocalPlatformError.stateInUse(folder: sandbox.directory.path, pid: getpid()).description
            #expect(message.contains(sandbox.directory.path) && message.contains("pid \(getpid())"))
            // The refused start stopped nothing: the first's instance still runs and answers.
            #expect(InstanceProcess.isAlive(instance.pid))
            #expect(await statusAnswer(domain: instance.domain, key: sandbox.key)?.code == 200)

            // Once the first gives the folder up, a new platform takes it.
            await first.shutdown()
            let second = try await sandbox.platform()
            await second.shutdown()
        }
    }
}
