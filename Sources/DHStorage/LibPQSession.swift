internal import CLibPQ
import Foundation

/// The blocking libpq side of one connection. Not thread-safe: a ``PostgresConnection`` only
/// touches it from its own serial dispatch queue, never from a Swift concurrency thread.
final class LibPQSession {
    private let configuration: PostgresConnectionConfiguration
    private var connection: OpaquePointer?
    /// Prepared statement names by SQL text and parameter types.
    private var statements: [StatementKey: String] = [:]
    private var statementCounter = 0
    /// The text of the time last written by a COPY (``appendCopyField(_:to:)``).
    private var lastCopiedTime: (micros: Int64, text: [UInt8])?

    private struct StatementKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    init(configuration: PostgresConnectionConfiguration) {
        self.configuration = configuration
    }

    deinit { finish() }

    var isOpen: Bool {
        guard let connection else { return false }
        return PQstatus(connection) == CONNECTION_OK
    }

    /// Whether the session sits outside any transaction, ready for the next caller.
    var isIdle: Bool {
        guard let connection, PQstatus(connection) == CONNECTION_OK else { return false }
        return PQtransactionStatus(connection) == PQTRANS_IDLE
    }

    // MARK: Connecting

    /// Connects and returns the connection's cancel handle.
    func connect() throws -> OpaquePointer? {
        var keywords = ["dbname", "application_name", "connect_timeout", "client_encoding"]
        let timeoutSeconds = max(2, Int((configuration.connectTimeout.components.seconds)))
        var values = [configuration.conninfo, configuration.applicationName, String(timeoutSeconds), "UTF8"]
        var options: [String] = []
        if let timeout = configuration.statementTimeout {
            options.append("-c statement_timeout=\(timeout.milliseconds)")
        }
        if let timeout = configuration.lockTimeout {
            options.append("-c lock_timeout=\(timeout.milliseconds)")
        }
        if !options.isEmpty {
            keywords.append("options")
            values.append(options.joined(separator: " "))
        }
        let conn = withCStringArray(keywords) { keywordPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let conn else { throw PostgresError.unavailable("could not allocate a connection") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError.unavailable("could not connect to the database", detail: detail)
        }
        dh_pq_silence_notices(conn)
        connection = conn
        return PQgetCancel(conn)
    }

    func finish() {
        if let connection { PQfinish(connection) }
        connection = nil
        statements.removeAll()
    }

    private func requireConnection() throws -> OpaquePointer {
        guard let connection else { throw PostgresError.closed }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw PostgresError.unavailable("the connection to the database was lost")
        }
        return connection
    }

    // MARK: Health

    /// Reads whatever the server sent while the connection sat idle (e.g. a shutdown notice)
    /// without blocking; with `roundTrip`, also runs an empty statement.
    func checkHealth(roundTrip: Bool) -> Bool {
        guard let connection, PQstatus(connection) == CONNECTION_OK else { return false }
        // Twice: a server that ended the session sends its error message and then closes the
        // socket; the first read takes the message, the second meets the end of the stream.
        for _ in 0..<2 {
            guard PQconsumeInput(connection) == 1, PQstatus(connection) == CONNECTION_OK else { return false }
        }
        guard PQtransactionStatus(connection) == PQTRANS_IDLE else { return false }
        // An idle connection has no result pending; anything there is an asynchronous error.
        if PQisBusy(connection) == 0, let pending = PQgetResult(connection) {
            PQclear(pending)
            return false
        }
        if roundTrip {
            return (try? simple("SELECT 1")) != nil
        }
        return true
    }

    // MARK: Statements

    /// Runs one statement with bind parameters, preparing it once per connection while the
    /// statement cache has room. Results come back in binary format.
    func execute(_ query: PostgresQuery) throws -> PostgresResult {
        try execute(query, mayRetry: true)
    }

