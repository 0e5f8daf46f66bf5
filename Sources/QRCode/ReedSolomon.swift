/// Reed-Solomon error-correction codewords as QR Codes use them: the remainder of the data
/// polynomial times x^n divided by the generator (x - α^0)(x - α^1)…(x - α^(n-1)).
/// Polynomials are coefficient arrays, highest degree first, as codewords are sent.
enum ReedSolomon {
    /// The monic generator polynomial of the given degree, leading coefficient 1 included.
    static func generator(degree: Int) -> [UInt8] {
        var polynomial: [UInt8] = [1]
        for root in 0..<degree {
            // Multiply by (x + α^root); in GF(2^8) subtraction is addition.
            var product = [UInt8](repeating: 0, count: polynomial.count + 1)
            for (index, coefficient) in polynomial.enumerated() {
                product[index] ^= coefficient
                product[index + 1] ^= GaloisField.multiply(coefficient, GaloisField.power(root))
            }
            polynomial = product
        }
        return polynomial
    }

    /// The `count` error-correction codewords for one block of data codewords.
    static func errorCorrection(for data: [UInt8], count: Int) -> [UInt8] {
        let divisor = generator(degree: count)
        // Long division keeping only the running remainder: a shift register of `count` bytes.
        var remainder = [UInt8](repeating: 0, count: count)
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            for index in 0..<count {
                remainder[index] ^= GaloisField.multiply(divisor[index + 1], factor)
            }
        }
        return remainder
    }
}
