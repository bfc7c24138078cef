internal import CLibPQ
import Dispatch
import Synchronization

/// How to reach a PostgreSQL server and the limits every connection works under.
public struct PostgresConnectionConfiguration: Sendable {
    /// A libpq connection string: a URL (`postgresql://user@/db?host=/run/dir&port=5432`) or
    /// `key=value` pairs.
    public var conninfo: String
    public var applicationName: String = "datahealth"
    /// How long opening a connection may take (libpq rounds it up to whole seconds, at least 2).
    public var connectTimeout: Duration = .seconds(5)
    /// The server-side `statement_timeout`; `nil` keeps the server's setting.
    public var statementTimeout: Duration? = .seconds(30)
    /// The server-side `lock_timeout`; `nil` keeps the server's setting.
    public var lockTimeout: Duration? = nil
    /// The deadline of a call that names none. When it passes, the statement is cancelled,
    /// the call throws `timeout` and the connection is discarded.
    public var defaultCallTimeout: Duration = .seconds(30)
    /// How many prepared statements one connection keeps; beyond that, statements run unprepared.
    public var preparedStatementCacheSize: Int = 256
    /// The most statements one pipeline may hold.
    public var maxPipelineLength: Int = 10_000
    /// How many bytes COPY buffers before handing them to libpq.
    public var copyChunkSize: Int = 64 * 1024
    /// How many times a transaction runs when it keeps failing with a serialization failure
    /// or deadlock.
    public var transactionMaxAttempts: Int = 5

    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    /// A connection through a Unix socket directory.
    public init(socketDirectory: String, port: Int = 5432, user: String, database: String) {
        self.conninfo =
            "host=\(conninfoQuote(socketDirectory)) port=\(port) user=\(conninfoQuote(user)) dbname=\(conninfoQuote(database))"
    }
}

/// Quotes a value for a `key=value` connection string.
func conninfoQuote(_ value: String) -> String {
    var quoted = "'"
    for character in value {
        if character == "'" || character == "\\" { quoted.append("\\") }
        quoted.append(character)
    }
    return quoted + "'"
}

/// Something statements can run against: a connection, or a pool that lends one per call.
/// Repositories take `some PostgresQueryable` so they work inside and outside a transaction.
public protocol PostgresQueryable: Sendable {
    /// Runs `body` with one connection; statements in it share a session.
    /// - Parameter timeout: for a pool, how long to wait for a connection.
    func withConnection<R: Sendable>(
        timeout: Duration?, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R
}

extension PostgresQueryable {
    /// Runs one statement and returns its rows.
    ///
    /// Throws ``PostgresError`` with code `unavailable`, `timeout`, `cancelled`,
    /// `constraintViolation`, `transactionConflict` or `queryFailed`.
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> PostgresResult {
        try await withConnection(timeout: timeout) { try await $0.run(query, timeout: timeout) }
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> Int {
        try await self.query(query, timeout: timeout).affectedRows
    }

    /// Runs the statements in pipeline mode: sent together, answered together, in one implicit
    /// transaction (if one fails, none takes effect and the error names its position).
    public func pipeline(_ queries: [PostgresQuery], timeout: Duration? = nil) async throws -> [PostgresResult] {
        try await withConnection(timeout: timeout) { try await $0.runPipeline(queries, timeout: timeout) }
    }

    /// Bulk-loads rows with `COPY table (columns) FROM STDIN`. Values are sent in text format;
    /// the rows are encoded while they stream. Returns the number of rows copied.
    @discardableResult
    public func copy(
        into table: String, columns: [String], rows: some Sequence<[PostgresValue]> & Sendable,
        timeout: Duration? = nil
    ) async throws -> Int {
        try await withConnection(timeout: timeout) {
            try await $0.runCopy(into: table, columns: columns, rows: rows, timeout: timeout)
        }
    }

    /// Runs `body` in a transaction and commits it. If `body` or the commit fails with a
    /// serialization failure or deadlock (SQLSTATE 40001, 40P01), the transaction is rolled back
    /// and `body` runs again, up to `maxAttempts` times in all; `body` must therefore have no
    /// effects outside the database. Any other error rolls back and is rethrown.
    ///
    /// Throws `transactionConflict` when the attempts run out.
    public func withTransaction<R: Sendable>(
        isolation: PostgresIsolationLevel = .readCommitted, maxAttempts: Int? = nil,
        timeout: Duration? = nil, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await withConnection(timeout: timeout) { connection in
            try await connection.transaction(isolation: isolation, maxAttempts: maxAttempts, body)
        }
    }
}

/// One libpq connection. Every blocking libpq call runs on the connection's own serial
/// dispatch queue; the async methods suspend until it answers or the call's deadline passes.
///
/// A connection whose call timed out, was cancelled or lost the server is marked unusable;
/// pools then discard it.
public final class PostgresConnection: PostgresQueryable {
    public let configuration: PostgresConnectionConfiguration
    private let queue: DispatchQueue
    private let session: Mutex<LibPQSession>
    private let control = Mutex(Control())

