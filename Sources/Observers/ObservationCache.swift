import Foundation
import Model
import Ports

/// What the observer carries from one tick to the next while webhooks are healthy: the
/// last listing, and each instance's last probe answer, so that a tick that lists nothing,
/// or probes a few, still sees every instance. A full observation replaces both.
///
/// The resync reads the listing a page at a time (a round): each page replaces what it
/// shows in the last listing. Only a whole round can tell that a service is gone, and even
/// then it is not dropped here: a page can miss a service that moved between pages while
/// the round ran, so what a round did not find is reported (`PageMerge.missing`) and left
/// for a full listing to confirm.
public final class ObservationCache: @unchecked Sendable {
    private let lock = NSLock()
    private var listing: PlatformListing?
    /// The last answer of each instance, with the deployment it answered for.
    private var probes: [String: (result: ProbeResult, deployment: String?)] = [:]
    private var round = Round()

    /// The resync's progress through the pages since its round began.
    struct Round {
        var cursor: ListingCursor?
        var pages = 0
        var services: Set<String> = []
        var projects: Set<String> = []
    }

    /// What a page changed in the last listing.
    struct PageMerge {
        var listing: PlatformListing
        /// Services whose deploy reached an end on this page, not named by a webhook.
        var unreported: [String]
        /// The round ended with this page: the pages it took.
        var roundPages: Int?
        /// Services and projects (`project:<id>`) a whole round did not find.
        var missing: [String]
    }

    public init() {}

    /// The last listing, if there was one.
    public var lastListing: PlatformListing? { lock.withLock { listing } }

    /// Where the round's next page starts (nil: its first page).
    var roundCursor: ListingCursor? { lock.withLock { round.cursor } }

    /// Keeps `new` as the last listing and starts the round again (a full listing is a
    /// whole round); returns the services whose deploy reached an end (success, failure,
    /// sleep) since the one before, except `named` ones: changes a webhook should have
    /// reported. A service that went away is not one: Railway sends no event for a delete
    /// (the pool's own, or anyone's).
    func store(_ new: PlatformListing, named: Set<String>) -> [String] {
        lock.withLock {
            defer {
                listing = new
                round = Round()
            }
            guard let old = listing else { return [] }
            return Self.unreported(from: old.services, to: new.services, named: named)
        }
    }

    /// Reads `page` into the last listing: what it shows replaces or joins what was there.
    /// `next` nil ends the round. Nil without a last listing to merge into.
    func merge(_ page: PlatformListing, next: ListingCursor?, named: Set<String>) -> PageMerge? {
        lock.withLock {
            guard var current = listing else { return nil }
            let unreported = Self.unreported(from: current.services, to: page.services, named: named)
            Self.upsert(page.services, into: &current.services, key: \.serviceId)
            Self.upsert(page.projects, into: &current.projects, key: \.projectId)
            round.pages += page.pages
            round.services.formUnion(page.services.map(\.serviceId))
            round.projects.formUnion(page.projects.map(\.projectId))
            var ended: Int?, missing: [String] = []
            if let next {
                round.cursor = next
            } else {
                ended = round.pages
                missing = current.services.map(\.serviceId).filter { !round.services.contains($0) }
                    + current.projects.map(\.projectId).filter { !round.projects.contains($0) }.map { "project:" + $0 }
                current.pages = round.pages
                round = Round()
            }
            listing = current
            return PageMerge(listing: current, unreported: unreported, roundPages: ended, missing: missing)
        }
    }

    /// Puts each of `page` in `items` where the one with its key is, or at the end.
    private static func upsert<T>(_ page: [T], into items: inout [T], key: (T) -> String) {
        var at = Dictionary(items.enumerated().map { (key($1), $0) }, uniquingKeysWith: { a, _ in a })
        for item in page {
            if let i = at[key(item)] {
                items[i] = item
            } else {
                at[key(item)] = items.count
                items.append(item)
            }
        }
    }

    /// Services of `after` whose deploy reached an end since `before` showed them, except
    /// `named` ones.
    private static func unreported(from before: [PlatformService], to after: [PlatformService],
                                   named: Set<String>) -> [String] {
        let was = Dictionary(before.map { ($0.serviceId, $0) }, uniquingKeysWith: { a, _ in a })
        return after.compactMap { now -> String? in
            guard !named.contains(now.serviceId), let then = was[now.serviceId] else { return nil }
            let ended = now.deployStatus.map { $0 == .success || $0.isTerminalFailure } ?? false
            let changed = now.deployStatus != then.deployStatus || now.deploymentId != then.deploymentId
            return changed && ended ? now.serviceId : nil
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
