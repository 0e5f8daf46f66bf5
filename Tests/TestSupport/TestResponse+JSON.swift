import Foundation
import HummingbirdTesting

extension TestResponse {
    public var text: String { String(buffer: body) }
    /// The body as a JSON object (empty when it is not one).
    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    public var error: String? { json["error"] as? String }
}
