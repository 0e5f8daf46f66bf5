import Model
import Foundation

/// The store keeps times as integer milliseconds since 1970, the same in both databases,
/// so that what is read back compares equal to what was written (once rounded).
extension Date {
    var storeMillis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(storeMillis: Int64) {
        self.init(timeIntervalSince1970: Double(storeMillis) / 1000)
    }

    /// This date as the store will give it back: rounded to the millisecond.
    public var storeRounded: Date { Date(storeMillis: storeMillis) }
}
