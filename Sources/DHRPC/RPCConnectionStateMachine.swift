/// The protocol logic of one dh-rpc/1 connection, for either side, with no I/O.
///
/// The owner feeds it what happens — bytes received, calls started by the application, messages
/// sent and consumed, the passing of time — and executes the ``Action``s it returns, in order:
/// write frames, deliver messages, finish calls, close the connection. It never reads a clock,
/// so tests drive time through `now` (docs/PROTOCOL.md describes every rule enforced here).
///
/// Guarantees:
/// - every call gets exactly one ``Action/callClosed(streamID:status:trailers:)``: on a client
///   every stream `startCall` opened, on a server every stream announced by `callStarted`;
/// - nothing buffers without bound: inbound bytes are bounded by the windows granted (credit for
///   complete messages returns only through ``messageConsumed(streamID:byteCount:)``), and outbound
///   bytes by ``RPCConnectionConfiguration/outboundBufferLimit`` (see ``isWritable(streamID:)``).
public struct RPCConnectionStateMachine: Sendable {
    public enum Role: Sendable, Hashable { case client, server }

    public enum Action: Sendable, Hashable {
        /// Write this frame to the peer.
        case send(Frame)
        /// The peer's SETTINGS arrived: a client may start calls now.
        case connectionReady
        /// Server: a call arrived. `deadline` is on the machine's clock.
        case callStarted(streamID: UInt32, path: String, metadata: Metadata, deadline: RPCInstant?)
        /// Client: the response metadata arrived.
        case receivedHeaders(streamID: UInt32, metadata: Metadata)
        /// A whole message arrived. Report it with `messageConsumed` once the application took it.
        case receivedMessage(streamID: UInt32, message: [UInt8])
        /// Server: the client half-closed; no more request messages will come.
        case receivedEndOfStream(streamID: UInt32)
        /// The stream can take messages again (see `isWritable`).
        case streamWritable(streamID: UInt32)
        /// Client: the server did not process the call (RST_STREAM REFUSED, or above GOAWAY's last
        /// stream id), so it is safe to retry on another connection. `callClosed` follows.
        case callRefused(streamID: UInt32)
        /// The stream is finished, with this status: for a client, the call's outcome.
        case callClosed(streamID: UInt32, status: RPCStatus, trailers: Metadata)
        /// The peer sent GOAWAY: start no new calls on this connection.
        case goawayReceived(lastStreamID: UInt32, code: RPCConnectionError.Code, reason: String)
        /// Close the transport after writing everything sent so far. nil: a graceful close.
        case closeConnection(RPCConnectionError?)
    }

    typealias Stream = StreamState

    public let role: Role
    public let configuration: RPCConnectionConfiguration
    /// The peer's announced limits (defaults until its SETTINGS arrives).
    public private(set) var peerSettings = PeerSettings()

    private var decoder: FrameDecoder
    private var streams: [UInt32: Stream] = [:]
    private var highestStreamID: UInt32 = 0
    private var nextStreamID: UInt32 = 1
    private var started = false
    private var peerSettingsReceived = false
    private var ownSettingsAcked = false
    private var goawaySent = false
    private var goawayLastStreamID: UInt32?
    private var goawayReceived: UInt32?
    private var closed = false
    private var sendConnectionWindow = 0
    private var receiveConnectionGranted: Int
    private var connectionReturnPending = 0
    private var now = RPCInstant.zero
    private var startedAt = RPCInstant.zero
    private var lastReceivedAt = RPCInstant.zero
    private var idleSince: RPCInstant?
    private var outstandingPing: (data: UInt64, sentAt: RPCInstant)?
    private var nextPingData: UInt64 = 1
    private var lastPingReceivedAt: RPCInstant?
    private var pingStrikes = 0
    private var peerResetWindowStart = RPCInstant.zero
    private var peerResets = 0
    private var actions: [Action] = []
    /// The messages one MESSAGE frame completed, in an array kept for the next frame.
    private var receivedMessages: [[UInt8]] = []

