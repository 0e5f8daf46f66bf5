import AgentClient
import ArgumentParser
import Controller
import Foundation
import Model
import Planning
import Ports
import Spec

/// Probes with one key whatever the instance: the multiplexed stand-ins of a benchmark
/// share a key, while the pool gives every instance a token of its own.
struct SharedKeyProber: StatusProber {
    let base: AgentClient
    let key: String

    func probeAll(_ targets: [ProbeTarget], timeout: Duration) async -> [String: ProbeResult] {
        await base.probeAll(targets.map { ProbeTarget(id: $0.id, baseURL: $0.baseURL, bearer: key) }, timeout: timeout)
    }
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release). Results are recorded in BENCHMARKS.md.",
        subcommands: [PlanBench.self, ClaimBench.self, ScaleBench.self, ConvergeBench.self, FloodBench.self, TokenBench.self,
                       PlacementBench.self, WebhookBench.self])
}

/// Planning time over a realistic pool: mostly claimed, some idle, provisioning, dead,
/// outdated and foreign services. Prints medians per size and the time per instance, so
/// linear growth shows as a flat per-instance figure.
struct PlanBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Time Planner.plan over N instances.")

    @Option(help: "Comma-separated pool sizes.")
    var sizes = "1000,2500,5000,10000,20000"

    @Option(help: "Timed runs per size (after 3 warm-up runs).")
    var runs = 30

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, runs > 0 else { throw ValidationError("--sizes needs numbers and --runs a positive count") }
        print("instances  median ms     p90 ms   µs/instance")
        for n in sizes {
            let (desired, observed, now) = Self.world(instances: n)
            var samples: [Double] = []
            var actions = 0
            for i in 0..<(runs + 3) {
                let start = DispatchTime.now().uptimeNanoseconds
                let plan = Planner.plan(desired: desired, observed: observed, now: now)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                actions = plan.actions.count
                if i >= 3 { samples.append(ms) }
            }
            samples.sort()
            let median = samples[samples.count / 2], p90 = samples[Int(Double(samples.count - 1) * 0.9)]
            print(String(format: "%9d  %9.2f  %9.2f  %12.3f   (%d actions)", n, median, p90, median * 1000 / Double(n), actions))
        }
    }

    static func world(instances n: Int) -> (DesiredState, ObservedState, Date) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var settings = PoolSettings()
        settings.minIdle = n / 10
        settings.maxTotal = n + n / 10
        let revision = String(repeating: "c", count: 64), old = String(repeating: "0", count: 64)
        var g = SplitMix64(seed: 42)
        var list: [ObservedInstance] = []
        for k in 0..<n {
            let id = InstanceNaming.randomId(using: &g)
            let roll = k % 20
            var status: DeployStatus = .success
            var probe = ProbeResult.status(AgentStatus(usable: true, conversationId: nil, streaming: false))
            var record = InstanceRecord(instanceId: id, serviceId: "svc-\(k)", revision: revision,
                                        createdAt: now.addingTimeInterval(-3600), createStep: .pinned, marked: .idle)
            switch roll {
            case 0..<13: record.claim = .claimed; record.agentName = "agent \(k)"
                probe = .status(AgentStatus(usable: true, conversationId: "c\(k)", streaming: true))
            case 13: status = .building; probe = .notProbed; record.marked = nil
            case 14: status = .failed; probe = .notProbed
            case 15: record.revision = old
            case 16: probe = .unreachable("refused")
            default: break
            }
            let name = record.agentName.map { "convos-agent-\(InstanceNaming.slug($0))" } ?? "convos-agent-\(id)"
            list.append(ObservedInstance(
                service: PlatformService(serviceId: "svc-\(k)", name: roll == 19 ? "foreign-\(k)" : name,
                                         createdAt: now.addingTimeInterval(-3600), deployStatus: status),
                probe: probe, record: roll == 19 ? nil : record))
        }
        let desired = DesiredState(environment: "bench", prefix: "convos-agent", settings: settings, revision: revision,
                                   newInstanceIds: InstanceNaming.ids(settings.createsPerTick, using: &g))
        return (desired, ObservedState(instances: list), now)
    }
}
