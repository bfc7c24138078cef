/// The outcome of a call: a status code from the gRPC code set and a human-readable message.
///
/// On the wire the code is one byte (docs/PROTOCOL.md §8).
public struct RPCStatus: Sendable, Hashable, CustomStringConvertible {
    /// A status code. Its value is the wire value; codes a later version adds stay representable.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The wire value, 0 ... 16 for the codes this version knows.
        public let rawValue: UInt8

        private init(_ rawValue: UInt8) { self.rawValue = rawValue }

        /// The code for a wire value; values this version does not know become `unknown`.
        public init(wireValue: UInt8) {
            self.rawValue = wireValue <= Self.unauthenticated.rawValue ? wireValue : Self.unknown.rawValue
        }

        public static let ok = Code(0)
        public static let cancelled = Code(1)
        public static let unknown = Code(2)
        public static let invalidArgument = Code(3)
        public static let deadlineExceeded = Code(4)
        public static let notFound = Code(5)
        public static let alreadyExists = Code(6)
        public static let permissionDenied = Code(7)
        public static let resourceExhausted = Code(8)
        public static let failedPrecondition = Code(9)
        public static let aborted = Code(10)
        public static let outOfRange = Code(11)
        public static let unimplemented = Code(12)
        public static let `internal` = Code(13)
        public static let unavailable = Code(14)
        public static let dataLoss = Code(15)
        public static let unauthenticated = Code(16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
            "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
            "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
            "UNAUTHENTICATED",
        ]

        /// The code's name as in the gRPC specification, e.g. `DEADLINE_EXCEEDED`.
        public var description: String {
            Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "CODE_\(rawValue)"
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    public static let ok = RPCStatus(code: .ok)

    public var isOK: Bool { code == .ok }

    public var description: String { message.isEmpty ? "\(code)" : "\(code): \(message)" }
}

/// A failed call: a status code other than OK, a message, and the trailing metadata the peer sent.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: RPCStatus.Code
    public var message: String
    public var metadata: Metadata
    /// What went wrong underneath, when the error was caused by another one.
    public var cause: (any Error & Sendable)?

    public init(code: RPCStatus.Code, message: String, metadata: Metadata = [:], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    /// The error for a status; nil when the status is OK.
    public init?(status: RPCStatus, metadata: Metadata = [:]) {
        guard !status.isOK else { return nil }
        self.init(code: status.code, message: status.message, metadata: metadata)
    }

    public var status: RPCStatus { RPCStatus(code: code, message: message) }

    public var description: String { "\(code): \(message)" }
}

/// A domain error that knows which status it becomes on the wire.
public protocol RPCErrorConvertible: Error {
    var rpcError: RPCError { get }
}
