import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The API's router: public probes, counts and the dashboard page, everything else behind the bearer key.
/// Separate from the application so tests can drive it without a socket.
public func buildRouter(_ context: ServerContext) -> Router<PoolRequestContext> {
    // HEAD on every GET route: the GET's status and headers, no body.
    let router = Router(context: PoolRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: ErrorMiddleware(logger: context.logger))
    HealthRoutes(context: context).register(on: router)
    OpenAPIRoute().register(on: router)
    MetricsRoute(context: context).register(on: router)
    PoolReadRoutes(context: context).registerPublic(on: router)
    DashboardRoute().register(on: router)
    // An instance's own token, not the pool key, opens this one route.
    SelfDestructRoute(context: context).register(on: router)
    // Railway's events, behind their own secret in the path (not the pool key).
    WebhookRoute(context: context).register(on: router)
    // The dashboard's live stream, opened with a short-lived ticket (EventSource sends no header).
    EventStreamRoutes(context: context).registerPublic(on: router)

    let protected = router.group("api/pool").add(middleware: BearerAuthMiddleware(apiKey: context.apiKey))
    PoolReadRoutes(context: context).registerProtected(on: protected)
    ClaimRoutes(context: context).register(on: protected)
    OperatorRoutes(context: context).register(on: protected)
    QRCodeRoute().register(on: protected)
    EventStreamRoutes(context: context).registerProtected(on: protected)
    return router
}

/// The HTTP server of `poolctl serve`, a `Service` for a `ServiceGroup`, every connection
/// held to `limits` (Hummingbird's idle timeout for kept-alive connections, the rest by
/// `EdgeLimitsHandler`). `onServerRunning` receives the bound channel (its port, when the
/// configured one is 0).
public func buildApplication(_ context: ServerContext, configuration: ApplicationConfiguration, limits: EdgeLimits = EdgeLimits(),
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
    let gate = ConnectionGate(limits: limits)
    let logger = context.logger
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [EdgeLimitsHandler(limits: limits, gate: gate, logger: logger)],
        idleTimeout: .init(limits.idleTimeout))
    return Application(router: buildRouter(context), server: .http1(configuration: http1), configuration: configuration,
                       onServerRunning: onServerRunning, logger: logger)
}
