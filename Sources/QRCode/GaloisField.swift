/// Arithmetic in GF(2^8) as QR Codes define it: bytes are polynomials over GF(2) reduced modulo
/// x^8 + x^4 + x^3 + x^2 + 1 (0x11D), whose root α = 2 generates all 255 non-zero elements.
/// Addition is XOR; multiplication goes through log/antilog tables because it runs once per
/// data byte per error-correction codeword.
enum GaloisField {
    private static let reducingPolynomial = 0x11D

    /// `exponents[i]` is α^i. Doubled in length so `log a + log b` never needs a modulo.
    private static let exponents: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 510)
        var value = 1
        for power in 0..<255 {
            table[power] = UInt8(value)
            table[power + 255] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= reducingPolynomial }
        }
        return table
    }()

    /// `logarithms[a]` is i such that α^i = a; entry 0 is unused (0 has no logarithm).
    private static let logarithms: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for power in 0..<255 { table[Int(exponents[power])] = power }
        return table
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        if a == 0 || b == 0 { return 0 }
        return exponents[logarithms[Int(a)] + logarithms[Int(b)]]
    }

    /// α^power, for 0 <= power < 255.
    static func power(_ power: Int) -> UInt8 { exponents[power] }
}
