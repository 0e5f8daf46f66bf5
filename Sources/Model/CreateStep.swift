/// The steps of a create, in order. Stored and serialised by name.
public enum CreateStep: String, Codable, Sendable, CaseIterable, Comparable {
    case intentRecorded
    case serviceCreated
    case configured
    case domainCreated
    case buildStarted
    case pinned

    public static func < (a: CreateStep, b: CreateStep) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
    public var isComplete: Bool { self == .pinned }
}
