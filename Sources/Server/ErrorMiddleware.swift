import Hummingbird
import Logging
import NIOCore

/// Turns every error into `{"error": "..."}` with its status, Hummingbird's own (404,
/// 413, decode errors) included, and logs one line per failed request. Anything that is
/// not an HTTP error is a bug: it answers 500 without details and is logged in full.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let answer = Self.apiError(for: error)
            var metadata: Logger.Metadata = ["method": "\(request.method)", "path": "\(Self.loggable(request.uri.path))",
                                             "status": "\(answer.status.code)", "error": "\(answer.message)"]
            if answer.status.code >= 500 {
                if !(error is APIError) { metadata["cause"] = "\(error)" }
                logger.error("request failed", metadata: metadata)
            } else {
                logger.notice("request refused", metadata: metadata)
            }
            return answer.response()
        }
    }

    /// The path as it may be logged: the webhook route's last segment is a secret.
    static func loggable(_ path: String) -> String {
        path.hasPrefix("/webhooks/railway/") ? "/webhooks/railway/…" : path
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case is NIOTooManyBytesError:
            return tooLarge
        case let e as HTTPError:
            if e.status == .contentTooLarge { return tooLarge }
            return APIError(e.status, e.body ?? e.status.reasonPhrase.lowercased(), headers: e.headers)
        case let e as any HTTPResponseError:
            if e.status == .contentTooLarge { return tooLarge }
            return APIError(e.status, e.status.reasonPhrase.lowercased())
        default:
            return APIError(.internalServerError, "internal error")
        }
    }

    static var tooLarge: APIError {
        APIError(.contentTooLarge, "the request body is larger than \(PoolRequestContext.maxBodyBytes / (1 << 20)) MiB")
    }
}
