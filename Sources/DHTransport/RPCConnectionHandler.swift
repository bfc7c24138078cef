internal import DHIdentity
internal import DHRPC
internal import DHTLS
internal import NIOCore
internal import Synchronization

/// What a connection reports about itself, for tests and metrics (see `observer` in the
/// transports' configurations).
package enum TransportEvent: Sendable {
    /// A message was delivered to a call; `bufferedInboundBytes` is what the stream holds that the
    /// application has not taken yet.
    case messageReceived(streamID: UInt32, bufferedInboundBytes: Int)
    /// A writer had to wait for flow-control credit; `bufferedOutboundBytes` is what the stream
    /// holds waiting for credit.
    case writeParked(streamID: UInt32, bufferedOutboundBytes: Int)
}

package typealias TransportObserver = @Sendable (TransportEvent) -> Void

/// What a connection tells its owner (the client pool or the server).
enum ConnectionEvent: Sendable {
    /// The peer's SETTINGS arrived: calls may start.
    case ready(ConnectionHandle)
    /// GOAWAY sent or received: start no new calls here.
    case draining
    /// The connection ended; the reason when it failed.
    case closed(reason: String?)
}

/// A server call, handed to the task that runs its handler.
struct IncomingCall: Sendable {
    var stream: ServerStream
    var cancellation: CallCancellation
    /// Runs tasks on the call's connection's event loop.
    var executor: EventLoopTaskExecutor
}

/// Cancels a server handler's task when the client cancels or the connection drops.
final class CallCancellation: Sendable {
    private let state = Mutex<(cancelled: Bool, task: Task<Void, Never>?)>((false, nil))

    func register(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    func finished() { state.withLock { $0.task = nil } }
}

/// A handle on a connection's handler, usable from any task: every operation runs on the
/// channel's event loop.
struct ConnectionHandle: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<RPCConnectionHandler>

    var eventLoop: any EventLoop { channel.eventLoop }

    /// Runs `body` on the connection's event loop: at once when called there (a task that runs
    /// on the loop, between its I/O, or the handler itself, whose `process` queues what `body`
    /// adds), otherwise queued behind the loop's other work.
    func run(_ body: @escaping @Sendable (RPCConnectionHandler) -> Void) {
        let handler = self.handler
        if channel.eventLoop.inEventLoop {
            body(handler.value)
        } else {
            channel.eventLoop.execute { body(handler.value) }
        }
    }

    /// Runs `body` on the connection's event loop after the work queued there now, even when
    /// called there: a reader's consumption is reported this way, so that what a task takes in
    /// one go (many messages of a stream) returns its credit in one report, not one per message.
    func runLater(_ body: @escaping @Sendable (RPCConnectionHandler) -> Void) {
        let handler = self.handler
        channel.eventLoop.execute { body(handler.value) }
    }
}

/// A client call on a connection. It is made by the calling task and opened on the event loop
/// by its first write or read, in the same step as that write (a unary call's request, its
/// half-close and the stream's opening go to the loop together); what the task writes before
/// the stream opens waits in its outbox, and a call that cannot open ends with a status in its
/// responses like any other.
final class ClientCall: Sendable {
    /// Where the call goes, until the call is handed to the event loop.
    struct Target: Sendable {
        var path: String
        var metadata: Metadata
        var deadline: ContinuousClock.Instant?
    }

    private struct Flags {
        var target: Target?
        var streamID: UInt32?
        var refused = false
        var closed = false
    }

    let connection: ConnectionHandle
    let responses: Inbox
    let requests: Outbox
    private let flags: Mutex<Flags>
    private let box: CallBox

    init(connection: ConnectionHandle, outboundLimit: Int, target: Target) {
        self.connection = connection
        self.flags = Mutex(Flags(target: target))
        // The closures reach this call through a box set right after init and emptied when the
        // call ends, which breaks the cycle call → inbox → closure → call.
        let box = CallBox()
        self.box = box
        self.responses = Inbox(
            endClosesStream: true,
            scheduleReport: { [connection] in
                connection.runLater { handler in box.call.map { handler.consumed(call: $0) } }
            })
        self.requests = Outbox(limit: outboundLimit) { box.call?.scheduleDrain() }
        box.set(self)
    }

