/// The symbol while it is being built: module colours plus which modules belong to function
/// patterns, so that data placement and masking leave those alone.
struct ModuleGrid {
    let size: Int
    private(set) var dark: [Bool]
    private(set) var isFunction: [Bool]

    init(size: Int) {
        self.size = size
        dark = [Bool](repeating: false, count: size * size)
        isFunction = [Bool](repeating: false, count: size * size)
    }

    subscript(row: Int, column: Int) -> Bool {
        dark[row * size + column]
    }

    func isFunctionModule(row: Int, column: Int) -> Bool {
        isFunction[row * size + column]
    }

    /// Sets a module that belongs to a function pattern (finder, timing, format, ...).
    mutating func setFunction(row: Int, column: Int, dark isDark: Bool) {
        dark[row * size + column] = isDark
        isFunction[row * size + column] = true
    }

    /// Sets a data or error-correction module.
    mutating func setData(row: Int, column: Int, dark isDark: Bool) {
        dark[row * size + column] = isDark
    }

    /// Flips a data module; masking is its own inverse, so this also undoes a mask.
    mutating func invertData(row: Int, column: Int) {
        dark[row * size + column].toggle()
    }

    var matrix: QRMatrix { QRMatrix(size: size, modules: dark) }
}
