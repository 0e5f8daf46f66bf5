import Foundation

/// Draws a `PoolHistory` as one SVG document, server-side: instances by state as step
/// lines above, claims per bucket as bars (failures in red) with their median latency as
/// dots below. Every number drawn is also in a `data-` attribute (the whole window's on
/// the root, each bucket's on its `g.bucket`) and in the bucket's tooltip, so a test and a
/// person read the same figures. Pure: the same history makes the same bytes.
public enum HistoryChart {
    static let width = 960.0, height = 330.0
    static let left = 56.0, right = 64.0
    static let instancesTop = 56.0, instancesBottom = 186.0
    static let claimsTop = 214.0, claimsBottom = 294.0
    static var plotWidth: Double { width - left - right }

    static let colors: [(name: String, color: String)] = [
        ("idle", "#2e8540"), ("provisioning", "#d08a00"), ("claimed", "#2459d6"),
    ]
    static let claimColor = "#9aa5b8", failedColor = "#b3261e", latencyColor = "#6a3ea1"

    public static func svg(_ history: PoolHistory) -> String {
        let buckets = history.buckets
        let count = max(1, buckets.count)
        let step = plotWidth / Double(count)
        func x(_ i: Int) -> Double { left + step * Double(i) }
        let totals = history.totals
        var root = attributes([
            ("data-since", iso(history.since)), ("data-until", iso(history.until)),
            ("data-bucket-seconds", "\(history.bucketSeconds)"),
            ("data-claims", "\(totals.claims)"), ("data-failed-claims", "\(totals.failedClaims)"),
            ("data-in-flight", "\(totals.inFlight)"),
            ("data-latency-p50-ms", totals.latencyP50Ms.map(String.init)),
            ("data-latency-p95-ms", totals.latencyP95Ms.map(String.init)),
        ])
        let hours = Int((history.until.timeIntervalSince(history.since) / 3600).rounded())
        root += " role=\"img\" aria-label=\"The pool over the last \(hours) hours\""
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"history-chart\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
            + "width=\"\(n(width))\" height=\"\(n(height))\" font-family=\"system-ui, sans-serif\" font-size=\"11\"\(root)>\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        out += text(left, 16, summary(history), attributes: " class=\"summary\" font-size=\"13\" font-weight=\"600\"")
        out += legend()

        // Instances by state: one step line per state, broken where no sample was taken.
        let instanceMax = niceCeiling(buckets.flatMap { [$0.idle, $0.provisioning, $0.claimed].compactMap { $0 } }.max() ?? 0)
        out += axis(top: instancesTop, bottom: instancesBottom, max: instanceMax, label: "instances", side: .left)
        for (name, color) in colors {
            let values = buckets.map { b -> Int? in name == "idle" ? b.idle : name == "provisioning" ? b.provisioning : b.claimed }
            out += stepLine(values, x: x, y: { scale($0, max: instanceMax, top: instancesTop, bottom: instancesBottom) },
                            class: name, color: color)
        }

        // Claims: bars, the failed part on top in red; the median latency as dots on its own axis.
        let claimMax = niceCeiling(buckets.map(\.claims).max() ?? 0)
        let latencyMax = niceCeiling(buckets.compactMap(\.latencyP50Ms).max() ?? 0)
        out += axis(top: claimsTop, bottom: claimsBottom, max: claimMax, label: "claims", side: .left)
        out += axis(top: claimsTop, bottom: claimsBottom, max: latencyMax, label: "p50 ms", side: .right)
        for (i, b) in buckets.enumerated() where b.claims > 0 {
            let top = scale(b.claims, max: claimMax, top: claimsTop, bottom: claimsBottom)
            let failedTop = scale(b.failedClaims, max: claimMax, top: claimsTop, bottom: claimsBottom)
            let barX = x(i) + step * 0.15, barWidth = step * 0.7
            out += "<rect class=\"claims\" x=\"\(n(barX))\" y=\"\(n(top))\" width=\"\(n(barWidth))\" height=\"\(n(claimsBottom - top))\" fill=\"\(claimColor)\"/>\n"
            if b.failedClaims > 0 {
                out += "<rect class=\"failed\" x=\"\(n(barX))\" y=\"\(n(top))\" width=\"\(n(barWidth))\" height=\"\(n(claimsBottom - failedTop))\" fill=\"\(failedColor)\"/>\n"
            }
        }
        for (i, b) in buckets.enumerated() {
            guard let p50 = b.latencyP50Ms else { continue }
            let y = scale(p50, max: latencyMax, top: claimsTop, bottom: claimsBottom)
            out += "<circle class=\"latency\" cx=\"\(n(x(i) + step / 2))\" cy=\"\(n(y))\" r=\"2.5\" fill=\"\(latencyColor)\"/>\n"
        }
        out += timeAxis(history, x: x)

