import Hummingbird
import NIOCore

/// `GET /metrics`: Prometheus text, no auth (a scraper has no key; nothing here is secret).
/// Instances by state are refreshed from the last tick at scrape time.
struct MetricsRoute {
    let context: ServerContext

    func register(on router: Router<PoolRequestContext>) {
        router.get("metrics") { _, _ -> Response in
            if let lease = context.lease {
                context.metrics.recordLeadership(replica: lease.replica, leading: lease.isLeader)
            }
            context.metrics.recordWebhooks(context.loop.webhooks.state, now: context.clock())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: context.metrics.render())))
        }
    }
}