    private struct Control {
        var cancelAddress: Int?
        var isBroken = false
        var isClosed = false
        var inTransaction = false
    }

    private init(configuration: PostgresConnectionConfiguration) {
        self.configuration = configuration
        self.queue = DispatchQueue(label: "datahealth.postgres.connection")
        self.session = Mutex(LibPQSession(configuration: configuration))
    }

    deinit {
        // No call can be queued any more: each holds a reference to the connection.
        session.withLock { $0.finish() }
        control.withLock { state in
            if let handle = state.cancelAddress.flatMap(OpaquePointer.init(bitPattern:)) { PQfreeCancel(handle) }
            state.cancelAddress = nil
        }
    }

    /// Opens a connection.
    ///
    /// Throws `unavailable` if the server cannot be reached, `timeout` if `timeout` passes first.
    public static func connect(
        configuration: PostgresConnectionConfiguration, timeout: Duration? = nil
    ) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration)
        try await connection.perform(timeout: timeout ?? configuration.connectTimeout + .seconds(1)) {
            session in
            // The PGcancel pointer crosses from the queue as its address; it is only used and
            // freed under `control`'s lock.
            let address = try session.connect().map { Int(bitPattern: $0) }
            connection.control.withLock { $0.cancelAddress = address }
        }
        return connection
    }

    /// Whether the connection can still serve calls.
    public var isUsable: Bool {
        control.withLock { !$0.isBroken && !$0.isClosed }
    }

    /// Closes the connection once the call in progress, if any, ends.
    public func close() async {
        closeInBackground()
    }

    func closeInBackground() {
        let alreadyClosed = control.withLock { state in
            defer { state.isClosed = true }
            return state.isClosed
        }
        guard !alreadyClosed else { return }
        queue.async { self.session.withLock { $0.finish() } }
    }

    public func withConnection<R: Sendable>(
        timeout: Duration?, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        try await body(self)
    }

    // MARK: Calls

    /// Runs one statement (see ``PostgresQueryable/query(_:timeout:)``).
    @discardableResult
    func run(_ query: PostgresQuery, timeout: Duration?) async throws -> PostgresResult {
        try await perform(timeout: timeout) { try $0.execute(query) }
    }

    func runPipeline(_ queries: [PostgresQuery], timeout: Duration?) async throws -> [PostgresResult] {
        try await perform(timeout: timeout) { try $0.pipeline(queries) }
    }

    func runCopy(
        into table: String, columns: [String], rows: some Sequence<[PostgresValue]> & Sendable,
        timeout: Duration?
    ) async throws -> Int {
        guard !columns.isEmpty else {
            throw PostgresError(code: .invalidArgument, message: "COPY needs at least one column")
        }
        let statement =
            "COPY \(qualifiedName(table)) (\(columns.map(quoteIdentifier).joined(separator: ", "))) FROM STDIN"
        return try await perform(timeout: timeout) { session in
            try session.copyIn(statement: statement, rows: rows, columnCount: columns.count)
        }
    }

    /// Runs trusted SQL (owned by this module: transaction control, migrations) through the
    /// simple query protocol and returns the command tag.
    @discardableResult
    func runSimple(_ sql: String, timeout: Duration? = nil) async throws -> String {
        try await perform(timeout: timeout) { try $0.simple(sql).commandTag }
    }

    /// Checks the connection before it is lent out; see ``LibPQSession/checkHealth(roundTrip:)``.
    func checkHealth(roundTrip: Bool, timeout: Duration) async -> Bool {
        guard isUsable else { return false }
        let healthy = (try? await perform(timeout: timeout) { $0.checkHealth(roundTrip: roundTrip) }) ?? false
        if !healthy { markBroken() }
        return healthy
    }

    /// Whether the session is idle outside a transaction (checked on the connection's queue).
    func isIdle() async -> Bool {
        (try? await perform(timeout: .seconds(5)) { $0.isIdle }) ?? false
    }