        // One transparent column per bucket: its figures as data and as a tooltip.
        for (i, b) in buckets.enumerated() {
            let data = attributes([
                ("data-start", iso(b.start)), ("data-idle", b.idle.map(String.init)),
                ("data-provisioning", b.provisioning.map(String.init)), ("data-claimed", b.claimed.map(String.init)),
                ("data-claims", "\(b.claims)"), ("data-failed-claims", "\(b.failedClaims)"),
                ("data-latency-p50-ms", b.latencyP50Ms.map(String.init)), ("data-latency-max-ms", b.latencyMaxMs.map(String.init)),
            ])
            out += "<g class=\"bucket\"\(data)><rect x=\"\(n(x(i)))\" y=\"\(n(instancesTop))\" width=\"\(n(step))\" "
                + "height=\"\(n(claimsBottom - instancesTop))\" fill=\"transparent\"><title>\(escape(tooltip(b, seconds: history.bucketSeconds)))</title></rect></g>\n"
        }
        return out + "</svg>\n"
    }

    static func summary(_ history: PoolHistory) -> String {
        let t = history.totals
        var parts = ["claims \(t.claims)" + (t.failedClaims > 0 ? " (\(t.failedClaims) failed)" : "")]
        if let p50 = t.latencyP50Ms, let p95 = t.latencyP95Ms { parts.append("latency p50 \(p50) ms, p95 \(p95) ms") }
        if let now = history.latest, let idle = now.idle, let provisioning = now.provisioning, let claimed = now.claimed {
            parts.append("latest: idle \(idle), provisioning \(provisioning), claimed \(claimed)")
        } else {
            parts.append("no samples yet")
        }
        let hours = Int((history.until.timeIntervalSince(history.since) / 3600).rounded())
        return "Last \(hours) h: " + parts.joined(separator: " · ")
    }

    static func tooltip(_ b: PoolHistory.Bucket, seconds: Int) -> String {
        let end = b.start.addingTimeInterval(TimeInterval(seconds))
        var lines = ["\(clock(b.start))–\(clock(end)) UTC"]
        if let idle = b.idle, let provisioning = b.provisioning, let claimed = b.claimed {
            lines.append("idle \(idle), provisioning \(provisioning), claimed \(claimed)")
        } else {
            lines.append("no sample")
        }
        var claims = "claims \(b.claims)"
        if b.failedClaims > 0 { claims += " (\(b.failedClaims) failed)" }
        if let p50 = b.latencyP50Ms, let max = b.latencyMaxMs { claims += ", latency p50 \(p50) ms, max \(max) ms" }
        lines.append(claims)
        return lines.joined(separator: "\n")
    }

    static func legend() -> String {
        let items = colors + [("claims", claimColor), ("failed claims", failedColor), ("claim latency p50", latencyColor)]
        var x = left, out = ""
        for (name, color) in items {
            out += "<rect x=\"\(n(x))\" y=\"28\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            out += text(x + 14, 37, name)
            x += 22 + Double(name.count) * 6.2
        }
        return out
    }

    static func stepLine(_ values: [Int?], x: (Int) -> Double, y: (Int) -> Double, class name: String, color: String) -> String {
        var path = "", previous: Int?
        for (i, value) in values.enumerated() {
            defer { previous = value }
            guard let value else { continue }
            path += (previous == nil ? "M\(n(x(i))) \(n(y(value)))" : "L\(n(x(i))) \(n(y(value)))") + "H\(n(x(i + 1)))"
        }
        guard !path.isEmpty else { return "" }
        return "<path class=\"\(name)\" d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    }

    enum Side { case left, right }

    /// A baseline, a middle and a top gridline with their values, and the axis's name.
    static func axis(top: Double, bottom: Double, max: Int, label: String, side: Side) -> String {
        var out = ""
        let labelX = side == .left ? left - 6 : width - right + 6
        let anchor = side == .left ? "end" : "start"
        for value in Set([0, max / 2, max]).sorted() {
            let y = scale(value, max: max, top: top, bottom: bottom)
            if side == .left {
                out += "<line x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y))\" y2=\"\(n(y))\" stroke=\"#e3e6ea\"/>"
            }
            out += text(labelX, y + 4, "\(value)", attributes: " text-anchor=\"\(anchor)\" fill=\"#6a6f78\"")
        }
        let nameX = side == .left ? 4.0 : width - 4
        out += text(nameX, top - 6, label, attributes: " text-anchor=\"\(side == .left ? "start" : "end")\" fill=\"#6a6f78\"")
        return out + "\n"
    }

    /// About eight time labels across, every `count / 8` buckets from the window's start.
    static func timeAxis(_ history: PoolHistory, x: (Int) -> Double) -> String {
        let count = history.buckets.count
        guard count > 0 else { return "" }
        let every = max(1, count / 8)
        var out = ""
        for i in stride(from: 0, through: count, by: every) {
            let at = history.since.addingTimeInterval(TimeInterval(history.bucketSeconds * i))
            out += "<line x1=\"\(n(x(i)))\" x2=\"\(n(x(i)))\" y1=\"\(n(claimsBottom))\" y2=\"\(n(claimsBottom + 4))\" stroke=\"#6a6f78\"/>"
            out += text(x(i), claimsBottom + 16, clock(at), attributes: " text-anchor=\"middle\" fill=\"#6a6f78\"")
        }
        return out + text(width - 4, claimsBottom + 30, "UTC", attributes: " text-anchor=\"end\" fill=\"#6a6f78\"") + "\n"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, attributes: String = "") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\"\(attributes)>\(escape(content))</text>"
    }

    /// `name="value"` pairs, leaving out absent values.
    static func attributes(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { name, value in value.map { " \(name)=\"\(escape($0))\"" } }.joined()
    }

    static func scale(_ value: Int, max: Int, top: Double, bottom: Double) -> Double {
        bottom - (bottom - top) * Double(value) / Double(Swift.max(1, max))
    }

    /// The axis maximum: 1, 2 or 5 times a power of ten, at least the value (and at least 1).
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while true {
            for m in [1, 2, 5] where m * magnitude >= value { return m * magnitude }
            magnitude *= 10
        }
    }

    /// One decimal at most: coordinates small enough to read, exact enough to draw.
    static func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func clock(_ date: Date) -> String {
        let s = Int(date.timeIntervalSince1970.rounded()) % 86_400
        let (h, m) = (s / 3600, s % 3600 / 60)
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
