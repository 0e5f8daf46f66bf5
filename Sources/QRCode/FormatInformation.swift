// Format information (level and mask) and version information: short BCH codewords placed
// twice each, so that a reader can still recover them when one copy is damaged.

enum FormatInformation {
    /// The 15 format bits: level indicator and mask number, a BCH(15,5) remainder, then XOR
    /// with 101010000010010 so that the result is never all zeros (§7.9.1).
    static func bits(level: ErrorCorrection, mask: Int) -> Int {
        let data = level.formatIndicator << 3 | mask
        let checked = data << 10 | bchRemainder(data, generator: 0x537, degree: 10)
        return checked ^ 0x5412
    }

    /// The 18 version bits of versions 7 and up: version number and a BCH(18,6) remainder (§7.10).
    static func versionBits(version: Int) -> Int {
        version << 12 | bchRemainder(version, generator: 0x1F25, degree: 12)
    }

    /// Remainder of `data * x^degree` divided by the generator, over GF(2).
    private static func bchRemainder(_ data: Int, generator: Int, degree: Int) -> Int {
        var remainder = data << degree
        for shift in stride(from: bitWidth(remainder) - 1, through: degree, by: -1)
        where remainder >> shift & 1 == 1 {
            remainder ^= generator << (shift - degree)
        }
        return remainder
    }

    private static func bitWidth(_ value: Int) -> Int { Int.bitWidth - value.leadingZeroBitCount }
}

extension ModuleGrid {
    /// Writes both copies of the 15 format bits, bit 0 being the least significant (figure 25).
    mutating func drawFormatInformation(_ bits: Int) {
        func bit(_ index: Int) -> Bool { bits >> index & 1 == 1 }
        // Copy around the top-left finder: down column 8, then leftwards along row 8,
        // stepping over the timing pattern at index 6.
        for index in 0...5 { setFunction(row: index, column: 8, dark: bit(index)) }
        setFunction(row: 7, column: 8, dark: bit(6))
        setFunction(row: 8, column: 8, dark: bit(7))
        setFunction(row: 8, column: 7, dark: bit(8))
        for index in 9..<15 { setFunction(row: 8, column: 14 - index, dark: bit(index)) }
        // Copy split between the top-right finder (row 8) and the bottom-left one (column 8).
        for index in 0..<8 { setFunction(row: 8, column: size - 1 - index, dark: bit(index)) }
        for index in 8..<15 { setFunction(row: size - 15 + index, column: 8, dark: bit(index)) }
        // The module above the bottom-left copy is always dark.
        setFunction(row: size - 8, column: 8, dark: true)
    }

    /// Writes both 6x3 copies of the version bits, beside the top-right and bottom-left finders.
    mutating func drawVersionInformation(_ bits: Int) {
        for index in 0..<18 {
            let isDark = bits >> index & 1 == 1
            let near = index / 3, far = size - 11 + index % 3
            setFunction(row: near, column: far, dark: isDark)
            setFunction(row: far, column: near, dark: isDark)
        }
    }
}