    /// The stream id, once the call opened (event loop).
    var streamID: UInt32? { flags.withLock { $0.streamID } }
    var wasRefused: Bool { flags.withLock { $0.refused } }
    var isClosed: Bool { flags.withLock { $0.closed } }
    func opened(streamID: UInt32) { flags.withLock { $0.streamID = streamID } }
    func markRefused() { flags.withLock { $0.refused = true } }

    /// The target, to the first caller only: that caller hands the call to the event loop.
    private func takeTarget() -> Target? {
        flags.withLock { flags in
            defer { flags.target = nil }
            return flags.target
        }
    }

    /// Hands the call to the event loop, if no one has yet (its first write, or a read when
    /// nothing was written); returns whether this did.
    @discardableResult
    func openIfNeeded() -> Bool {
        guard let target = takeTarget() else { return false }
        connection.run { $0.openCall(self, path: target.path, metadata: target.metadata, deadline: target.deadline) }
        return true
    }

    /// The outbox has items: the first time, the call opens (and the opening drains them).
    private func scheduleDrain() {
        if !openIfNeeded() { connection.run { $0.drain(call: self) } }
    }

    /// Ends the call with `status` (event loop, or the task for a call never handed to the
    /// loop): the responses end, later writes are dropped.
    func closed(status: RPCStatus, trailers: Metadata) {
        flags.withLock { $0.closed = true }
        box.clear()
        requests.close(error: nil)
        responses.push(.trailers(status, trailers))
        responses.finish()
    }

    func write(_ bytes: [UInt8]) async throws { try await requests.write(.message(bytes)) }

    func halfClose() async throws { try await requests.write(.halfClose) }

    func writeLast(_ bytes: [UInt8]) async throws { try await requests.write(.message(bytes), then: .halfClose) }

    func cancel() {
        if takeTarget() != nil {
            // Never handed to the event loop: nothing was sent and nothing there knows the call.
            closed(status: RPCStatus(code: .cancelled, message: "cancelled"), trailers: Metadata())
            return
        }
        connection.run { $0.cancel(call: self) }
    }
}

/// A client call's responses. The first read opens a call nothing was written to.
struct ClientCallResponses: AsyncSequence, Sendable {
    typealias Element = ClientResponsePart
    typealias Failure = any Error
    let call: ClientCall

    struct AsyncIterator: AsyncIteratorProtocol {
        let call: ClientCall

        mutating func next() async throws -> ClientResponsePart? {
            call.openIfNeeded()
            return try await call.responses.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(call: call) }
}

/// Lets a call's inbox and outbox reach the call without a retain cycle at init.
private final class CallBox: Sendable {
    private let value = Mutex<ClientCall?>(nil)
    func set(_ call: ClientCall) { value.withLock { $0 = call } }
    func clear() { value.withLock { $0 = nil } }
    var call: ClientCall? { value.withLock { $0 } }
}

/// One dh-rpc/1 connection above TLS: feeds plaintext to an ``RPCConnectionStateMachine``,
/// carries out its actions, and bridges each call to the tasks that use it.
///
/// All state lives on the channel's event loop; tasks reach it through ``ConnectionHandle``.
/// Flow control holds end to end: a delivered message's credit returns only when the reader
/// takes it from its ``Inbox``, and a writer waits while the stream is not writable.
final class RPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = [UInt8]
    typealias OutboundOut = [UInt8]

    enum Side {
        case client
        case server(onCall: @Sendable (IncomingCall) -> Void)
    }

    private struct StreamEntry {
        var outbox: Outbox
        var requests: Inbox?
        var cancellation: CallCancellation?
        var call: ClientCall?
        /// Server: the application ended the call (trailers given to the machine).
        var finishing = false
    }

    private struct PendingOpen {
        var id: UInt64
        var call: ClientCall
        var path: String
        var metadata: Metadata
        var deadline: ContinuousClock.Instant?
        var timeout: Scheduled<Void>?
    }

