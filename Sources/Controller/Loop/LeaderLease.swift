import Foundation
import Logging
import ServiceLifecycle
import Store
import Synchronization

/// Picks the one replica that runs the reconcile loop when several share a store
/// (docs/design.md section 7). Every replica runs this service: it takes the lease when it is
/// free or expired, renews it well inside its duration while it holds it, and gives it up
/// on a graceful shutdown so that another replica takes over at its next attempt (within a
/// third of the duration) rather than at expiry.
///
/// The lease is held by this process, not by the replica's name: two processes given the
/// same name (one variable on every replica, or an old and a new deploy overlapping) are
/// still two holders, and only one of them leads.
///
/// `isLeader` is what the loop and the executor check before acting. It turns false on its
/// own, by this process's monotonic clock, a margin before the store's expiry: a replica
/// that cannot renew (store down, process paused) stops acting before another may start.
public final class LeaderLease: Service, Sendable {
    public struct Configuration: Sendable {
        /// This replica's name, as status, metrics and events show it. Safety does not rest on
        /// it being unique: the holder is this process (`holder`).
        public var replica: String
        /// How long a taken or renewed lease lasts.
        public var duration: TimeInterval
        /// The lease's row in the store.
        public var name: String

        public init(replica: String, duration: TimeInterval = 15, name: String = "reconcile") {
            self.replica = replica
            self.duration = duration
            self.name = name
        }

        /// Three renewals per term: two may fail before the lease is lost.
        public var renewEvery: TimeInterval { duration / 3 }
        /// The holder stops acting this long before the store's expiry (allowance for the
        /// time a renewal takes and for clocks that disagree slightly).
        public var margin: TimeInterval { duration / 5 }
    }

    /// The lease of one environment's reconcile loop.
    public static func name(environment: String) -> String { "reconcile:\(environment)" }

    public let configuration: Configuration
    /// What the store records as holder: the replica's name and this process's own token.
    public let holder: String
    private let store: any PoolStore
    private let logger: Logger
    private let clock: @Sendable () -> Date
    private let onBecomingLeader: @Sendable () -> Void
    private let state = Mutex<State>(State())

    private struct State {
        var lease: Lease?
        var actUntil: ContinuousClock.Instant?
        var failing = false
    }

    /// `onBecomingLeader`: called each time this replica takes the lease (start a tick now).
    public init(configuration: Configuration, store: any PoolStore, logger: Logger,
                clock: @escaping @Sendable () -> Date = { Date() }, onBecomingLeader: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.holder = "\(configuration.replica)#\(UUID().uuidString.prefix(8).lowercased())"
        self.store = store
        self.logger = logger
        self.clock = clock
        self.onBecomingLeader = onBecomingLeader
    }

    public var replica: String { configuration.replica }

    /// True while this replica holds the lease and is inside its term less the margin.
    public var isLeader: Bool {
        state.withLock { s in s.actUntil.map { ContinuousClock.now < $0 } ?? false }
    }

    /// The lease as last read from the store (this replica's or another's); nil before the
    /// first read.
    public var lastSeen: Lease? { state.withLock { $0.lease } }

    /// One attempt to take or renew the lease. Returns whether this replica leads now.
    @discardableResult
    public func attempt() async -> Bool {
        let started = ContinuousClock.now
        let now = clock()
        let wasLeader = isLeader
        do {
            let lease = try await store.acquireLease(configuration.name, holder: holder, duration: configuration.duration, at: now)
            let mine = lease.isHeld(by: holder, at: now)
            let (previous, recovered) = state.withLock { s in
                defer {
                    s.lease = lease
                    s.actUntil = mine ? started + .seconds(configuration.duration - configuration.margin) : nil
                    s.failing = false
                }
                return (s.lease, s.failing)
            }
            if recovered { logger.notice("leader lease: the store answers again") }
            // An answer that came back after the term it granted (a very slow store) leads nothing.
            if mine && !wasLeader && isLeader {
                logger.notice("leader lease: this replica leads now", metadata: [
                    "replica": "\(replica)", "previous": "\(previous?.holder ?? "none")"])
                onBecomingLeader()
            } else if !mine && wasLeader {
                logger.warning("leader lease: lost to \(lease.holder); this replica stops acting", metadata: ["replica": "\(replica)"])
            } else if !mine && previous?.holder != lease.holder {
                logger.info("leader lease: \(lease.holder) leads; this replica serves the API and claims",
                            metadata: ["replica": "\(replica)"])
            }
            return mine
        } catch {
            // The term runs out on its own (actUntil): no renewal, no acting past it.
            let first = state.withLock { s in defer { s.failing = true }; return !s.failing }
            if first { logger.error("leader lease: could not reach the store: \(error)", metadata: ["replica": "\(replica)"]) }
            return isLeader
        }
    }

    /// Gives the lease up if this replica holds it.
    public func release() async {
        let held = state.withLock { s in defer { s.actUntil = nil }; return s.lease?.holder == holder }
        guard held else { return }
        do {
            try await store.releaseLease(configuration.name, holder: holder)
            logger.notice("leader lease: released", metadata: ["replica": "\(replica)"])
        } catch {
            logger.warning("leader lease: could not release (another replica takes over at expiry): \(error)")
        }
    }

    /// Takes or renews the lease every `renewEvery`; a replica that waits for another's
    /// lease tries again just after it expires. Releases it on a graceful shutdown.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await attempt()
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.nextAttemptIn())) }
            } catch {
                break
            }
        }
        await release()
    }

    /// Seconds to the next attempt: the renewal interval, or sooner when another
    /// replica's lease expires before that.
    public func nextAttemptIn() -> TimeInterval {
        let every = configuration.renewEvery
        guard let lease = lastSeen, lease.holder != holder else { return every }
        let untilExpiry = lease.expiresAt.timeIntervalSince(clock()) + 0.05
        return min(every, max(0.05, untilExpiry))
    }
}
