/// A five-character PostgreSQL error code (SQLSTATE), e.g. `23505` for a unique violation.
public struct SQLState: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, e.g. `23` for integrity constraint violations.
    public var errorClass: Substring { rawValue.prefix(2) }

    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let notNullViolation = SQLState("23502")
    public static let checkViolation = SQLState("23514")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let tooManyConnections = SQLState("53300")
    public static let lockNotAvailable = SQLState("55P03")
    public static let syntaxError = SQLState("42601")
    public static let undefinedTable = SQLState("42P01")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let featureNotSupported = SQLState("0A000")

    /// Whether a transaction that failed with this state may succeed when run again
    /// (serialization failure, deadlock).
    public var isTransactionConflict: Bool {
        self == .serializationFailure || self == .deadlockDetected
    }
}

/// An error from the storage layer.
///
/// `description` is safe to show to a caller: it names the code, a generic message and the
/// SQLSTATE, and never contains SQL text, parameter values or the server's own message (which
/// may quote values). The server's diagnostics are kept in ``serverDiagnostics`` for logs only.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case unavailable, timeout, cancelled, constraintViolation, transactionConflict
            case queryFailed, decodingFailed, invalidArgument, poolClosed, migrationFailed
            case clusterFailed, protocolViolation
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The database cannot be reached: connecting failed, the connection was lost, or the
        /// server is shutting down or starting up. Calls may succeed later.
        public static let unavailable = Code(.unavailable)
        /// The call's deadline passed, or the server cancelled the statement
        /// (`statement_timeout`, `lock_timeout`).
        public static let timeout = Code(.timeout)
        /// The calling task was cancelled.
        public static let cancelled = Code(.cancelled)
        /// An integrity constraint failed (SQLSTATE class 23); see ``PostgresError/sqlState``.
        public static let constraintViolation = Code(.constraintViolation)
        /// A serialization failure or deadlock that outlasted the transaction's retries.
        public static let transactionConflict = Code(.transactionConflict)
        /// The server rejected the statement for another reason; see ``PostgresError/sqlState``.
        public static let queryFailed = Code(.queryFailed)
        /// A column could not be decoded as the requested Swift type.
        public static let decodingFailed = Code(.decodingFailed)
        /// The caller passed something the layer cannot use (bad configuration, bad migration list).
        public static let invalidArgument = Code(.invalidArgument)
        /// The connection or pool was closed.
        public static let poolClosed = Code(.poolClosed)
        /// A migration could not be applied or the recorded migrations do not match the list.
        public static let migrationFailed = Code(.migrationFailed)
        /// The embedded cluster could not be created, started or stopped.
        public static let clusterFailed = Code(.clusterFailed)
        /// The server or libpq answered in a way the layer did not expect.
        public static let protocolViolation = Code(.protocolViolation)

        public var description: String { value.rawValue }
    }

    /// What the server said about a failed statement. May quote values: for logs only.
    public struct ServerDiagnostics: Sendable, Hashable {
        public var severity: String?
        public var message: String?
        public var detail: String?
        public var hint: String?
        public var schema: String?
        public var table: String?
        public var column: String?
        public var constraint: String?
    }

    public var code: Code
    /// The server's error code, when the server reported one.
    public var sqlState: SQLState?
    /// A generic message written by this layer; contains no SQL and no values.
    public var message: String
    /// The server's or libpq's own words, for logs only.
    public var serverDiagnostics: ServerDiagnostics?
    /// The error that led to this one, if any.
    public var underlying: (any Error & Sendable)?
    /// For a failed pipeline, the position of the statement that failed.
    public var pipelineIndex: Int?

    public init(
        code: Code, message: String, sqlState: SQLState? = nil,
        serverDiagnostics: ServerDiagnostics? = nil, underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.serverDiagnostics = serverDiagnostics
        self.underlying = underlying
    }

    public var description: String {
        if let pipelineIndex, let sqlState {
            return "\(code): \(message) (SQLSTATE \(sqlState), pipeline statement \(pipelineIndex))"
        }
        if let sqlState { return "\(code): \(message) (SQLSTATE \(sqlState))" }
        return "\(code): \(message)"
    }

    /// The description plus the server's diagnostics and the underlying error. For logs only:
    /// the server's message and detail may quote values.
    public var logDescription: String {
        var text = description
        if let d = serverDiagnostics {
            for (label, value) in [
                ("severity", d.severity), ("server message", d.message), ("detail", d.detail),
                ("hint", d.hint), ("schema", d.schema), ("table", d.table), ("column", d.column),
                ("constraint", d.constraint),
            ] {
                if let value, !value.isEmpty { text += "; \(label): \(value)" }
            }
        }
        if let underlying { text += "; caused by: \(underlying)" }
        return text
    }

    /// Whether running the whole transaction again may succeed.
    public var isTransactionConflict: Bool { sqlState?.isTransactionConflict ?? false }
}

