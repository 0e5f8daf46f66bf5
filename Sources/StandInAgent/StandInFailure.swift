/// A way for the stand-in to misbehave, as real instances and their hosting proxy do
/// (docs/agent-contract.md section 1 "Non-JSON answers", sections 3 and 4).
public enum StandInFailure: Sendable, Hashable {
    /// 409: as if already bound. Claims only.
    case conflict
    /// 500 `{"error": ...}`: a failed CLI call or config write.
    case serverError
    /// A plain-text answer with this status from the hosting proxy (502, 503, 404) while
    /// the container boots. Given before auth: the request never reaches the instance.
    case proxyError(Int)
    /// Accept the request and never answer (until the stand-in stops).
    case hang
    /// Send `200 application/json` headers and the first byte of the body, then nothing more
    /// (until the stand-in stops): a client deadline that ends at the headers misses it.
    case stallBody
    /// 200 `{"status":"waiting_for_acceptance"}`. Join only; the instance is left dirty.
    case waitingForAcceptance
    /// 200 `{"status":"pending_acceptance"}`: the later runtime's spelling. Join only.
    case pendingAcceptance
    /// The Convos plugin did not load: GET gets the Control UI's `200 text/html`, POST
    /// gets `405 text/plain`. Given before auth: the plugin does the auth check.
    case html
    /// 200 `text/plain`.
    case plainText
    /// 200 `{}`: no conversation id (and no status fields).
    case noConversationId
    /// 200 `application/json` with a body that does not parse.
    case malformedJSON

    /// Whether the mode means anything on `endpoint`; elsewhere it is ignored.
    public func applies(to endpoint: StandInEndpoint) -> Bool {
        switch self {
        case .conflict: endpoint != .status
        case .waitingForAcceptance, .pendingAcceptance: endpoint == .join
        default: true
        }
    }
}

extension StandInFailure {
    /// The command-line spelling: `409`, `500`, `502`, `503`, `404`, `hang`, `stallBody`,
    /// `waitingForAcceptance`, `pendingAcceptance`, `html`, `plainText`,
    /// `noConversationId`, `malformedJSON`.
    public init?(argument: String) {
        switch argument {
        case "409": self = .conflict
        case "500": self = .serverError
        case "502", "503", "404": self = .proxyError(Int(argument)!)
        case "hang": self = .hang
        case "stallBody": self = .stallBody
        case "waitingForAcceptance": self = .waitingForAcceptance
        case "pendingAcceptance": self = .pendingAcceptance
        case "html": self = .html
        case "plainText": self = .plainText
        case "noConversationId": self = .noConversationId
        case "malformedJSON": self = .malformedJSON
        default: return nil
        }
    }

    public static let argumentSpellings = [
        "409", "500", "502", "503", "404", "hang", "stallBody", "waitingForAcceptance", "pendingAcceptance",
        "html", "plainText", "noConversationId", "malformedJSON",
    ]
}
