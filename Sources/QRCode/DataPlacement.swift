extension ModuleGrid {
    /// Places the codewords' bits (§7.7.3): two-module-wide columns from the right edge,
    /// alternately upwards and downwards, right module before left, skipping function modules.
    /// Column 6 holds the vertical timing pattern, so the column pair left of it shifts by one.
    /// Modules left after the last codeword are remainder bits and stay light.
    mutating func placeCodewords(_ codewords: [UInt8]) {
        let bitCount = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upwards = (right + 1) & 2 == 0
            for step in 0..<size {
                let row = upwards ? size - 1 - step : step
                for column in [right, right - 1] where !isFunctionModule(row: row, column: column) {
                    guard bitIndex < bitCount else { continue }
                    let byte = codewords[bitIndex / 8]
                    setData(row: row, column: column, dark: byte >> (7 - bitIndex % 8) & 1 == 1)
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }
}