extension PostgresError: CustomReflectable {
    /// Reflection (`dump`, test failure reports) shows what `description` shows and no more.
    public var customMirror: Mirror {
        Mirror(self, children: ["code": code, "sqlState": sqlState as Any, "message": message], displayStyle: .struct)
    }
}

extension PostgresError {
    /// Classifies a server error by its SQLSTATE and gives it a generic message.
    static func server(sqlState: SQLState?, diagnostics: ServerDiagnostics?) -> PostgresError {
        guard let sqlState else {
            return PostgresError(
                code: .queryFailed, message: "the statement failed", serverDiagnostics: diagnostics)
        }
        let (code, message): (Code, String)
        switch sqlState {
        case .uniqueViolation: (code, message) = (.constraintViolation, "a unique constraint was violated")
        case .foreignKeyViolation: (code, message) = (.constraintViolation, "a foreign key constraint was violated")
        case .notNullViolation: (code, message) = (.constraintViolation, "a not-null constraint was violated")
        case .checkViolation: (code, message) = (.constraintViolation, "a check constraint was violated")
        case .serializationFailure: (code, message) = (.transactionConflict, "the transaction could not be serialized")
        case .deadlockDetected: (code, message) = (.transactionConflict, "a deadlock was detected")
        case .queryCanceled: (code, message) = (.timeout, "the statement was cancelled")
        case .lockNotAvailable: (code, message) = (.timeout, "a lock could not be obtained in time")
        case .adminShutdown, .crashShutdown: (code, message) = (.unavailable, "the database server is shutting down")
        case .cannotConnectNow: (code, message) = (.unavailable, "the database server is not accepting connections yet")
        case .tooManyConnections: (code, message) = (.unavailable, "the database server has too many connections")
        default:
            switch sqlState.errorClass {
            case "08": (code, message) = (.unavailable, "the connection to the database failed")
            case "23": (code, message) = (.constraintViolation, "an integrity constraint was violated")
            case "22": (code, message) = (.queryFailed, "a value was rejected by the database")
            case "42": (code, message) = (.queryFailed, "the statement is invalid")
            case "53", "57", "58": (code, message) = (.unavailable, "the database server cannot serve the request")
            default: (code, message) = (.queryFailed, "the statement failed")
            }
        }
        return PostgresError(code: code, message: message, sqlState: sqlState, serverDiagnostics: diagnostics)
    }

    static func unavailable(_ message: String, detail: String? = nil) -> PostgresError {
        PostgresError(
            code: .unavailable, message: message,
            serverDiagnostics: detail.map { ServerDiagnostics(message: $0) })
    }

    static func decoding(_ message: String) -> PostgresError {
        PostgresError(code: .decodingFailed, message: message)
    }

    static let deadlineExceeded = PostgresError(code: .timeout, message: "the deadline passed")
    static let taskCancelled = PostgresError(code: .cancelled, message: "the task was cancelled")
    static let closed = PostgresError(code: .poolClosed, message: "the connection is closed")
}
