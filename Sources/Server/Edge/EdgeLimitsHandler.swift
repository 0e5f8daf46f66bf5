import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Holds one connection to the `EdgeLimits`: refuses it at once when a cap is reached,
/// closes it when a request head or body takes too long, and closes it after a response
/// that says `Connection: close` (a refused key) instead of waiting for a body nobody will
/// read. Sits after the HTTP decoder, so it sees request and response parts.
final class EdgeLimitsHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: EdgeLimits
    private let gate: ConnectionGate
    private let logger: Logger
    /// The address this connection was counted under, once admitted.
    private var admitted: String?
    private var deadline: Scheduled<Void>?
    private var closeAfterResponse = false
    /// Requests whose head arrived and whose response has not ended (pipelining may make it
    /// more than one): the head deadline runs only while there are none.
    private var inProgress = 0

    init(limits: EdgeLimits, gate: ConnectionGate, logger: Logger) {
        self.limits = limits
        self.gate = gate
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        if let address = admitted { gate.release(address: address) }
        admitted = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inProgress += 1
            setDeadline(context, after: limits.bodyTimeout, for: "the request body")
        case .end: cancelDeadline()
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            if response.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .end:
            if closeAfterResponse {
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
            } else {
                context.write(data, promise: promise)
                inProgress = max(0, inProgress - 1)
                if inProgress == 0 { setDeadline(context, after: limits.headTimeout, for: "the next request head") }
            }
        case .body:
            context.write(data, promise: promise)
        }
    }

    /// Counts the connection in, or closes it at once; then the first head's deadline.
    private func start(_ context: ChannelHandlerContext) {
        guard admitted == nil else { return }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard gate.admit(address: address) else {
            logger.debug("connection refused: too many open", metadata: ["client": "\(address)"])
            context.close(promise: nil)
            return
        }
        admitted = address
        setDeadline(context, after: limits.headTimeout, for: "the request head")
    }

    private func setDeadline(_ context: ChannelHandlerContext, after timeout: Duration, for what: String) {
        cancelDeadline()
        let logger = logger
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: .init(timeout)) {
            logger.debug("connection closed: \(what) took longer than \(timeout)")
            context.close(promise: nil)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}
