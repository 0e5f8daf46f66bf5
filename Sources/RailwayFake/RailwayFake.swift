import AsyncHTTPClient
import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Railway

/// A fake Railway GraphQL API on loopback, keeping services in memory. It accepts only
/// the project's own documents, requires a configured token, advances deployments on a
/// clock the test controls, injects faults, and records every call.
public actor RailwayFake {
    public struct Configuration: Sendable {
        /// Accepted in `Authorization: Bearer <token>`.
        public var accountTokens: Set<String>
        /// Accepted in `Project-Access-Token: <token>`.
        public var projectTokens: Set<String>
        public var phases: FakePhaseDurations
        /// Documents accepted besides the project's (e.g. a reference document in a test).
        public var extraDocuments: [String]
        /// Start value of the `X-RateLimit-Remaining` header; each call lowers it by one.
        public var rateLimitBudget: Int
        /// Fake-clock zero, as a date (services' `createdAt`).
        public var epoch: Date
        /// Domains new services get first, in order (e.g. `127.0.0.1:PORT` of stand-in agents).
        public var agentDomains: [String] = []
        /// Railway's pace for `projectCreate`, per token, on the fake clock.
        public var projectCreateInterval: Duration = .seconds(30)
        /// Told each domain a service gets, with the service's variables, before the domain
        /// is answered: a harness hands the stand-in at that domain its `INSTANCE_TOKEN`,
        /// as a container reads its variables.
        public var onDomain: (@Sendable (_ domain: String, _ variables: [String: String]) -> Void)?

        public init(accountTokens: Set<String> = [], projectTokens: Set<String> = [],
                    phases: FakePhaseDurations = FakePhaseDurations(), extraDocuments: [String] = [],
                    rateLimitBudget: Int = 1_000, epoch: Date = Date(timeIntervalSince1970: 1_780_000_000)) {
            self.accountTokens = accountTokens
            self.projectTokens = projectTokens
            self.phases = phases
            self.extraDocuments = extraDocuments
            self.rateLimitBudget = rateLimitBudget
            self.epoch = epoch
        }
    }

    /// The GraphQL endpoint while running, e.g. `http://127.0.0.1:50123/graphql/v2`.
    public private(set) var url: String?
    public private(set) var calls: [FakeCall] = []

    private let configuration: Configuration
    private let documents: FakeDocuments
    var world: FakeWorld
    var faults = FaultSchedule()
    private var rateLimitRemaining: Int
    private var serverTask: Task<Void, Never>?
    /// Webhooks on their way, and the task that posts them.
    let outbox: AsyncStream<FakeWebhook>.Continuation
    private let outgoing: AsyncStream<FakeWebhook>
    private var deliveryTask: Task<Void, Never>?
    var dropNextWebhooks = 0
    /// Webhooks sent (posted, answered or not) and dropped on purpose, in order.
    public internal(set) var webhooksSent: [FakeWebhook] = []
    public internal(set) var webhooksDropped: [FakeWebhook] = []
    /// HTTP status of each delivery, in the order they were answered (0: no answer).
    public private(set) var deliveryStatuses: [Int] = []

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        self.documents = FakeDocuments(Array(try RailwayDocuments.all().values) + configuration.extraDocuments)
        self.world = FakeWorld(phases: configuration.phases, epoch: configuration.epoch)
        self.world.agentDomains = configuration.agentDomains
        self.world.onDomain = configuration.onDomain
        self.world.projectCreateInterval = configuration.projectCreateInterval
        self.rateLimitRemaining = configuration.rateLimitBudget
        (outgoing, outbox) = AsyncStream.makeStream(of: FakeWebhook.self)
    }

    // MARK: Server lifecycle

    /// Starts listening (port 0: an ephemeral port) and returns the endpoint URL.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> String {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: Logger(label: "railway-fake", factory: { _ in SwiftLogNoOpLogHandler() }))
        serverTask = Task {
            try? await app.run()
            continuation.finish()
        }
        let outgoing = outgoing
        deliveryTask = Task { [weak self] in
            for await webhook in outgoing {
                var request = HTTPClientRequest(url: webhook.url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: webhook.body))
                let status = (try? await HTTPClient.shared.execute(request, timeout: .seconds(10)))?.status.code
                await self?.delivered(Int(status ?? 0))
            }
        }
        var bound: Int?
        for await port in ports { bound = port }
        guard let bound, bound > 0 else { throw FakeServerError.couldNotListen(host: host, port: port) }
        let url = "http://\(host):\(bound)/graphql/v2"
        self.url = url
        return url
    }

    private func delivered(_ status: Int) { deliveryStatuses.append(status) }

    public func stop() async {
        deliveryTask?.cancel()
        deliveryTask = nil
        serverTask?.cancel()
        await serverTask?.value
        serverTask = nil
        url = nil
    }

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("graphql/v2") { [self] request, _ -> Response in
            let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
            let answer = await handle(
                authorization: request.headers[.authorization],
                projectToken: request.headers[HTTPField.Name("Project-Access-Token")!],
                body: Data(buffer: body))
            if let delay = answer.delay { try await Task.sleep(for: delay) }
            var headers: HTTPFields = [.contentType: answer.contentType]
            for (name, value) in answer.headers { headers[HTTPField.Name(name)!] = value }
            return Response(status: .init(code: answer.status), headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        return router
    }

    // MARK: Requests

    private struct GraphQLRequest: Decodable {
        var query: String
        var operationName: String?
        var variables: JSONValue?
    }

    func handle(authorization: String?, projectToken: String?, body: Data) -> FakeHTTPAnswer {
        let arrived = ContinuousClock.now
        rateLimitRemaining = max(0, rateLimitRemaining - 1)
        let rateHeaders = [("X-RateLimit-Remaining", String(rateLimitRemaining))]

        guard isAuthorized(authorization: authorization, projectToken: projectToken) else {
            calls.append(FakeCall(operationName: nil, variables: .null, status: 401, receivedAt: arrived))
            return .errors(401, "Not Authorized", headers: rateHeaders)
        }
        guard let request = try? JSONDecoder().decode(GraphQLRequest.self, from: body),
              let operation = documents.operation(of: request.query, named: request.operationName)
        else {
            calls.append(FakeCall(operationName: nil, variables: .null, status: 400, receivedAt: arrived))
            return .errors(400, "Document is not one of the operations this API accepts"
                           + " (it would not pass validation against the schema)",
                           code: "GRAPHQL_VALIDATION_FAILED", headers: rateHeaders)
        }
        let variables = request.variables ?? [:]
        let fault = faults.next(for: operation)
        var answer: FakeHTTPAnswer
        switch fault {
        case .rateLimited(let seconds)?:
            answer = .errors(429, "Rate limit exceeded", headers: rateHeaders + [("Retry-After", String(seconds))])
        case .serverError(let status)?:
            answer = .errors(status, "Internal server error", headers: rateHeaders)
        case .graphQLError(let message)?:
            answer = .errors(200, message, headers: rateHeaders)
        case .htmlPage?:
            answer = .accessDenied
        case .latency, .emptyEnvironment, nil:
            do {
                let data = try world.answer(operation, variables, emptyEnvironment: fault == .emptyEnvironment,
                                            token: authorization ?? projectToken ?? "")
                answer = .json(200, ["data": data], headers: rateHeaders)
            } catch let error as FakeGraphQLError {
                answer = .errors(200, error.message, headers: rateHeaders)
            } catch {
                answer = .errors(500, "fake failure: \(error)", headers: rateHeaders)
            }
            if case .latency(let delay)? = fault { answer.delay = delay }
        }
        calls.append(FakeCall(operationName: operation, variables: variables.withoutSecrets,
                              status: answer.status, receivedAt: arrived))
        return answer
    }

    private func isAuthorized(authorization: String?, projectToken: String?) -> Bool {
        if let authorization, authorization.hasPrefix("Bearer "),
           configuration.accountTokens.contains(String(authorization.dropFirst("Bearer ".count))) {
            return true
        }
        if let projectToken, configuration.projectTokens.contains(projectToken) { return true }
        return false
    }
}

public enum FakeServerError: Error, CustomStringConvertible {
    case couldNotListen(host: String, port: Int)

    public var description: String {
        switch self {
        case .couldNotListen(let host, let port): "fake Railway could not listen on \(host):\(port)"
        }
    }
}
