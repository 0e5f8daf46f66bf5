import Controller
import Foundation
import Hummingbird
import Spec

/// `POST /webhooks/railway/{secret}`: Railway's deployment events (a workspace
/// notification rule the leader keeps). The secret is `POOL_WEBHOOK_SECRET`, compared in
/// constant time; a wrong one gets the same 404 as an unknown path. Railway signs nothing,
/// so an event is only a hint: a known one starts a tick (coalesced) that lists the
/// platform and probes the instance it names; it never changes state by itself, so a
/// forged or replayed event costs at most one tick. Foreign events (another environment,
/// a service that is not the pool's, an unknown type) are answered 200 and ignored, so
/// Railway does not retry them. A follower replica relays a known event to the leader
/// through the store.
struct WebhookRoute {
    let context: ServerContext
    /// Railway's payloads are a few hundred bytes.
    static let maxBodyBytes = 64 * 1024

    /// The fields of Railway's payload the pool reads.
    struct Event: Decodable {
        struct Named: Decodable { var id: String?; var name: String? }
        struct Resource: Decodable {
            var project: Named?
            var environment: Named?
            var service: Named?
        }
        var type: String?
        var resource: Resource?
    }

    struct Answer: ResponseEncodable {
        /// `accepted` (a tick follows) or `ignored`, with why.
        var status: String
        var reason: String?
    }

    func register(on router: Router<PoolRequestContext>) {
        router.post("webhooks/railway/:secret") { request, requestContext -> Answer in
            let metrics = context.metrics
            guard let expected = context.webhookSecret, let given = requestContext.parameters.get("secret"),
                  ConstantTime.equal(given, expected) else {
                metrics.recordWebhook(type: "unknown", outcome: "forbidden")
                context.logger.warning("webhook refused: wrong or no secret")
                throw APIError(.notFound, "no route for POST \(request.uri.path.hasPrefix("/webhooks/") ? "/webhooks/…" : request.uri.path)")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                metrics.recordWebhook(type: "unknown", outcome: "malformed")
                throw APIError(.contentTooLarge, "a webhook body is at most \(Self.maxBodyBytes / 1024) KiB")
            }
            guard let event = try? JSONDecoder().decode(Event.self, from: Data(buffer.readableBytesView)) else {
                metrics.recordWebhook(type: "unknown", outcome: "malformed")
                throw APIError(.badRequest, "malformed webhook: expected Railway's JSON event")
            }
            let spec = await context.loop.runtime.spec
            let type = Self.knownType(event.type)
            if let reason = Self.foreign(event, type: type, spec: spec) {
                metrics.recordWebhook(type: type ?? "other", outcome: "ignored")
                context.logger.debug("webhook ignored: \(reason)")
                return Answer(status: "ignored", reason: reason)
            }
            metrics.recordWebhook(type: type ?? "other", outcome: "accepted")
            let service = event.resource?.service?.id
            if let lease = context.lease, !lease.isLeader {
                // Only the leader ticks: the event goes to it through the store (WebhookRelay).
                do {
                    try await context.store.relayWebhook(serviceId: service, at: context.clock())
                    context.logger.info("webhook: \(event.type ?? "") for service \(service ?? "?"); relayed to the leader")
                    return Answer(status: "accepted", reason: "relayed to the leader")
                } catch {
                    context.logger.warning("webhook: could not relay it to the leader (the next resync covers it): \(error)")
                    return Answer(status: "accepted", reason: "not relayed (the store is unavailable); the next resync covers it")
                }
            }
            context.logger.info("webhook: \(event.type ?? "") for service \(service ?? "?"); ticking")
            context.loop.webhookReceived(serviceId: service)
            return Answer(status: "accepted", reason: nil)
        }
    }

    /// The event type as the pool knows it (Railway's name in lower case), or nil.
    static func knownType(_ type: String?) -> String? {
        guard let t = type?.lowercased() else { return nil }
        return WebhookConfig.eventTypes.map { $0.lowercased() }.first { $0 == t }
    }

    /// Why an event is not this pool's to act on, or nil when it is.
    static func foreign(_ event: Event, type: String?, spec: EnvironmentSpec) -> String? {
        guard type != nil else { return "event type \(event.type.map { "'\($0.prefix(64))'" } ?? "missing") is not one the pool reacts to" }
        guard let service = event.resource?.service, service.id?.isEmpty == false,
              let name = service.name, name.hasPrefix(spec.prefix + "-") else {
            return "not a service of this pool"
        }
        let environment = event.resource?.environment
        if let shared = spec.railway.environmentId, environment?.id == shared { return nil }
        if spec.railway.placement == .projectPerInstance, environment?.name == spec.name,
           event.resource?.project?.name?.hasPrefix(spec.prefix + "-") == true {
            return nil
        }
        return "another environment or project"
    }
}
