import Hummingbird

/// A value of another module answered as JSON: it is `Encodable` but, rightly, knows
/// nothing of Hummingbird.
struct JSONAnswer<Value: Encodable & Sendable>: ResponseEncodable {
    var value: Value
    init(_ value: Value) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
