import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import QRCode

/// `GET /`: the dashboard, one self-contained page (inline CSS and JS, nothing external).
/// Public: the page holds no data; every call it makes sends the key it asks for.
struct DashboardRoute {
    static let page: String? = Bundle.module.url(forResource: "dashboard", withExtension: "html")
        .flatMap { try? String(contentsOf: $0, encoding: .utf8) }

    /// Only this origin's API, inline code, and the QR code's blob URL.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        + "img-src blob:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

    func register(on router: Router<PoolRequestContext>) {
        router.get("/") { _, _ -> Response in
            guard let page = Self.page else {
                throw APIError(.internalServerError, "the dashboard is missing from this build")
            }
            return Response(status: .ok, headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: Self.contentSecurityPolicy,
                .cacheControl: "no-store",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
    }
}

/// `GET /api/pool/qr?text=...`: the QR code of `text` as SVG (the dashboard's invite URL).
struct QRCodeRoute {
    static let maxCharacters = 1_000

    func register(on group: RouterGroup<PoolRequestContext>) {
        group.get("qr") { request, _ -> Response in
            let svg = try Self.svg(for: request.uri.queryParameters["text"].map(String.init))
            return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    static func svg(for text: String?) throws -> String {
        guard let text, !text.isEmpty else { throw APIError(.badRequest, "text: required, 1 to \(maxCharacters) characters") }
        guard text.count <= maxCharacters else {
            throw APIError(.badRequest, "text: at most \(maxCharacters) characters, got \(text.count)")
        }
        do {
            return try QRCode.encode(text).svg()
        } catch .textTooLong(let bytes, let maximum, _) {
            throw APIError(.badRequest, "text: too long to encode as a QR code (\(bytes) UTF-8 bytes, at most \(maximum))")
        }
    }
}
