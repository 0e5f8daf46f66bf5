import Foundation
import Model

/// The pool over a stretch of time in equal buckets, made from the store's samples and
/// claims: the body of `GET /api/pool/history` and what `HistoryChart` draws. A pure
/// function of the rows and the window, so the chart and the JSON always agree.
public struct PoolHistory: Encodable, Sendable, Equatable {
    public struct Bucket: Encodable, Sendable, Equatable {
        public var start: Date
        /// The counts of the last sample in the bucket; null when none was taken (no
        /// leader ran then).
        @EncodedAsNull public var idle: Int?
        @EncodedAsNull public var provisioning: Int?
        @EncodedAsNull public var claimed: Int?
        /// Claims that started in the bucket, and how many of them failed.
        public var claims = 0
        public var failedClaims = 0
        /// Start to answer of the bucket's successful claims, in milliseconds.
        @EncodedAsNull public var latencyP50Ms: Int?
        @EncodedAsNull public var latencyMaxMs: Int?
    }

    /// The whole window's claims.
    public struct Totals: Encodable, Sendable, Equatable {
        public var claims = 0
        public var failedClaims = 0
        /// Started, not answered yet.
        public var inFlight = 0
        @EncodedAsNull public var latencyP50Ms: Int?
        @EncodedAsNull public var latencyP95Ms: Int?
    }

    public var since: Date
    public var until: Date
    public var bucketSeconds: Int
    public var buckets: [Bucket]
    public var totals: Totals

    /// The shortest bucket, and how many buckets a window has at most: 96 of 15 minutes
    /// for a day.
    public static let minBucketMinutes = 15
    public static let maxBuckets = 96
    /// The longest window the history route draws, in hours: the week the store keeps.
    public static let maxHours = Int(PoolSample.kept / 3600)

    /// Where a window of `hours` ending at `now` starts and ends: `until` is `now` rounded
    /// up to the end of its bucket, so buckets start at whole multiples of their length.
    public struct Window: Sendable, Equatable {
        public var since: Date
        public var until: Date
        public var bucketSeconds: Int
        public var count: Int

        public init(hours: Int, now: Date) {
            let minutes = max(PoolHistory.minBucketMinutes, Int((Double(hours * 60) / Double(PoolHistory.maxBuckets)).rounded(.up)))
            let bucket = TimeInterval(minutes * 60)
            count = Int((Double(hours * 60) / Double(minutes)).rounded(.up))
            bucketSeconds = minutes * 60
            until = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / bucket).rounded(.down) * bucket + bucket)
            since = until.addingTimeInterval(-bucket * Double(count))
        }
    }

    /// The buckets of `window`, from the rows the store holds for it.
    public init(rows: PoolHistoryRows, window: Window) {
        let since = window.since, count = window.count
        let bucket = TimeInterval(window.bucketSeconds)
        self.since = since
        until = window.until
        bucketSeconds = window.bucketSeconds
        buckets = (0..<count).map { Bucket(start: since.addingTimeInterval(bucket * Double($0))) }
        totals = Totals()
        func index(_ date: Date) -> Int? {
            let i = Int((date.timeIntervalSince(since) / bucket).rounded(.down))
            return buckets.indices.contains(i) ? i : nil
        }
        for sample in rows.samples {
            guard let i = index(sample.minute) else { continue }
            // Rows come oldest first: the last one written wins.
            buckets[i].idle = sample.idle
            buckets[i].provisioning = sample.provisioning
            buckets[i].claimed = sample.claimed
        }
        var latencies = Array(repeating: [TimeInterval](), count: count)
        for claim in rows.claims {
            guard let i = index(claim.startedAt) else { continue }
            buckets[i].claims += 1
            totals.claims += 1
            if claim.finishedAt == nil {
                totals.inFlight += 1
            } else if !claim.succeeded {
                buckets[i].failedClaims += 1
                totals.failedClaims += 1
            } else if let latency = claim.latency {
                latencies[i].append(latency)
            }
        }
        for i in buckets.indices {
            buckets[i].latencyP50Ms = Self.percentile(50, of: latencies[i])
            buckets[i].latencyMaxMs = latencies[i].max().map(Self.millis)
        }
        let all = latencies.flatMap { $0 }
        totals.latencyP50Ms = Self.percentile(50, of: all)
        totals.latencyP95Ms = Self.percentile(95, of: all)
    }

    /// The nearest-rank percentile, in whole milliseconds; nil without values.
    static func percentile(_ p: Int, of values: [TimeInterval]) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((Double(p) / 100 * Double(sorted.count)).rounded(.up))
        return millis(sorted[max(0, rank - 1)])
    }

    static func millis(_ seconds: TimeInterval) -> Int { Int((seconds * 1000).rounded()) }

    /// The counts of the newest bucket that has a sample.
    public var latest: Bucket? { buckets.last { $0.idle != nil } }
}
