import Hummingbird
import Logging
import NIOCore

/// The API's router: public probes, counts and the dashboard page, everything else behind the bearer key.
/// Separate from the application so tests can drive it without a socket.
public func buildRouter(_ context: ServerContext) -> Router<PoolRequestContext> {
    let router = Router(context: PoolRequestContext.self)
    router.add(middleware: ErrorMiddleware(logger: context.logger))
    HealthRoutes(context: context).register(on: router)
    OpenAPIRoute().register(on: router)
    MetricsRoute(context: context).register(on: router)
    PoolReadRoutes(context: context).registerPublic(on: router)
    DashboardRoute().register(on: router)

    let protected = router.group("api/pool").add(middleware: BearerAuthMiddleware(apiKey: context.apiKey))
    PoolReadRoutes(context: context).registerProtected(on: protected)
    ClaimRoutes(context: context).register(on: protected)
    OperatorRoutes(context: context).register(on: protected)
    QRCodeRoute().register(on: protected)
    return router
}

/// The HTTP server of `poolctl serve`, a `Service` for a `ServiceGroup`.
/// `onServerRunning` receives the bound channel (its port, when the configured one is 0).
public func buildApplication(_ context: ServerContext, configuration: ApplicationConfiguration,
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
    Application(router: buildRouter(context), configuration: configuration,
                onServerRunning: onServerRunning, logger: context.logger)
}
