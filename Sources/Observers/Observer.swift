import Credentials
import Foundation
import Model
import Planning
import Ports
import Store

/// Gathers one tick's ObservedState in one pass: one platform listing, one read of the
/// store, and one round of status probes. Never throws: a failure makes the observation
/// incomplete (a blind tick), never a shorter list.
public struct Observer: Sendable {
    public var platform: any Platform
    public var store: any PoolStore
    public var prober: (any StatusProber)?
    public var prefix: String
    public var revision: String
    /// `https` in production; `http` for loopback tests.
    public var scheme: String
    public var probeTimeout: Duration
    /// Each instance is probed with its own credential (by the secret version on its record).
    public var credentials: InstanceCredentials
    /// The last listing and probe answers, for ticks that list or probe less than all (with
    /// webhooks); nil: every tick observes everything.
    public var cache: ObservationCache?

    public init(platform: any Platform, store: any PoolStore, prober: (any StatusProber)?,
                prefix: String, revision: String, scheme: String, probeTimeout: Duration,
                credentials: InstanceCredentials, cache: ObservationCache? = nil) {
        self.cache = cache
        self.probeTimeout = probeTimeout
        self.credentials = credentials
        self.platform = platform
        self.store = store
        self.prober = prober
        self.prefix = prefix
        self.revision = revision
        self.scheme = scheme
    }

    /// - Parameters:
    ///   - abandonedBefore: a claim in flight since before this is probed too, so that the
    ///     tick can end it by what the instance says (it is never probed otherwise).
    ///   - scope: what to list and probe (`ObservationScope`); a scope that lists nothing
    ///     lists all the same when there is no earlier listing to reuse.
    public func observe(abandonedBefore: Date = .distantPast, scope: ObservationScope = .full) async -> ObservedState {
        // The listing first, the store after it: a record is never older than the listing
        // it is joined with, so a claim that started during the listing is seen as one.
        let listing: Result<PlatformListing, any Error>
        var report = ObservationReport()
        if !scope.list, scope.page, let cache, let read = await nextPage(cache, named: scope.named, &report) {
            listing = read
        } else if !scope.list, let cached = cache?.lastListing {
            listing = .success(cached)
            report.listed = false
        } else {
            do {
                let listed = try await platform.observe()
                report.unreported = cache?.store(listed, named: scope.named) ?? []
                report.inProgress = Self.inProgress(listed.services)
                report.pages = listed.pages
                listing = .success(listed)
            } catch { listing = .failure(error) }
        }
        let stored: StoreObservation
        do {
            stored = try await store.observe(revision: revision)
        } catch {
            return ObservedState(complete: false, incompleteReason: "store unavailable: \(error)", instances: [])
        }
        var observed = ObservedState(complete: true, consecutiveBuildFailures: stored.consecutiveBuildFailures,
                                     lastBuildFailureAt: stored.lastBuildFailureAt, instances: [],
                                     requests: stored.requests, claimsInFlight: stored.claimsInFlight)
        observed.report = report
        switch listing {
        case .failure(let error):
            observed.complete = false
            observed.incompleteReason = "platform listing failed: \(error)"
            observed.instances = stored.records.map { ObservedInstance(service: nil, record: $0) }
        case .success(let listed):
            observed.instances = Ownership.join(services: listed.services, records: stored.records, prefix: prefix)
            observed.projects = listed.projects
        }
        // Without a listing only abandoned claims are probed: they are reached at their
        // record's domain, not their service's.
        await probe(&observed, abandonedBefore: abandonedBefore, scope: scope)
        return observed
    }

