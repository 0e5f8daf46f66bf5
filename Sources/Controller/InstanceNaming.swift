/// Instance ids and service names. Ownership rests on these rules, so they are strict:
/// an id is exactly 12 characters of `a-z0-9`, and an unrecorded service is ours only
/// when its name is exactly `<prefix>-<id>`.
public enum InstanceNaming {
    public static let idLength = 12
    static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    public static func isInstanceId(_ s: Substring) -> Bool {
        s.count == idLength && s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
    }

    public static func serviceName(prefix: String, instanceId: String) -> String {
        "\(prefix)-\(instanceId)"
    }

    /// The instance id when `name` is exactly `<prefix>-<id>`, else nil.
    public static func instanceId(fromServiceName name: String, prefix: String) -> String? {
        guard name.hasPrefix(prefix + "-") else { return nil }
        let rest = name.dropFirst(prefix.count + 1)
        return isInstanceId(rest) ? String(rest) : nil
    }

    /// An agent name as a service-name fragment: lowercase `a-z0-9` and single dashes,
    /// at most 40 characters, never empty.
    public static func slug(_ agentName: String) -> String {
        var out = ""
        for ch in agentName.lowercased().unicodeScalars {
            if ch.isASCII, CharacterSet.alnum.contains(ch) { out.unicodeScalars.append(ch) }
            else if !out.isEmpty, !out.hasSuffix("-") { out += "-" }
        }
        while out.hasSuffix("-") { out.removeLast() }
        if out.count > 40 { out = String(out.prefix(40)); while out.hasSuffix("-") { out.removeLast() } }
        return out.isEmpty ? "agent" : out
    }

    /// The name a claimed instance should carry. Never the name of another service, and
    /// never a name of the `<prefix>-<id>` form (that would make it look like an unclaimed
    /// instance to a controller without our store).
    /// A current name that is already one of the candidates is kept, so a name never
    /// flips back and forth as other services come and go.
    public static func claimedName(prefix: String, agentName: String, instanceId: String,
                                   current: String? = nil, taken: (String) -> Bool) -> String {
        let base = "\(prefix)-\(slug(agentName))"
        let candidates = [base, "\(base)-\(instanceId.prefix(6))", "\(base)-\(instanceId)"]
            .filter { self.instanceId(fromServiceName: $0, prefix: prefix) == nil }
        if let current, candidates.contains(current), !taken(current) { return current }
        for name in candidates where !taken(name) { return name }
        return "\(prefix)-\(instanceId)-agent"
    }

    /// A fresh id from a random source (the caller owns the randomness, the planner none).
    public static func randomId<G: RandomNumberGenerator>(using g: inout G) -> String {
        String((0..<idLength).map { _ in idAlphabet.randomElement(using: &g)! })
    }
}

private enum CharacterSet {
    static let alnum = Alnum()
    struct Alnum {
        func contains(_ u: Unicode.Scalar) -> Bool {
            (u >= "a" && u <= "z") || (u >= "0" && u <= "9")
        }
    }
}
