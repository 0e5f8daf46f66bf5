import Foundation
import Logging
import StandInAgent

/// Stand-in agents for a benchmark: multiplexed on one port in this process, or in a
/// process of their own (`poolctl stand-in-agent --multiplex`). In their own process the
/// benchmark holds one end of each agent connection only, as `poolctl serve` does, so
/// 10,000 instances fit within an open-file limit of 20,000.
enum BenchAgents {
    case inline(StandInMultiplexer)
    case process(Process)

    /// Starts them; returns where they listen.
    static func start(ownProcess: Bool, apiKey: String, logger: Logger) async throws -> (BenchAgents, port: Int) {
        guard ownProcess else {
            let agents = StandInMultiplexer(apiKey: apiKey, logger: logger)
            return (.inline(agents), try await agents.start())
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["stand-in-agent", "--multiplex", "--xmtp-env", "dev"]
        process.environment = ["PATH": "/usr/bin:/bin", "INSTANCE_TOKEN": apiKey]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says the port; read off the concurrency pool (a blocking read).
        let line = await Task.detached { () -> String in
            var text = ""
            while !text.contains("\n") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }.value
        guard let port = line.split(separator: "\n").first.flatMap({ Int($0.dropFirst("port ".count)) }),
              line.hasPrefix("port ") else {
            process.terminate()
            throw CLIError("the stand-in agents did not start: '\(line.prefix(200))'")
        }
        return (.process(process), port)
    }

    func stop() async {
        switch self {
        case .inline(let agents): await agents.stop()
        case .process(let process):
            process.terminate()
            process.waitUntilExit()
        }
    }
}