    public init(role: Role, configuration: RPCConnectionConfiguration = RPCConnectionConfiguration()) {
        self.role = role
        self.configuration = configuration.clamped
        self.decoder = FrameDecoder(maxFrameSize: self.configuration.maxFrameSize)
        self.receiveConnectionGranted = self.configuration.initialConnectionWindow
    }

    // MARK: State queries

    /// Whether the connection is closed (after an error, GOAWAY drained, or the transport ended).
    public var isClosed: Bool { closed }
    /// Whether the peer's SETTINGS has arrived.
    public var isReady: Bool { peerSettingsReceived && !closed }
    /// Whether this connection is shutting down (GOAWAY sent or received).
    public var isDraining: Bool { goawaySent || goawayReceived != nil }
    /// The minor protocol version both sides speak (docs/PROTOCOL.md §1).
    public var agreedMinorVersion: UInt32 { min(Self.minorVersion, peerSettings.minorVersion) }
    /// The minor version of dh-rpc/1 this implementation speaks.
    public static let minorVersion: UInt32 = 0
    /// The ALPN identifier of this protocol version.
    public static let alpnIdentifier = "dh-rpc/1"
    /// The ids of the streams not yet closed.
    public var openStreamIDs: [UInt32] { streams.keys.sorted() }
    /// Client: whether `startCall` can open a stream now.
    public var canStartCall: Bool {
        role == .client && isReady && !isDraining && streams.count < peerSettings.maxConcurrentStreams
            && nextStreamID <= FrameLayout.maxStreamID
    }
    /// Whether the application may send another message on the stream; when false, wait for
    /// `streamWritable`.
    public func isWritable(streamID: UInt32) -> Bool { streams[streamID]?.writable ?? false }
    /// Bytes the stream holds for the application: delivered messages not yet consumed, and the
    /// message in progress (for tests and metrics).
    public func bufferedInboundBytes(streamID: UInt32) -> Int {
        guard let stream = streams[streamID] else { return 0 }
        return stream.queued + stream.deframer.bufferedByteCount
    }
    /// Bytes queued on the stream waiting for send credit.
    public func bufferedOutboundBytes(streamID: UInt32) -> Int { streams[streamID]?.pendingCount ?? 0 }
    /// The credit the peer has granted for sending on the connection.
    public var connectionSendWindow: Int { sendConnectionWindow }
    /// The send credit on a stream.
    public func sendWindow(streamID: UInt32) -> Int? { streams[streamID]?.sendWindow }

    /// The earliest time at which `tick` has something to do, or nil.
    public var nextTimeout: RPCInstant? {
        guard started, !closed else { return nil }
        // The earliest of the timers that run (asked after every event: no array built).
        var earliest: RPCInstant?
        func consider(_ time: RPCInstant) { earliest = earliest.map { min($0, time) } ?? time }
        if !peerSettingsReceived || !ownSettingsAcked {
            consider(startedAt.advanced(by: configuration.settingsTimeout))
        }
        if let interval = configuration.keepaliveInterval {
            if let ping = outstandingPing {
                consider(ping.sentAt.advanced(by: configuration.keepaliveTimeout))
            } else {
                consider(lastReceivedAt.advanced(by: interval))
            }
        }
        if let idle = configuration.idleTimeout, let idleSince, !isDraining { consider(idleSince.advanced(by: idle)) }
        for stream in streams.values { if let deadline = stream.deadline { consider(deadline) } }
        return earliest
    }

    // MARK: Connection events

    /// Starts the connection: sends SETTINGS. Call once, when the transport is up.
    public mutating func start(now: RPCInstant) -> [Action] {
        guard !started, !closed else { return [] }
        self.now = now
        started = true
        startedAt = now
        lastReceivedAt = now
        idleSince = now
        actions.append(.send(.settings(configuration.settings)))
        return takeActions()
    }

    /// Bytes arrived from the peer, in any pieces.
    public mutating func receive(_ bytes: some Sequence<UInt8>, now: RPCInstant) -> [Action] {
        guard !closed else { return [] }
        self.now = now
        decoder.append(bytes)
        while !closed {
            do throws(RPCConnectionError) {
                guard let frame = try decoder.next() else { break }
                try process(frame)
            } catch {
                fail(error)
            }
        }
        return takeActions()
    }

