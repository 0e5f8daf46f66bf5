import Foundation

/// The forms a secret takes in text: what a leak search looks for.
public enum SecretEncodings {
    /// The secret as it is, and as it would look percent-encoded, in base64 (at each of the
    /// three alignments, so inside a longer encoded text too), base64url, and JSON-escaped.
    public static func of(_ secret: String) -> [(String, String)] {
        var out = [("as is", secret)]
        for (name, allowed) in [("percent-encoded", CharacterSet.alphanumerics),
                                ("percent-encoded (query)", .urlQueryAllowed), ("percent-encoded (password)", .urlPasswordAllowed)] {
            if let encoded = secret.addingPercentEncoding(withAllowedCharacters: allowed), encoded != secret,
               !out.contains(where: { $0.1 == encoded }) {
                out.append((name, encoded))
            }
        }
        if secret.contains(" ") { out.append(("form-encoded", secret.replacingOccurrences(of: " ", with: "+"))) }
        let bytes = Array(secret.utf8)
        for offset in 0..<3 {
            let encoded = Array((Data(repeating: 0, count: offset) + Data(bytes)).base64EncodedString())
            // The groups of 3 bytes that hold only secret bytes encode the same whatever surrounds them.
            let first = (offset + 2) / 3, end = (offset + bytes.count) / 3
            guard end - first >= 3 else { continue }
            let core = String(encoded[(first * 4)..<(end * 4)])
            out.append(("base64 (offset \(offset))", core))
            let url = core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            if url != core { out.append(("base64url (offset \(offset))", url)) }
        }
        out.append(("hex", bytes.map { String(format: "%02x", $0) }.joined()))
        if let json = try? jsonString(secret) {
            let inner = String(json.dropFirst().dropLast())
            if inner != secret { out.append(("JSON-escaped", inner)) }
            let slashes = inner.replacingOccurrences(of: "/", with: "\\/")
            if slashes != inner { out.append(("JSON-escaped with \\/", slashes)) }
        }
        return out
    }

    public static func jsonString(_ s: String) throws -> String {
        String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
    }
}
