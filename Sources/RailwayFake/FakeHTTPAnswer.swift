import Foundation

/// What the fake answers one HTTP request with, before it becomes a Hummingbird response.
struct FakeHTTPAnswer: Sendable {
    var status: Int
    var contentType = "application/json"
    var headers: [(String, String)] = []
    var body: Data
    /// Wall-clock wait before answering (the latency fault).
    var delay: Duration?

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> FakeHTTPAnswer {
        FakeHTTPAnswer(status: status, headers: headers, body: (try? JSONEncoder().encode(value)) ?? Data())
    }

    static func errors(_ status: Int, _ message: String, code: String? = nil,
                       headers: [(String, String)] = []) -> FakeHTTPAnswer {
        var error: [String: JSONValue] = ["message": .string(message)]
        if let code { error["extensions"] = ["code": .string(code)] }
        return json(status, ["data": .null, "errors": [.object(error)]], headers: headers)
    }

    static let accessDenied = FakeHTTPAnswer(
        status: 403, contentType: "text/html; charset=UTF-8",
        body: Data("<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>".utf8))
}
