import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import StandInAgent
import Testing

/// The stand-in's own contract rules, checked with raw requests.
@Suite(.timeLimit(.minutes(1))) struct StandInContractTests {
    struct Answer {
        var status: Int
        var contentType: String?
        var body: String
    }

    func send(_ method: HTTPMethod, _ url: String, authorization: String? = "Bearer \(testKey)",
              body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await httpClient.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                      body: String(buffer: bytes))
    }

    @Test(arguments: [(HTTPMethod.POST, "/convos/status"), (.GET, "/convos/conversation"), (.PUT, "/convos/join")])
    func wrongMethodIs405BeforeAuth(method: HTTPMethod, path: String) async throws {
        try await withStandIn { _, url in
            let answer = try await send(method, url + path, authorization: "Bearer wrong")
            #expect(answer.status == 405)
            #expect(answer.body == #"{"error":"Method Not Allowed"}"#)
        }
    }

    // (A trailing space is no case: HTTP parsers strip it, the instance's as well.)
    @Test(arguments: [nil, "Bearer wrong", "bearer \(testKey)", "Bearer  \(testKey)", "Bearer \(testKey)x", testKey])
    func bearerMustMatchExactly(authorization: String?) async throws {
        try await withStandIn { _, url in
            let answer = try await send(.GET, url + "/convos/status", authorization: authorization)
            #expect(answer.status == 401)
            #expect(answer.body == #"{"error":"Unauthorized"}"#)
        }
    }

    @Test func exactBearerAndQueryStringAreAccepted() async throws {
        try await withStandIn { agent, url in
            let answer = try await send(.GET, url + "/convos/status?x=1")
            #expect(answer.status == 200)
            #expect(answer.contentType?.hasPrefix("application/json") == true)
            #expect(answer.body == #"{"conversation":null,"ready":true,"streaming":false}"#)
            #expect(agent.state.calls(to: .status) == 1)
        }
    }

    @Test func trailingSlashIsNotTheEndpoint() async throws {
        try await withStandIn { _, url in
            let answer = try await send(.GET, url + "/convos/status/")
            #expect(answer.status == 404)
        }
    }

    @Test func bodyOverOneMiBIs500() async throws {
        try await withStandIn { agent, url in
            let big = #"{"name":""# + String(repeating: "a", count: 1 << 20) + #""}"#
            let answer = try await send(.POST, url + "/convos/conversation", body: big)
            #expect(answer.status == 500)
            #expect(answer.body == #"{"error":"Request body too large"}"#)
            #expect(agent.state.boundConversationId == nil)
        }
    }

    @Test func malformedBodyIs500AndEmptyBodyIsAnEmptyObject() async throws {
        try await withStandIn { _, url in
            #expect(try await send(.POST, url + "/convos/conversation", body: "{nope").status == 500)
            let created = try await send(.POST, url + "/convos/conversation", body: "")
            #expect(created.status == 200)
            // No env in the body: the instance's own network, production by default.
            #expect(created.body.contains("popup.convos.org"))
        }
    }

    @Test func joinWithoutInviteIs400() async throws {
        try await withStandIn { agent, url in
            let answer = try await send(.POST, url + "/convos/join", body: #"{"inviteUrl": 7}"#)
            #expect(answer.status == 400)
            #expect(agent.state.boundConversationId == nil)
        }
    }

    @Test func newStatusShape() async throws {
        try await withStandIn(.init(apiKey: testKey, statusShape: .new)) { _, url in
            let answer = try await send(.GET, url + "/convos/status")
            #expect(answer.body == #"{"clean":true,"conversationId":null,"inboxId":null,"pending":false}"#)
        }
    }

    @Test func latencyAndFailureChangeAtRunTime() async throws {
        try await withStandIn { agent, url in
            agent.state.setLatency(.milliseconds(300), on: .status)
            let (_, elapsed) = try await seconds { try await send(.GET, url + "/convos/status") }
            #expect(elapsed >= 0.3)
            agent.state.setFailure(.serverError, on: .status)
            #expect(try await send(.GET, url + "/convos/status").status == 500)
            agent.state.setFailure(nil)
            #expect(try await send(.GET, url + "/convos/status").status == 200)
        }
    }

    @Test func stopLetsHangingRequestsGo() async throws {
        let agent = StandInAgent(configuration: .init(apiKey: testKey, failure: .hang))
        try await agent.start()
        let url = agent.baseURL!
        let pending = Task { try await send(.GET, url + "/convos/status") }
        try await Task.sleep(for: .milliseconds(200))
        let (_, elapsed) = await seconds { await agent.stop() }
        // Without the release a hanging request holds the stop for ever (the suite's time
        // limit ends it); 20 s leaves a machine loaded by the other suites its slack.
        #expect(elapsed < 20, "stop took \(elapsed) s with a request hanging")
        _ = try? await pending.value
    }
}
