import Controller
import Foundation
import Hummingbird
import Model
import Planning
import Store

/// What an operator asks of the pool: ticks now, drain and replenish requests, killing a
/// claimed instance and dismissing a crashed one.
struct OperatorRoutes {
    let context: ServerContext

    struct CountBody: Decodable {
        var count: Int?

        enum CodingKeys: String, CodingKey { case count }

        /// Read as a number, then checked whole: this Foundation reports `2.5` read as an
        /// Int as "not valid JSON", which would not name the field.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let read: Double?
            do {
                read = try c.decodeIfPresent(Double.self, forKey: .count)
            } catch DecodingError.typeMismatch(_, let context) {
                throw DecodingError.typeMismatch(Int.self, context)
            }
            guard let number = read else { return }
            guard let whole = Int(exactly: number) else {
                throw DecodingError.typeMismatch(Int.self, .init(codingPath: [CodingKeys.count], debugDescription: "\(number)"))
            }
            count = whole
        }
    }

    /// A request recorded for the loop.
    struct Recorded: ResponseEncodable {
        var requestId: Int64
        var kind: String
        var count: Int
        var note: String
    }

    struct Removed: ResponseEncodable {
        var instanceId: String
        var action: String
    }

    func register(on group: RouterGroup<PoolRequestContext>) {
        group.post("reconcile") { _, _ in try await tickNow() }
        group.post("replenish") { request, requestContext -> Response in
            let body = try await JSONBody.decodeIfPresent(CountBody.self, from: request, context: requestContext)
            guard let count = body?.count else {
                return try await tickNow().response(from: request, context: requestContext)
            }
            try Self.check(count, in: 1...20)
            let recorded = try await record(.replenish, count: count, note:
                "recorded; for one stuck timeout the pool keeps that many idle instances above minIdle (within maxTotal), starting with the tick it triggered")
            return try EditedResponse(status: .accepted, response: recorded).response(from: request, context: requestContext)
        }
        group.post("drain") { request, requestContext in
            let body = try await JSONBody.decode(CountBody.self, from: request, context: requestContext)
            guard let count = body.count else { throw APIError(.badRequest, "count: required, an integer from 1 to 100") }
            try Self.check(count, in: 1...100)
            return EditedResponse(status: .accepted, response: try await record(.drain, count: count, note:
                "recorded; the tick it triggered replaces up to that many idle instances (outdated first, then the oldest) with fresh ones"))
        }
        group.delete("instances/{id}") { _, requestContext in
            try await remove(requestContext, action: "killed") { try await $0.kill(instanceId: $1) }
        }
        group.delete("crashed/{id}") { _, requestContext in
            try await remove(requestContext, action: "dismissed") { try await $0.dismiss(instanceId: $1) }
        }
    }

    static func check(_ count: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(count) else {
            throw APIError(.badRequest, "count: expected an integer from \(range.lowerBound) to \(range.upperBound), got \(count)")
        }
    }

    func tickNow() async throws -> TickAnswer {
        guard let result = await context.loop.tickNow() else {
            throw APIError(.serviceUnavailable, "the reconcile loop is shutting down")
        }
        return TickAnswer(result)
    }

    func record(_ kind: PoolRequest.Kind, count: Int, note: String) async throws -> Recorded {
        let id: Int64
        do {
            id = try await context.loop.runtime.operators.request(kind, count: count)
        } catch {
            context.logger.error("\(kind.rawValue): could not record the request: \(error)")
            throw APIError.unavailable("the pool's store is unavailable; nothing was recorded",
                                       retryAfter: await context.loop.runtime.retryAfterSeconds)
        }
        return Recorded(requestId: id, kind: kind.rawValue, count: count, note: note)
    }

    func remove(_ requestContext: PoolRequestContext, action: String,
                _ operation: @escaping @Sendable (PoolOperator, String) async throws -> Void) async throws -> Removed {
        let id = try requestContext.parameters.require("id")
        do {
            try await operation(await context.loop.runtime.operators, id)
        } catch let error as PoolOperator.OperatorError {
            switch error {
            case .notFound(let message): throw APIError(.notFound, message)
            case .wrongState(let message): throw APIError(.conflict, message)
            }
        } catch {
            throw APIError(.badGateway, "could not remove instance \(id): \(error)")
        }
        return Removed(instanceId: id, action: action)
    }
}

/// The answer of a tick run on request: its plan and what became of each action.
struct TickAnswer: ResponseEncodable {
    struct ActionOutcome: Encodable {
        var kind: String
        var instanceId: String
        /// ok, failed or refused.
        var outcome: String
        /// The planner's reason when it went well, else the error or the refusal.
        var detail: String
    }
    var plan: Plan
    var results: [ActionOutcome]

    init(_ tick: TickResult) {
        plan = tick.plan
        results = tick.results.map { r in
            switch r.outcome {
            case .ok: ActionOutcome(kind: r.action.kind.rawValue, instanceId: r.action.instanceId, outcome: "ok", detail: r.action.reason)
            case .failed(let e): ActionOutcome(kind: r.action.kind.rawValue, instanceId: r.action.instanceId, outcome: "failed", detail: e)
            case .refused(let why): ActionOutcome(kind: r.action.kind.rawValue, instanceId: r.action.instanceId, outcome: "refused", detail: why)
            }
        }
    }
}
