/// Instance ids and service names. Ownership rests on these rules, so they are strict:
/// an id is exactly 12 characters of `a-z0-9` with at least one digit, and an unrecorded
/// service is ours only when its name is exactly `<prefix>-<id>`.
public enum InstanceNaming {
    public static let idLength = 12
    static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    /// 12 characters of `a-z0-9` with at least one digit: a plain word such as
    /// `orchestrator` is never taken for an instance id (and its service never deleted).
    public static func isInstanceId(_ s: Substring) -> Bool {
        s.utf8.count == idLength
            && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            && s.utf8.contains { $0 >= 0x30 && $0 <= 0x39 }
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
    /// at most 40 characters, never empty. Anything else (spaces, punctuation, non-ASCII)
    /// becomes one dash.
    public static func slug(_ agentName: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(min(agentName.utf8.count, 40))
        for byte in agentName.utf8 {
            let lower = (byte >= 0x41 && byte <= 0x5A) ? byte + 0x20 : byte
            if (lower >= 0x61 && lower <= 0x7A) || (lower >= 0x30 && lower <= 0x39) {
                out.append(lower)
            } else if let last = out.last, last != 0x2D {
                out.append(0x2D)
            }
            if out.count > 40 { break }
        }
        if out.count > 40 { out.removeLast(out.count - 40) }
        while out.last == 0x2D { out.removeLast() }
        return out.isEmpty ? "agent" : String(decoding: out, as: UTF8.self)
    }

    /// The name a claimed instance should carry. Never the name of another service, and
    /// never a name of the `<p>-<id>` form for any prefix `p`: that would make it look like
    /// an unclaimed instance to a controller without our store, ours or another pool's whose
    /// prefix extends ours (`convos-agent-staging` and an agent named "staging a1b2c3d4e5f6").
    /// A current name that is already one of the candidates is kept, so a name never
    /// flips back and forth as other services come and go.
    public static func claimedName(prefix: String, agentName: String, instanceId: String,
                                   current: String? = nil, taken: (String) -> Bool) -> String {
        let base = "\(prefix)-\(slug(agentName))"
        // The common case, checked first: it already carries its name.
        if current == base, isClaimedNameUsable(base), !taken(base) { return base }
        let short = instanceId.prefix(6)
        let candidates = [base, "\(base)-\(short)", "\(base)-\(short)-\(instanceId.dropFirst(6))"].filter(isClaimedNameUsable)
        // The last resort, numbered while taken: never an id-like last part.
        let lastResort = "\(prefix)-\(instanceId)-agent"
        func isLastResort(_ name: String) -> Bool {
            name == lastResort || (name.hasPrefix(lastResort + "-") && Int(name.dropFirst(lastResort.count + 1)) != nil)
        }
        if let current, candidates.contains(current) || isLastResort(current), !taken(current) { return current }
        for name in candidates where !taken(name) { return name }
        if !taken(lastResort) { return lastResort }
        for n in 2...10_000 where !taken("\(lastResort)-\(n)") { return "\(lastResort)-\(n)" }
        return lastResort
    }

    /// A name no pool takes for an unclaimed instance: its last dash-separated part is not an
    /// instance id, so it is not `<p>-<id>` whatever the prefix `p`.
    static func isClaimedNameUsable(_ name: String) -> Bool {
        guard let dash = name.lastIndex(of: "-") else { return true }
        return !isInstanceId(name[name.index(after: dash)...])
    }

    /// A fresh id from a random source (the caller owns the randomness, the planner none).
    public static func randomId<G: RandomNumberGenerator>(using g: inout G) -> String {
        while true {
            let id = String((0..<idLength).map { _ in idAlphabet.randomElement(using: &g)! })
            if isInstanceId(Substring(id)) { return id }
        }
    }
}