    private func execute(_ query: PostgresQuery, mayRetry: Bool) throws -> PostgresResult {
        let conn = try requireConnection()
        let key = StatementKey(sql: query.sql, types: query.parameters.map(\.dataType.oid))
        let cached = statements[key]
        var name = cached
        if name == nil, statements.count < configuration.preparedStatementCacheSize {
            statementCounter += 1
            let newName = "dh_\(statementCounter)"
            let prepared = key.types.withUnsafeBufferPointer { types in
                PQprepare(conn, newName, query.sql, Int32(types.count), types.baseAddress)
            }
            try consume(prepared, conn: conn)
            statements[key] = newName
            name = newName
        }
        let result = withParameters(query.parameters) { count, types, values, lengths, formats in
            if let name {
                PQexecPrepared(conn, name, count, values, lengths, formats, 1)
            } else {
                PQexecParams(conn, query.sql, count, types, values, lengths, formats, 1)
            }
        }
        do {
            return try consume(result, conn: conn)
        } catch let error as PostgresError where error.sqlState == .featureNotSupported && cached != nil {
            // "cached plan must not change result type": the schema changed under a prepared
            // statement. Forget it; outside a transaction nothing has happened yet, so prepare
            // it again and run it once more.
            statements[key] = nil
            guard isIdle, let cached else { throw error }
            _ = try? simple("DEALLOCATE \(cached)")
            guard mayRetry else { throw error }
            return try execute(query, mayRetry: false)
        }
    }

    /// Runs SQL through the simple query protocol (no parameters; several statements allowed).
    /// Only for SQL owned by this layer or by migrations, never built from values.
    @discardableResult
    func simple(_ sql: String) throws -> (result: PostgresResult, commandTag: String) {
        let conn = try requireConnection()
        guard let raw = PQexec(conn, sql) else { throw connectionError(conn) }
        let tag = String(cString: PQcmdStatus(raw))
        let result = try consume(raw, conn: conn)
        // PQexec returns the last statement's result; earlier ones are already consumed.
        return (result, tag)
    }

    // MARK: Pipeline

    /// Sends all statements at once in pipeline mode followed by one sync point, so they run as
    /// one implicit transaction: if one fails, none of them takes effect.
    func pipeline(_ queries: [PostgresQuery]) throws -> [PostgresResult] {
        let conn = try requireConnection()
        guard !queries.isEmpty else { return [] }
        guard queries.count <= configuration.maxPipelineLength else {
            throw PostgresError(
                code: .invalidArgument,
                message: "a pipeline may hold at most \(configuration.maxPipelineLength) statements")
        }
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(conn) }
        for query in queries {
            let sent = withParameters(query.parameters) { count, types, values, lengths, formats in
                PQsendQueryParams(conn, query.sql, count, types, values, lengths, formats, 1)
            }
            guard sent == 1 else {
                throw failPipeline(conn, connectionError(conn))
            }
        }
        guard PQpipelineSync(conn) == 1 else { throw failPipeline(conn, connectionError(conn)) }

