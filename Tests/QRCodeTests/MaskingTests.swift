@testable import QRCode
import Testing

struct MaskingTests {
    /// The top-left 6x6 modules of each mask pattern, as drawn in ISO/IEC 18004 figure 21
    /// ('#' inverted); 6x6 is a full period of every pattern.
    static let maskTiles: [[String]] = [
        ["#.#.#.", ".#.#.#", "#.#.#.", ".#.#.#", "#.#.#.", ".#.#.#"],
        ["######", "......", "######", "......", "######", "......"],
        ["#..#..", "#..#..", "#..#..", "#..#..", "#..#..", "#..#.."],
        ["#..#..", "..#..#", ".#..#.", "#..#..", "..#..#", ".#..#."],
        ["###...", "###...", "...###", "...###", "###...", "###..."],
        ["######", "#.....", "#..#..", "#.#.#.", "#..#..", "#....."],
        ["######", "###...", "##.##.", "#.#.#.", "#.##.#", "#...##"],
        ["#.#.#.", "...###", "#...##", ".#.#.#", "###...", ".###.."],
    ]

    @Test(arguments: MaskPattern.all)
    func maskPatternMatchesTheStandardsFigure(mask: Int) {
        let tile = (0..<6).map { row in
            String((0..<6).map { column in MaskPattern.inverts(mask, row: row, column: column) ? "#" : "." })
        }
        #expect(tile == Self.maskTiles[mask])
    }

    /// An all-light 21x21 grid, scored by hand from §7.8.3:
    /// N1: 42 lines (21 rows, 21 columns), each one run of 21: 42 × (3 + 16) = 798;
    /// N2: 20 × 20 uniform 2x2 squares × 3 = 1200; N3: no dark modules, 0;
    /// N4: 0% dark is 50% from half, the band 50 - 5(k+1)% with k = 9: 90. Total 2088.
    @Test func allLightGrid() {
        #expect(ModuleGrid(size: 21).penalty == 2088)
    }

    /// The all-light grid with the finder-like 1011101 at the start of row 10, followed by light.
    @Test func finderLikePatternScoresForty() {
        var grid = ModuleGrid(size: 21)
        for column in [0, 2, 3, 4, 6] { grid.setData(row: 10, column: column, dark: true) }
        // N1: row 10 keeps one run of five or more, 14 light (columns 7...20): 3 + 9 = 12
        // instead of 19; columns 0, 2, 3, 4 and 6 become two light runs of 10: 2 × 8 = 16 each.
        let runs = 798 - (19 - 12) - 5 * (19 - 16)
        // N2: of the 2x2 squares spanning rows 9-10 and rows 10-11, those starting at columns
        // 0...6 now hold a dark module: 2 × 7 fewer uniform squares.
        let blocks = (400 - 2 * 7) * 3
        // N3: 1011101 0000 once in row 10; no column holds the pattern.
        let finderLike = 40
        // N4: 5 dark of 441 is 1.1%, still k = 9.
        let balance = 90
        #expect(grid.penalty == runs + blocks + finderLike + balance)
    }

    /// Masks are involutions: applying one twice restores the grid, and function modules are
    /// never touched.
    @Test(arguments: MaskPattern.all)
    func maskTwiceRestoresTheGrid(mask: Int) {
        var grid = ModuleGrid(size: 25)
        grid.drawFunctionPatterns(version: 2)
        grid.placeCodewords((0..<44).map { UInt8($0 * 37 % 256) })
        var masked = grid
        masked.applyMask(mask)
        #expect(masked.dark != grid.dark)
        for row in 0..<25 {
            for column in 0..<25 where grid.isFunctionModule(row: row, column: column) {
                #expect(masked[row, column] == grid[row, column])
            }
        }
        masked.applyMask(mask)
        #expect(masked.dark == grid.dark)
    }
}
