@testable import QRCode
import Testing

struct VersionChoiceTests {
    /// Version 1-M holds 16 data codewords: 4 mode bits + 8 count bits + 14 bytes = 124 bits
    /// fit in 128, a 15th byte does not.
    @Test func fourteenBytesFitVersion1MediumAndFifteenDoNot() throws {
        #expect(try QRCode.encode(String(repeating: "a", count: 14)).version == 1)
        #expect(try QRCode.encode(String(repeating: "a", count: 15)).version == 2)
        #expect(try QRCode.encode(String(repeating: "a", count: 14)).size == 21)
    }

    /// Capacity is counted in UTF-8 bytes, not characters: "é" takes two.
    @Test func capacityCountsUTF8Bytes() throws {
        #expect(try QRCode.encode(String(repeating: "é", count: 7)).version == 1)
        #expect(try QRCode.encode(String(repeating: "é", count: 7) + "a").version == 2)
    }

    /// Version 9 is the last with an 8-bit byte count; version 10 spends 16 bits on it.
    /// 9-M holds 182 data codewords: 180 bytes fit, 181 go to version 10. 10-M holds 216:
    /// 213 bytes fit with the 16-bit count (an 8-bit one would let 214 in), 214 go to version 11.
    @Test func countFieldWidensAtVersion10() throws {
        #expect(try QRCode.encode(String(repeating: "a", count: 180)).version == 9)
        #expect(try QRCode.encode(String(repeating: "a", count: 181)).version == 10)
        #expect(try QRCode.encode(String(repeating: "a", count: 213)).version == 10)
        #expect(try QRCode.encode(String(repeating: "a", count: 214)).version == 11)
    }

    /// Byte-mode capacities of version 40 per level (table 7).
    @Test(arguments: [
        (ErrorCorrection.low, 2953), (.medium, 2331), (.quartile, 1663), (.high, 1273),
    ])
    func largestTextFillsVersion40(level: ErrorCorrection, capacity: Int) throws {
        #expect(QRCode.maximumByteCount(level: level) == capacity)
        let matrix = try QRCode.encode(String(repeating: "a", count: capacity), level: level)
        #expect(matrix.version == 40)
        #expect(matrix.size == 177)
    }

    @Test(arguments: ErrorCorrection.allCases)
    func oneByteTooManyIsRejected(level: ErrorCorrection) {
        let capacity = QRCode.maximumByteCount(level: level)
        #expect(throws: QRCodeError.textTooLong(byteCount: capacity + 1, maximumByteCount: capacity, level: level)) {
            try QRCode.encode(String(repeating: "a", count: capacity + 1), level: level)
        }
    }
}
