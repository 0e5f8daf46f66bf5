import ArgumentParser
import Crypto
import Credentials
import Foundation
import Planning

/// What instance tokens add to a tick: the observer derives one token per probed instance,
/// and a self-destruct checks one. Timed over a tick's worth of instances, against an
/// unkeyed SHA-256 of the same ids, written the same way, measured in the same run (the
/// baseline the ratio is taken to).
struct TokenBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokens",
                                                    abstract: "Time instance token derivation and checks per tick of N instances.")

    @Option(help: "Instances per tick.")
    var instances = 1000

    @Option(help: "Timed runs (after 3 warm-up runs).")
    var runs = 19

    func run() async throws {
        guard instances > 0, runs > 0 else { throw ValidationError("--instances and --runs must be positive") }
        let secrets = try InstanceSecrets.fromEnvironment(["POOL_INSTANCE_SECRET": String(repeating: "b3", count: 32)])!
        var g = SplitMix64(seed: 7)
        let ids = InstanceNaming.ids(instances, using: &g)
        let tokens = ids.map { secrets.currentToken(instanceId: $0) }
        var derive: [Double] = [], check: [Double] = [], baseline: [Double] = []
        var sink = 0
        for i in 0..<(runs + 3) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for id in ids { sink &+= secrets.currentToken(instanceId: id).utf8.count }
            let t1 = DispatchTime.now().uptimeNanoseconds
            for (id, token) in zip(ids, tokens) where secrets.isToken(token, instanceId: id, version: 1) { sink &+= 1 }
            let t2 = DispatchTime.now().uptimeNanoseconds
            for id in ids { sink &+= Hex.lowercase(SHA256.hash(data: Data(id.utf8))).utf8.count }
            let t3 = DispatchTime.now().uptimeNanoseconds
            if i >= 3 {
                derive.append(Double(t1 - t0) / 1e6)
                check.append(Double(t2 - t1) / 1e6)
                baseline.append(Double(t3 - t2) / 1e6)
            }
        }
        func line(_ name: String, _ xs: [Double]) -> String {
            let s = xs.sorted(), median = s[s.count / 2], b = baseline.sorted()[baseline.count / 2]
            return name.padding(toLength: 30, withPad: " ", startingAt: 0)
                + String(format: "median %7.3f ms (%7.3f to %7.3f), %6.2f µs each, %4.2f× the baseline",
                         median, s.first!, s.last!, median * 1000 / Double(instances), median / b)
        }
        print("\(instances) instances, \(runs) runs (sink \(sink % 10))")
        print(line("derive tokens (a tick)", derive))
        print(line("check tokens", check))
        print(line("SHA-256 of ids (baseline)", baseline))
    }
}
