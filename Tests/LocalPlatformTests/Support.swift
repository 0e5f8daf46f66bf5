import Foundation
@testable import LocalPlatform
import Model
import Ports
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One test's state directory, clock and key, and the platforms it runs over them.
/// Its instances run `poolctl` through a link of its own, so that `withSandbox` can find
/// and kill every process the test started, even one the platform lost track of.
struct Sandbox {
    let directory: URL
    let executable: URL
    /// Moved by hand, so build phases pass without waiting for them.
    let clock = TestClock(Date())
    let key = "local-key-\(UUID().uuidString.prefix(8))"

    init() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("local-platform-tests-\(UUID().uuidString)")
        directory = root.appendingPathComponent("state")
        executable = root.appendingPathComponent("poolctl")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: executable, withDestinationURL: try poolctlBinary())
    }

    func platform(failBuilds: Bool = false) async throws -> LocalPlatform {
        let clock = clock
        return try await LocalPlatform(configuration: LocalPlatformConfiguration(
            apiKey: key, stateDirectory: directory, executable: executable,
            failBuilds: failBuilds, now: { clock.now }))
    }

    /// An instance built and running on `platform`, with the process it runs as.
    struct Running: Sendable {
        var id: String
        var domain: String
        var pid: Int32
    }

    func runningInstance(on platform: LocalPlatform, name: String) async throws -> Running {
        let instance = try await createInstance(on: platform, name: name)
        finishBuilds()
        _ = try await platform.listServices()
        let pid = try #require(await platform.records[instance.id]?.pid)
        return Running(id: instance.id, domain: instance.domain, pid: pid)
    }

    /// Create, configure, domain, build and pin, as the executor does. Returns the id and domain.
    func createInstance(on platform: LocalPlatform, name: String) async throws -> (id: String, domain: String) {
        let blueprint = InstanceBlueprint(name: name, repo: "example/agent", branch: "main",
                                          rootDirectory: "agent", variables: ["INSTANCE_TOKEN": key])
        let id = try await platform.createService(blueprint)
        try await platform.configureService(serviceId: id, blueprint)
        let domain = try await platform.createDomain(serviceId: id, blueprint)
        try await platform.startBuild(serviceId: id, blueprint)
        try await platform.pinSource(serviceId: id, blueprint)
        return (id, domain)
    }

    /// The whole default build (1 s + 3 s + 1 s) passes.
    func finishBuilds() { clock.advance(.seconds(5)) }

    func status(of id: String, on platform: LocalPlatform) async throws -> DeployStatus? {
        try await platform.listServices().first { $0.serviceId == id }?.deployStatus
    }

    /// Pids of the instance processes of this sandbox that are running now.
    func runningInstances() throws -> [Int32] { try processes(startedFrom: executable) }

    /// Every file of the state directory, as text.
    /// The records and logs in the state folder (its lock file left out).
    func stateFilesText() throws -> String {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent != ".lock" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
    }

    /// The instances' output only (records keep their variables, as Railway does).
    func logFilesText() throws -> String {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "log" }
            .map { try String(contentsOf: $0, encoding: .utf8) }
            .joined(separator: "\n")
    }

    /// The permission bits of a service's record file.
    func recordPermissions(_ id: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("\(id).json").path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}

func withSandbox(_ body: (Sandbox) async throws -> Void) async throws {
    let sandbox = try Sandbox()
    defer {
        for pid in (try? processes(startedFrom: sandbox.executable)) ?? [] { InstanceProcess.kill(pid) }
        try? FileManager.default.removeItem(at: sandbox.executable.deletingLastPathComponent())
    }
    try await body(sandbox)
}

/// Pids of the processes running `executable` (as named on their command line).
func processes(startedFrom executable: URL) throws -> [Int32] {
    try psOutput(["-e", "-o", "pid=,args="]).split(separator: "\n").compactMap { line in
        let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
        guard fields.count == 2, fields[1].hasPrefix(executable.path + " ") else { return nil }
        return Int32(fields[0])
    }
}

/// The `poolctl` binary built with the tests: the instances are its stand-in agents.
func poolctlBinary() throws -> URL {
    let binary = Poolctl.binary
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw PoolctlMissing(path: binary)
    }
    return URL(fileURLWithPath: binary)
}

struct PoolctlMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "no poolctl executable at \(path); build it first (swift build --build-tests)" }
}

/// `GET http://<domain>/convos/status`: the status code and content type, or nil while
/// nothing answers.
func statusAnswer(domain: String, key: String?) async -> (code: Int, contentType: String?)? {
    var request = URLRequest(url: URL(string: "http://\(domain)/convos/status")!, timeoutInterval: 2)
    if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
    guard let (_, response) = try? await URLSession.shared.data(for: request),
          let http = response as? HTTPURLResponse else { return nil }
    return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"))
}

/// The command line of a process, as anyone on the machine sees it with `ps`.
func processArguments(of pid: Int32) throws -> String {
    try psOutput(["-o", "args=", "-p", String(pid)])
}

private func psOutput(_ arguments: [String]) throws -> String {
    let ps = Process()
    ps.executableURL = URL(fileURLWithPath: "/bin/ps")
    ps.arguments = arguments
    let output = Pipe()
    ps.standardOutput = output
    try ps.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    ps.waitUntilExit()
    return text
}

func isListening(_ domain: String) -> Bool {
    LoopbackPort.answers(Int(domain.split(separator: ":").last!)!)
}
