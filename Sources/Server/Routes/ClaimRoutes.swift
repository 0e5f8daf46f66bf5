import Controller
import Foundation
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
            let wait = try Self.wait(request.headers[HTTPField.Name("Prefer")!])
            let runtime = await context.loop.runtime
            let started = ContinuousClock.now
            let result = await runtime.claims.claim(body, idempotencyKey: key, waitingUpTo: wait,
                                                    stillWanted: requestContext.clientConnected)
            context.metrics.record(claim: result, duration: ContinuousClock.now - started)
            var response = try Self.answer(result, retryAfter: runtime.retryAfterSeconds).response(from: request, context: requestContext)
            if wait > .zero { response.headers[HTTPField.Name("Preference-Applied")!] = "wait=\(wait.components.seconds)" }
            return response
        }
    }

    /// `Prefer: wait=N` (RFC 7240): how long an empty pool's claim may wait for an idle
    /// instance, at most 60 s (more is taken as 60). Other preferences are ignored; a wait
    /// that is not a whole number of seconds is refused with 400.
    static func wait(_ prefer: String?) throws -> Duration {
        guard let prefer else { return .zero }
        for token in prefer.split(whereSeparator: { $0 == "," || $0 == ";" }) {
            let parts = token.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "wait" else { continue }
            guard let seconds = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), seconds >= 0 else {
                throw APIError(.badRequest, "Prefer: wait=\(parts[1].prefix(20)) is not a whole number of seconds (0 to 60)")
            }
            return min(.seconds(seconds), ClaimService.maximumWait)
        }
        return .zero
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