        var results: [PostgresResult] = []
        results.reserveCapacity(queries.count)
        var firstError: PostgresError?
        for index in queries.indices {
            var outcome: PostgresResult?
            while let raw = PQgetResult(conn) {
                defer { PQclear(raw) }
                switch PQresultStatus(raw) {
                case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                    outcome = makeResult(raw)
                case PGRES_PIPELINE_ABORTED:
                    break
                default:
                    if firstError == nil {
                        var error = resultError(raw, conn: conn)
                        error.pipelineIndex = index
                        firstError = error
                    }
                }
            }
            guard PQstatus(conn) == CONNECTION_OK else { throw connectionError(conn) }
            results.append(outcome ?? .empty)
        }
        guard let sync = PQgetResult(conn) else { throw connectionError(conn) }
        let syncStatus = PQresultStatus(sync)
        PQclear(sync)
        guard syncStatus == PGRES_PIPELINE_SYNC, PQexitPipelineMode(conn) == 1 else {
            throw PostgresError(code: .protocolViolation, message: "the pipeline did not end at its sync point")
        }
        if let firstError { throw firstError }
        return results
    }

    private func failPipeline(_ conn: OpaquePointer, _ error: PostgresError) -> PostgresError {
        // The connection's state is unknown; drop it so the pool opens a fresh one.
        finish()
        return error
    }

    // MARK: COPY

    /// `COPY … FROM STDIN` in text format, streaming the rows in chunks.
    func copyIn(
        statement: String, rows: some Sequence<[PostgresValue]>, columnCount: Int
    ) throws -> Int {
        let conn = try requireConnection()
        guard let start = PQexec(conn, statement) else { throw connectionError(conn) }
        let startStatus = PQresultStatus(start)
        if startStatus != PGRES_COPY_IN {
            defer { PQclear(start) }
            throw resultError(start, conn: conn)
        }
        PQclear(start)

        var buffer: [UInt8] = []
        let chunkSize = configuration.copyChunkSize
        buffer.reserveCapacity(chunkSize + 1024)
        var encodingError: PostgresError?
        func flush() -> Bool {
            guard !buffer.isEmpty else { return true }
            let sent = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32($0.count)) }
            }
            buffer.removeAll(keepingCapacity: true)
            return sent == 1
        }
        rowLoop: for row in rows {
            guard row.count == columnCount else {
                encodingError = PostgresError(
                    code: .invalidArgument, message: "a COPY row has \(row.count) fields, expected \(columnCount)")
                break
            }
            for (position, value) in row.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: "\t")) }
                do {
                    try appendCopyField(value, to: &buffer)
                } catch {
                    encodingError =
                        error as? PostgresError
                        ?? PostgresError(code: .invalidArgument, message: "a COPY field could not be encoded")
                    break rowLoop
                }
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= chunkSize, !flush() { break }
        }
        if encodingError == nil { _ = flush() }
        let ended = PQputCopyEnd(conn, encodingError == nil ? nil : "aborted by the client")
        guard ended == 1 else { throw connectionError(conn) }
        var copied = 0
        var serverError: PostgresError?
        while let raw = PQgetResult(conn) {
            defer { PQclear(raw) }
            let status = PQresultStatus(raw)
            if status == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(raw))) ?? 0
            } else if serverError == nil {
                serverError = resultError(raw, conn: conn)
            }
        }
        if let encodingError { throw encodingError }
        if let serverError { throw serverError }
        guard PQstatus(conn) == CONNECTION_OK else { throw connectionError(conn) }
        return copied
    }

    /// One field in COPY's text format. Text and bytea (the bulk of clinical rows) are written
    /// straight from their bytes; other types go through their text form.
    private func appendCopyField(_ value: PostgresValue, to buffer: inout [UInt8]) throws {
        guard let bytes = value.bytes else {
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "N"))
            return
        }
        if value.dataType == .bytea {
            // The text form `\x…` with its backslash doubled, as COPY escapes it.
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "x"))
            PostgresValue.appendHex(bytes, to: &buffer)
            return
        }
        if value.dataType.isTextual || value.dataType == .unspecified {
            bytes.withUnsafeBufferPointer { Self.appendEscaped($0, to: &buffer) }
            return
        }
        // Integers, booleans and times in place: no text made for them (nothing to escape).
        switch value.dataType {
        case .int2 where bytes.count == 2, .int4 where bytes.count == 4, .int8 where bytes.count == 8:
            var integer: Int64 = bytes[0] & 0x80 == 0 ? 0 : -1  // sign-extended big-endian
            for byte in bytes { integer = (integer << 8) | Int64(byte) }
            Self.appendDecimal(integer, to: &buffer)
            return
        case .bool where bytes.count == 1:
            buffer.append(bytes[0] != 0 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
            return
        case .timestamptz where bytes.count == 8, .timestamp where bytes.count == 8:
            // Rows of one batch usually share their times: the last one's text is kept.
            var micros: Int64 = 0
            for byte in bytes { micros = (micros << 8) | Int64(byte) }
            if lastCopiedTime?.micros != micros {
                lastCopiedTime = (micros, Array(formatTimestamp(microsecondsSincePostgresEpoch: micros).utf8))
            }
            buffer.append(contentsOf: lastCopiedTime!.text)
            return
        default:
            break
        }
        var text = try value.textRepresentation() ?? ""
        text.withUTF8 { Self.appendEscaped($0, to: &buffer) }
    }

    /// Appends `value` in decimal.
    static func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64) = (0, 0)  // room for 20 digits, filled from the right
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                count += 1
                raw[16 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0 && count < 16
        }
        if magnitude > 0 {
            // Beyond 16 digits (rare): the leading digits first, by recursion.
            appendDecimal(Int64(magnitude), to: &buffer)
        }
        withUnsafeBytes(of: &digits) { raw in buffer.append(contentsOf: raw[(16 - count)..<16]) }
    }

    /// Appends `bytes` with COPY's escapes, copying the runs between escaped bytes at once.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        var runStart = 0
        for (index, byte) in bytes.enumerated() {
            let escaped: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            default: continue
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(escaped)
            runStart = index + 1
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    // MARK: Results and errors

    /// Turns a result into a `PostgresResult` or an error, and frees it.
    @discardableResult
    private func consume(_ raw: OpaquePointer?, conn: OpaquePointer) throws -> PostgresResult {
        guard let raw else { throw connectionError(conn) }
        defer { PQclear(raw) }
        switch PQresultStatus(raw) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return makeResult(raw)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            // COPY is only reachable through copyIn; leave the connection for the pool to drop.
            finish()
            throw PostgresError(code: .invalidArgument, message: "COPY must go through the copy API")
        default:
            throw resultError(raw, conn: conn)
        }
    }

    private func makeResult(_ raw: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(raw))
        let columnCount = Int(PQnfields(raw))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            let name = PQfname(raw, Int32(column)).map { String(cString: $0) } ?? ""
            columns.append(PostgresColumn(name: name, dataType: PostgresDataType(oid: PQftype(raw, Int32(column)))))
        }
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var lengths: [Int] = []
        starts.reserveCapacity(rowCount * columnCount)
        lengths.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(raw, row, column) == 1 {
                    starts.append(-1)
                    lengths.append(0)
                    continue
                }
                let length = Int(PQgetlength(raw, row, column))
                starts.append(bytes.count)
                lengths.append(length)
                if length > 0, let value = PQgetvalue(raw, row, column) {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: value, count: length))
                }
            }
        }
        let affected = Int(String(cString: PQcmdTuples(raw))) ?? 0
        return PostgresResult(
            storage: .init(columns: columns, rowCount: rowCount, bytes: bytes, starts: starts, lengths: lengths),
            affectedRows: affected)
    }

    private func resultError(_ raw: OpaquePointer, conn: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(raw, code).map { String(cString: $0) }
        }
        let sqlState = field(dh_pq_diag_sqlstate()).map(SQLState.init)
        if sqlState == nil, PQstatus(conn) != CONNECTION_OK {
            return connectionError(conn)
        }
        let diagnostics = PostgresError.ServerDiagnostics(
            severity: field(dh_pq_diag_severity()), message: field(dh_pq_diag_message_primary()),
            detail: field(dh_pq_diag_message_detail()), hint: field(dh_pq_diag_message_hint()),
            schema: field(dh_pq_diag_schema_name()), table: field(dh_pq_diag_table_name()),
            column: field(dh_pq_diag_column_name()), constraint: field(dh_pq_diag_constraint_name()))
        return PostgresError.server(sqlState: sqlState, diagnostics: diagnostics)
    }

    private func connectionError(_ conn: OpaquePointer) -> PostgresError {
        let detail = String(cString: PQerrorMessage(conn))
        if PQstatus(conn) != CONNECTION_OK {
            return .unavailable("the connection to the database was lost", detail: detail)
        }
        return PostgresError(
            code: .protocolViolation, message: "libpq reported an error",
            serverDiagnostics: .init(message: detail))
    }
}

