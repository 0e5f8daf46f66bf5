import Foundation
import Hummingbird
import HummingbirdTesting
@testable import Server
import TestSupport
import Testing

/// The live stream's tickets: only the key gets one; the stream opens with a ticket, and
/// refuses none, a forged one, an expired one and the pool key itself.
@Suite struct EventStreamTicketTests {
    @Test func onlyATicketOpensTheStream() async throws {
        try await ServerWorld.with(runLoop: false) { world in
            try await world.app.test(.router) { client in
                let refused = try await client.execute(uri: "/api/pool/events/ticket", method: .post)
                #expect(refused.status == .unauthorized)
                let r = try await client.execute(uri: "/api/pool/events/ticket", method: .post, headers: ServerFixtures.auth)
                #expect(r.status == .ok)
                let ticket = try #require(r.json["ticket"] as? String)
                #expect(!ticket.contains(ServerFixtures.apiKey))
                #expect(EventStreamRoutes.valid(ticket, key: ServerFixtures.apiKey, now: Date()))
                let now = Date()
                let expired = EventStreamRoutes.ticket(expiring: now.addingTimeInterval(-1), key: ServerFixtures.apiKey)
                let otherKey = EventStreamRoutes.ticket(expiring: now.addingTimeInterval(30), key: "another-key")
                let tooLong = EventStreamRoutes.ticket(expiring: now.addingTimeInterval(3_600), key: ServerFixtures.apiKey)
                let forged = String(ticket.prefix { $0 != "." }) + "." + String(repeating: "0", count: 64)
                for bad in ["", "abc", ServerFixtures.apiKey, expired, otherKey, tooLong, forged] {
                    let query = bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    let s = try await client.execute(uri: "/api/pool/events/stream?ticket=\(query)", method: .get)
                    #expect(s.status == .forbidden, "ticket '\(bad.prefix(20))': \(s.status)")
                }
                let none = try await client.execute(uri: "/api/pool/events/stream", method: .get)
                #expect(none.status == .forbidden)
            }
        }
    }
}
