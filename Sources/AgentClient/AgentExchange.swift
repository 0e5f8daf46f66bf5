import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One answer of an instance, body read in full.
struct AgentAnswer: Sendable {
    var status: Int
    /// The `Content-Type` header as sent, nil when absent.
    var contentType: String?
    var body: ByteBuffer

    /// `application/json`, with or without parameters such as `charset`.
    var isJSON: Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    var contentTypeDescription: String { contentType ?? "no content type" }
}

/// Why an exchange got no answer at all.
enum ExchangeFailure: Error, Equatable {
    /// The total timeout passed; the instance may still be working on the request.
    case timeout
    /// No answer: connection refused or reset, DNS, TLS, an oversized answer.
    case transport(String)
}

extension AgentClient {
    /// The largest answer read; the contract's answers are a few hundred bytes.
    static let maxAnswerBytes = 1 << 20

    /// Sends one request with `Authorization: Bearer <bearer>` (exactly: the instance
    /// compares the whole header value) and reads the whole answer within `timeout`,
    /// connect included.
    func exchange(_ method: HTTPMethod, _ url: String, bearer: String, json body: ByteBuffer? = nil,
                  timeout: Duration) async -> Result<AgentAnswer, ExchangeFailure> {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer " + bearer)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let httpClient = self.httpClient
        let prepared = request
        do {
            let answer = try await withTotalTimeout(timeout) {
                let response = try await httpClient.execute(prepared, timeout: TimeAmount(timeout))
                let body = try await response.body.collect(upTo: Self.maxAnswerBytes)
                return AgentAnswer(status: Int(response.status.code),
                                   contentType: response.headers.first(name: "Content-Type"),
                                   body: body)
            }
            return .success(answer)
        } catch {
            return .failure(ExchangeFailure(error))
        }
    }
}

extension ExchangeFailure {
    /// A short, human reason. Error values of the HTTP stack never carry request headers,
    /// so the key cannot leak through them.
    init(_ error: any Error) {
        switch error {
        case is TotalTimeoutExceeded:
            self = .timeout
        case is CancellationError:
            self = .transport("cancelled")
        case let error as HTTPClientError where error == .deadlineExceeded:
            self = .timeout
        case let error as HTTPClientError where error == .connectTimeout:
            self = .transport("connect timed out")
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            self = .transport("connection closed by the instance")
        case is NIOTooManyBytesError:
            self = .transport("answer larger than 1 MiB")
        default:
            self = .transport(Self.shortReason(String(describing: error)))
        }
    }

    private static func shortReason(_ text: String) -> String {
        if text.localizedCaseInsensitiveContains("connection refused") { return "connection refused" }
        if text.localizedCaseInsensitiveContains("connection reset") { return "connection reset" }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
