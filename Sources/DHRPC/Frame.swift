/// The frame types of dh-rpc/1 (docs/PROTOCOL.md §2).
public struct FrameType: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    private init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// The type for a wire value, or nil when this version does not know it.
    public init?(rawValue: UInt8) {
        guard rawValue <= Self.goaway.rawValue else { return nil }
        self.rawValue = rawValue
    }

    public static let settings = FrameType(0x00)
    public static let call = FrameType(0x01)
    public static let headers = FrameType(0x02)
    public static let message = FrameType(0x03)
    public static let trailers = FrameType(0x04)
    public static let rstStream = FrameType(0x05)
    public static let windowUpdate = FrameType(0x06)
    public static let ping = FrameType(0x07)
    public static let goaway = FrameType(0x08)

    private static let names = [
        "SETTINGS", "CALL", "HEADERS", "MESSAGE", "TRAILERS", "RST_STREAM", "WINDOW_UPDATE", "PING", "GOAWAY",
    ]
    public var description: String { Self.names[Int(rawValue)] }

    /// The flag bits defined for this type; any other bit set is a protocol error.
    var allowedFlags: UInt8 {
        switch self {
        case .settings, .call, .message, .rstStream, .ping: 0x01
        default: 0x00
        }
    }

    /// Whether frames of this type travel on stream 0.
    var isConnectionLevel: Bool { self == .settings || self == .ping || self == .goaway }
}

/// The fixed frame header and the protocol's size constants.
public enum FrameLayout {
    /// Bytes in a frame header: length (4), type (1), flags (1), stream id (4).
    public static let headerSize = 10
    /// The smallest maximum frame size a peer may announce, and the default.
    public static let minimumMaxFrameSize = 16_384
    /// The largest maximum frame size a peer may announce (16 MiB - 1).
    public static let hardMaxFrameSize = 16_777_215
    /// The largest stream id, window, and window increment (2^31 - 1).
    public static let maxWindow = 0x7FFF_FFFF
    /// The largest stream id.
    public static let maxStreamID: UInt32 = 0x7FFF_FFFF
    /// Bytes in the length prefix in front of each message in the message byte stream.
    public static let messagePrefixSize = 4
    /// The longest method path.
    public static let maxPathLength = 1024

    /// Flag 0x01: END_STREAM on CALL and MESSAGE, ACK on SETTINGS and PING, REFUSED on RST_STREAM.
    public static let flagEndStream: UInt8 = 0x01
    public static let flagAck: UInt8 = 0x01
    public static let flagRefused: UInt8 = 0x01
}

/// A setting identifier (docs/PROTOCOL.md §4).
public struct SettingID: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let maxFrameSize = SettingID(rawValue: 0x1)
    public static let maxConcurrentStreams = SettingID(rawValue: 0x2)
    public static let initialStreamWindow = SettingID(rawValue: 0x3)
    public static let initialConnectionWindow = SettingID(rawValue: 0x4)
    public static let maxMessageSize = SettingID(rawValue: 0x5)
    public static let minorVersion = SettingID(rawValue: 0x6)

    public var description: String {
        switch self {
        case .maxFrameSize: "MAX_FRAME_SIZE"
        case .maxConcurrentStreams: "MAX_CONCURRENT_STREAMS"
        case .initialStreamWindow: "INITIAL_STREAM_WINDOW"
        case .initialConnectionWindow: "INITIAL_CONNECTION_WINDOW"
        case .maxMessageSize: "MAX_MESSAGE_SIZE"
        case .minorVersion: "MINOR_VERSION"
        default: "SETTING_\(rawValue)"
        }
    }
}

public struct Setting: Sendable, Hashable {
    public var id: SettingID
    public var value: UInt32
    public init(_ id: SettingID, _ value: UInt32) {
        self.id = id
        self.value = value
    }
}

