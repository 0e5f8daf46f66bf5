/// QR Code encoder (ISO/IEC 18004): text in byte mode, as UTF-8, in the smallest version that fits.
public enum QRCode {
    /// Encodes `text` as a QR Code symbol.
    ///
    /// The bytes are written without an ECI header: readers take byte-mode data as UTF-8 when it
    /// is valid UTF-8, and some older readers fail on ECI.
    /// - Throws: `QRCodeError.textTooLong` when even version 40 cannot hold the text at `level`.
    public static func encode(_ text: String, level: ErrorCorrection = .medium) throws(QRCodeError) -> QRMatrix {
        let bytes = Array(text.utf8)
        guard let version = smallestVersion(byteCount: bytes.count, level: level) else {
            throw .textTooLong(byteCount: bytes.count, maximumByteCount: maximumByteCount(level: level), level: level)
        }
        let data = Codewords.data(bytes, version: version, level: level)
        let codewords = Codewords.interleaved(data: data, version: version, level: level)

        var grid = ModuleGrid(size: SymbolTables.size(version: version))
        grid.drawFunctionPatterns(version: version)
        grid.placeCodewords(codewords)
        let mask = bestMask(for: grid, level: level)
        grid.applyMask(mask)
        grid.drawFormatInformation(FormatInformation.bits(level: level, mask: mask))
        return grid.matrix
    }

    /// The most UTF-8 bytes a symbol holds at this level (version 40).
    public static func maximumByteCount(level: ErrorCorrection) -> Int {
        let version = SymbolTables.versions.upperBound
        let capacityBits = SymbolTables.dataCodewords(version: version, level: level) * 8
        return (capacityBits - Codewords.segmentBits(byteCount: 0, version: version)) / 8
    }

    static func smallestVersion(byteCount: Int, level: ErrorCorrection) -> Int? {
        SymbolTables.versions.first { version in
            Codewords.segmentBits(byteCount: byteCount, version: version)
                <= SymbolTables.dataCodewords(version: version, level: level) * 8
        }
    }

    /// The mask with the lowest penalty. The format bits are drawn before scoring because they
    /// differ per mask and take part in the penalty.
    private static func bestMask(for grid: ModuleGrid, level: ErrorCorrection) -> Int {
        let scored = MaskPattern.all.map { mask in (mask: mask, penalty: penalty(of: grid, level: level, mask: mask)) }
        // Ties go to the lowest mask number, so the output is deterministic.
        return scored.min { $0.penalty < $1.penalty }!.mask
    }

    private static func penalty(of grid: ModuleGrid, level: ErrorCorrection, mask: Int) -> Int {
        var candidate = grid
        candidate.applyMask(mask)
        candidate.drawFormatInformation(FormatInformation.bits(level: level, mask: mask))
        return candidate.penalty
    }
}