    /// Probes every owned instance whose deployment succeeded, except those a claim is
    /// calling (a probe must never race a claim), and claims abandoned in flight. An
    /// instance whose secret version the pool no longer holds is not called: it counts as
    /// refusing the pool (401), a configuration fault the operator must see.
    ///
    /// A scope that does not probe all (webhooks healthy) probes of those only the ones
    /// that may have changed: never answered, last answer not "ready" (provisioning, or
    /// unreachable), named by a webhook, or in the tick's share (`ObservationScope.Share`).
    /// The others keep their last answer, marked as carried (`probedNow` false). Idle and
    /// claimed instances that answered are thus probed once per resync interval, in their
    /// share's tick, not every tick.
    func probe(_ observed: inout ObservedState, abandonedBefore: Date, scope: ObservationScope = .full) async {
        guard let prober else { return }
        var targets: [ProbeTarget] = []
        var noCredential: Set<String> = []
        var carried: [String: ProbeResult] = [:]
        for i in observed.instances {
            guard let id = Ownership.ownerId(of: i, prefix: prefix) else { continue }
            let domain: String
            if i.record?.claim == .claiming {
                // Reached where the claim reached it: the record's domain.
                guard let started = observed.claimsInFlight[id], started < abandonedBefore,
                      let d = i.record?.domain else { continue }
                domain = d
            } else if let s = i.service, s.deployStatus == .success, let d = s.domain {
                domain = d
            } else {
                continue
            }
            guard let bearer = credentials.bearer(instanceId: id, tokenVersion: i.record?.tokenVersion,
                                                  holdsPoolKey: i.record?.holdsPoolKey ?? false) else {
                noCredential.insert(Self.probeKey(i))
                continue
            }
            if !scope.probeAll, scope.share?.contains(Self.probeKey(i)) != true, let last = carriable(i, scope: scope) {
                carried[Self.probeKey(i)] = last
                continue
            }
            targets.append(ProbeTarget(id: Self.probeKey(i), baseURL: "\(scheme)://\(domain)", bearer: bearer))
        }
        var results = targets.isEmpty ? [:] : await prober.probeAll(targets, timeout: probeTimeout)
        observed.report.probed = targets.count
        for key in noCredential { results[key] = .unauthorized }
        let deployments = Dictionary(observed.instances.map { (Self.probeKey($0), $0.service?.deploymentId) }, uniquingKeysWith: { a, _ in a })
        cache?.keep(results, deployments: deployments)
        for k in observed.instances.indices {
            let key = Self.probeKey(observed.instances[k])
            if let r = results[key] {
                observed.instances[k].probe = r
            } else if let r = carried[key] {
                observed.instances[k].probe = r
                observed.instances[k].probedNow = false
            }
        }
    }

    /// The last answer an instance may keep instead of a probe (webhooks healthy): it
    /// answered ready to this very deployment, no webhook named it, and its record says
    /// nothing changed since that answer could have: idle as marked, or claimed. Anything
    /// else (a claim that failed or ended, a retirement, a self-destruct, a redeploy) is
    /// probed, so a carried answer never decides a delete.
    func carriable(_ i: ObservedInstance, scope: ObservationScope) -> ProbeResult? {
        guard let s = i.service, !scope.named.contains(s.serviceId), let r = i.record,
              r.retiredReason == nil, r.selfDestructAt == nil,
              r.claim == .claimed || (r.claim == .none && r.marked == .idle),
              let last = cache?.probe(Self.probeKey(i), deployment: s.deploymentId),
              case .status(let answer) = last, answer.usable else { return nil }
        return last
    }

    /// The resync's next page read into the last listing; nil when there is no last listing
    /// to read it into, and the tick lists everything instead.
    private func nextPage(_ cache: ObservationCache, named: Set<String>,
                          _ report: inout ObservationReport) async -> Result<PlatformListing, any Error>? {
        guard cache.lastListing != nil else { return nil }
        let page: PlatformListing, next: ListingCursor?
        do {
            (page, next) = try await platform.observePage(from: cache.roundCursor)
        } catch {
            report.listed = false
            return .failure(error)
        }
        guard let merged = cache.merge(page, next: next, named: named) else { return nil }
        report.listed = false
        report.pages = page.pages
        report.unreported = merged.unreported
        report.inProgress = Self.inProgress(page.services)
        report.roundPages = merged.roundPages
        report.missing = merged.missing
        return .success(merged.listing)
    }

    /// Services a listing shows with a deploy still on its way up.
    static func inProgress(_ services: [PlatformService]) -> Set<String> {
        Set(services.filter { $0.deployStatus?.isInProgress == true }.map(\.serviceId))
    }

    /// Probes are keyed by service (a duplicate service shares its instance's id), or by
    /// record for an instance whose service is not listed.
    static func probeKey(_ i: ObservedInstance) -> String {
        i.service?.serviceId ?? "record:" + (i.record?.instanceId ?? "")
    }
}
