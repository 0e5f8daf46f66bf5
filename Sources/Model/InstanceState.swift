/// The state the planner derives for an instance each tick (docs/design.md section 3).
/// It is never cached as truth: the store keeps the last one the controller *recorded*
/// (`InstanceRecord.marked`) only so that transitions can be counted and audited.
public enum InstanceState: String, Codable, CaseIterable, Sendable, Comparable {
    case provisioning
    case idle
    case claiming
    case claimed
    /// Claimed, but its deployment died or it stopped answering: kept for the operator.
    case crashed
    /// Unclaimed and not coming back: deleted.
    case dead
    /// Holds a conversation we never gave it: claimed by an unknown agent, never touched.
    case adopted
    /// Retired after a failed claim: it may hold a half-made identity, deleted.
    case tainted
    /// Answers 401 to its credential (its own token, or the pool key for an instance made
    /// before instance tokens): a configuration fault. Kept, never handed out.
    case misconfigured

    public static func < (a: InstanceState, b: InstanceState) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
