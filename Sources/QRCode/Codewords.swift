// From text bytes to the final codeword sequence: bit stream, padding, Reed-Solomon blocks,
// interleaving (§7.4 to §7.6).

enum Codewords {
    /// Mode indicator for 8-bit byte mode (table 2).
    private static let byteModeIndicator = 0b0100
    /// Pad codewords, alternated to fill the data capacity (§7.4.10).
    private static let padBytes: [UInt8] = [0xEC, 0x11]

    /// Bits a byte-mode segment of `byteCount` bytes needs in this version.
    static func segmentBits(byteCount: Int, version: Int) -> Int {
        4 + SymbolTables.byteCountBits(version: version) + 8 * byteCount
    }

    /// The data codewords: one byte-mode segment, terminator, bit padding and pad codewords.
    static func data(_ bytes: [UInt8], version: Int, level: ErrorCorrection) -> [UInt8] {
        let capacityBits = SymbolTables.dataCodewords(version: version, level: level) * 8
        var buffer = BitBuffer()
        buffer.append(byteModeIndicator, width: 4)
        buffer.append(bytes.count, width: SymbolTables.byteCountBits(version: version))
        for byte in bytes { buffer.append(Int(byte), width: 8) }
        // Terminator: up to four zero bits, fewer if the capacity is reached first.
        buffer.append(0, width: min(4, capacityBits - buffer.count))
        buffer.append(0, width: (8 - buffer.count % 8) % 8)
        var codewords = buffer.bytes
        for index in 0..<(capacityBits / 8 - codewords.count) {
            codewords.append(padBytes[index % 2])
        }
        return codewords
    }

    /// Splits the data codewords into blocks, appends each block's Reed-Solomon codewords, and
    /// interleaves: first data codeword of every block, then the second, ..., then the same for
    /// error correction. A burst of damage is so spread over several blocks.
    /// When the blocks cannot be equal, the later ones hold one more data codeword (table 9).
    static func interleaved(data: [UInt8], version: Int, level: ErrorCorrection) -> [UInt8] {
        let blockCount = SymbolTables.errorCorrectionBlocks[level.tableIndex][version]
        let errorCorrectionCount = SymbolTables.errorCorrectionCodewordsPerBlock[level.tableIndex][version]
        let shortBlockLength = data.count / blockCount
        let shortBlockCount = blockCount - data.count % blockCount

        var dataBlocks: [ArraySlice<UInt8>] = []
        var start = data.startIndex
        for block in 0..<blockCount {
            let length = shortBlockLength + (block < shortBlockCount ? 0 : 1)
            dataBlocks.append(data[start..<start + length])
            start += length
        }
        let errorCorrectionBlocks = dataBlocks.map {
            ReedSolomon.errorCorrection(for: Array($0), count: errorCorrectionCount)
        }

        var result: [UInt8] = []
        result.reserveCapacity(SymbolTables.totalCodewords(version: version))
        for index in 0...shortBlockLength {
            for block in dataBlocks where index < block.count {
                result.append(block[block.startIndex + index])
            }
        }
        for index in 0..<errorCorrectionCount {
            for block in errorCorrectionBlocks { result.append(block[index]) }
        }
        return result
    }
}
