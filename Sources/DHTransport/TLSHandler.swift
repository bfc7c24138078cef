internal import DHIdentity
internal import DHTLS
internal import NIOCore

/// Sent up the pipeline once the TLS handshake completed.
struct TLSHandshakeCompleted: Sendable {
    var peerIdentity: PeerIdentity?
    var applicationProtocol: String?
}

/// Drives a ``TLSConnection`` (memory BIOs) from the socket: ciphertext in, plaintext up;
/// plaintext down, ciphertext out. Plaintext travels as `[UInt8]`, as the connection produces
/// and consumes it (no `ByteBuffer` made and copied for it either way). Enforces the handshake
/// timeout. A TLS failure is passed on with `errorCaught` after the alert was written, then the
/// channel closes.
///
/// All state lives on the channel's event loop.
final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = [UInt8]
    typealias OutboundIn = [UInt8]
    typealias OutboundOut = ByteBuffer

    private let connection: TLSConnection
    private let handshakeTimeout: Duration
    private var timeoutTask: Scheduled<Void>?
    private var closing = false

    init(connection: TLSConnection, handshakeTimeout: Duration) {
        self.connection = connection
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard timeoutTask == nil, connection.state == .handshaking else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutTask = context.eventLoop.scheduleTask(in: .nanoseconds(handshakeTimeout.nanoseconds)) {
            let (handler, context) = loopBound.value
            guard handler.connection.state == .handshaking else { return }
            context.fireErrorCaught(
                TLSError(code: .handshakeFailure, message: "the TLS handshake did not complete in time"))
            handler.closing = true
            context.close(promise: nil)
        }
        let output = connection.startHandshake()
        handle(output, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let output = buffer.withUnsafeReadableBytes { connection.receive($0) }
        handle(output, context: context)
    }

    private func handle(_ output: TLSOutput, context: ChannelHandlerContext) {
        if !output.ciphertext.isEmpty {
            context.writeAndFlush(
                wrapOutboundOut(context.channel.allocator.copying(output.ciphertext)), promise: nil)
        }
        if output.handshakeCompleted {
            timeoutTask?.cancel()
            context.fireUserInboundEventTriggered(
                TLSHandshakeCompleted(
                    peerIdentity: connection.peerIdentity, applicationProtocol: connection.applicationProtocol))
        }
        if !output.plaintext.isEmpty {
            context.fireChannelRead(wrapInboundOut(output.plaintext))
            context.fireChannelReadComplete()
        }
        if let error = output.error {
            timeoutTask?.cancel()
            context.fireErrorCaught(error)
            closing = true
            context.close(promise: nil)
        } else if output.peerClosed {
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = unwrapOutboundIn(data)
        let allocator = context.channel.allocator
        var ciphertext: ByteBuffer?
        let result = plaintext.withUnsafeBytes { bytes in
            Result { () throws(TLSError) in
                // The records go straight from OpenSSL's memory BIO into the buffer the socket writes.
                try connection.send(bytes) { size, copy in
                    var buffer = allocator.buffer(capacity: size)
                    buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { copy($0) }
                    ciphertext = buffer
                }
            }
        }
        switch result {
        case .success:
            if let ciphertext {
                context.write(wrapOutboundOut(ciphertext), promise: promise)
            } else {
                promise?.succeed()
            }
        case .failure(let error):
            promise?.fail(error)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all else {
            context.close(mode: mode, promise: promise)
            return
        }
        timeoutTask?.cancel()
        if connection.state == .established {
            let closeNotify = connection.close()
            if !closeNotify.isEmpty {
                context.writeAndFlush(
                    wrapOutboundOut(context.channel.allocator.copying(closeNotify)), promise: nil)
            }
        }
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        context.fireChannelInactive()
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (fromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return fromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}

extension ByteBufferAllocator {
    /// A buffer holding a copy of `bytes`, allocated at its size at once (`buffer(bytes:)`
    /// allocates, then grows the storage again as it writes).
    func copying(_ bytes: [UInt8]) -> ByteBuffer {
        var buffer = self.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }
}