    /// One decoded frame arrived from the peer.
    public mutating func receive(frame: Frame, now: RPCInstant) -> [Action] {
        guard !closed else { return [] }
        self.now = now
        do throws(RPCConnectionError) {
            try process(frame)
        } catch {
            fail(error)
        }
        return takeActions()
    }

    /// Time passed: handles deadlines, keepalive, the settings timeout and the idle timeout.
    public mutating func tick(now: RPCInstant) -> [Action] {
        guard started, !closed else { return [] }
        self.now = now
        if !peerSettingsReceived || !ownSettingsAcked, now - startedAt >= configuration.settingsTimeout {
            fail(RPCConnectionError(code: .settingsTimeout, reason: "no SETTINGS or SETTINGS ACK in time"))
            return takeActions()
        }
        if let interval = configuration.keepaliveInterval {
            if let ping = outstandingPing {
                if now - ping.sentAt >= configuration.keepaliveTimeout {
                    fail(RPCConnectionError(code: .keepaliveTimeout, reason: "keepalive PING not acknowledged in time"))
                    return takeActions()
                }
            } else if now - lastReceivedAt >= interval {
                outstandingPing = (nextPingData, now)
                actions.append(.send(.ping(data: nextPingData, ack: false)))
                nextPingData &+= 1
            }
        }
        for id in streams.keys.sorted() {
            if let deadline = streams[id]?.deadline, deadline <= now {
                resetStream(id, RPCStatus(code: .deadlineExceeded, message: "deadline exceeded"))
            }
        }
        if let idle = configuration.idleTimeout, streams.isEmpty, !isDraining, let idleSince, now - idleSince >= idle {
            startGracefulShutdown(reason: "idle")
        }
        return takeActions()
    }

    /// Starts a graceful shutdown: sends GOAWAY NO_ERROR; calls in flight finish, new ones are
    /// refused; the connection closes when the last stream does.
    public mutating func beginShutdown(reason: String = "shutdown") -> [Action] {
        startGracefulShutdown(reason: reason)
        return takeActions()
    }

    /// The transport ended (TCP closed, TLS failed). Every open call fails with UNAVAILABLE.
    public mutating func transportClosed() -> [Action] {
        guard !closed else { return [] }
        closed = true
        let reason =
            decoder.hasPartialFrame
            ? "connection closed in the middle of a frame (truncated frame)" : "connection closed"
        for id in streams.keys.sorted() { closeStream(id, RPCStatus(code: .unavailable, message: reason), Metadata()) }
        return takeActions()
    }

    // MARK: Call events from the application

    /// Client: starts a call. Returns the new stream id and the frames to send.
    ///
    /// Throws `UNAVAILABLE` when the connection is not ready, closed or draining,
    /// `RESOURCE_EXHAUSTED` when the peer's stream limit is reached or the CALL frame would be too
    /// large, `INVALID_ARGUMENT` for a bad path or metadata, `DEADLINE_EXCEEDED` for a timeout ≤ 0.
    public mutating func startCall(
        path: String, metadata: Metadata = Metadata(), timeout: Duration? = nil, endStream: Bool = false,
        now: RPCInstant
    ) throws(RPCError) -> (streamID: UInt32, actions: [Action]) {
        guard role == .client else { throw RPCError(code: .internal, message: "a server cannot start calls") }
        guard !closed else { throw RPCError(code: .unavailable, message: "connection closed") }
        guard !isDraining else { throw RPCError(code: .unavailable, message: "connection is shutting down") }
        guard peerSettingsReceived else { throw RPCError(code: .unavailable, message: "connection not ready") }
        guard nextStreamID <= FrameLayout.maxStreamID else {
            throw RPCError(code: .unavailable, message: "stream ids exhausted on this connection")
        }
        guard streams.count < peerSettings.maxConcurrentStreams else {
            throw RPCError(
                code: .resourceExhausted,
                message: "the peer's limit of \(peerSettings.maxConcurrentStreams) streams is reached")
        }
        var micros: UInt64 = 0
        if let timeout {
            guard timeout > .zero else {
                throw RPCError(code: .deadlineExceeded, message: "deadline exceeded before the call started")
            }
            let parts = timeout.components
            let fromSeconds =
                parts.seconds >= Int64(UInt64.max / 2_000_000) ? UInt64.max / 2 : UInt64(parts.seconds) * 1_000_000
            micros = fromSeconds + UInt64((parts.attoseconds + 999_999_999_999) / 1_000_000_000_000)
        }
        guard path.hasPrefix("/"), path.utf8.count <= FrameLayout.maxPathLength else {
            throw RPCError(
                code: .invalidArgument,
                message: "method path must start with / and have at most \(FrameLayout.maxPathLength) bytes")
        }
        if let problem = metadata.validationError { throw RPCError(code: .invalidArgument, message: problem) }
        let streamID = nextStreamID
        let frame = Frame.call(
            streamID: streamID, path: path, timeoutMicroseconds: micros, metadata: metadata, endStream: endStream)
        let size: Int
        do { size = try FrameEncoder.payloadSize(of: frame) } catch {
            throw RPCError(code: .invalidArgument, message: error.message)
        }
        guard size <= peerSettings.maxFrameSize else {
            throw RPCError(
                code: .resourceExhausted,
                message: "CALL of \(size) bytes does not fit the peer's frame size \(peerSettings.maxFrameSize)")
        }
        self.now = now
        nextStreamID += 2
        highestStreamID = streamID
        var stream = makeStream(streamID)
        stream.deadline = timeout.map { now.advanced(by: $0) }
        if endStream {
            // The CALL frame itself carries END_STREAM.
            stream.localOpen = false
        }
        streams[streamID] = stream
        idleSince = nil
        actions.append(.send(frame))
        return (streamID, takeActions())
    }

