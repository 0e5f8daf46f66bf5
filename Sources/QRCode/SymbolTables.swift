// Per-version constants of ISO/IEC 18004. Tables are indexed by version (1...40); index 0 is
// a placeholder so that `table[version]` reads like the standard.

enum SymbolTables {
    static let versions = 1...40

    /// Error-correction codewords in each block (table 9), rows L, M, Q, H.
    static let errorCorrectionCodewordsPerBlock: [[Int]] = [
        [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [-1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [-1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Number of Reed-Solomon blocks the codewords are split into (table 9), rows L, M, Q, H.
    static let errorCorrectionBlocks: [[Int]] = [
        [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [-1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [-1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [-1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Row/column centres of the alignment patterns (annex E). Every pairing of two centres
    /// holds a pattern, except the three that would overlap a finder.
    static let alignmentPatternCentres: [[Int]] = [
        [], [],
        [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86], [6, 34, 62, 90],
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106], [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130], [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142], [6, 34, 62, 90, 118, 146],
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158], [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
    ]

    static func size(version: Int) -> Int { 4 * version + 17 }

    /// Modules left for codewords once finders, separators, timing, alignment, format and
    /// version areas are taken out (table 1). Derived rather than tabulated: the area of the
    /// square minus each function pattern's footprint.
    static func dataModules(version: Int) -> Int {
        let size = size(version: version)
        let finders = 3 * 64  // 7x7 finder plus its one-module separator, three corners
        let timing = 2 * (size - 16)  // row 6 and column 6 between the separators
        let format = 31  // two copies of 15 bits, plus the single dark module
        var taken = finders + timing + format
        let centres = alignmentPatternCentres[version].count
        if centres > 0 {
            let patterns = centres * centres - 3
            // Patterns on row 6 or column 6 sit on the timing pattern: 5 of their modules
            // were already counted as timing.
            let onTiming = 2 * (centres - 2)
            taken += patterns * 25 - onTiming * 5
        }
        if version >= 7 { taken += 2 * 18 }  // two copies of the version information
        return size * size - taken
    }

    /// All codewords of the symbol. Modules not filling a whole codeword stay as remainder bits.
    static func totalCodewords(version: Int) -> Int { dataModules(version: version) / 8 }

    static func dataCodewords(version: Int, level: ErrorCorrection) -> Int {
        let row = level.tableIndex
        return totalCodewords(version: version)
            - errorCorrectionCodewordsPerBlock[row][version] * errorCorrectionBlocks[row][version]
    }

    /// Bits of the byte-mode character count: the field widens at version 10 (table 3).
    static func byteCountBits(version: Int) -> Int { version <= 9 ? 8 : 16 }
}
