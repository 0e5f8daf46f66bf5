#if canImport(Glibc)
import Foundation
import Hummingbird
import Server
import ServiceLifecycle
import TestSupport
import Testing

/// The HTTP edge against clients that hold connections: slow heads and bodies are cut at
/// their deadlines, a request without the key is answered 401 and closed without its body,
/// connections over a cap are refused at once while others are served. Short limits set
/// for the test; real sockets on loopback, from several loopback source addresses.
@Suite(.timeLimit(.minutes(2))) struct EdgeLimitTests {
    static let short = EdgeLimits(headTimeout: .milliseconds(500), bodyTimeout: .milliseconds(500),
                                  idleTimeout: .seconds(30), maxConnections: 6, maxConnectionsPerAddress: 3)

    /// A server with `limits` on a free loopback port for `body`.
    func withServer(_ limits: EdgeLimits = short, _ body: (Int) async throws -> Void) async throws {
        try await ServerWorld.with { world in try await world.serving(limits, body) }
    }

    final class Port: @unchecked Sendable {
        private let lock = NSLock()
        private var bound = 0
        var value: Int { lock.withLock { bound } }
        func set(_ port: Int) { lock.withLock { bound = port } }
    }

    /// A head sent a byte every 100 ms that never ends, and a body that stalls after its
    /// head: each is cut at its 500 ms deadline (the other deadline far off), not before.
    enum Stall: String, CaseIterable { case head, body }

    @Test(arguments: Stall.allCases) func slowClientsAreClosedAtTheirDeadline(stall: Stall) async throws {
        var limits = Self.short
        if stall == .head { limits.bodyTimeout = .seconds(60) } else { limits.headTimeout = .seconds(60) }
        try await withServer(limits) { port in
            let opened = ContinuousClock.now
            let clients = try (0..<3).map { _ in try RawConnection(port: port) }
            for c in clients {
                c.send(stall == .head ? "GET /healthz HTTP/1.1\r\nHo"
                       : "POST /api/pool/drain HTTP/1.1\r\nHost: pool\r\nAuthorization: Bearer \(ServerFixtures.apiKey)\r\n"
                         + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            }
            // A close is seen at or after it happened, so an early one cannot pass.
            var open = clients
            for _ in 0..<50 where !open.isEmpty {
                var stillOpen: [RawConnection] = []
                for c in open {
                    if stall == .body || c.send("x"), await !c.waitForClose(within: .milliseconds(100)) { stillOpen.append(c); continue }
                    #expect(ContinuousClock.now - opened >= .milliseconds(450), "a slow \(stall) was cut before its deadline")
                }
                open = stillOpen
            }
            let closed = clients.count - open.count
            #expect(closed == clients.count, "\(closed) of \(clients.count) slow \(stall)s were closed")
            #expect(clients.allSatisfy { $0.received.isEmpty }, "no answer to a \(stall) that never ended")
        }
    }

    /// Between requests a kept-alive connection waits for the idle timeout, not the (shorter)
    /// first-head deadline, and is closed once it has passed. Generous margins: a loaded
    /// machine sees answers late, never early.
    @Test func aKeptAliveConnectionIsClosedAfterItsIdleTimeout() async throws {
        var limits = Self.short
        limits.idleTimeout = .seconds(5)
        try await withServer(limits) { port in
            let client = try RawConnection(port: port)
            for request in 1...2 {
                client.send("GET /healthz HTTP/1.1\r\nHost: pool\r\n\r\n")
                var closed = false
                for _ in 0..<50 where !closed && client.received.components(separatedBy: "HTTP/1.1 200").count - 1 < request {
                    closed = await client.waitForClose(within: .milliseconds(100))
                }
                #expect(!closed && client.received.components(separatedBy: "HTTP/1.1 200").count - 1 == request,
                        "answer \(request) on one kept-alive connection: \(client.received.prefix(300))")
                guard !closed else { return }
                if request == 1 {
                    // Past the 500 ms head deadline and still open: the idle timeout holds it.
                    #expect(await !client.waitForClose(within: .seconds(1)), "closed at the head deadline, not the idle timeout")
                }
            }
            let idleFrom = ContinuousClock.now
            #expect(await client.waitForClose(within: .seconds(15)), "an idle kept-alive connection is closed")
            #expect(ContinuousClock.now - idleFrom >= .seconds(2), "closed well before the 5 s idle timeout")
        }
    }

    @Test func aRequestWithoutTheKeyIsRefusedAtOnceAndClosedWithoutItsBody() async throws {
        // Deadlines far off: what closes the connection is the 401, not a timer.
        var limits = Self.short
        limits.bodyTimeout = .seconds(60)
        limits.headTimeout = .seconds(60)
        try await withServer(limits) { port in
            let started = ContinuousClock.now
            let client = try RawConnection(port: port)
            client.send("POST /api/pool/claim HTTP/1.1\r\nHost: pool\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
            #expect(await client.waitForClose(within: .seconds(5)))
            #expect(client.received.hasPrefix("HTTP/1.1 401"), "\(client.received.prefix(200))")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func connectionsOverACapAreRefusedOrMakeRoomWhileOthersAreServed() async throws {
        var limits = Self.short
        limits.headTimeout = .seconds(60)  // held connections stay open for the test
        limits.bodyTimeout = .seconds(60)
        try await withServer(limits) { port in
            let idle = try await Self.healthzMedian(port: port, from: "127.0.0.2")
            // Four from one address over its cap of three: one is refused at once (which one
            // depends on the order the event loops take them up), three stay open.
            var held = try await Self.open(4, port: port, from: "127.0.0.1", refused: 1)
            // Another address is served meanwhile, as quickly as before: within 100 ms, or
            // (on a machine loaded by other work) not much slower than with nothing held.
            let capped = try await Self.healthzMedian(port: port, from: "127.0.0.2")
            #expect(capped < .milliseconds(100) || capped < idle * 3 + .milliseconds(50),
                    "healthz median \(capped) while the cap holds, \(idle) before")
            // Three more fill the server's cap of six. A seventh takes the place of an idle one:
            // it stays open, one of the six is closed.
            let more = try await Self.open(3, port: port, from: "127.0.0.3", refused: 0)
            let seventh = try await Self.open(1, port: port, from: "127.0.0.4", refused: 0)
            var closed = 0
            for c in held + more where await c.waitForClose(within: .milliseconds(200)) { closed += 1 }
            #expect(closed == 1, "\(closed) idle connections closed to make room for one")
            // Closed connections free their places: the first address is served again.
            held.removeAll()
            try await eventually("a place freed", seconds: 5, every: .milliseconds(50)) {
                try await RawConnection.get("/healthz", port: port, from: "127.0.0.1").status == "HTTP/1.1 200 OK"
            }
            _ = (more, seventh)
        }
    }

    /// The whole cap held by idle connections (a flood that opens and waits): health checks
    /// from another address are still answered within 100 ms, each taking an idle place.
    @Test func healthzIsAnsweredWhileIdleConnectionsFillTheCap() async throws {
        var limits = Self.short
        limits.headTimeout = .seconds(60)
        limits.bodyTimeout = .seconds(60)
        try await withServer(limits) { port in
            let baseline = try await Self.healthzMedian(port: port, from: "127.0.0.9")
            let flood = try await Self.open(3, port: port, from: "127.0.0.10", refused: 0)
                + (try await Self.open(3, port: port, from: "127.0.0.11", refused: 0))
            let full = try await Self.healthzMedian(port: port, from: "127.0.0.9")
            #expect(full < .milliseconds(100) || full < baseline * 3 + .milliseconds(50),
                    "healthz median \(full) with the cap full of idle connections, \(baseline) before")
            _ = flood
        }
    }

    @Test func connectionsOverTheCapAreRefusedWhenNoneIsIdle() async throws {
        var limits = Self.short
        limits.headTimeout = .seconds(60)
        limits.bodyTimeout = .seconds(60)
        try await withServer(limits) { port in
            // Six requests in progress (bodies that never end) fill the cap.
            var busy: [RawConnection] = []
            for source in ["127.0.0.5", "127.0.0.6"] {
                for _ in 0..<3 {
                    let c = try RawConnection(port: port, from: source)
                    c.send("POST /api/pool/drain HTTP/1.1\r\nHost: pool\r\nAuthorization: Bearer \(ServerFixtures.apiKey)\r\n"
                           + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                    busy.append(c)
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            _ = try await Self.open(1, port: port, from: "127.0.0.7", refused: 1)
            for c in busy { #expect(await !c.waitForClose(within: .milliseconds(10)), "a busy connection was closed") }
        }
    }

    /// The median time of five `GET /healthz` from `source`, each answered 200.
    static func healthzMedian(port: Int, from source: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Duration {
        var took: [Duration] = []
        for _ in 0..<5 {
            let answer = try await RawConnection.get("/healthz", port: port, from: source)
            #expect(answer.status == "HTTP/1.1 200 OK", sourceLocation: sourceLocation)
            took.append(answer.took)
        }
        return took.sorted()[2]
    }

    /// Opens `count` connections from `source` and checks that `refused` of them are closed
    /// at once and the rest stay open; returns the open ones.
    static func open(_ count: Int, port: Int, from source: String, refused: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> [RawConnection] {
        let connections = try (0..<count).map { _ in try RawConnection(port: port, from: source) }
        var open: [RawConnection] = []
        for c in connections where await !c.waitForClose(within: .milliseconds(300)) { open.append(c) }
        #expect(count - open.count == refused, "\(count - open.count) of \(count) from \(source) refused, expected \(refused)",
                sourceLocation: sourceLocation)
        return open
    }
}
#endif