    /// Sends one message on a stream. The stream must be writable (`isWritable`).
    ///
    /// A message above the peer's MAX_MESSAGE_SIZE resets the call with `RESOURCE_EXHAUSTED`. On a
    /// stream already closed (a race with the peer) this does nothing. Throws `INTERNAL` after the
    /// sending side was closed, `RESOURCE_EXHAUSTED` if the stream is not writable.
    public mutating func sendMessage(
        streamID: UInt32, _ message: [UInt8], endStream: Bool = false
    ) throws(RPCError) -> [Action] {
        guard let index = streams.index(forKey: streamID), !closed else { return [] }
        guard !endStream || role == .client else {
            throw RPCError(code: .internal, message: "a server ends a stream with trailers")
        }
        guard message.count <= peerSettings.maxMessageSize else {
            guard streams.values[index].canSend() else {
                throw RPCError(code: .internal, message: "stream \(streamID) is closed for sending")
            }
            resetStream(
                streamID,
                RPCStatus(
                    code: .resourceExhausted,
                    message:
                        "message of \(message.count) bytes is above the peer's limit of \(peerSettings.maxMessageSize)")
            )
            return takeActions()
        }
        // In place: a copy of the stream would make its queue copy itself on append.
        switch streams.values[index].enqueue(
            message, endStream: endStream, outboundLimit: configuration.outboundBufferLimit)
        {
        case .closedForSending:
            throw RPCError(code: .internal, message: "stream \(streamID) is closed for sending")
        case .notWritable:
            throw RPCError(
                code: .resourceExhausted, message: "stream \(streamID) is not writable; wait for streamWritable")
        case .queued:
            flush(streamID)
            return takeActions()
        }
    }

    /// Client: half-closes the call (no more request messages).
    public mutating func halfClose(streamID: UInt32) throws(RPCError) -> [Action] {
        guard role == .client else { throw RPCError(code: .internal, message: "a server ends a stream with trailers") }
        guard var stream = streams[streamID], !closed, stream.localOpen else { return [] }
        stream.localOpen = false
        stream.pendingEndStream = true
        streams[streamID] = stream
        flush(streamID)
        return takeActions()
    }