// MARK: - C argument helpers

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var storage = strings.map { strdup($0) }
    defer { storage.forEach { free($0) } }
    storage.append(nil)
    return storage.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { body($0.baseAddress!) }
    }
}

/// Lays out bind parameters the way PQexecParams wants them: all in binary format.
private func withParameters<R>(
    _ parameters: [PostgresValue],
    _ body: (
        Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
        UnsafePointer<Int32>?
    ) -> R
) -> R {
    if parameters.isEmpty { return body(0, nil, nil, nil, nil) }
    var bytes: [UInt8] = []
    var offsets: [Int] = []
    for parameter in parameters {
        if let value = parameter.bytes {
            offsets.append(bytes.count)
            bytes.append(contentsOf: value)
        } else {
            offsets.append(-1)
        }
    }
    bytes.append(0)  // never an empty buffer, so every offset has a valid address
    let types = parameters.map(\.dataType.oid)
    let lengths = parameters.map { Int32($0.bytes?.count ?? 0) }
    let formats = [Int32](repeating: 1, count: parameters.count)
    return bytes.withUnsafeBufferPointer { buffer in
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
        let pointers: [UnsafePointer<CChar>?] = offsets.map { $0 < 0 ? nil : base + $0 }
        return pointers.withUnsafeBufferPointer { values in
            types.withUnsafeBufferPointer { types in
                lengths.withUnsafeBufferPointer { lengths in
                    formats.withUnsafeBufferPointer { formats in
                        body(
                            Int32(parameters.count), types.baseAddress, values.baseAddress,
                            lengths.baseAddress, formats.baseAddress)
                    }
                }
            }
        }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let parts = components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
