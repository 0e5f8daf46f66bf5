// The fixed patterns a reader locates and samples the symbol with (ISO/IEC 18004 §6.3).

extension ModuleGrid {
    /// Draws finders, separators, timing and alignment patterns and the version information, and
    /// reserves the format area so that data placement skips it: the format bits drawn here are
    /// placeholders, replaced once the mask is chosen.
    mutating func drawFunctionPatterns(version: Int) {
        drawTimingPatterns()
        drawFinderPattern(centreRow: 3, centreColumn: 3)
        drawFinderPattern(centreRow: 3, centreColumn: size - 4)
        drawFinderPattern(centreRow: size - 4, centreColumn: 3)
        drawAlignmentPatterns(version: version)
        drawFormatInformation(FormatInformation.bits(level: .medium, mask: 0))
        if version >= 7 { drawVersionInformation(FormatInformation.versionBits(version: version)) }
    }

    /// Alternating modules on row 6 and column 6 give the module pitch between the finders.
    /// Drawn first: the finders and separators then overwrite both ends.
    private mutating func drawTimingPatterns() {
        for index in 0..<size {
            setFunction(row: 6, column: index, dark: index % 2 == 0)
            setFunction(row: index, column: 6, dark: index % 2 == 0)
        }
    }

    /// A 7x7 ring-in-ring (1:1:3:1:1 in any direction) plus its light one-module separator,
    /// clipped at the symbol's edge.
    private mutating func drawFinderPattern(centreRow: Int, centreColumn: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let row = centreRow + dy, column = centreColumn + dx
                guard (0..<size).contains(row), (0..<size).contains(column) else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(row: row, column: column, dark: ring != 2 && ring != 4)
            }
        }
    }

    /// 5x5 patterns that let a reader correct for perspective and curvature on larger symbols.
    private mutating func drawAlignmentPatterns(version: Int) {
        let centres = SymbolTables.alignmentPatternCentres[version]
        guard let first = centres.first, let last = centres.last else { return }
        for row in centres {
            for column in centres {
                // These three would sit on a finder pattern.
                let onFinder = (row == first && column == first) || (row == first && column == last)
                    || (row == last && column == first)
                if onFinder { continue }
                for dy in -2...2 {
                    for dx in -2...2 {
                        setFunction(row: row + dy, column: column + dx, dark: max(abs(dx), abs(dy)) != 1)
                    }
                }
            }
        }
    }
}
