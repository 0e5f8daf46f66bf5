import Model
import Foundation

/// Who holds a named lease in the store, and until when (by the holder's clock). Read
/// from the store only: its memberwise initializer is internal.
public struct Lease: Sendable, Equatable, Codable {
    public var name: String
    public var holder: String
    /// When the current holder took it (kept across its renewals).
    public var acquiredAt: Date
    public var expiresAt: Date

    public func isHeld(by replica: String, at now: Date) -> Bool {
        holder == replica && now < expiresAt
    }
}
