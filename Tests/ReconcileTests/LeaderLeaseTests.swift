import Controller
import Foundation
import Store
import Synchronization
import TestSupport
import Testing

/// Replicas sharing a store: one leads, a lost lease stops the executor, a release or an
/// expiry hands over.
@Suite struct LeaderLeaseTests {
    func withSharedStore(_ body: (_ a: any PoolStore, _ b: any PoolStore) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lease-\(UUID().uuidString).sqlite").path
        let a = try SQLiteStore(path: path, logger: quiet)
        let b = try SQLiteStore(path: path, logger: quiet)
        _ = try await a.migrate()
        do { try await body(a, b) } catch { await a.close(); await b.close(); throw error }
        await a.close()
        await b.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test func oneLeadsTheOtherTakesOverOnRelease() async throws {
        try await withSharedStore { storeA, storeB in
            let becameLeader = Mutex<[String]>([])
            let a = LeaderLease(configuration: .init(replica: "a", duration: 30), store: storeA, logger: quiet,
                                onBecomingLeader: { becameLeader.withLock { $0.append("a") } })
            let b = LeaderLease(configuration: .init(replica: "b", duration: 30), store: storeB, logger: quiet,
                                onBecomingLeader: { becameLeader.withLock { $0.append("b") } })
            #expect(await a.attempt())
            #expect(!(await b.attempt()))
            #expect(a.isLeader && !b.isLeader)
            #expect(b.lastSeen?.holder == a.holder && a.holder.hasPrefix("a#"))
            // Renewing changes nothing for either.
            #expect(await a.attempt())
            #expect(!(await b.attempt()))
            await a.release()
            #expect(!a.isLeader)
            #expect(await b.attempt())
            #expect(!(await a.attempt()))
            #expect(becameLeader.withLock { $0 } == ["a", "b"])
        }
    }

    @Test func twoProcessesWithOneNameNeverBothLead() async throws {
        try await withSharedStore { storeA, storeB in
            let first = LeaderLease(configuration: .init(replica: "same", duration: 30), store: storeA, logger: quiet)
            let second = LeaderLease(configuration: .init(replica: "same", duration: 30), store: storeB, logger: quiet)
            #expect(first.holder != second.holder)
            #expect(await first.attempt())
            #expect(!(await second.attempt()))
            #expect(first.isLeader && !second.isLeader)
        }
    }

    @Test func anUnrenewedLeaseStopsActingBeforeItExpiresAndIsTakenOver() async throws {
        try await withSharedStore { storeA, storeB in
            // Ten seconds: long enough that a loaded machine (a shared SQLite file kept busy by
            // the other suites) does not let b's fresh lease expire between b taking it and
            // a's last attempt below.
            let duration: TimeInterval = 10
            let a = LeaderLease(configuration: .init(replica: "a", duration: duration), store: storeA, logger: quiet)
            let b = LeaderLease(configuration: .init(replica: "b", duration: duration), store: storeB, logger: quiet)
            #expect(await a.attempt())
            // a stops renewing (paused, cut off). It stops acting a margin (a fifth) before
            // the store's expiry, by its own clock...
            try await Task.sleep(for: .milliseconds(Int(duration * 850)))
            #expect(!a.isLeader)
            // ...and b takes over once the store's lease has expired, not before.
            var tookOver = false
            for _ in 0..<100 where !tookOver {
                tookOver = await b.attempt()
                if !tookOver { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(tookOver)
            #expect(!(await a.attempt()))
        }
    }

    @Test func aWaitingReplicaTriesAgainJustAfterTheLeaseExpires() async throws {
        try await withSharedStore { storeA, storeB in
            let a = LeaderLease(configuration: .init(replica: "a", duration: 9), store: storeA, logger: quiet)
            let b = LeaderLease(configuration: .init(replica: "b", duration: 9), store: storeB, logger: quiet)
            #expect(await a.attempt())
            #expect(!(await b.attempt()))
            // b's next attempt: at the renewal interval (3 s) at the latest.
            #expect(b.nextAttemptIn() <= 3)
            #expect(a.nextAttemptIn() == 3)
        }
    }

    @Test func aReplicaThatLostTheLeaseAppliesNothing() async throws {
        try await ReconcileWorld.with(try ReconcileWorld.spec(minIdle: 2, maxTotal: 4)) { world in
            // A lease this replica never took: it does not lead.
            let lost = LeaderLease(configuration: .init(replica: "lost"), store: world.store, logger: quiet)
            let reconciler = world.reconciler(lease: lost)
            let tick = await reconciler.tick()
            #expect(tick.plan.actions.contains { $0.kind == .create })
            #expect(tick.results.allSatisfy { $0.outcome == .refused("this replica no longer holds the leader lease") })
            #expect(await world.fake.calls(of: "ServiceCreate") == 0)
            let records = try await world.store.instances()
            #expect(records.isEmpty, "not even an intent is recorded")
        }
    }
}
