import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// `GET /` (the dashboard page) and `GET /api/pool/qr` through the router.
@Suite(.timeLimit(.minutes(1))) struct DashboardRouteTests {
    @Test func theQRCodeNeedsTheKey() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/api/pool/qr?text=hello", method: .get)
                #expect(r.status == .unauthorized)
                #expect(!r.text.contains("<svg"))
                let wrong = try await client.execute(uri: "/api/pool/qr?text=hello", method: .get,
                                                     headers: [.authorization: "Bearer not-the-key"])
                #expect(wrong.status == .unauthorized)
            }
        }
    }

    @Test func theQRCodeIsAnSVGOfTheText() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let invite = "https://dev.convos.org/v2?i=abc%2Bdef&x=1"
                // Encoded as the page's encodeURIComponent would: `&`, `+`, `%` and `?` escaped.
                let uri = "/api/pool/qr?text=" + invite.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let r = try await client.execute(uri: uri, method: .get, headers: ServerFixtures.auth)
                #expect(r.status == .ok, "\(r.text)")
                #expect(r.headers[.contentType] == "image/svg+xml")
                #expect(r.text.contains("<svg"))
                // The same text encodes to the same symbol: the route encoded the whole decoded text.
                #expect(r.text == (try QRCodeRoute.svg(for: invite)), "the route decoded the query text as sent")
                // 1,000 ASCII characters fit (version 40 holds 2,331 bytes at level M).
                let long = try await client.execute(uri: "/api/pool/qr?text=" + String(repeating: "a", count: 1_000),
                                                    method: .get, headers: ServerFixtures.auth)
                #expect(long.status == .ok)
                #expect(long.text.contains("<svg"))
            }
        }
    }

    @Test func theQRCodeRefusesAMissingEmptyOrTooLongText() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let cases: [(String, String, String)] = [
                    ("missing", "/api/pool/qr", "text: required"),
                    ("empty", "/api/pool/qr?text=", "text: required"),
                    ("1,001 characters", "/api/pool/qr?text=" + String(repeating: "a", count: 1_001), "at most 1000 characters"),
                    // 700 four-byte characters: under 1,000 characters, over the 2,331 bytes a symbol holds.
                    ("too many bytes", "/api/pool/qr?text=" + String(repeating: "%F0%9F%98%80", count: 700), "too long to encode"),
                ]
                for (what, uri, message) in cases {
                    let r = try await client.execute(uri: uri, method: .get, headers: ServerFixtures.auth)
                    #expect(r.status == .badRequest, "\(what): \(r.text)")
                    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, "\(what)")
                    #expect(r.error?.contains(message) == true, "\(what): \(r.text)")
                }
            }
        }
    }

    @Test func thePageIsPublicHTMLWithNothingExternal() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let r = try await client.execute(uri: "/", method: .get)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                let page = r.text
                #expect(page.hasPrefix("<!doctype html>"))
                #expect(page.contains("<script>") && page.contains("<style>"), "inline JS and CSS")
                // No resource from another host: no absolute URL, no protocol-relative one,
                // no external script, stylesheet or font.
                for pattern in ["http://", "https://", "src=\"//", "href=\"//", "<script src", "<link", "@import", "url("] {
                    #expect(!page.contains(pattern), "the page refers to \(pattern)")
                }
                // Every call the page makes sends the key; the data routes it uses are protected.
                #expect(page.contains("\"Authorization\": \"Bearer \" + key()"))
                for path in ["/api/pool/counts", "/api/pool/status", "/api/pool/plan", "/api/pool/events?limit=20", "/api/pool/claim",
                             "/api/pool/history.svg", "/api/pool/qr?text=", "/api/pool/replenish", "/api/pool/drain", "/api/pool/instances/", "/api/pool/crashed/"] {
                    #expect(page.contains("\"\(path)"), "the page calls \(path)")
                }
                #expect(page.contains("sessionStorage"))
                #expect(!page.contains("localStorage"), "the key is kept for the tab's session only")
                let policy = try #require(r.headers[.contentSecurityPolicy])
                #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"))
                #expect(!page.contains(ServerFixtures.apiKey))
            }
        }
    }
}
