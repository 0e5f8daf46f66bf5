import Foundation
import Model

extension AgentClient {
    /// `GET /convos/status`, classified (docs/agent-contract.md sections 1 and 2). Never throws
    /// and returns within `timeout` (plus scheduling slack) whatever the instance does.
    public func probe(baseURL: String, bearer: String, timeout: Duration = DefaultTimeout.status) async -> ProbeResult {
        let result = await exchange(.GET, url(baseURL, AgentPath.status), bearer: bearer, timeout: timeout)
        let probe = Self.classifyStatus(result, timeout: timeout)
        logger.debug("status probe", metadata: ["instance": "\(baseURL)", "result": "\(probe)"])
        return probe
    }

    static func classifyStatus(_ result: Result<AgentAnswer, ExchangeFailure>, timeout: Duration) -> ProbeResult {
        let answer: AgentAnswer
        switch result {
        case .failure(.timeout): return .unreachable("timed out after \(timeout)")
        case .failure(.transport(let reason)): return .unreachable(reason)
        case .success(let a): answer = a
        }
        if answer.status == 401 { return .unauthorized }
        // 502/503/404 from the hosting proxy while the container boots, or any other failure.
        guard (200..<300).contains(answer.status) else { return .unreachable("HTTP \(answer.status)") }
        // A 200 text/html is the Control UI's fallback page: the Convos plugin did not load.
        guard answer.isJSON else { return .notJSON(answer.contentTypeDescription) }
        guard let status = try? JSONDecoder().decode(StatusAnswer.self, from: Data(answer.body.readableBytesView)) else {
            return .notJSON("malformed JSON")
        }
        guard status.isStatus else { return .notJSON("JSON without ready or clean") }
        return .status(status.agentStatus)
    }
}