    private let side: Side
    private var machine: RPCConnectionStateMachine
    private let events: @Sendable (ConnectionEvent) -> Void
    private let observer: TransportObserver?
    private let origin = ContinuousClock.now

    private var context: ChannelHandlerContext?
    private var executor: EventLoopTaskExecutor?
    private var loopBound: NIOLoopBound<RPCConnectionHandler>?
    private var peer: PeerIdentity?
    private var remoteAddress = "unknown"
    private var streams: [UInt32: StreamEntry] = [:]
    // Small until used: an idle connection should hold little memory.
    private var pendingOpens = CircularBuffer<PendingOpen>(initialCapacity: 1)
    private var nextOpenID: UInt64 = 0
    private var actionQueue = CircularBuffer<RPCConnectionStateMachine.Action>(initialCapacity: 4)
    private var processing = false
    private var output: [UInt8] = []
    private var closeRequested = false
    private var transportClosed = false
    private var failure: String?
    private var timer: Scheduled<Void>?
    private var timerAt: RPCInstant?
    private var draining = false
    private var started = false
    private var flushScheduled = false

    init(
        side: Side, configuration: RPCConnectionConfiguration, observer: TransportObserver?,
        events: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.side = side
        let role: RPCConnectionStateMachine.Role
        if case .client = side { role = .client } else { role = .server }
        self.machine = RPCConnectionStateMachine(role: role, configuration: configuration)
        self.observer = observer
        self.events = events
    }

    private var isServer: Bool {
        if case .server = side { return true }
        return false
    }

    /// Reads the state machine in place. A non-mutating call made on the stored property itself
    /// first copies the whole machine (a retain and a release for each of its references).
    @inline(__always)
    private func inspect<T>(_ read: (inout RPCConnectionStateMachine) -> T) -> T { read(&machine) }