    /// Server: sends the response metadata; at most once, before any message.
    public mutating func sendHeaders(streamID: UInt32, metadata: Metadata) throws(RPCError) -> [Action] {
        guard role == .server else { throw RPCError(code: .internal, message: "a client does not send HEADERS") }
        guard var stream = streams[streamID], !closed else { return [] }
        guard stream.localOpen, !stream.headersExchanged, !stream.messageSent else {
            throw RPCError(code: .internal, message: "HEADERS must come once, before any message")
        }
        if let problem = metadata.validationError { throw RPCError(code: .internal, message: problem) }
        let frame = Frame.headers(streamID: streamID, metadata: metadata)
        guard let size = try? FrameEncoder.payloadSize(of: frame), size <= peerSettings.maxFrameSize else {
            throw RPCError(code: .resourceExhausted, message: "response metadata does not fit one frame")
        }
        stream.headersExchanged = true
        streams[streamID] = stream
        actions.append(.send(frame))
        return takeActions()
    }

    /// Server: ends the call with a status. Queued messages are sent first. Trailing metadata that
    /// is invalid or does not fit one frame is replaced by an `INTERNAL` status without metadata.
    public mutating func sendTrailers(
        streamID: UInt32, status: RPCStatus, metadata: Metadata = Metadata()
    ) throws(RPCError) -> [Action] {
        guard role == .server else { throw RPCError(code: .internal, message: "a client does not send TRAILERS") }
        guard var stream = streams[streamID], !closed, stream.pendingTrailers == nil else { return [] }
        var status = status
        status.message = status.message.truncatedUTF8(maxBytes: 1024)
        var metadata = metadata
        let frame = Frame.trailers(streamID: streamID, status: status, metadata: metadata)
        if let problem = metadata.validationError {
            status = RPCStatus(code: .internal, message: "invalid trailing metadata: \(problem)")
            metadata = Metadata()
        } else if let size = try? FrameEncoder.payloadSize(of: frame), size > peerSettings.maxFrameSize {
            status = RPCStatus(code: .internal, message: "trailing metadata does not fit one frame")
            metadata = Metadata()
        }
        stream.localOpen = false
        stream.pendingTrailers = (status, metadata)
        streams[streamID] = stream
        flush(streamID)
        return takeActions()
    }

    /// Either side: aborts a stream with RST_STREAM (`CANCELLED` by default).
    public mutating func cancel(
        streamID: UInt32, status: RPCStatus = RPCStatus(code: .cancelled, message: "cancelled")
    ) -> [Action] {
        guard streams[streamID] != nil, !closed else { return [] }
        resetStream(streamID, status)
        return takeActions()
    }

    /// The application took a message of `byteCount` bytes delivered by `receivedMessage`; its
    /// credit may now return to the peer.
    public mutating func messageConsumed(streamID: UInt32, byteCount: Int) -> [Action] {
        guard let index = streams.index(forKey: streamID), !closed else { return [] }
        streams.values[index].consumed(byteCount + FrameLayout.messagePrefixSize)
        grantCredit(streamID)
        return takeActions()
    }

    // MARK: Frame processing

