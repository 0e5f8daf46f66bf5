import Controller
import Credentials
import Foundation
import Model
import Planning
import Metrics
import Prometheus

/// The pool's metrics, recorded through swift-metrics with an explicit Prometheus factory
/// (no process-wide bootstrap, so every server and test has its own registry) and
/// rendered in Prometheus' text format by `GET /metrics`.
public struct PoolMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// For other parts of the process that report into the same registry (the Railway client).
    public let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// One tick: its duration, whether it saw everything, and each action's outcome.
    public func record(tick: TickResult, duration: Duration) {
        Counter(label: "pool_ticks_total", dimensions: [("complete", "\(tick.observed.complete)")], factory: factory).increment()
        Metrics.Timer(label: "pool_tick_duration_seconds", factory: factory).record(duration: duration)
        for r in tick.results {
            let outcome = switch r.outcome {
            case .ok: "ok"
            case .failed: "failed"
            case .refused: "refused"
            }
            Counter(label: "pool_actions_total", dimensions: [("kind", r.action.kind.rawValue), ("outcome", outcome)],
                    factory: factory).increment()
        }
        recordInstances(tick.plan.counts)
        recordCredentials(tick.credentials)
        if let image = tick.image { recordImage(image) }
    }

    /// Whether the image's digest is known, and how many checks in a row failed: a
    /// failing registry keeps the last digest (no rollout), which only these show.
    public func recordImage(_ image: ImageWatch.State) {
        Gauge(label: "pool_image_digest_known", factory: factory).record(image.digest == nil ? 0 : 1)
        Gauge(label: "pool_image_check_failures", factory: factory).record(image.failures)
    }

    /// Instances by the credential they hold (`current`, `previous`, `pool_key`, `unknown`),
    /// all and idle only: the previous instance secret can go once `previous` is 0.
    public func recordCredentials(_ counts: CredentialCounts) {
        for (label, kind) in [("current", InstanceCredentials.Kind.current), ("previous", .previous),
                              ("pool_key", .poolKey), ("unknown", .unknown)] {
            Gauge(label: "pool_instances_by_credential", dimensions: [("credential", label)], factory: factory)
                .record(counts.instances[kind])
            Gauge(label: "pool_idle_instances_by_credential", dimensions: [("credential", label)], factory: factory)
                .record(counts.idle[kind])
        }
        Gauge(label: "pool_instance_secret_version", factory: factory).record(counts.version)
    }

    /// Instances by state, as the last tick classified them.
    /// Outdated instances are reported as one more `state`, as they were counted before.
    public func recordInstances(_ counts: PlanCounts) {
        for state in InstanceState.allCases {
            Gauge(label: "pool_instances", dimensions: [("state", state.rawValue)], factory: factory).record(counts[state])
        }
        Gauge(label: "pool_instances", dimensions: [("state", "outdated")], factory: factory).record(counts.outdated)
    }

    /// Whether this replica leads (holds the leader lease): 1 on exactly one replica.
    public func recordLeadership(replica: String, leading: Bool) {
        Gauge(label: "pool_leader", dimensions: [("replica", replica)], factory: factory).record(leading ? 1 : 0)
    }

    /// One claim: how it ended and how long it took.
    public func record(claim result: ClaimResult, duration: Duration) {
        let outcome = switch result {
        case .claimed: "claimed"
        case .poolEmpty: "pool_empty"
        case .invalid: "invalid"
        case .failed: "failed"
        case .inProgress: "in_progress"
        case .keyReused: "key_reused"
        case .unavailable: "unavailable"
        }
        Counter(label: "pool_claims_total", dimensions: [("outcome", outcome)], factory: factory).increment()
        Metrics.Timer(label: "pool_claim_duration_seconds", factory: factory).record(duration: duration)
    }

    /// One webhook delivery: its event type (Railway's, lower case; `other` for an unknown
    /// one) and what became of it (`accepted`, `ignored`, `malformed`, `forbidden`).
    public func recordWebhook(type: String, outcome: String) {
        Counter(label: "pool_webhooks_total", dimensions: [("type", type), ("outcome", outcome)], factory: factory).increment()
    }

    /// How webhooks stand: seconds since the last one (-1 before any), and the loop's mode
    /// (1 on the mode in force: `off`, `healthy` or `polling`).
    public func recordWebhooks(_ state: WebhookWatch.State, now: Date) {
        Gauge(label: "pool_webhook_last_age_seconds", factory: factory)
            .record(state.lastWebhookAt.map { now.timeIntervalSince($0) } ?? -1)
        for mode in [WebhookWatch.Mode.off, .healthy, .polling] {
            Gauge(label: "pool_webhook_mode", dimensions: [("mode", mode.rawValue)], factory: factory).record(state.mode == mode ? 1 : 0)
        }
    }

    /// The Prometheus text exposition of everything recorded.
    public func render() -> String { registry.emitToString() }
}
