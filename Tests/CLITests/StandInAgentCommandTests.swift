import Foundation
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `poolctl stand-in-agent` as the local platform runs it: a process that serves the
/// contract until SIGTERM.
@Suite(.timeLimit(.minutes(1))) struct StandInAgentCommandTests {
    @Test func refusesToStartWithoutAKey() throws {
        let r = try Poolctl.run(["stand-in-agent", "--port", "0"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("POOL_API_KEY"))
    }

    @Test func servesTheContractAndExitsZeroOnSIGTERM() async throws {
        let key = "cli-key-77c1"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Poolctl.binary)
        process.arguments = ["stand-in-agent", "--port", "0", "--status-shape", "new"]
        process.environment = ["POOL_API_KEY": key, "PATH": "/usr/bin:/bin"]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()

        // The port it picked is in its "listening" log line.
        var log = ""
        var port: Int?
        while port == nil {
            let chunk = stderr.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            log += String(decoding: chunk, as: UTF8.self)
            port = log.components(separatedBy: "port=").dropFirst().first
                .flatMap { Int($0.prefix { $0.isNumber }) }
        }
        let listening = try #require(port, "no port in: \(log)")

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(listening)/convos/status")!)
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: data, as: UTF8.self) == #"{"clean":true,"conversationId":null,"inboxId":null,"pending":false}"#)

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        log += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!log.contains(key))
    }
}
