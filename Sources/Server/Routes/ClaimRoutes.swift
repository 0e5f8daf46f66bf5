import Controller
import HTTPTypes
import Hummingbird
import Ports

extension ClaimedConversation: ResponseEncodable {}

/// `POST /api/pool/claim`: hands an idle instance to an agent (docs/design.md section 5).
struct ClaimRoutes {
    let context: ServerContext

    func register(on group: RouterGroup<PoolRequestContext>) {
        group.post("claim") { request, requestContext in
            let body = try await JSONBody.decode(ClaimRequest.self, from: request, context: requestContext)
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
            let runtime = await context.loop.runtime
            let started = ContinuousClock.now
            let result = await runtime.claims.claim(body, idempotencyKey: key)
            context.metrics.record(claim: result, duration: ContinuousClock.now - started)
            return try Self.answer(result, retryAfter: runtime.retryAfterSeconds)
        }
    }

    static func answer(_ result: ClaimResult, retryAfter: Int) throws -> ClaimedConversation {
        switch result {
        case .claimed(let claimed):
            return claimed
        case .poolEmpty:
            throw APIError.unavailable("no idle instance: the pool is being refilled; retry after \(retryAfter) s", retryAfter: retryAfter)
        case .invalid(let invalid):
            throw APIError(.badRequest, invalid.description)
        case .failed(let instanceId, let message):
            throw APIError(.badGateway, "the claim call to instance \(instanceId) failed: \(message)")
        case .inProgress:
            throw APIError(.conflict, "a claim with this Idempotency-Key is still in progress")
        case .keyReused:
            throw APIError(.unprocessableContent, "Idempotency-Key: already used with another request; use a new key")
        case .unavailable(let message):
            throw APIError.unavailable(message, retryAfter: retryAfter)
        }
    }
}
