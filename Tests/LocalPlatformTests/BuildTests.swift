import Foundation
@testable import LocalPlatform
import Ports
import TestSupport
import Testing

/// The create sequence takes a service through Railway's statuses by the clock, then
/// runs a real stand-in agent on its domain.
@Suite(.timeLimit(.minutes(1))) struct BuildTests {
    @Test func createGoesThroughEveryPhaseToAnInstanceServingTheContract() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let blueprint = InstanceBlueprint(name: "agent-1", repo: "example/agent", branch: "main",
                                              rootDirectory: "agent", variables: ["INSTANCE_TOKEN": sandbox.key])
            let id = try await platform.createService(blueprint)
            #expect(id.hasPrefix("local-"))
            let fresh = try #require(try await platform.listServices().first)
            #expect(fresh.serviceId == id && fresh.name == "agent-1")
            #expect(fresh.deployStatus == nil && fresh.domain == nil)

            try await platform.configureService(serviceId: id, blueprint)
            let domain = try await platform.createDomain(serviceId: id, blueprint)
            #expect(domain.hasPrefix("127.0.0.1:"))
            #expect(try await platform.createDomain(serviceId: id, blueprint) == domain)
            try await platform.startBuild(serviceId: id, blueprint)
            try await platform.pinSource(serviceId: id, blueprint)

            #expect(try await sandbox.status(of: id, on: platform) == .queued)
            sandbox.clock.advance(.seconds(1))
            #expect(try await sandbox.status(of: id, on: platform) == .building)
            sandbox.clock.advance(.seconds(3))
            #expect(try await sandbox.status(of: id, on: platform) == .deploying)
            #expect(await platform.records[id]?.pid == nil, "no process before the build ends")
            sandbox.clock.advance(.seconds(1))
            let service = try #require(try await platform.listServices().first)
            #expect(service.deployStatus == .success)
            #expect(service.domain == domain)

            let answered = await eventually { await statusAnswer(domain: domain, key: sandbox.key)?.code == 200 }
            #expect(answered, "the instance never answered on \(domain)")
            let answer = await statusAnswer(domain: domain, key: sandbox.key)
            #expect(answer?.contentType?.hasPrefix("application/json") == true)
            #expect(await statusAnswer(domain: domain, key: "wrong")?.code == 401)

            let record = try #require(await platform.records[id])
            #expect(record.rootDirectory == "agent" && record.pinnedAt != nil)
            let logs = try sandbox.logFilesText()
            #expect(logs.contains("listening"), "the instance's output goes to its log file")
            #expect(!logs.contains(sandbox.key), "the instance's token stays out of logs")
            #expect(try sandbox.recordPermissions(id) == 0o600, "a record keeps the instance's variables: owner-only")
            let commandLine = try processArguments(of: try #require(record.pid))
            #expect(commandLine.contains("stand-in-agent"))
            #expect(!commandLine.contains(sandbox.key), "arguments show in ps: the key goes by environment")
            await platform.shutdown()
        }
    }

    @Test func aFailingBuildEndsFailedAndStartsNothing() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform(failBuilds: true)
            let (id, _) = try await sandbox.createInstance(on: platform, name: "doomed")
            sandbox.clock.advance(.seconds(1))
            #expect(try await sandbox.status(of: id, on: platform) == .building)
            sandbox.clock.advance(.seconds(3))
            #expect(try await sandbox.status(of: id, on: platform) == .failed)
            sandbox.clock.advance(.seconds(60))
            #expect(try await sandbox.status(of: id, on: platform) == .failed)
            #expect(await platform.records[id]?.pid == nil)
            #expect(try sandbox.runningInstances().isEmpty, "a failed build spawns nothing")
            await platform.shutdown()
        }
    }

    @Test func stepsOnAnUnknownServiceThrow() async throws {
        try await withSandbox { sandbox in
            let platform = try await sandbox.platform()
            let blueprint = InstanceBlueprint(name: "x", repo: "r", branch: "b", rootDirectory: "", variables: [:])
            await #expect(throws: LocalPlatformError.serviceNotFound("local-missing")) {
                try await platform.startBuild(serviceId: "local-missing", blueprint)
            }
            await #expect(throws: LocalPlatformError.serviceNotFound("local-missing")) {
                try await platform.createDomain(serviceId: "local-missing", blueprint)
            }
        }
    }
}
