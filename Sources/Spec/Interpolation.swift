/// `${VAR}` and `${VAR:-default}` in pool.yaml values, resolved from the process environment.
public enum Interpolation {
    public struct Reference: Equatable, Sendable {
        public var name: String
        public var defaultValue: String?
    }

    public enum Failure: Error, Equatable {
        case unterminated
        case badName(String)
        case unset(String)
        case nested
    }

    enum Piece: Equatable {
        case literal(String)
        case reference(Reference)
    }

    static func pieces(_ text: String) throws(Failure) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            literal += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw .unterminated }
            let body = rest[start.upperBound..<end]
            let name: Substring
            var defaultValue: String?
            if let sep = body.range(of: ":-") {
                name = body[..<sep.lowerBound]
                defaultValue = String(body[sep.upperBound...])
                if defaultValue!.contains("${") { throw .nested }
            } else {
                name = body
            }
            guard isValidName(name) else { throw .badName(String(name)) }
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
            pieces.append(.reference(Reference(name: String(name), defaultValue: defaultValue)))
            rest = rest[rest.index(after: end)...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    /// The references in a value, in order.
    public static func references(in text: String) throws(Failure) -> [Reference] {
        try pieces(text).compactMap { if case .reference(let r) = $0 { r } else { nil } }
    }

    /// True when the whole value is one reference without a default: the only form a
    /// secret may take.
    public static func isBareReference(_ text: String) -> Bool {
        guard let p = try? pieces(text), p.count == 1, case .reference(let r) = p[0] else { return false }
        return r.defaultValue == nil
    }

    public static func resolve(_ text: String, environment: [String: String]) throws(Failure) -> String {
        var out = ""
        for piece in try pieces(text) {
            switch piece {
            case .literal(let s): out += s
            case .reference(let r):
                if let value = environment[r.name] { out += value }
                else if let d = r.defaultValue { out += d }
                else { throw .unset(r.name) }
            }
        }
        return out
    }
}