/// The values a peer announced in SETTINGS, with the protocol's defaults for the ones it omitted.
public struct PeerSettings: Sendable, Hashable {
    public var maxFrameSize = FrameLayout.minimumMaxFrameSize
    public var maxConcurrentStreams = 100
    public var initialStreamWindow = 65_536
    public var initialConnectionWindow = 1_048_576
    public var maxMessageSize = 4_194_304
    public var minorVersion: UInt32 = 0

    public init() {}

    /// Applies a SETTINGS payload; throws on a value out of range or a duplicate id.
    public init(_ settings: [Setting]) throws(RPCConnectionError) {
        var seen = Set<SettingID>()
        for setting in settings {
            guard seen.insert(setting.id).inserted else {
                throw .protocolError("setting \(setting.id) appears twice")
            }
            let value = Int(setting.value)
            switch setting.id {
            case .maxFrameSize:
                guard (FrameLayout.minimumMaxFrameSize...FrameLayout.hardMaxFrameSize).contains(value) else {
                    throw .protocolError("MAX_FRAME_SIZE \(value) out of range")
                }
                maxFrameSize = value
            case .maxConcurrentStreams:
                guard value <= FrameLayout.maxWindow else { throw .protocolError("MAX_CONCURRENT_STREAMS \(value) out of range") }
                maxConcurrentStreams = value
            case .initialStreamWindow:
                guard (1...FrameLayout.maxWindow).contains(value) else {
                    throw .protocolError("INITIAL_STREAM_WINDOW \(value) out of range")
                }
                initialStreamWindow = value
            case .initialConnectionWindow:
                guard (1...FrameLayout.maxWindow).contains(value) else {
                    throw .protocolError("INITIAL_CONNECTION_WINDOW \(value) out of range")
                }
                initialConnectionWindow = value
            case .maxMessageSize:
                guard value <= FrameLayout.maxWindow else { throw .protocolError("MAX_MESSAGE_SIZE \(value) out of range") }
                maxMessageSize = value
            case .minorVersion:
                minorVersion = setting.value
            default:
                continue  // unknown settings are ignored
            }
        }
    }
}

/// One decoded frame (docs/PROTOCOL.md §2.2-2.10).
public enum Frame: Sendable, Hashable {
    /// SETTINGS, stream 0.
    case settings([Setting])
    /// SETTINGS with ACK, stream 0.
    case settingsAck
    /// CALL: starts a call. `timeoutMicroseconds` 0 means no deadline.
    case call(streamID: UInt32, path: String, timeoutMicroseconds: UInt64, metadata: Metadata, endStream: Bool)
    /// HEADERS: the response metadata.
    case headers(streamID: UInt32, metadata: Metadata)
    /// MESSAGE: a piece of the message byte stream.
    case message(streamID: UInt32, bytes: [UInt8], endStream: Bool)
    /// TRAILERS: the status and trailing metadata; ends the call.
    case trailers(streamID: UInt32, status: RPCStatus, metadata: Metadata)
    /// RST_STREAM: aborts one stream.
    case rstStream(streamID: UInt32, status: RPCStatus, refused: Bool)
    /// WINDOW_UPDATE: credit for the connection (stream 0) or a stream.
    case windowUpdate(streamID: UInt32, increment: UInt32)
    /// PING: 8 opaque bytes, read as one big-endian integer.
    case ping(data: UInt64, ack: Bool)
    /// GOAWAY, stream 0.
    case goaway(lastStreamID: UInt32, code: RPCConnectionError.Code, reason: String)

    public var type: FrameType {
        switch self {
        case .settings, .settingsAck: .settings
        case .call: .call
        case .headers: .headers
        case .message: .message
        case .trailers: .trailers
        case .rstStream: .rstStream
        case .windowUpdate: .windowUpdate
        case .ping: .ping
        case .goaway: .goaway
        }
    }

    public var streamID: UInt32 {
        switch self {
        case .settings, .settingsAck, .ping, .goaway: 0
        case .call(let id, _, _, _, _), .headers(let id, _), .message(let id, _, _), .trailers(let id, _, _),
            .rstStream(let id, _, _), .windowUpdate(let id, _):
            id
        }
    }
}
