// Data masking (§7.8): XOR-ing the data area with one of eight patterns breaks up shapes that
// confuse readers (large blocks, stripes, false finders). Each mask is tried and the one with
// the lowest penalty kept.

enum MaskPattern {
    static let all = 0..<8

    /// Whether mask `number` inverts the module at (row, column): table 10's conditions.
    static func inverts(_ number: Int, row i: Int, column j: Int) -> Bool {
        switch number {
        case 0: (i + j) % 2 == 0
        case 1: i % 2 == 0
        case 2: j % 3 == 0
        case 3: (i + j) % 3 == 0
        case 4: (i / 2 + j / 3) % 2 == 0
        case 5: (i * j) % 2 + (i * j) % 3 == 0
        case 6: ((i * j) % 2 + (i * j) % 3) % 2 == 0
        case 7: ((i + j) % 2 + (i * j) % 3) % 2 == 0
        default: preconditionFailure("mask patterns are numbered 0 to 7")
        }
    }
}

extension ModuleGrid {
    /// Applies (or, applied again, removes) a mask to every data module.
    mutating func applyMask(_ number: Int) {
        for row in 0..<size {
            for column in 0..<size where !isFunctionModule(row: row, column: column) {
                if MaskPattern.inverts(number, row: row, column: column) {
                    invertData(row: row, column: column)
                }
            }
        }
    }

    /// The penalty score of §7.8.3, over the whole symbol including function patterns. Lower is
    /// better; only the comparison between masks matters.
    var penalty: Int {
        var score = 0
        for line in lines {
            score += runPenalty(line) + finderLikePenalty(line)
        }
        return score + blockPenalty + balancePenalty
    }

    /// Every row, then every column: the run and finder-like rules apply to both directions.
    private var lines: [[Bool]] {
        let rows = (0..<size).map { row in (0..<size).map { self[row, $0] } }
        let columns = (0..<size).map { column in (0..<size).map { self[$0, column] } }
        return rows + columns
    }

    /// N1: each run of five or more same-coloured modules scores 3, plus 1 per extra module.
    private func runPenalty(_ line: [Bool]) -> Int {
        var score = 0
        var runLength = 0
        for (index, module) in line.enumerated() {
            runLength = index > 0 && module == line[index - 1] ? runLength + 1 : 1
            if runLength == 5 { score += 3 } else if runLength > 5 { score += 1 }
        }
        return score
    }

    /// N3: 40 for each dark-light-dark(3)-light-dark pattern with four light modules on one
    /// side, which a reader could mistake for a finder.
    private func finderLikePenalty(_ line: [Bool]) -> Int {
        let core: [Bool] = [true, false, true, true, true, false, true]
        let light = [Bool](repeating: false, count: 4)
        let patterns = [light + core, core + light]
        guard line.count >= 11 else { return 0 }
        var score = 0
        for start in 0...(line.count - 11) {
            let window = Array(line[start..<start + 11])
            score += patterns.filter { $0 == window }.count * 40
        }
        return score
    }

    /// N2: 3 for every 2x2 square of one colour (overlapping squares each count).
    private var blockPenalty: Int {
        var score = 0
        for row in 0..<size - 1 {
            for column in 0..<size - 1 {
                let colour = self[row, column]
                if self[row, column + 1] == colour, self[row + 1, column] == colour,
                   self[row + 1, column + 1] == colour {
                    score += 3
                }
            }
        }
        return score
    }

    /// N4: 10·k when the dark proportion lies between 50 ± 5k% and 50 ± 5(k+1)%.
    private var balancePenalty: Int {
        let total = size * size
        let darkCount = dark.count { $0 }
        // The deviation in units of 5% is |20·dark - 10·total| / total; k is that rounded up,
        // less one, in integers so that 45% and 55% exactly score 0 as the table says.
        let deviation = abs(darkCount * 20 - total * 10)
        let k = max(0, (deviation + total - 1) / total - 1)
        return k * 10
    }
}
