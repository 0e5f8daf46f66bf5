import Foundation
import Model
import Planning

/// How much of the world one tick looks at. Without webhooks every tick is `full`: one
/// listing, every deployed instance probed. With Railway's webhooks healthy, the loop
/// lists only when something may have changed (a webhook, a claim, its own actions) and
/// probes only instances that may have changed, plus one share of the others per tick.
/// The resync corrects whatever a webhook missed: one page of the listing at a time, at
/// a pace the call budget allows (`WebhookWatch`), so a round reads every page; the shares
/// probe every instance once per `resyncInterval`.
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
    /// This tick is part of the resync, which corrects what webhooks missed: a full listing
    /// or the round's next page.
    public var resync: Bool
    /// With `list` false: read the next page of the resync's round into the last listing
    /// (`ObservationCache.merge`), instead of reusing it as it is.
    public var page: Bool

    /// One of `of` equal shares of the instances, by a stable hash of each one's key.
    public struct Share: Sendable, Equatable {
        public var index: Int
        public var of: Int

        public init(index: Int, of: Int) {
            self.of = max(1, of)
            self.index = ((index % self.of) + self.of) % self.of
        }

        /// FNV-1a alone is no spread: its low bit is the parity of the key's bytes, so keys
        /// whose varying digits come in pairs (`svc-00000003-...-000000000003`) all fall in
        /// even shares; SplitMix64's finalizer mixes every bit into the remainder.
        public func contains(_ key: String) -> Bool {
            var mixer = SplitMix64(seed: SplitMix64.seed(from: key.utf8))
            return of == 1 || Int(mixer.next() % UInt64(of)) == index
        }
    }

    public init(list: Bool, probeAll: Bool, named: Set<String> = [], share: Share? = nil, resync: Bool = false,
                page: Bool = false) {
        self.page = page
        self.list = list
        self.probeAll = probeAll
        self.named = named
        self.share = share
        self.resync = resync
    }

    /// Everything, as every tick without webhooks.
    public static let full = ObservationScope(list: true, probeAll: true, resync: true)
}
