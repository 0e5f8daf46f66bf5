import Foundation
import Hummingbird
import NIOEmbedded

/// The request context of the pool's API: Hummingbird's basic context with the API's
/// body limit, so every decode of a larger body is refused with 413.
public struct PoolRequestContext: RequestContext {
    public static let maxBodyBytes = 1 << 20

    public var coreContext: CoreRequestContextStorage
    /// Whether the client is still connected (a waiting claim gives up its place when not).
    /// The router tests' channel, which is no connection, counts as connected.
    public let clientConnected: @Sendable () -> Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        if channel is NIOAsyncTestingChannel {
            clientConnected = { true }
        } else {
            clientConnected = { channel.isActive }
        }
    }

    public var maxUploadSize: Int { Self.maxBodyBytes }

    /// Sorted keys: the same answer is the same bytes, so answers can be compared and diffed.
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
