import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Model
import Planning
import Testing
import Views

/// The chart's data (`PoolHistory`: windows, buckets, percentiles) and its SVG: well-formed,
/// and carrying exactly the history's numbers.
@Suite struct HistoryChartTests {
    // 2027-01-15 08:00:00 UTC, a whole hour.
    static let hour = Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 3600))

    @Test func aDayIs96BucketsOfAQuarterHourEndingAfterNow() {
        let now = Self.hour.addingTimeInterval(7 * 60 + 30)
        let w = PoolHistory.Window(hours: 24, now: now)
        #expect(w.bucketSeconds == 900 && w.count == 96)
        #expect(w.until == Self.hour.addingTimeInterval(900))
        #expect(w.since == w.until.addingTimeInterval(-86_400))
        let week = PoolHistory.Window(hours: PoolHistory.maxHours, now: now)
        #expect(week.count <= PoolHistory.maxBuckets && week.bucketSeconds == 105 * 60)
        #expect(week.until.timeIntervalSince(week.since) >= Double(PoolHistory.maxHours) * 3600)
        let one = PoolHistory.Window(hours: 1, now: now)
        #expect(one.count == 4 && one.bucketSeconds == 900)
    }

    @Test func bucketsTakeTheLastSampleAndCountClaimsWithNearestRankLatencies() {
        let w = PoolHistory.Window(hours: 1, now: Self.hour.addingTimeInterval(1))  // 08:00 to 09:00 in 4 buckets
        let t = w.since
        let rows = PoolHistoryRows(
            samples: [PoolSample(minute: t, idle: 1, provisioning: 2, claimed: 0),
                      PoolSample(minute: t.addingTimeInterval(600), idle: 3, provisioning: 0, claimed: 1),
                      PoolSample(minute: t.addingTimeInterval(2700), idle: 0, provisioning: 1, claimed: 4)],
            claims: [0.4, 0.1, 0.3, 0.2].enumerated().map { i, latency in
                let start = t.addingTimeInterval(60 + Double(i))
                return ClaimTiming(startedAt: start, finishedAt: start.addingTimeInterval(latency), succeeded: true)
            } + [ClaimTiming(startedAt: t.addingTimeInterval(100), finishedAt: t.addingTimeInterval(105), succeeded: false),
                 ClaimTiming(startedAt: t.addingTimeInterval(2800), finishedAt: nil, succeeded: false),
                 // Outside the window: left out.
                 ClaimTiming(startedAt: w.until, finishedAt: w.until.addingTimeInterval(1), succeeded: true)])
        let h = PoolHistory(rows: rows, window: w)
        #expect(h.buckets.map(\.idle) == [3, nil, nil, 0])
        #expect(h.buckets.map(\.claimed) == [1, nil, nil, 4])
        #expect(h.buckets.map(\.claims) == [5, 0, 0, 1])
        #expect(h.buckets.map(\.failedClaims) == [1, 0, 0, 0])
        #expect(h.buckets[0].latencyP50Ms == 200 && h.buckets[0].latencyMaxMs == 400)
        #expect(h.totals.claims == 6 && h.totals.failedClaims == 1 && h.totals.inFlight == 1)
        #expect(h.totals.latencyP50Ms == 200 && h.totals.latencyP95Ms == 400)
        #expect(h.latest?.start == t.addingTimeInterval(2700))
    }

    /// Whatever the rows: every claim in the window is counted once, failures never exceed
    /// claims, the median never exceeds the maximum, and nothing outside the window counts.
    @Test(arguments: 0..<20)
    func countsAddUpForAnyRows(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        let w = PoolHistory.Window(hours: 24, now: Self.hour)
        let span = w.until.timeIntervalSince(w.since)
        let claims = (0..<Int.random(in: 0..<300, using: &rng)).map { _ -> ClaimTiming in
            let start = w.since.addingTimeInterval(Double.random(in: 0..<span * 1.2, using: &rng) - span * 0.1)
            let outcome = Int.random(in: 0..<3, using: &rng)
            return ClaimTiming(startedAt: start, finishedAt: outcome == 2 ? nil : start.addingTimeInterval(Double.random(in: 0..<5, using: &rng)),
                               succeeded: outcome == 0)
        }
        let h = PoolHistory(rows: PoolHistoryRows(samples: [], claims: claims), window: w)
        let inside = claims.filter { $0.startedAt >= w.since && $0.startedAt < w.until }
        #expect(h.totals.claims == inside.count)
        #expect(h.buckets.map(\.claims).reduce(0, +) == inside.count)
        #expect(h.buckets.map(\.failedClaims).reduce(0, +) == inside.filter { $0.finishedAt != nil && !$0.succeeded }.count)
        #expect(h.totals.inFlight == inside.filter { $0.finishedAt == nil }.count)
        for b in h.buckets {
            #expect(b.failedClaims <= b.claims)
            if let p50 = b.latencyP50Ms { #expect(p50 <= b.latencyMaxMs ?? -1) }
        }
        if let p50 = h.totals.latencyP50Ms { #expect(p50 <= h.totals.latencyP95Ms ?? -1) }
    }

    @Test func theSVGIsWellFormedAndCarriesTheHistorysNumbers() throws {
        let w = PoolHistory.Window(hours: 24, now: Self.hour)
        let rows = PoolHistoryRows(
            samples: (0..<96).map { PoolSample(minute: w.since.addingTimeInterval(Double($0) * 900 + 60), idle: $0 % 7, provisioning: $0 % 3, claimed: $0 / 10) },
            claims: (0..<40).map { i in
                let start = w.since.addingTimeInterval(Double(i) * 1800 + 5)
                return ClaimTiming(startedAt: start, finishedAt: start.addingTimeInterval(0.1 * Double(i % 5 + 1)), succeeded: i % 9 != 0)
            })
        let history = PoolHistory(rows: rows, window: w)
        let svg = HistoryChart.svg(history)
        #expect(HistoryChart.svg(history) == svg, "the same history draws the same bytes")
        let read = try SVGRead(svg)
        #expect(read.root["data-claims"] == "\(history.totals.claims)")
        #expect(read.root["data-failed-claims"] == "\(history.totals.failedClaims)")
        #expect(read.root["data-latency-p50-ms"] == history.totals.latencyP50Ms.map(String.init))
        #expect(read.root["data-latency-p95-ms"] == history.totals.latencyP95Ms.map(String.init))
        #expect(read.buckets.count == 96)
        for (drawn, bucket) in zip(read.buckets, history.buckets) {
            #expect(drawn["data-idle"] == bucket.idle.map(String.init))
            #expect(drawn["data-claimed"] == bucket.claimed.map(String.init))
            #expect(drawn["data-claims"] == "\(bucket.claims)")
            #expect(drawn["data-latency-p50-ms"] == bucket.latencyP50Ms.map(String.init))
        }
        #expect(read.elements["path"] == 3, "one line per state")
        #expect(read.elements["rect", default: 0] >= 40 + 96, "a bar per bucket with claims, a column per bucket")
        #expect(read.text.contains("claims 40 (5 failed)"))
    }

    @Test func anEmptyHistorySaysSo() throws {
        let history = PoolHistory(rows: PoolHistoryRows(samples: [], claims: []), window: .init(hours: 24, now: Self.hour))
        let read = try SVGRead(HistoryChart.svg(history))
        #expect(read.root["data-claims"] == "0" && read.root["data-latency-p50-ms"] == nil)
        #expect(read.text.contains("no samples yet"))
        #expect(read.elements["path"] == nil)
    }
}

/// The root's attributes, each `g.bucket`'s attributes, element counts and the text of a
/// parsed SVG document; throws when it is not well-formed XML.
struct SVGRead {
    var root: [String: String] = [:]
    var buckets: [[String: String]] = []
    var elements: [String: Int] = [:]
    var text = ""

    init(_ svg: String) throws {
        final class Delegate: NSObject, XMLParserDelegate {
            var read = SVGRead()
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "svg" { read.root = attributes }
                if name == "g", attributes["class"] == "bucket" { read.buckets.append(attributes) }
                read.elements[name, default: 0] += 1
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { read.text += string }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        guard parser.parse() else {
            throw SVGReadError(message: "not well-formed: \(parser.parserError.map { "\($0)" } ?? "unknown") in\n\(svg.prefix(400))")
        }
        self = delegate.read
    }

    private init() {}
}

struct SVGReadError: Error, CustomStringConvertible { var message: String; var description: String { message } }
