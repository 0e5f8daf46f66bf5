import Foundation

/// A runtime request made through the API, applied by the reconcile loop.
public struct PoolRequest: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Remove idle instances (all of them, or `count`).
        case drain
        /// Create instances now (up to minIdle, or `count` more).
        case replenish
    }

    public var id: Int64
    public var kind: Kind
    public var count: Int?
    public var requestedAt: Date

    public init(id: Int64, kind: Kind, count: Int?, requestedAt: Date) {
        self.id = id
        self.kind = kind
        self.count = count
        self.requestedAt = requestedAt
    }
}
