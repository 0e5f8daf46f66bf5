import ArgumentParser
import Controller
import Foundation
import Model

/// `poolctl claim`: the claim service by hand, against the configured store and platform.
struct ClaimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Hand an idle instance to an agent (create or join a conversation).",
        discussion: """
        Prints the answer as JSON. Exit 0 claimed, 1 error, 3 pool empty (try again later).
        """)

    @OptionGroup var options: SpecOptions

    @Option(help: "The agent's name (1 to 64 characters); the instance is renamed after it.")
    var agentName: String

    @Option(help: "The agent's instructions.")
    var instructions: String?

    @Option(help: "Read the instructions from this file instead.")
    var instructionsFile: String?

    @Option(help: "Join the user's conversation at this invite URL instead of creating one.")
    var joinUrl: String?

    @Option(help: "Repeat a claim with the same key to get its first answer back.")
    var idempotencyKey: String?

    func run() async throws {
        let text: String
        if let instructionsFile {
            guard let data = FileManager.default.contents(atPath: instructionsFile) else {
                Output.error("error: cannot read \(instructionsFile)")
                throw ExitCode(1)
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = instructions ?? ""
        }
        let context: PoolContext
        do {
            context = try await PoolContext.make(options: options, logger: Log.make("claim"), migrate: true)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(1)
        }
        let result = await context.claims.claim(ClaimRequest(agentName: agentName, instructions: text, joinUrl: joinUrl),
                                                  idempotencyKey: idempotencyKey)
        await context.close()
        let refusal: (message: String, code: Int32)
        switch result {
        case .claimed(let answer):
            print(String(decoding: try PoolJSON.encoder().encode(answer), as: UTF8.self))
            return
        case .poolEmpty: refusal = ("no idle instance: the pool is being refilled, try again in a moment", 3)
        case .invalid(let e): refusal = ("error: \(e)", 1)
        case .failed(let id, let message): refusal = ("error: the claim of instance \(id) failed: \(message)", 1)
        case .inProgress: refusal = ("error: a claim with this Idempotency-Key is still in progress", 1)
        case .keyReused: refusal = ("error: this Idempotency-Key was used with another request", 1)
        case .unavailable(let why): refusal = ("error: \(why)", 1)
        }
        Output.error(refusal.message)
        throw ExitCode(refusal.code)
    }
}
