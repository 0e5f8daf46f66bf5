/// A finished QR Code symbol: a square of modules, `true` for dark. It holds no quiet zone;
/// renderers add one around it.
public struct QRMatrix: Sendable, Equatable {
    /// Modules per side: 21 for version 1, four more per version, 177 for version 40.
    public let size: Int
    /// Row-major, `size * size` modules.
    private let modules: [Bool]

    init(size: Int, modules: [Bool]) {
        precondition(modules.count == size * size, "a QR matrix is square")
        self.size = size
        self.modules = modules
    }

    /// Whether the module at this row (top to bottom) and column (left to right) is dark.
    public subscript(row row: Int, column column: Int) -> Bool {
        precondition((0..<size).contains(row) && (0..<size).contains(column), "module outside the symbol")
        return modules[row * size + column]
    }

    /// The symbol version (1...40), derived from the size.
    public var version: Int { (size - 17) / 4 }
}