    private func now() -> RPCInstant { RPCInstant(offset: ContinuousClock.now - origin) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.executor = EventLoopTaskExecutor(context.eventLoop)
        self.loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        if let address = context.channel.remoteAddress { remoteAddress = "\(address)" }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress { remoteAddress = "\(address)" }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard completed.applicationProtocol == RPCConnectionStateMachine.alpnIdentifier else {
            failure = "the peer agreed on no dh-rpc/1 ALPN"
            context.close(promise: nil)
            return
        }
        if isServer {
            // No verified identity, no call (the TLS context normally refuses such a peer first).
            guard let identity = completed.peerIdentity else {
                failure = "the client certificate carries no dh:// identity"
                context.close(promise: nil)
                return
            }
            peer = identity
        }
        started = true
        process(machine.start(now: now()))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        process(machine.receive(unwrapInboundIn(data), now: now()))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failure == nil {
            if let error = error as? TLSError {
                failure = "TLS \(error.code): \(error.message)"
            } else {
                failure = "\(error)"
            }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        transportClosed = true
        timer?.cancel()
        timer = nil
        process(machine.transportClosed())
        let error = RPCError(code: .unavailable, message: "connection closed\(failure.map { ": \($0)" } ?? "")")
        failPendingOpens(error)
        // transportClosed closed every stream; anything left is failed here.
        for (id, _) in streams { closeEntry(id, status: error.status, trailers: Metadata()) }
        events(.closed(reason: failure))
        loopBound = nil
        context.fireChannelInactive()
    }

    // MARK: Operations from tasks (on the event loop)

    /// Client: opens a call, waiting for a stream slot when the peer's limit is reached. A call
    /// that cannot open ends with a status; one this connection can no longer carry is marked
    /// refused (nothing was sent, so it may be retried elsewhere).
    func openCall(_ call: ClientCall, path: String, metadata: Metadata, deadline: ContinuousClock.Instant?) {
        guard !transportClosed, !inspect({ $0.isClosed }), !inspect({ $0.isDraining }) else {
            call.markRefused()
            call.closed(status: RPCStatus(code: .unavailable, message: "connection is closing"), trailers: Metadata())
            return
        }
        if inspect({ $0.canStartCall }), pendingOpens.isEmpty {
            start(call, path: path, metadata: metadata, deadline: deadline)
            return
        }
        nextOpenID += 1
        let id = nextOpenID
        var open = PendingOpen(id: id, call: call, path: path, metadata: metadata, deadline: deadline)
        if let deadline, let context, let loopBound {
            open.timeout = context.eventLoop.scheduleTask(in: .nanoseconds((deadline - .now).nanoseconds)) {
                loopBound.value.openTimedOut(id)
            }
        }
        pendingOpens.append(open)
    }

    private func openTimedOut(_ id: UInt64) {
        guard let index = pendingOpens.firstIndex(where: { $0.id == id }) else { return }
        let open = pendingOpens.remove(at: index)
        open.call.closed(
            status: RPCStatus(code: .deadlineExceeded, message: "deadline exceeded waiting for a stream"),
            trailers: Metadata())
    }

    private func failPendingOpens(_ error: RPCError) {
        while let open = pendingOpens.popFirst() {
            open.timeout?.cancel()
            open.call.markRefused()
            open.call.closed(status: error.status, trailers: Metadata())
        }
    }

    private func start(_ call: ClientCall, path: String, metadata: Metadata, deadline: ContinuousClock.Instant?) {
        let timeout = deadline.map { $0 - .now }
        do {
            let (streamID, actions) = try machine.startCall(
                path: path, metadata: metadata, timeout: timeout, now: now())
            call.opened(streamID: streamID)
            streams[streamID] = StreamEntry(outbox: call.requests, call: call)
            process(actions)
            // What the task wrote before the call opened.
            drain(streamID: streamID)
        } catch {
            call.closed(status: error.status, trailers: error.metadata)
        }
    }

    private func startPendingOpens() {
        while inspect({ $0.canStartCall }), let open = pendingOpens.popFirst() {
            open.timeout?.cancel()
            start(open.call, path: open.path, metadata: open.metadata, deadline: open.deadline)
        }
    }

    /// Client: the task wrote to a call.
    func drain(call: ClientCall) {
        guard let streamID = call.streamID else { return }  // Drained once it opens.
        drain(streamID: streamID)
    }

    /// Client: the task took responses.
    func consumed(call: ClientCall) {
        guard let streamID = call.streamID else { return }
        consumed(streamID: streamID)
    }

    /// Client: the task left the call before it ended.
    func cancel(call: ClientCall) {
        if let index = pendingOpens.firstIndex(where: { $0.call === call }) {
            let open = pendingOpens.remove(at: index)
            open.timeout?.cancel()
            call.closed(status: RPCStatus(code: .cancelled, message: "cancelled"), trailers: Metadata())
            return
        }
        guard let streamID = call.streamID else { return }
        process(machine.cancel(streamID: streamID))
    }

    func sendHeaders(streamID: UInt32, metadata: Metadata, _ continuation: CheckedContinuation<Void, any Error>) {
        guard streams[streamID] != nil else {
            continuation.resume(throwing: RPCError(code: .cancelled, message: "the call has ended"))
            return
        }
        do {
            process(try machine.sendHeaders(streamID: streamID, metadata: metadata))
            continuation.resume()
        } catch {
            continuation.resume(throwing: error)
        }
    }

    /// The reader of a stream took messages: their credit may return to the peer.
    func consumed(streamID: UInt32) {
        guard let entry = streams[streamID] else { return }
        let (bytes, messages) = entry.requests?.takeConsumed() ?? entry.call?.responses.takeConsumed() ?? (0, 0)
        guard messages > 0 else { return }
        // The machine adds one length prefix per report; the others are added here.
        process(
            machine.messageConsumed(
                streamID: streamID, byteCount: bytes + (messages - 1) * FrameLayout.messagePrefixSize))
    }

    func beginShutdown() {
        guard started else {
            // Still in the TLS handshake: there is nothing to drain.
            context?.close(promise: nil)
            return
        }
        process(machine.beginShutdown(reason: "shutdown"))
    }

    /// Closes at once (server shutdown cancelled).
    func closeNow() {
        context?.close(promise: nil)
    }

    /// Hands what the application wrote to the machine, in order, while the stream takes it.
    func drain(streamID: UInt32) {
        guard let outbox = streams[streamID]?.outbox else { return }
        outbox.beginDrain()
        while streams[streamID] != nil,
            let item = outbox.next(messageAllowed: inspect { $0.isWritable(streamID: streamID) })
        {
            switch item {
            case .message(let bytes):
                do {
                    process(try machine.sendMessage(streamID: streamID, bytes))
                } catch {
                    process(machine.cancel(streamID: streamID, status: error.status))
                }
            case .halfClose:
                process((try? machine.halfClose(streamID: streamID)) ?? [])
            case .trailers(let status, let metadata):
                streams[streamID]?.finishing = true
                process((try? machine.sendTrailers(streamID: streamID, status: status, metadata: metadata)) ?? [])
            }
        }
        if streams[streamID] != nil, outbox.hasItems, let observer {
            observer(
                .writeParked(
                    streamID: streamID,
                    bufferedOutboundBytes: inspect { $0.bufferedOutboundBytes(streamID: streamID) }
                        + outbox.bufferedBytes))
        }
        outbox.resumeWritersIfBelowLimit()
    }

    // MARK: Actions

    private func process(_ actions: consuming [RPCConnectionStateMachine.Action]) {
        var actions = actions
        actionQueue.append(contentsOf: actions)
        machine.recycle(&actions)
        guard !processing else { return }
        processing = true
        while let action = actionQueue.popFirst() {
            // A server call's last frames leave before its call is torn down (and its task
            // ends), so the client reads the response while the server cleans up; when other
            // handlers' jobs wait to run, their output joins this in one write instead.
            if case .callClosed = action, isServer, !output.isEmpty, executor?.hasQueuedJobs == false {
                flushOutput()
            }
            perform(action)
        }
        processing = false
        if closeRequested, !transportClosed {
            flushOutput()
            context?.close(promise: nil)
        } else {
            scheduleFlush()
            scheduleTimer()
        }
    }

    /// Writes what the actions produced once the event loop has run the work queued now, so
    /// frames from many operations (each message of a stream, each call) share TLS records and
    /// system calls.
    private func scheduleFlush() {
        guard !output.isEmpty, !flushScheduled, let context, let loopBound else { return }
        flushScheduled = true
        context.eventLoop.execute {
            let handler = loopBound.value
            handler.flushScheduled = false
            handler.flushOutput()
        }
    }

    private func perform(_ action: RPCConnectionStateMachine.Action) {
        switch action {
        case .send(let frame):
            do {
                try FrameEncoder.encode(frame, into: &output)
            } catch {
                failure = "cannot encode a frame: \(error)"
                closeRequested = true
            }
        case .connectionReady:
            if let context, let loopBound, !isServer {
                events(.ready(ConnectionHandle(channel: context.channel, handler: loopBound)))
            }
        case .callStarted(let streamID, let path, let metadata, let deadline):
            callStarted(streamID, path: path, metadata: metadata, deadline: deadline)
        case .receivedHeaders(let streamID, let metadata):
            streams[streamID]?.call?.responses.push(.headers(metadata))
        case .receivedMessage(let streamID, let message):
            guard let entry = streams[streamID] else { return }
            if let requests = entry.requests { requests.push(.message(message)) }
            if let call = entry.call { call.responses.push(.message(message)) }
            observer?(
                .messageReceived(
                    streamID: streamID, bufferedInboundBytes: inspect { $0.bufferedInboundBytes(streamID: streamID) }))
        case .receivedEndOfStream(let streamID):
            streams[streamID]?.requests?.finish()
        case .streamWritable(let streamID):
            drain(streamID: streamID)
        case .callRefused(let streamID):
            streams[streamID]?.call?.markRefused()
        case .callClosed(let streamID, let status, let trailers):
            closeEntry(streamID, status: status, trailers: trailers)
            startPendingOpens()
        case .goawayReceived:
            startDraining()
        case .closeConnection(let error):
            if let error, failure == nil { failure = "\(error)" }
            startDraining()
            closeRequested = true
        }
    }

    private func startDraining() {
        guard !draining else { return }
        draining = true
        failPendingOpens(RPCError(code: .unavailable, message: "connection is shutting down"))
        events(.draining)
    }

    private func callStarted(_ streamID: UInt32, path: String, metadata: Metadata, deadline: RPCInstant?) {
        guard case .server(let onCall) = side, let peer, let context, let loopBound, let executor else {
            process(
                machine.cancel(streamID: streamID, status: RPCStatus(code: .unauthenticated, message: "no identity")))
            return
        }
        let handle = ConnectionHandle(channel: context.channel, handler: loopBound)
        let requests = Inbox(
            scheduleReport: { handle.runLater { $0.consumed(streamID: streamID) } })
        let cancellation = CallCancellation()
        let outbox = Outbox(limit: inspect { $0.configuration.outboundBufferLimit }) {
            handle.run { $0.drain(streamID: streamID) }
        }
        let sink = ServerResponseSink(
            sendHeaders: { metadata in
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    handle.run { $0.sendHeaders(streamID: streamID, metadata: metadata, continuation) }
                }
            },
            sendMessage: { bytes in try await outbox.write(.message(bytes)) },
            finish: { status, metadata in
                cancellation.finished()
                try? await outbox.write(.trailers(status, metadata))
            })
        let info = ServerCallInfo(
            path: path, requestMetadata: metadata, deadline: deadline.map { origin.advanced(by: $0.offset) },
            peer: peer, remoteAddress: remoteAddress)
        streams[streamID] = StreamEntry(outbox: outbox, requests: requests, cancellation: cancellation)
        onCall(
            IncomingCall(
                stream: ServerStream(
                    info: info, requests: RPCAsyncSequence(InboxMessages(inbox: requests)), responses: sink,
                    // The state machine's timer ends the call at its deadline; closeEntry then
                    // cancels the handler.
                    transportEnforcesDeadline: true),
                cancellation: cancellation, executor: executor))
    }

