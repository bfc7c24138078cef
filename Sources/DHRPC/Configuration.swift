/// A point on a monotonic clock, as an offset from an origin the caller chooses.
///
/// The state machines never read a clock: every call that needs the time is given `now`, so tests
/// drive time by hand.
public struct RPCInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var offset: Duration

    public init(offset: Duration) { self.offset = offset }

    public static let zero = RPCInstant(offset: .zero)

    public func advanced(by duration: Duration) -> RPCInstant { RPCInstant(offset: offset + duration) }

    public static func - (lhs: RPCInstant, rhs: RPCInstant) -> Duration { lhs.offset - rhs.offset }

    public static func < (lhs: RPCInstant, rhs: RPCInstant) -> Bool { lhs.offset < rhs.offset }

    public var description: String { "\(offset)" }
}

/// The limits and timers of one dh-rpc connection. Every value has a safe default; values out of
/// their valid range are clamped into it when a connection is created.
public struct RPCConnectionConfiguration: Sendable, Hashable {
    /// The largest frame payload accepted (announced as MAX_FRAME_SIZE): 16 KiB ... 16 MiB - 1.
    public var maxFrameSize = FrameLayout.minimumMaxFrameSize
    /// The largest message accepted (announced as MAX_MESSAGE_SIZE).
    public var maxMessageSize = 4 * 1024 * 1024
    /// The most open streams accepted from the peer (announced as MAX_CONCURRENT_STREAMS).
    public var maxConcurrentStreams = 100
    /// The receive credit granted on each new stream (announced as INITIAL_STREAM_WINDOW).
    public var initialStreamWindow = 64 * 1024
    /// The receive credit granted on the connection (announced as INITIAL_CONNECTION_WINDOW).
    public var initialConnectionWindow = 1024 * 1024
    /// Bytes a stream may hold waiting for send credit before the application is told to wait.
    public var outboundBufferLimit = 64 * 1024
    /// Time allowed for the peer's SETTINGS and for the ACK of ours.
    public var settingsTimeout: Duration = .seconds(10)
    /// Send a PING after this long without receiving a frame; nil disables keepalive pings.
    public var keepaliveInterval: Duration? = nil
    /// Close the connection if a keepalive PING is not acknowledged within this time.
    public var keepaliveTimeout: Duration = .seconds(10)
    /// PINGs received closer together than this count as strikes; nil accepts any rate.
    public var minimumPingInterval: Duration? = .seconds(5)
    /// Strikes tolerated before closing with ENHANCE_YOUR_CALM.
    public var maxPingStrikes = 2
    /// Close a connection that has had no open stream for this long (GOAWAY NO_ERROR "idle");
    /// nil keeps idle connections open.
    public var idleTimeout: Duration? = nil

    public init() {}

    /// The default for a client: keepalive pings every 30 seconds.
    public static var client: RPCConnectionConfiguration {
        var configuration = RPCConnectionConfiguration()
        configuration.keepaliveInterval = .seconds(30)
        return configuration
    }

    /// The default for a server: idle connections close after 5 minutes.
    public static var server: RPCConnectionConfiguration {
        var configuration = RPCConnectionConfiguration()
        configuration.idleTimeout = .seconds(300)
        return configuration
    }

    /// A copy with every value inside its valid range.
    public var clamped: RPCConnectionConfiguration {
        var copy = self
        copy.maxFrameSize = min(max(maxFrameSize, FrameLayout.minimumMaxFrameSize), FrameLayout.hardMaxFrameSize)
        copy.maxMessageSize = min(max(maxMessageSize, 0), FrameLayout.maxWindow - FrameLayout.messagePrefixSize)
        copy.maxConcurrentStreams = min(max(maxConcurrentStreams, 0), FrameLayout.maxWindow)
        copy.initialStreamWindow = min(max(initialStreamWindow, 1), FrameLayout.maxWindow)
        copy.initialConnectionWindow = min(max(initialConnectionWindow, 1), FrameLayout.maxWindow)
        copy.outboundBufferLimit = max(outboundBufferLimit, 0)
        copy.maxPingStrikes = max(maxPingStrikes, 0)
        return copy
    }

    /// The SETTINGS payload announcing these limits.
    var settings: [Setting] {
        [
            Setting(.maxFrameSize, UInt32(maxFrameSize)),
            Setting(.maxConcurrentStreams, UInt32(maxConcurrentStreams)),
            Setting(.initialStreamWindow, UInt32(initialStreamWindow)),
            Setting(.initialConnectionWindow, UInt32(initialConnectionWindow)),
            Setting(.maxMessageSize, UInt32(maxMessageSize)),
            Setting(.minorVersion, RPCConnectionStateMachine.minorVersion),
        ]
    }
}