    private mutating func process(_ frame: Frame) throws(RPCConnectionError) {
        lastReceivedAt = now
        guard peerSettingsReceived else {
            guard case .settings(let settings) = frame else {
                throw .protocolError("the first frame must be SETTINGS, not \(frame.type)")
            }
            peerSettings = try PeerSettings(settings)
            peerSettingsReceived = true
            sendConnectionWindow = peerSettings.initialConnectionWindow
            actions.append(.send(.settingsAck))
            actions.append(.connectionReady)
            return
        }
        switch frame {
        case .settings:
            throw .protocolError("SETTINGS may be sent only once")
        case .settingsAck:
            guard started, !ownSettingsAcked else {
                throw .protocolError("SETTINGS ACK with no SETTINGS to acknowledge")
            }
            ownSettingsAcked = true
        case .ping(let data, let ack):
            if ack {
                if outstandingPing?.data == data { outstandingPing = nil }
                return
            }
            if let minimum = configuration.minimumPingInterval {
                if let last = lastPingReceivedAt, now - last < minimum {
                    pingStrikes += 1
                    if pingStrikes > configuration.maxPingStrikes {
                        throw RPCConnectionError(code: .enhanceYourCalm, reason: "too many PINGs")
                    }
                } else {
                    pingStrikes = 0
                }
            }
            lastPingReceivedAt = now
            actions.append(.send(.ping(data: data, ack: true)))
        case .goaway(let lastStreamID, let code, let reason):
            receivedGoaway(lastStreamID: lastStreamID, code: code, reason: reason)
        case .windowUpdate(let streamID, let increment):
            if streamID == 0 {
                sendConnectionWindow += Int(increment)
                guard sendConnectionWindow <= FrameLayout.maxWindow else {
                    throw RPCConnectionError(code: .flowControlError, reason: "connection window above 2^31-1")
                }
                for id in streams.keys.sorted() {
                    guard let stream = streams[id], stream.pendingCount > 0 || stream.pendingTrailers != nil else {
                        continue
                    }
                    flush(id)
                }
            } else {
                try checkKnownStream(streamID, frame.type)
                guard var stream = streams[streamID] else { return }
                stream.sendWindow += Int(increment)
                guard stream.sendWindow <= FrameLayout.maxWindow else {
                    throw RPCConnectionError(
                        code: .flowControlError, reason: "window of stream \(streamID) above 2^31-1")
                }
                streams[streamID] = stream
                flush(streamID)
            }
        case .call(let streamID, let path, let timeout, let metadata, let endStream):
            guard role == .server else { throw .protocolError("CALL from a server") }
            guard streamID % 2 == 1, streamID > highestStreamID else {
                throw .protocolError("CALL on stream \(streamID): ids must be odd and increasing")
            }
            highestStreamID = streamID
            if goawaySent {
                actions.append(
                    .send(
                        .rstStream(
                            streamID: streamID,
                            status: RPCStatus(code: .unavailable, message: "server is shutting down"), refused: true)))
                return
            }
            guard streams.count < configuration.maxConcurrentStreams else {
                actions.append(
                    .send(
                        .rstStream(
                            streamID: streamID,
                            status: RPCStatus(code: .resourceExhausted, message: "too many concurrent streams"),
                            refused: true)))
                return
            }
            var stream = makeStream(streamID)
            if timeout > 0 {
                let capped = min(timeout, UInt64(Int64.max / 1_000_000))
                stream.deadline = now.advanced(by: .microseconds(Int64(capped)))
            }
            stream.remoteOpen = !endStream
            streams[streamID] = stream
            idleSince = nil
            actions.append(.callStarted(streamID: streamID, path: path, metadata: metadata, deadline: stream.deadline))
            if endStream { actions.append(.receivedEndOfStream(streamID: streamID)) }
        case .headers(let streamID, let metadata):
            guard role == .client else { throw .protocolError("HEADERS from a client") }
            try checkKnownStream(streamID, frame.type)
            guard var stream = streams[streamID] else { return }
            guard !stream.headersExchanged, !stream.messageReceived else {
                resetStream(streamID, RPCStatus(code: .internal, message: "HEADERS twice or after a message"))
                return
            }
            stream.headersExchanged = true
            streams[streamID] = stream
            actions.append(.receivedHeaders(streamID: streamID, metadata: metadata))
        case .message(let streamID, let bytes, let endStream):
            guard role == .server || !endStream else { throw .protocolError("END_STREAM from a server") }
            try checkKnownStream(streamID, frame.type)
            try receivedMessageFrame(streamID, bytes, endStream: endStream)
        case .trailers(let streamID, let status, let metadata):
            guard role == .client else { throw .protocolError("TRAILERS from a client") }
            try checkKnownStream(streamID, frame.type)
            guard streams[streamID] != nil else { return }
            closeStream(streamID, status, metadata)
        case .rstStream(let streamID, let status, let refused):
            guard role == .client || !refused else { throw .protocolError("RST_STREAM REFUSED from a client") }
            try checkKnownStream(streamID, frame.type)
            guard streams[streamID] != nil else { return }
            if role == .server, let interval = configuration.peerResetInterval {
                // Opening and resetting calls in a loop costs the server work and the client
                // nothing ("rapid reset"); past the limit the connection is closed.
                if now - peerResetWindowStart >= interval {
                    peerResetWindowStart = now
                    peerResets = 0
                }
                peerResets += 1
                if peerResets > configuration.maxPeerResets {
                    throw RPCConnectionError(code: .enhanceYourCalm, reason: "too many RST_STREAM")
                }
            }
            if refused { actions.append(.callRefused(streamID: streamID)) }
            closeStream(streamID, status, Metadata())
        }
    }

