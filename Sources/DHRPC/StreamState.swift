/// The state of one stream inside a connection state machine: its half-closed flags, its send
/// queue and credit, and its reassembly buffer and granted credit.
///
/// It lives in the machine's dictionary and is always changed in place through these methods, so
/// its buffers are never copied on write.
struct StreamState: Sendable {
    let id: UInt32
    var deadline: RPCInstant?
    /// We may still queue messages (client: not half-closed; server: trailers not yet given).
    var localOpen = true
    /// The peer may still send messages.
    var remoteOpen = true
    /// Server: HEADERS sent; client: HEADERS received.
    var headersExchanged = false
    var messageSent = false
    var messageReceived = false

    // Outbound.
    var sendWindow: Int
    var pending: [UInt8] = []
    var pendingStart = 0
    var pendingEndStream = false
    var pendingTrailers: (status: RPCStatus, metadata: Metadata)?
    var writable = true

    // Inbound.
    var deframer: MessageDeframer
    /// Credit the peer still has on this stream.
    var granted: Int
    /// Bytes of delivered messages the application has not taken yet (prefixes included).
    var queued = 0
    /// Received bytes whose connection credit has not been returned.
    var connectionHeld = 0

    init(id: UInt32, sendWindow: Int, receiveWindow: Int, maxMessageSize: Int) {
        self.id = id
        self.sendWindow = sendWindow
        self.granted = receiveWindow
        self.deframer = MessageDeframer(maxMessageSize: maxMessageSize)
    }

    var pendingCount: Int { pending.count - pendingStart }

    // MARK: Sending

    enum EnqueueOutcome { case queued, closedForSending, notWritable }

    mutating func canSend() -> Bool { localOpen }

    mutating func enqueue(_ message: [UInt8], endStream: Bool, outboundLimit: Int) -> EnqueueOutcome {
        guard localOpen else { return .closedForSending }
        guard writable else { return .notWritable }
        FrameEncoder.appendMessage(message, to: &pending)
        messageSent = true
        if endStream {
            localOpen = false
            pendingEndStream = true
        }
        if pendingCount > outboundLimit { writable = false }
        return .queued
    }

    /// Takes the next piece of queued bytes the windows allow, or nil.
    mutating func takeChunk(connectionWindow: Int, maxFrameSize: Int) -> (bytes: [UInt8], endStream: Bool)? {
        guard pendingCount > 0, sendWindow > 0, connectionWindow > 0 else { return nil }
        let count = min(pendingCount, sendWindow, connectionWindow, maxFrameSize)
        let chunk: [UInt8]
        if pendingStart == 0, count == pending.count {
            // The whole queue goes: hand its buffer over instead of copying it (a copy of the
            // whole array would share the buffer anyway, and then the queue's next change would
            // copy it).
            chunk = pending
            pending = []
        } else {
            chunk = Array(pending[pendingStart..<pendingStart + count])
            pendingStart += count
        }
        sendWindow -= count
        let last = pendingCount == 0 && pendingEndStream
        if last { pendingEndStream = false }
        return (chunk, last)
    }

    /// After sending what could be sent: compacts the queue; says whether an empty END_STREAM is
    /// due, whether the stream just became writable again, and the trailers once they are due.
    mutating func settle(
        outboundLimit: Int
    ) -> (
        sendEndStream: Bool, becameWritable: Bool, trailers: (status: RPCStatus, metadata: Metadata)?
    ) {
        var sendEndStream = false
        if pendingCount == 0 {
            pending.removeAll(keepingCapacity: pending.capacity <= outboundLimit)
            pendingStart = 0
            if pendingEndStream {
                pendingEndStream = false
                sendEndStream = true
            }
        } else if pendingStart >= 4096 && pendingStart * 2 >= pending.count {
            pending.removeSubrange(..<pendingStart)
            pendingStart = 0
        }
        var becameWritable = false
        if !writable && pendingCount <= outboundLimit {
            writable = true
            becameWritable = true
        }
        return (sendEndStream, becameWritable, pendingCount == 0 ? pendingTrailers : nil)
    }

    // MARK: Receiving

    enum ReceiveOutcome {
        case beyondWindow
        case afterEndStream
        case dropped
        case tooLarge(Int)
        case delivered(ended: Bool, endedInsideMessage: Bool)
    }

    /// A MESSAGE frame's payload arrived; the messages it completes are appended to `messages`.
    /// `dropIfAnswered`: a server drops request bytes once its trailers are queued.
    mutating func receive(
        _ bytes: [UInt8], endStream: Bool, dropIfAnswered: Bool, into messages: inout [[UInt8]]
    ) -> ReceiveOutcome {
        let count = bytes.count
        guard count <= granted else { return .beyondWindow }
        granted -= count
        connectionHeld += count
        guard remoteOpen else { return .afterEndStream }
        if dropIfAnswered && pendingTrailers != nil {
            connectionHeld -= count
            remoteOpen = !endStream
            return .dropped
        }
        let before = messages.count
        do {
            try deframer.append(bytes, into: &messages)
        } catch {
            return .tooLarge(error.size)
        }
        for message in messages[before...] { queued += message.count + FrameLayout.messagePrefixSize }
        if messages.count > before { messageReceived = true }
        if endStream { remoteOpen = false }
        return .delivered(ended: endStream, endedInsideMessage: endStream && deframer.hasPartialMessage)
    }

    /// The application took `byteCount` bytes (prefixes included) of delivered messages.
    mutating func consumed(_ byteCount: Int) {
        queued = max(0, queued - byteCount)
    }

    /// Credit to give back now: a stream WINDOW_UPDATE increment (0 for none), and connection
    /// credit to return. See docs/PROTOCOL.md §6.
    mutating func grantCredit(window: Int) -> (streamIncrement: Int, connectionReturn: Int) {
        let held = queued + deframer.bufferedByteCount
        guard remoteOpen else {
            // Nothing more will arrive: only connection credit for bytes no longer held returns.
            let released = max(0, connectionHeld - held)
            connectionHeld -= released
            return (0, released)
        }
        var desired = max(0, window - held)
        let completing = queued == 0 && deframer.hasPartialMessage
        if completing { desired = max(desired, deframer.bytesToCompleteMessage) }
        desired = min(desired, FrameLayout.maxWindow)
        var increment = desired - granted
        var returned = 0
        if increment > 0 && (increment * 4 >= window || granted * 4 < window) {
            granted += increment
            returned = min(increment, connectionHeld)
            connectionHeld -= returned
        } else {
            increment = 0
        }
        if completing {
            // Bytes of a message in progress do not hold connection credit.
            returned += connectionHeld
            connectionHeld = 0
        }
        return (increment, returned)
    }
}
