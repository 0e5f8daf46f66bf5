/// An optional written as `null` when it is absent, rather than left out: API answers show
/// every field of their shape, so a client sees the same keys whatever the values.
/// Synthesized `Encodable` encodes the wrapper under the property's name.
@propertyWrapper
public struct EncodedAsNull<Value: Encodable>: Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value = wrappedValue { try c.encode(value) } else { try c.encodeNil() }
    }
}

extension EncodedAsNull: Sendable where Value: Sendable {}
extension EncodedAsNull: Equatable where Value: Equatable {}
