import Foundation
import Model
import Planning

/// How much of the world one tick looks at. Without webhooks every tick is `full`: one
/// listing, every deployed instance probed. With Railway's webhooks healthy, the loop
/// lists only when something may have changed (a webhook, a claim, its own actions) and
/// probes only instances that may have changed, plus one share of the others per tick; a
/// full listing (the resync) still comes every `resyncInterval` and corrects whatever a
/// webhook missed, and the shares probe every instance once per interval.
public struct ObservationScope: Sendable, Equatable {
    /// Call the platform for a listing; false reuses the last listing.
    public var list: Bool
    /// Probe every deployed instance; false probes only those that may have changed:
    /// never probed, not answering as ready (provisioning), or named by a webhook.
    public var probeAll: Bool
    /// Services a webhook named since the last tick: probed whatever they last answered.
    public var named: Set<String>
    /// With `probeAll` false: the share of instances probed this tick whatever they last
    /// answered. The ticks of a resync interval take the shares in turn, so every instance
    /// is probed once per interval and no tick probes them all. Nil: none.
    public var share: Share?
    /// This tick lists everything to correct what webhooks missed: the resync.
    public var resync: Bool

    /// One of `of` equal shares of the instances, by a stable hash of each one's key.
    public struct Share: Sendable, Equatable {
        public var index: Int
        public var of: Int

        public init(index: Int, of: Int) {
            self.of = max(1, of)
            self.index = ((index % self.of) + self.of) % self.of
        }

        public func contains(_ key: String) -> Bool {
            of == 1 || Int(SplitMix64.seed(from: key.utf8) % UInt64(of)) == index
        }
    }

    public init(list: Bool, probeAll: Bool, named: Set<String> = [], share: Share? = nil, resync: Bool = false) {
        self.list = list
        self.probeAll = probeAll
        self.named = named
        self.share = share
        self.resync = resync
    }

    /// Everything, as every tick without webhooks.
    public static let full = ObservationScope(list: true, probeAll: true, resync: true)
}

/// What the observer carries from one tick to the next while webhooks are healthy: the
/// last listing, and each instance's last probe answer, so that a tick that lists
/// nothing, or probes a few, still sees every instance. A full observation replaces both.
public final class ObservationCache: @unchecked Sendable {
    private let lock = NSLock()
    private var listing: PlatformListing?
    /// The last answer of each instance, with the deployment it answered for.
    private var probes: [String: (result: ProbeResult, deployment: String?)] = [:]

    public init() {}

    /// The last listing, if there was one.
    public var lastListing: PlatformListing? { lock.withLock { listing } }

    /// Keeps `new` as the last listing; returns the services whose deploy reached an end
    /// (success, failure, sleep) since the one before, except `named` ones: changes a
    /// webhook should have reported. A service that went away is not one: Railway sends no
    /// event for a delete (the pool's own, or anyone's).
    func store(_ new: PlatformListing, named: Set<String>) -> [String] {
        lock.withLock {
            defer { listing = new }
            guard let old = listing else { return [] }
            let now = Dictionary(new.services.map { ($0.serviceId, $0) }, uniquingKeysWith: { a, _ in a })
            return old.services.compactMap { before -> String? in
                guard !named.contains(before.serviceId) else { return nil }
                guard let after = now[before.serviceId] else { return nil }
                let ended = after.deployStatus.map { $0 == .success || $0.isTerminalFailure } ?? false
                let changed = after.deployStatus != before.deployStatus || after.deploymentId != before.deploymentId
                return changed && ended ? before.serviceId : nil
            }
        }
    }

    /// The last answer of `key`, if it answered for `deployment` (a redeploy forgets it).
    func probe(_ key: String, deployment: String?) -> ProbeResult? {
        lock.withLock { probes[key].flatMap { $0.deployment == deployment ? $0.result : nil } }
    }

    /// Keeps the answers probed now, each with its instance's deployment; forgets instances
    /// no longer observed (`deployments` holds every observed one).
    func keep(_ fresh: [String: ProbeResult], deployments: [String: String?]) {
        lock.withLock {
            probes = probes.filter { deployments[$0.key] != nil }
            for (key, result) in fresh { probes[key] = (result, deployments[key] ?? nil) }
        }
    }
}
