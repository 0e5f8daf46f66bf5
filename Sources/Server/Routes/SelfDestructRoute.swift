import Controller
import Foundation
import Hummingbird
import Store

/// `POST /api/pool/self-destruct`: an instance asks the pool to remove it, presenting its
/// own id and token (`{"instanceId", "instanceToken"}`). Outside the pool key's routes,
/// and the pool key is no credential here: only an instance's own token is.
///
/// The token is checked before the store is read, and a wrong token and an unknown id
/// get the same 403, so the route never says which ids exist. A valid token proves the
/// caller is that instance, so the answer may then say whether it is already gone.
struct SelfDestructRoute {
    let context: ServerContext

    struct Body: Decodable {
        var instanceId: String
        var instanceToken: String
    }

    struct Answer: ResponseEncodable {
        var instanceId: String
        /// `retiring`: the next tick deletes it; `gone`: it was deleted already.
        var status: String
    }

    static let refusal = APIError(.forbidden, "unknown instance or wrong instance token")

    func register(on router: Router<PoolRequestContext>) {
        router.post("api/pool/self-destruct") { request, requestContext in
            let body = try await JSONBody.decode(Body.self, from: request, context: requestContext)
            let id = body.instanceId.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !id.isEmpty, !body.instanceToken.isEmpty else {
                throw APIError(.badRequest, "instanceId and instanceToken: both required, non-empty")
            }
            let runtime = await context.loop.runtime
            guard let version = runtime.credentials.secrets.versionOf(token: body.instanceToken, instanceId: id) else {
                context.logger.warning("self-destruct refused: wrong token or unknown instance", metadata: ["instance": "\(id.prefix(64))"])
                throw Self.refusal
            }
            return try await selfDestruct(id, version: version, current: runtime.credentials.secrets.current.version,
                                          retryAfter: runtime.retryAfterSeconds)
        }
    }

    func selfDestruct(_ id: String, version: Int, current: Int, retryAfter: Int) async throws -> Answer {
        let outcome: SelfDestructOutcome
        do {
            // A record made under another version (or with the pool key) never had this token.
            // One without a version that does not hold the pool key (found by its name) is
            // called with the current token, so that is the one it may present.
            if let record = try await context.store.instance(id: id),
               (record.tokenVersion ?? (record.holdsPoolKey ? nil : current)) != version {
                context.logger.warning("self-destruct refused: the token's version is not the instance's", metadata: ["instance": "\(id)"])
                throw Self.refusal
            }
            outcome = try await context.store.selfDestruct(instanceId: id, at: context.clock())
        } catch let error as APIError {
            throw error
        } catch {
            context.logger.error("self-destruct of \(id): the store is unavailable: \(error)")
            throw APIError.unavailable("the pool's store is unavailable; nothing changed", retryAfter: retryAfter)
        }
        switch outcome {
        case .retired:
            context.logger.notice("self-destruct: instance \(id) asked to be removed; the next tick deletes it", metadata: ["instance": "\(id)"])
            context.loop.trigger()
            return Answer(instanceId: id, status: "retiring")
        case .alreadyRetired:
            return Answer(instanceId: id, status: "retiring")
        case .gone:
            return Answer(instanceId: id, status: "gone")
        case .unknown:
            throw Self.refusal
        case .claiming:
            throw APIError(.conflict, "a claim of instance \(id) is in flight; ask again once it ends", headers: [.retryAfter: "5"])
        }
    }
}
