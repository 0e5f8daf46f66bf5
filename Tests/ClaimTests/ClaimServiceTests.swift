import AgentClient
import AsyncHTTPClient
@testable import Controller
import Foundation
import Model
import Planning
import StandInAgent
import Store
import TestSupport
import Testing

/// Claims against stand-in agents over real HTTP on loopback, with a real store.
@Suite struct ClaimServiceTests {
    static let key = "pool-key-claims-5e1"
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: AgentClient.httpClientConfiguration)

    /// One stand-in agent, one idle instance pointing at it, and a claim service.
    func withAgent(failure: StandInFailure? = nil, on endpoint: StandInEndpoint? = nil, apiKey: String = key,
                   _ body: (ClaimService, StandInAgent, any PoolStore, TickCounter) async throws -> Void) async throws {
        let agent = StandInAgent(configuration: .init(apiKey: apiKey, defaultXMTPEnv: "dev"), logger: quiet)
        let port = try await agent.start()
        if let failure { agent.state.setFailure(failure, on: endpoint) }
        do {
            try await StoreBackend.sqlite.withStore { store in
                _ = try await ClaimFixtures.seedIdle(store, count: 1, domains: ["127.0.0.1:\(port)"])
                let ticks = TickCounter()
                // A hanging agent is given up after 2 s; the others get room on a loaded machine.
                let timeout = failure == .hang ? "2s" : "20s"
                let service = ClaimService(spec: try ClaimFixtures.spec(createTimeout: timeout, joinTimeout: timeout), store: store,
                                           caller: AgentClient(httpClient: Self.http, scheme: "http", logger: quiet),
                                           credentials: ClaimFixtures.credentials(poolKey: Self.key),
                                           logger: quiet, requestTick: { ticks.hit() })
                try await body(service, agent, store, ticks)
            }
        } catch {
            await agent.stop(); throw error
        }
        await agent.stop()
    }

    let request = ClaimRequest(agentName: "Tokyo Trip Planner", instructions: "Plan a trip to Tokyo.")

    @Test func createModeClaimsAndRecords() async throws {
        try await withAgent { service, agent, store, ticks in
            guard case .claimed(let answer) = await service.claim(request) else { Issue.record("not claimed"); return }
            #expect(!answer.conversationId.isEmpty && answer.joined == false)
            #expect(answer.inviteUrl?.hasPrefix("https://dev.convos.org/v2?i=") == true)
            #expect(agent.state.boundConversationId == answer.conversationId)
            let record = try await store.instance(id: answer.instanceId)
            #expect(record?.claim == .claimed && record?.agentName == "Tokyo Trip Planner")
            #expect(ticks.count == 1, "a claim asks for a tick (rename, backfill)")
            #expect(try await store.events(limit: 5, before: nil).first?.detail == "claimed by \"Tokyo Trip Planner\"")
            // The pool is now empty.
            #expect(await service.claim(request) == .poolEmpty)
        }
    }

    @Test func joinModeKeepsTheInviteUrlSent() async throws {
        try await withAgent { service, _, _, _ in
            let url = "https://dev.convos.org/v2?i=abc123"
            guard case .claimed(let answer) = await service.claim(ClaimRequest(agentName: "a", instructions: "i", joinUrl: url))
            else { Issue.record("not claimed"); return }
            #expect(answer.inviteUrl == url && answer.joined)
        }
    }

    @Test(arguments: [(StandInFailure.serverError, StandInEndpoint.createConversation),
                      (.hang, .createConversation), (.html, .createConversation), (.noConversationId, .createConversation),
                      (.malformedJSON, .createConversation), (.waitingForAcceptance, .join), (.pendingAcceptance, .join),
                      (.serverError, .join)])
    func everyFailureRetiresTheInstance(failure: StandInFailure, endpoint: StandInEndpoint) async throws {
        try await withAgent(failure: failure, on: endpoint) { service, _, store, _ in
            let r = endpoint == .join ? ClaimRequest(agentName: "a", instructions: "i", joinUrl: "https://dev.convos.org/v2?i=x") : request
            guard case .failed(let id, let message) = await service.claim(r) else { Issue.record("not failed"); return }
            #expect(!message.isEmpty)
            let record = try await store.instance(id: id)
            #expect(record?.retiredReason != nil, "retired: it may hold a half-made identity")
            #expect(record?.claim == InstanceRecord.Claim.none)
            // Never handed out again.
            #expect(await service.claim(request) == .poolEmpty)
        }
    }

    @Test func aRefusedPoolKeyIsAConfigurationFaultNotARetirement() async throws {
        try await withAgent(apiKey: "another-key") { service, _, store, _ in
            guard case .failed(let id, _) = await service.claim(request) else { Issue.record("not failed"); return }
            let record = try await store.instance(id: id)
            #expect(record?.retiredReason == nil && record?.claim == InstanceRecord.Claim.none)
            #expect(record?.marked == .misconfigured, "not claimable again until a probe says it is fine")
            #expect(await service.claim(request) == .poolEmpty)
        }
    }

    @Test func anInstanceAlreadyBoundIsKeptAsAdoptedNeverRetired() async throws {
        try await withAgent(failure: .conflict, on: .createConversation) { service, _, store, _ in
            guard case .failed(let id, _) = await service.claim(request) else { Issue.record("not failed"); return }
            let record = try await store.instance(id: id)
            #expect(record?.retiredReason == nil)
            #expect(record?.claim == .claimed && record?.agentName == nil && record?.marked == .adopted)
            #expect(await service.claim(request) == .poolEmpty)
        }
    }

    @Test func anIdempotencyKeyWithAnotherBodyIsRefused() async throws {
        try await withAgent { service, _, store, _ in
            guard case .claimed = await service.claim(request, idempotencyKey: "k") else { Issue.record("not claimed"); return }
            let other = ClaimRequest(agentName: "Someone Else", instructions: "Other.")
            #expect(await service.claim(other, idempotencyKey: "k") == .keyReused)
            let records = try await store.instances()
            #expect(records.filter { $0.claim == .claimed }.count == 1)
        }
    }

    @Test func anIdempotencyKeyReplaysTheFirstAnswer() async throws {
        try await withAgent { service, agent, store, _ in
            let first = await service.claim(request, idempotencyKey: "req-1")
            let second = await service.claim(request, idempotencyKey: "req-1")
            #expect(first == second)
            guard case .claimed = first else { Issue.record("not claimed"); return }
            #expect(agent.state.calls(to: .createConversation) == 1)
            let records = try await store.instances()
            #expect(records.filter { $0.claim == .claimed }.count == 1)
        }
    }

    @Test func badInputNamesTheFieldAndChangesNothing() async throws {
        try await withAgent { service, agent, store, _ in
            let cases: [(ClaimRequest, String?, String)] = [
                (ClaimRequest(agentName: " ", instructions: "i"), nil, "agentName"),
                (ClaimRequest(agentName: String(repeating: "x", count: 65), instructions: "i"), nil, "agentName"),
                (ClaimRequest(agentName: "a\u{7}b", instructions: "i"), nil, "agentName"),
                (ClaimRequest(agentName: "a", instructions: "  "), nil, "instructions"),
                (ClaimRequest(agentName: "a", instructions: String(repeating: "x", count: 64 * 1024 + 1)), nil, "instructions"),
                (ClaimRequest(agentName: "a", instructions: "i", joinUrl: "https://popup.convos.org/v2?i=x"), nil, "joinUrl"),
                (ClaimRequest(agentName: "a", instructions: "i", joinUrl: "http://dev.convos.org/v2?i=x"), nil, "joinUrl"),
                (ClaimRequest(agentName: "a", instructions: "i", joinUrl: "not a url"), nil, "joinUrl"),
                (ClaimRequest(agentName: "a", instructions: "i"), "", "Idempotency-Key"),
                (ClaimRequest(agentName: "a", instructions: "i"), "has space", "Idempotency-Key"),
            ]
            for (r, key, field) in cases {
                guard case .invalid(let e) = await service.claim(r, idempotencyKey: key) else { Issue.record("\(r) accepted"); continue }
                #expect(e.field == field, "\(e)")
            }
            #expect(agent.state.calls(to: .createConversation) == 0)
            let records = try await store.instances()
            #expect(records.allSatisfy { $0.claim == .none && $0.retiredReason == nil })
        }
    }

    @Test func joinHostsFollowTheNetwork() throws {
        let dev = try ClaimFixtures.spec(xmtp: "dev").allowedInviteHosts
        let prod = try ClaimFixtures.spec(xmtp: "production").allowedInviteHosts
        let devLink = ClaimRequest(agentName: "a", instructions: "i", joinUrl: "https://dev.convos.org/v2?i=x")
        let prodLink = ClaimRequest(agentName: "a", instructions: "i", joinUrl: "https://popup.convos.org/v2?i=x")
        let oldProdLink = ClaimRequest(agentName: "a", instructions: "i", joinUrl: "https://convos.org/v2?i=x")
        #expect(throws: Never.self) { try devLink.validate(allowedInviteHosts: dev, idempotencyKey: nil) }
        #expect(throws: ClaimRequest.Invalid.self) { try prodLink.validate(allowedInviteHosts: dev, idempotencyKey: nil) }
        #expect(throws: Never.self) { try prodLink.validate(allowedInviteHosts: prod, idempotencyKey: nil) }
        #expect(throws: Never.self) { try oldProdLink.validate(allowedInviteHosts: prod, idempotencyKey: nil) }
        #expect(throws: ClaimRequest.Invalid.self) { try devLink.validate(allowedInviteHosts: prod, idempotencyKey: nil) }
    }

    @Test func aTakeTheStoreAnsweredTooLateIsNeverCalled() async throws {
        try await StoreBackend.sqlite.withStore { store in
            _ = try await ClaimFixtures.seedIdle(store, count: 1, domains: ["127.0.0.1:1"])
            let caller = CountingCaller()
            // The clock reads 11 s later after the take than before it.
            let reads = TickCounter()
            let service = ClaimService(spec: try ClaimFixtures.spec(), store: store, caller: caller, credentials: ClaimFixtures.credentials(), logger: quiet,
                                       clock: { reads.hit(); return ClaimFixtures.now.addingTimeInterval(reads.count > 1 ? 11 : 0) })
            guard case .unavailable(let message) = await service.claim(request) else { Issue.record("expected unavailable"); return }
            #expect(message.contains("too slow"))
            #expect(caller.callsPerInstance.isEmpty, "the instance is not called")
            let record = try #require(try await store.instances().first)
            #expect(record.claim == .none && record.retiredReason?.contains("not called") == true)
        }
    }

    @Test func killAndDismiss() async throws {
        try await StoreBackend.sqlite.withStore { store in
            _ = try await ClaimFixtures.seedIdle(store, count: 2, domains: ["127.0.0.1:1"])
            let platform = RecordingPlatform()
            let service = ClaimService(spec: try ClaimFixtures.spec(), store: store, caller: CountingCaller(), credentials: ClaimFixtures.credentials(), logger: quiet)
            let operators = PoolOperator(store: store, platform: platform, logger: quiet)
            guard case .claimed(let a) = await service.claim(request) else { Issue.record("not claimed"); return }
            await #expect(throws: PoolOperator.OperatorError.self) { try await operators.dismiss(instanceId: a.instanceId) }
            try await operators.kill(instanceId: a.instanceId)
            #expect(platform.deletes == ["svc-\(a.instanceId)"])
            #expect(try await store.instance(id: a.instanceId) == nil)
            // An idle one cannot be killed, a crashed one can be dismissed.
            let idle = try #require(try await store.instances().first)
            await #expect(throws: PoolOperator.OperatorError.self) { try await operators.kill(instanceId: idle.instanceId) }
            try await store.mark(instanceId: idle.instanceId, serviceId: nil, state: .crashed, at: ClaimFixtures.now)
            try await operators.dismiss(instanceId: idle.instanceId)
            #expect(platform.deletes.count == 2)
            await #expect(throws: PoolOperator.OperatorError.self) { try await operators.kill(instanceId: "nope") }
        }
    }
}

/// The store's atomic take under load: 500 claims, 50 idle instances.
@Suite struct ConcurrentClaimTests {
    @Test(arguments: StoreBackend.underTest)
    func fiveHundredClaimsFiftyIdle(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let domains = (0..<50).map { "10.0.0.\($0):8080" }
            _ = try await ClaimFixtures.seedIdle(store, count: 50, domains: domains)
            let caller = CountingCaller()
            caller.latency = .milliseconds(5)
            let service = ClaimService(spec: try ClaimFixtures.spec(), store: store, caller: caller,
                                       credentials: ClaimFixtures.credentials(), logger: quiet)
            let results = await withTaskGroup(of: ClaimResult.self) { group in
                for k in 0..<500 {
                    group.addTask { await service.claim(ClaimRequest(agentName: "agent \(k)", instructions: "i")) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let claimed = results.compactMap { r -> String? in if case .claimed(let a) = r { a.instanceId } else { nil } }
            #expect(claimed.count == 50)
            #expect(Set(claimed).count == 50, "no instance claimed twice")
            #expect(results.filter { $0 == .poolEmpty }.count == 450)
            #expect(caller.callsPerInstance.values.allSatisfy { $0 == 1 } && caller.callsPerInstance.count == 50)
        }
    }
}
