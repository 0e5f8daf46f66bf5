@testable import QRCode
import Testing

struct FormatInformationTests {
    /// The 32 format strings of ISO/IEC 18004 annex C (also Thonky's format information table),
    /// most significant bit first, indexed by mask number.
    static let formatStrings: [ErrorCorrection: [String]] = [
        .low: ["111011111000100", "111001011110011", "111110110101010", "111100010011101",
               "110011000101111", "110001100011000", "110110001000001", "110100101110110"],
        .medium: ["101010000010010", "101000100100101", "101111001111100", "101101101001011",
                  "100010111111001", "100000011001110", "100111110010111", "100101010100000"],
        .quartile: ["011010101011111", "011000001101000", "011111100110001", "011101000000110",
                    "010010010110100", "010000110000011", "010111011011010", "010101111101101"],
        .high: ["001011010001001", "001001110111110", "001110011100111", "001100111010000",
                "000011101100010", "000001001010101", "000110100001100", "000100000111011"],
    ]

    @Test(arguments: ErrorCorrection.allCases)
    func formatBitsForEveryMask(level: ErrorCorrection) {
        for mask in MaskPattern.all {
            #expect(binary(FormatInformation.bits(level: level, mask: mask), width: 15)
                == Self.formatStrings[level]?[mask], "mask \(mask)")
        }
    }

    /// Version information strings of annex D for the first version that carries them, the
    /// next one, one in the middle and the last.
    @Test(arguments: [
        (7, "000111110010010100"), (8, "001000010110111100"),
        (21, "010101011010000011"), (40, "101000110001101001"),
    ])
    func versionBits(version: Int, expected: String) {
        #expect(binary(FormatInformation.versionBits(version: version), width: 18) == expected)
    }

    /// Both copies of the format bits in an encoded symbol, read back from the matrix in the
    /// order of figure 25, match the level used (mask bits aside, which depend on the penalty).
    @Test(arguments: ErrorCorrection.allCases)
    func encodedSymbolCarriesItsLevel(level: ErrorCorrection) throws {
        let matrix = try QRCode.encode("https://dev.convos.org/v2?i=abc", level: level)
        let size = matrix.size
        var nearTopLeft = 0, split = 0
        for index in 0..<15 {
            let topLeft: Bool = switch index {
            case 0...5: matrix[row: index, column: 8]
            case 6: matrix[row: 7, column: 8]
            case 7: matrix[row: 8, column: 8]
            case 8: matrix[row: 8, column: 7]
            default: matrix[row: 8, column: 14 - index]
            }
            let other = index < 8 ? matrix[row: 8, column: size - 1 - index] : matrix[row: size - 15 + index, column: 8]
            nearTopLeft |= (topLeft ? 1 : 0) << index
            split |= (other ? 1 : 0) << index
        }
        #expect(nearTopLeft == split)
        let mask = ((nearTopLeft ^ 0x5412) >> 10) & 0b111
        #expect(nearTopLeft == FormatInformation.bits(level: level, mask: mask))
        #expect(matrix[row: size - 8, column: 8], "the dark module")
    }

    private func binary(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 2)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