    /// Rejects a frame for a stream that never existed; frames for closed streams pass (and are ignored).
    private func checkKnownStream(_ streamID: UInt32, _ type: FrameType) throws(RPCConnectionError) {
        guard streamID % 2 == 1, streamID <= highestStreamID else {
            throw .protocolError("\(type) for stream \(streamID), which was never opened")
        }
    }

    private mutating func receivedMessageFrame(
        _ streamID: UInt32, _ bytes: [UInt8], endStream: Bool
    ) throws(RPCConnectionError) {
        let count = bytes.count
        guard count <= receiveConnectionGranted else {
            throw RPCConnectionError(code: .flowControlError, reason: "MESSAGE beyond the connection window")
        }
        receiveConnectionGranted -= count
        // The stream is changed in place: a copy would make its reassembly buffer copy itself.
        guard let index = streams.index(forKey: streamID) else {
            connectionReturnPending += count
            returnConnectionCredit()
            return
        }
        defer { receivedMessages.removeAll(keepingCapacity: true) }
        switch streams.values[index].receive(
            bytes, endStream: endStream, dropIfAnswered: role == .server, into: &receivedMessages)
        {
        case .beyondWindow:
            throw RPCConnectionError(code: .flowControlError, reason: "MESSAGE beyond the window of stream \(streamID)")
        case .afterEndStream:
            resetStream(streamID, RPCStatus(code: .internal, message: "MESSAGE after END_STREAM"))
        case .dropped:
            // The call is answered; late request bytes are dropped and their credit returned.
            connectionReturnPending += count
            returnConnectionCredit()
        case .tooLarge(let size):
            resetStream(
                streamID,
                RPCStatus(
                    code: .resourceExhausted,
                    message: "message of \(size) bytes is above the limit of \(configuration.maxMessageSize)"))
        case .delivered(let ended, let endedInsideMessage):
            for message in receivedMessages { actions.append(.receivedMessage(streamID: streamID, message: message)) }
            if endedInsideMessage {
                resetStream(streamID, RPCStatus(code: .internal, message: "stream ended inside a message"))
                return
            }
            if ended { actions.append(.receivedEndOfStream(streamID: streamID)) }
            grantCredit(streamID)
        }
    }

    private mutating func receivedGoaway(lastStreamID: UInt32, code: RPCConnectionError.Code, reason: String) {
        let last = min(lastStreamID, goawayReceived ?? lastStreamID)
        goawayReceived = last
        actions.append(.goawayReceived(lastStreamID: last, code: code, reason: reason))
        if code != .noError {
            let error = RPCConnectionError(code: code, reason: reason)
            closed = true
            for id in streams.keys.sorted() {
                closeStream(
                    id,
                    RPCStatus(code: code.callStatusCode, message: "connection closed by the peer: \(code): \(reason)"),
                    Metadata())
            }
            actions.append(.closeConnection(error))
            return
        }
        if role == .client {
            for id in streams.keys.sorted() where id > last {
                actions.append(.callRefused(streamID: id))
                closeStream(
                    id, RPCStatus(code: .unavailable, message: "not processed; the server is shutting down: \(reason)"),
                    Metadata())
            }
        }
        closeIfDrained()
    }

    // MARK: Streams and flow control

    private func makeStream(_ id: UInt32) -> Stream {
        Stream(
            id: id, sendWindow: peerSettings.initialStreamWindow, receiveWindow: configuration.initialStreamWindow,
            maxMessageSize: configuration.maxMessageSize)
    }

