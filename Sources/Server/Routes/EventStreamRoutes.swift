import Credentials
import Crypto
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Store
import Synchronization
import Views

/// Live updates for the dashboard: Server-Sent Events at `GET /api/pool/events/stream`.
///
/// `EventSource` cannot send an `Authorization` header, and the pool key must never be in
/// a URL (proxies and logs keep URLs). So the page first asks `POST /api/pool/events/ticket`
/// with the key, and opens the stream with the ticket it gets: valid for a minute, an
/// HMAC of its expiry under a key derived from the pool key, so any replica can check it
/// and it opens nothing but the stream. A stream pushes `counts` when a tick ends and
/// `pool-event` for each new audit event (the store's, so claims on other replicas show
/// too), and a comment every 15 s; it ends after 10 minutes (the page opens the next one
/// with a fresh ticket) or when the server shuts down.
struct EventStreamRoutes {
    let context: ServerContext

    static let ticketLifetime: TimeInterval = 60
    static let streamLifetime: Duration = .seconds(600)
    static let poll: Duration = .milliseconds(200)
    static let keepAlive: Duration = .seconds(15)
    /// Streams open at once in this process: each reads the store five times a second.
    static let maxStreams = 64
    static let open = Mutex(0)

    struct Ticket: ResponseEncodable {
        var ticket: String
        var expiresAt: Date
    }

    func registerProtected(on group: RouterGroup<PoolRequestContext>) {
        group.post("events/ticket") { _, _ -> Ticket in
            let expires = context.clock().addingTimeInterval(Self.ticketLifetime)
            return Ticket(ticket: Self.ticket(expiring: expires, key: context.apiKey), expiresAt: expires)
        }
    }

    func registerPublic(on router: Router<PoolRequestContext>) {
        router.get("api/pool/events/stream") { request, _ -> Response in
            guard let ticket = request.uri.queryParameters.get("ticket"),
                  Self.valid(ticket, key: context.apiKey, now: context.clock()) else {
                // 403, not 401: no key would help; a fresh ticket does.
                throw APIError(.forbidden, "missing, wrong or expired stream ticket: get one with POST /api/pool/events/ticket")
            }
            let admitted = Self.open.withLock { n -> Bool in
                guard n < Self.maxStreams else { return false }
                n += 1
                return true
            }
            guard admitted else {
                throw APIError.unavailable("too many live streams open; the page polls meanwhile", retryAfter: 30)
            }
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                defer { Self.open.withLock { $0 -= 1 } }
                try await stream(into: &writer)
                try await writer.finish(nil)
            })
        }
    }

    /// Writes events until the stream's lifetime ends, the client goes away (a write
    /// fails) or the server shuts down.
    func stream(into writer: inout any ResponseBodyWriter) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        try await writer.write(ByteBuffer(string: "retry: 3000\n\n"))
        var lastTick = -1
        // Events from the one newest when the stream opened (read again until the store answers).
        var lastEvent: Int64? = try? await context.store.events(limit: 1, before: nil).first?.id ?? 0
        var quietSince = ContinuousClock.now
        let ends = ContinuousClock.now + Self.streamLifetime
        while ContinuousClock.now < ends, !Task.isCancelled, !Task.isShuttingDownGracefully {
            var out = ""
            let ticks = await context.loop.ticksRun
            if ticks != lastTick, let last = await context.loop.lastTick {
                lastTick = ticks
                let counts = PoolCounts(last.result.plan.counts)
                out += "event: counts\ndata: \(String(decoding: try encoder.encode(counts), as: UTF8.self))\n\n"
            }
            if let events = try? await context.store.events(limit: 50, before: nil) {
                if let since = lastEvent {
                    for event in events.reversed() where (event.id ?? 0) > since {
                        lastEvent = max(lastEvent ?? 0, event.id ?? 0)
                        out += "event: pool-event\ndata: \(String(decoding: try encoder.encode(event), as: UTF8.self))\n\n"
                    }
                } else {
                    lastEvent = events.first?.id ?? 0
                }
            }
            if out.isEmpty, ContinuousClock.now - quietSince >= Self.keepAlive { out = ": keep-alive\n\n" }
            if !out.isEmpty {
                try await writer.write(ByteBuffer(string: out))
                quietSince = ContinuousClock.now
            }
            try await Task.sleep(for: Self.poll)
        }
    }

    /// `<expiry in ms>.<hex HMAC-SHA256 of it>` under a key derived from the pool key.
    static func ticket(expiring at: Date, key: String) -> String {
        let expiry = String(Int64((at.timeIntervalSince1970 * 1000).rounded()))
        return expiry + "." + mac(expiry, key: key)
    }

    static func valid(_ ticket: String, key: String, now: Date) -> Bool {
        guard !key.isEmpty else { return false }
        let parts = ticket.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let millis = Int64(parts[0]) else { return false }
        let expires = Date(timeIntervalSince1970: Double(millis) / 1000)
        guard expires > now, expires.timeIntervalSince(now) <= ticketLifetime + 5 else { return false }
        return ConstantTime.equal(String(parts[1]), mac(String(parts[0]), key: key))
    }

    private static func mac(_ message: String, key: String) -> String {
        let derived = SymmetricKey(data: SHA256.hash(data: Data(("pool event stream ticket\u{0}" + key).utf8)))
        return Hex.lowercase(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: derived))
    }
}
