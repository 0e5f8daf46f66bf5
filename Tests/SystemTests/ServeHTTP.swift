import AsyncHTTPClient
import Foundation
import NIOCore

/// Calls to running `poolctl serve` processes, over AsyncHTTPClient (hundreds at once).
struct ServeHTTP: Sendable {
    let http: HTTPClient
    let key: String

    func get(_ url: String, auth: Bool = false) async throws -> String {
        var request = HTTPClientRequest(url: url)
        if auth { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let response = try await http.execute(request, timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 4 << 20))
    }

    func getJSON(_ url: String, auth: Bool = true) async throws -> [String: Any] {
        let body = try await get(url, auth: auth)
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }

    /// POST a claim; the status and the instance id of a success.
    func claim(_ base: String, agent: String) async throws -> (status: Int, instanceId: String?) {
        var request = HTTPClientRequest(url: base + "/api/pool/claim")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"agentName": "\#(agent)", "instructions": "A test claim."}"#))
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        let json = try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
        return (Int(response.status.code), json?["instanceId"] as? String)
    }

    /// POST /api/pool/reconcile: one tick, started after the call.
    func reconcile(_ base: String) async throws -> Int {
        var request = HTTPClientRequest(url: base + "/api/pool/reconcile")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await http.execute(request, timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 4 << 20)
        return Int(response.status.code)
    }
}
