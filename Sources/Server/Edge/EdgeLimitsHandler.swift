import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Holds one connection to the `EdgeLimits`: admits it through the `ConnectionGate` (which
/// may close the longest-idle connection to make room) or refuses it at once,
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
    /// Whether the gate counted this connection in.
    private var admitted = false
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
        // A refused connection is closed already: nothing after this handler hears of it.
        guard start(context) else { return }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        if admitted { gate.release(context.channel) }
        admitted = false
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    /// The client closed its side. An HTTP/1 client that does so awaits no answer (nginx
    /// logs it as 499), so the connection closes now: a claim waiting for an instance sees
    /// its client gone and gives up its place instead of taking an instance for nobody.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            logger.debug("connection closed: the client closed its side")
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            inProgress += 1
            gate.busy(context.channel)
            // After an upgrade or CONNECT the HTTP decoder parses no more: nothing may follow.
            if request.method == .connect || request.headerFields[.upgrade] != nil { closeAfterResponse = true }
            setDeadline(context, after: limits.bodyTimeout, for: "the request body")
        case .end:
            // Answered before its body ended (an early refusal): the connection is idle now.
            if inProgress == 0 { waitForNextRequest(context) } else { cancelDeadline() }
        case .body: break
        }
        context.fireChannelRead(data)
    }

    /// A client that stops reading its answers holds the response in flight: it gets as
    /// long as a request body to read again.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable {
            setDeadline(context, after: limits.bodyTimeout, for: "the client to read its response")
        } else if inProgress == 0 {
            waitForNextRequest(context)
        } else {
            cancelDeadline()
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            if response.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .end:
            if closeAfterResponse {
                closeAfterWriting(context, data, promise: promise)
            } else {
                context.write(data, promise: promise)
                inProgress = max(0, inProgress - 1)
                if inProgress == 0 {
                    gate.idle(context.channel)
                    waitForNextRequest(context)
                }
            }
        case .body:
            context.write(data, promise: promise)
        }
    }

    /// Ends the connection after its last response part: the answer is flushed, then the
    /// output closed (the client reads all of it and the end of the stream), and a moment
    /// later the connection, so that input the client still sends (a body nobody reads)
    /// does not make the kernel reset the connection before the answer is read.
    private func closeAfterWriting(_ context: ChannelHandlerContext, _ data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        context.writeAndFlush(data, promise: written)
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        written.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            context.close(mode: .output, promise: nil)
            loop.scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
        }
    }

    /// Counts the connection in, or closes it at once (false); then the first head's deadline.
    @discardableResult
    private func start(_ context: ChannelHandlerContext) -> Bool {
        guard !admitted else { return true }
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard gate.admit(context.channel, address: address) else {
            logger.debug("connection refused: too many open", metadata: ["client": "\(address)"])
            context.close(promise: nil)
            return false
        }
        admitted = true
        setDeadline(context, after: limits.headTimeout, for: "the request head")
        return true
    }

    /// A kept-alive connection between requests: the next request (its whole head) is due
    /// within the idle timeout, so a client may keep a connection for reuse that long, and
    /// no longer, however slowly it sends.
    private func waitForNextRequest(_ context: ChannelHandlerContext) {
        setDeadline(context, after: limits.idleTimeout, for: "the next request on a kept-alive connection")
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
