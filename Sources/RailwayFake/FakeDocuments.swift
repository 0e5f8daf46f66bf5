/// The documents the fake accepts: the project's own `.graphql` resources (plus any a
/// test adds), compared with whitespace and comments normalised away. Anything else is
/// answered like Railway answers an invalid document, so a document that was not
/// validated against the schema can never pass against the fake.
struct FakeDocuments {
    /// Normalised text → operation name declared in it.
    private var accepted: [String: String] = [:]

    init(_ documents: [String]) {
        for document in documents { add(document) }
    }

    mutating func add(_ document: String) {
        let text = Self.normalised(document)
        if let name = Self.operationName(in: text) { accepted[text] = name }
    }

    /// The operation name when `document` is accepted and declares `operationName`.
    func operation(of document: String, named operationName: String?) -> String? {
        guard let declared = accepted[Self.normalised(document)],
              operationName == nil || operationName == declared else { return nil }
        return declared
    }

    static func normalised(_ document: String) -> String {
        document.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
            .joined(separator: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," })
            .joined(separator: " ")
    }

    private static func operationName(in text: String) -> String? {
        let words = text.split(separator: " ")
        guard let keyword = words.firstIndex(where: { $0 == "query" || $0 == "mutation" }),
              keyword + 1 < words.count else { return nil }
        return String(words[keyword + 1].prefix { $0.isLetter || $0.isNumber || $0 == "_" })
    }
}