    /// Sends what the windows allow of a stream's queued bytes, then END_STREAM or TRAILERS.
    private mutating func flush(_ streamID: UInt32) {
        // The stream is changed in place: a copy would make its queue copy itself on write.
        guard let index = streams.index(forKey: streamID) else { return }
        while let (chunk, last) = streams.values[index].takeChunk(
            connectionWindow: sendConnectionWindow, maxFrameSize: peerSettings.maxFrameSize)
        {
            sendConnectionWindow -= chunk.count
            actions.append(.send(.message(streamID: streamID, bytes: chunk, endStream: last)))
        }
        let (sendEndStream, becameWritable, trailers) = streams.values[index].settle(
            outboundLimit: configuration.outboundBufferLimit)
        if sendEndStream { actions.append(.send(.message(streamID: streamID, bytes: [], endStream: true))) }
        if becameWritable { actions.append(.streamWritable(streamID: streamID)) }
        if let trailers {
            actions.append(.send(.trailers(streamID: streamID, status: trailers.status, metadata: trailers.metadata)))
            closeStream(streamID, trailers.status, trailers.metadata)
        }
    }

    /// Returns stream (and connection) credit for bytes the application no longer holds.
    private mutating func grantCredit(_ streamID: UInt32) {
        guard let index = streams.index(forKey: streamID) else { return }
        let (increment, returned) = streams.values[index].grantCredit(window: configuration.initialStreamWindow)
        if increment > 0 { actions.append(.send(.windowUpdate(streamID: streamID, increment: UInt32(increment)))) }
        connectionReturnPending += returned
        returnConnectionCredit()
    }

    private mutating func returnConnectionCredit() {
        let window = configuration.initialConnectionWindow
        guard connectionReturnPending > 0,
            connectionReturnPending * 4 >= window || receiveConnectionGranted * 4 < window
        else { return }
        receiveConnectionGranted += connectionReturnPending
        actions.append(.send(.windowUpdate(streamID: 0, increment: UInt32(connectionReturnPending))))
        connectionReturnPending = 0
    }

    /// Resets a stream: RST_STREAM to the peer, `callClosed` to the application.
    private mutating func resetStream(_ streamID: UInt32, _ status: RPCStatus) {
        guard streams[streamID] != nil else { return }
        var status = status
        status.message = status.message.truncatedUTF8(maxBytes: 1024)
        actions.append(.send(.rstStream(streamID: streamID, status: status, refused: false)))
        closeStream(streamID, status, Metadata())
    }

    private mutating func closeStream(_ streamID: UInt32, _ status: RPCStatus, _ trailers: Metadata) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        actions.append(.callClosed(streamID: streamID, status: status, trailers: trailers))
        if !closed {
            connectionReturnPending += stream.connectionHeld
            returnConnectionCredit()
        }
        if streams.isEmpty { idleSince = now }
        closeIfDrained()
    }

    private mutating func closeIfDrained() {
        guard !closed, streams.isEmpty, isDraining else { return }
        closed = true
        actions.append(.closeConnection(nil))
    }

    private mutating func startGracefulShutdown(reason: String) {
        guard started, !closed, !goawaySent else { return }
        goawaySent = true
        let last = role == .server ? highestStreamID : 0
        goawayLastStreamID = last
        actions.append(.send(.goaway(lastStreamID: last, code: .noError, reason: reason.truncatedUTF8(maxBytes: 1024))))
        closeIfDrained()
    }

    /// A connection error: GOAWAY with the code, every open call fails, the connection closes.
    private mutating func fail(_ error: RPCConnectionError) {
        guard !closed else { return }
        // lastStreamID never grows: after a graceful GOAWAY, refused calls stay refused.
        let last = role == .server ? min(highestStreamID, goawayLastStreamID ?? highestStreamID) : 0
        actions.append(
            .send(.goaway(lastStreamID: last, code: error.code, reason: error.reason.truncatedUTF8(maxBytes: 1024))))
        closed = true
        for id in streams.keys.sorted() {
            closeStream(
                id, RPCStatus(code: error.code.callStatusCode, message: "connection error: \(error)"), Metadata())
        }
        actions.append(.closeConnection(error))
    }

    private mutating func takeActions() -> [Action] {
        defer { actions = [] }
        return actions
    }

    /// Gives back an array of actions this machine returned, once it has been read: emptied, its
    /// storage holds the next actions instead of a new array's (every operation returns some).
    public mutating func recycle(_ buffer: inout [Action]) {
        guard actions.isEmpty, actions.capacity == 0, buffer.capacity <= 16 else { return }
        buffer.removeAll(keepingCapacity: true)
        swap(&actions, &buffer)
    }
}
