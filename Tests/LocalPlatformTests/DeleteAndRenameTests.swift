import Foundation
@testable import LocalPlatform
import TestSupport
import Testing

/// Delete and rename are idempotent, as on Railway: an unknown id is success.
@Suite(.timeLimit(.minutes(1))) struct DeleteAndRenameTests {
    @Test func deleteStopsTheProcessRemovesTheRecordAndIsIdempotent() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let (id, domain) = try await sandbox.createInstance(on: platform, name: "agent-1")
            sandbox.finishBuilds()
            #expect(try await sandbox.status(of: id, on: platform) == .success)
            let pid = try #require(await platform.records[id]?.pid)
            #expect(await eventually { isListening(domain) })

            try await platform.deleteService(serviceId: id)
            // The process is gone (its port may already serve a parallel test's instance).
            #expect(!InstanceProcess.isAlive(pid))
            #expect(try await platform.listServices().isEmpty)
            #expect(try sandbox.runningInstances().isEmpty)
            #expect(try sandbox.stateFilesText().isEmpty, "record and log are removed")

            try await platform.deleteService(serviceId: id)
            try await platform.deleteService(serviceId: "local-never-existed")
        }
    }

    @Test func renameIsIdempotent() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let (id, _) = try await sandbox.createInstance(on: platform, name: "agent-1")
            try await platform.renameService(serviceId: id, to: "agent-1-claimed")
            try await platform.renameService(serviceId: id, to: "agent-1-claimed")
            #expect(try await platform.listServices().map(\.name) == ["agent-1-claimed"])
            try await platform.renameService(serviceId: "local-never-existed", to: "whatever")
            #expect(try await platform.listServices().map(\.name) == ["agent-1-claimed"])
        }
    }
}
