@testable import QRCode
import Testing

struct ReedSolomonTests {
    /// "HELLO WORLD" as version 1-M in alphanumeric mode: the worked example of Thonky's QR Code
    /// tutorial (thonky.com/qr-code-tutorial), data codewords and the 10 error-correction
    /// codewords it derives.
    @Test func helloWorldVersion1MediumCodewords() {
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let expected: [UInt8] = [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]
        #expect(ReedSolomon.errorCorrection(for: data, count: 10) == expected)
    }

    /// The degree-10 generator in α-exponent form, as tabulated in the same tutorial:
    /// α^0 x^10 + α^251 x^9 + α^67 x^8 + ... + α^45.
    @Test func generatorOfDegreeTen() {
        let exponents = [0, 251, 67, 46, 61, 118, 70, 64, 94, 32, 45]
        #expect(ReedSolomon.generator(degree: 10) == exponents.map(GaloisField.power))
    }

    /// Codewords followed by their error correction form a multiple of the generator, so the
    /// remainder of the whole codeword is zero: the property a decoder's syndromes rely on.
    @Test func codewordWithItsErrorCorrectionIsDivisibleByTheGenerator() {
        let data: [UInt8] = Array("https://dev.convos.org/v2?i=abc".utf8)
        let codeword = data + ReedSolomon.errorCorrection(for: data, count: 22)
        #expect(ReedSolomon.errorCorrection(for: codeword, count: 22) == [UInt8](repeating: 0, count: 22))
    }
}