    private func closeEntry(_ streamID: UInt32, status: RPCStatus, trailers: Metadata) {
        guard let entry = streams.removeValue(forKey: streamID) else { return }
        let ended =
            RPCError(status: status, metadata: trailers) ?? RPCError(code: .cancelled, message: "the call has ended")
        // The client cancelled, the deadline passed or the connection dropped: the handler's task
        // is cancelled before anything it waits on fails.
        if !entry.finishing { entry.cancellation?.cancel() }
        // A server handler learns that its call ended; a client learns the outcome from the response.
        if isServer { entry.outbox.close(error: ended) }
        if let requests = entry.requests {
            if entry.finishing {
                requests.finish()
            } else {
                requests.fail(ended)
            }
        }
        entry.call?.closed(status: status, trailers: trailers)
    }

    private func flushOutput() {
        guard !output.isEmpty, let context else {
            output.removeAll(keepingCapacity: true)
            return
        }
        // The bytes go down as they are (the TLS handler encrypts them before `writeAndFlush`
        // returns); `output` is emptied first, as writing can call back into this handler.
        var outgoing: [UInt8] = []
        swap(&outgoing, &output)
        context.writeAndFlush(wrapOutboundOut(outgoing), promise: nil)
        // A small buffer is reused; a large one is not kept: an idle connection should hold
        // little memory.
        if output.isEmpty, outgoing.capacity <= 256 {
            outgoing.removeAll(keepingCapacity: true)
            output = outgoing
        }
    }

    /// Keeps a timer for the machine's next timeout. A timer that is no longer needed is left to
    /// fire (the machine then finds nothing due): the idle timeout ends with every call and starts
    /// again after it, and cancelling and scheduling a timer for each call cost more than one
    /// spurious tick per idle period.
    private func scheduleTimer() {
        guard !transportClosed, let context, let loopBound else {
            timer?.cancel()
            timer = nil
            timerAt = nil
            return
        }
        guard let next = inspect({ $0.nextTimeout }) else { return }
        if let timerAt, timerAt <= next { return }
        timer?.cancel()
        timerAt = next
        let delay = max(Int64(0), (next - now()).nanoseconds)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            loopBound.value.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerAt = nil
        guard !transportClosed else { return }
        process(machine.tick(now: now()))
    }
}
