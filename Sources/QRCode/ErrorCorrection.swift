/// How much of the symbol is spent on Reed-Solomon redundancy, and so how much damage
/// (smudges, glare, a logo on top) a reader can recover from.
public enum ErrorCorrection: Sendable, CaseIterable, Hashable {
    /// About 7% of codewords recoverable.
    case low
    /// About 15%: the usual choice for a code shown on a screen.
    case medium
    /// About 25%.
    case quartile
    /// About 30%.
    case high

    /// The two-bit indicator written into the format information (ISO/IEC 18004 table 12).
    /// It is not in the L < M < Q < H order, so it has to be spelled out.
    var formatIndicator: Int {
        switch self {
        case .low: 0b01
        case .medium: 0b00
        case .quartile: 0b11
        case .high: 0b10
        }
    }

    /// Row of this level in `SymbolTables`.
    var tableIndex: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .quartile: 2
        case .high: 3
        }
    }
}