    func transaction<R: Sendable>(
        isolation: PostgresIsolationLevel, maxAttempts: Int?, _ body: (PostgresConnection) async throws -> R
    ) async throws -> R {
        let alreadyIn = control.withLock { state in
            defer { state.inTransaction = true }
            return state.inTransaction
        }
        guard !alreadyIn else {
            throw PostgresError(code: .invalidArgument, message: "transactions do not nest")
        }
        defer { control.withLock { $0.inTransaction = false } }

        let attempts = max(1, maxAttempts ?? configuration.transactionMaxAttempts)
        var attempt = 1
        while true {
            try await runSimple("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
            do {
                let value = try await body(self)
                let tag = try await runSimple("COMMIT")
                // COMMIT of a transaction that already failed answers ROLLBACK without an error.
                guard tag == "COMMIT" else {
                    throw PostgresError(
                        code: .queryFailed,
                        message: "the transaction had failed and was rolled back instead of committed")
                }
                return value
            } catch {
                if isUsable { _ = try? await runSimple("ROLLBACK") }
                guard let failure = error as? PostgresError, failure.isTransactionConflict, isUsable else {
                    throw error
                }
                guard attempt < attempts else {
                    var exhausted = failure
                    exhausted.message = "the transaction kept conflicting with others after \(attempts) attempts"
                    throw exhausted
                }
                attempt += 1
                // A little random backoff keeps conflicting transactions from meeting again.
                try await Task.sleep(for: .microseconds(Int.random(in: 100...(1000 << min(attempt, 6)))))
            }
        }
    }

    // MARK: The bridge to the connection's queue

    private func markBroken() {
        control.withLock { $0.isBroken = true }
    }

    /// Gives up on the call in progress: asks the server to cancel it and marks the
    /// connection unusable (the statement may still be running).
    private func abandon() {
        markBroken()
        DispatchQueue.global().async {
            self.control.withLock { state in
                guard let handle = state.cancelAddress.flatMap(OpaquePointer.init(bitPattern:)) else { return }
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(handle, &buffer, Int32(buffer.count))
            }
        }
    }

    /// Runs `operation` on the connection's queue and waits for it, its deadline, or the task's
    /// cancellation, whichever comes first.
    private func perform<R: Sendable>(
        timeout: Duration?, _ operation: @escaping @Sendable (LibPQSession) throws -> R
    ) async throws -> R {
        let state = control.withLock { ($0.isClosed, $0.isBroken) }
        if state.0 { throw PostgresError.closed }
        if state.1 { throw PostgresError.unavailable("the connection is no longer usable") }

        let limit = timeout ?? configuration.defaultCallTimeout
        let call = PendingCall<R>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R, any Error>) in
                guard call.install(continuation) else { return }
                // Weak captures: a finished call's timer holds nothing alive until it fires.
                DispatchQueue.global().asyncAfter(deadline: .now() + limit.dispatchInterval) {
                    [weak self, weak call] in
                    call?.finish(.failure(PostgresError.deadlineExceeded)) { self?.abandon() }
                }
                queue.async { [self] in
                    guard !call.isFinished else { return }
                    let (result, isOpen) = session.withLock { session in
                        (Result { try operation(session) }, session.isOpen)
                    }
                    // A lost connection, or one the session dropped after a protocol failure,
                    // serves no further calls.
                    if !isOpen { markBroken() }
                    call.finish(result)
                }
            }
        } onCancel: {
            call.finish(.failure(PostgresError.taskCancelled)) { self.abandon() }
        }
    }
}

/// The continuation of one call, resumed exactly once by whichever of the operation, the
/// deadline or the task's cancellation comes first.
private final class PendingCall<R: Sendable>: Sendable {
    private enum State {
        case idle
        case cancelledEarly
        case waiting(CheckedContinuation<R, any Error>)
        case finished
    }
    private let state = Mutex(State.idle)

    /// Stores the continuation; returns false (and resumes it) if the task was already cancelled.
    func install(_ continuation: CheckedContinuation<R, any Error>) -> Bool {
        let cancelled = state.withLock { state in
            if case .cancelledEarly = state {
                state = .finished
                return true
            }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: PostgresError.taskCancelled) }
        return !cancelled
    }

    var isFinished: Bool {
        state.withLock { if case .finished = $0 { true } else { false } }
    }

    /// Resumes the continuation with `result` unless something else already did; if this call
    /// wins, `beforeResume` runs first.
    @discardableResult
    func finish(_ result: Result<R, any Error>, beforeResume: () -> Void = {}) -> Bool {
        let continuation: CheckedContinuation<R, any Error>? = state.withLock { state in
            switch state {
            case .waiting(let continuation):
                state = .finished
                return continuation
            case .idle:
                state = .cancelledEarly
                return nil
            case .cancelledEarly, .finished:
                return nil
            }
        }
        guard let continuation else { return false }
        beforeResume()
        continuation.resume(with: result)
        return true
    }
}

/// A possibly schema-qualified table name, each part quoted.
func qualifiedName(_ name: String) -> String {
    name.split(separator: ".", omittingEmptySubsequences: false).map { quoteIdentifier(String($0)) }
        .joined(separator: ".")
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let parts = components
        let nanoseconds = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow, nanoseconds.partialValue < Int64(Int.max) else { return .never }
        return .nanoseconds(Int(nanoseconds.partialValue + parts.attoseconds / 1_000_000_000))
    }
}
