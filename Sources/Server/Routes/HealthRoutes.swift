import Hummingbird

/// Liveness and readiness, for the platform's health checks: no auth, no secrets.
struct HealthRoutes {
    let context: ServerContext

    struct Health: ResponseEncodable {
        var status: String
    }

    func register(on router: Router<PoolRequestContext>) {
        router.get("healthz") { _, _ in Health(status: "ok") }
        router.get("readyz") { _, _ -> Health in
            switch await context.loop.readiness {
            case .ready: return Health(status: "ready")
            case .notReady(let reason): throw APIError(.serviceUnavailable, "not ready: \(reason)")
            }
        }
    }
}
