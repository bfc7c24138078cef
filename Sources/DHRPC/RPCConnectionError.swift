/// An error that ends a whole connection: sent in GOAWAY with a reason (docs/PROTOCOL.md §9.1).
public struct RPCConnectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection error code carried in GOAWAY.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The wire value.
        public let rawValue: UInt32
        private init(_ rawValue: UInt32) { self.rawValue = rawValue }

        /// The code for a wire value; values this version does not know become `internalError`.
        public init(wireValue: UInt32) {
            self.rawValue = wireValue <= Self.internalError.rawValue ? wireValue : Self.internalError.rawValue
        }

        /// Graceful shutdown; not an error.
        public static let noError = Code(0)
        /// The peer broke a rule of the protocol.
        public static let protocolError = Code(1)
        /// A frame above the receiver's maximum frame size.
        public static let frameTooLarge = Code(2)
        /// Bytes beyond the granted credit, or a window above 2^31 - 1.
        public static let flowControlError = Code(3)
        /// No SETTINGS, or no SETTINGS ACK, in time.
        public static let settingsTimeout = Code(4)
        /// Too many PINGs.
        public static let enhanceYourCalm = Code(5)
        /// A PING not acknowledged in time.
        public static let keepaliveTimeout = Code(6)
        /// The sender failed internally.
        public static let internalError = Code(7)

        private static let names = [
            "NO_ERROR", "PROTOCOL_ERROR", "FRAME_TOO_LARGE", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
            "ENHANCE_YOUR_CALM", "KEEPALIVE_TIMEOUT", "INTERNAL_ERROR",
        ]

        public var description: String { Self.names[Int(rawValue)] }

        /// The status that the calls still open on the connection fail with.
        public var callStatusCode: RPCStatus.Code {
            switch self {
            case .noError, .settingsTimeout, .enhanceYourCalm, .keepaliveTimeout: .unavailable
            case .frameTooLarge: .resourceExhausted
            default: .internal
            }
        }
    }

    public var code: Code
    /// The reason, sent in GOAWAY.
    public var reason: String

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    static func protocolError(_ reason: String) -> RPCConnectionError {
        RPCConnectionError(code: .protocolError, reason: reason)
    }

    public var description: String { "\(code): \(reason)" }
}
