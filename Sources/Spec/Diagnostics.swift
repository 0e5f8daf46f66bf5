/// One problem in pool.yaml, where it is and what was expected.
public struct SpecDiagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Every problem found in one load, reported together so a fix needs one round trip.
public struct SpecError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SpecDiagnostic]
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
