/// SplitMix64: a tiny deterministic generator, so ids for an offline plan (and property
/// tests) are reproducible from a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a of some bytes: a stable seed from content (not for security).
    public static func seed<S: Sequence>(from bytes: S) -> UInt64 where S.Element == UInt8 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

extension InstanceNaming {
    /// `count` fresh ids from a generator.
    public static func ids<G: RandomNumberGenerator>(_ count: Int, using g: inout G) -> [String] {
        (0..<count).map { _ in randomId(using: &g) }
    }
}
