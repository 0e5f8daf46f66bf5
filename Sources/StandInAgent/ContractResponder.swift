import Hummingbird
import Logging

/// Answers requests the way an OpenClaw instance with the Convos plugin does
/// (docs/agent-contract.md), with the failure modes set in `StandInState`.
struct ContractResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let state: StandInState
    let hangGate: HangGate
    let defaultXMTPEnv: String

    func respond(to request: Request, context: Context) async throws -> Response {
        // A query string is ignored; the path must match exactly.
        guard let endpoint = StandInEndpoint(path: request.uri.path) else {
            return ContractAnswers.text(.notFound, "text/plain; charset=utf-8", "Not Found")
        }
        state.countCall(endpoint)
        let (latency, failure) = state.behaviour(of: endpoint)
        if latency > .zero { try await Task.sleep(for: latency) }

        // Failures that happen before the plugin's own checks: the proxy, the network,
        // or a plugin that is not loaded.
        switch failure {
        case .hang?:
            await hangGate.wait()
            return ContractAnswers.text(.serviceUnavailable, "text/plain; charset=utf-8", "stand-in stopped")
        case .stallBody?:
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody { [hangGate] writer in
                try await writer.write(ByteBuffer(string: "{"))
                await hangGate.wait()
                try await writer.finish(nil)
            })
        case .proxyError(let code)?:
            return ContractAnswers.text(.init(code: code), "text/plain; charset=utf-8", "Application failed to respond")
        case .html?:
            return request.method == .get
                ? ContractAnswers.controlUIPage
                : ContractAnswers.text(.methodNotAllowed, "text/plain; charset=utf-8", "Method Not Allowed")
        default:
            break
        }

        // The plugin checks the method before auth.
        guard request.method.rawValue == endpoint.method else { return ContractAnswers.methodNotAllowed }
        // Exact, case-sensitive compare of the whole header value.
        guard request.headers[.authorization] == "Bearer " + state.key else { return ContractAnswers.unauthorized }

        var request = request
        let body: ClaimBody
        do {
            // Status reads no body; claims read theirs before anything else.
            body = endpoint == .status ? ClaimBody.empty : try await ClaimBody.read(&request)
        } catch .tooLarge {
            return ContractAnswers.error(.internalServerError, "Request body too large")
        } catch .malformed(let message) {
            return ContractAnswers.error(.internalServerError, message)
        }

        if let failure, let answer = injected(failure, on: endpoint) { return answer }

        switch endpoint {
        case .status: return ContractAnswers.status(state.snapshot)
        case .createConversation: return createConversation(body)
        case .join: return join(body)
        }
    }

    /// Answers of the failure modes the plugin itself produces.
    private func injected(_ failure: StandInFailure, on endpoint: StandInEndpoint) -> Response? {
        switch failure {
        case .conflict:
            return ContractAnswers.alreadyBound
        case .serverError:
            return ContractAnswers.error(.internalServerError, "stand-in: injected failure")
        case .waitingForAcceptance, .pendingAcceptance:
            // The identity and the join request exist now: the instance is dirty.
            state.markDirty()
            let word = failure == .waitingForAcceptance ? "waiting_for_acceptance" : "pending_acceptance"
            return ContractAnswers.json(.ok, ["status": word])
        case .plainText:
            return ContractAnswers.text(.ok, "text/plain; charset=utf-8", "OK")
        case .noConversationId:
            return ContractAnswers.json(.ok, [:])
        case .malformedJSON:
            return ContractAnswers.text(.ok, "application/json; charset=utf-8", "{\"ready\": tru")
        case .hang, .stallBody, .proxyError, .html:
            return nil
        }
    }

    private func createConversation(_ body: ClaimBody) -> Response {
        let conversationId = InviteLinks.newConversationId()
        guard state.bind(conversationId) else { return ContractAnswers.alreadyBound }
        let slug = InviteLinks.newSlug()
        return ContractAnswers.json(.ok, [
            "conversationId": conversationId,
            "inviteUrl": InviteLinks.inviteURL(slug: slug, env: body.env(default: defaultXMTPEnv)),
            "inviteSlug": slug,
        ])
    }

    private func join(_ body: ClaimBody) -> Response {
        guard let invite = body.string("inviteUrl"), !invite.isEmpty else {
            return ContractAnswers.error(.badRequest, "inviteUrl required")
        }
        let conversationId = InviteLinks.newConversationId()
        guard state.bind(conversationId) else { return ContractAnswers.alreadyBound }
        return ContractAnswers.json(.ok, ["status": "joined", "conversationId": conversationId])
    }
}
