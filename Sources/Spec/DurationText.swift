import Foundation

/// Durations as operators write them: `500ms`, `30s`, `15m`, `1h`, `1h30m`.
public enum DurationText {
    /// The longest duration pool.yaml accepts.
    public static let longest: TimeInterval = 30 * 86_400

    static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]

    /// Seconds, or nil when the text is not a duration.
    public static func parse(_ text: String) -> TimeInterval? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var total: Double = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber || $0 == "." }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // Longest suffix first, so "ms" is not read as "m" followed by garbage.
            guard let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count })
                .first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.seconds
        }
        return total.isFinite ? total : nil
    }

    /// The shortest exact spelling, for summaries: 900 -> "15m", 0.5 -> "500ms".
    public static func format(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return "\(seconds)s" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds.truncatingRemainder(dividingBy: 1) == 0 { return "\(Int(seconds))s" }
        return "\(Int((seconds * 1000).rounded()))ms"
    }
}
