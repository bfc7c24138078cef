import DHStorage
import Foundation
import Testing

extension PostgresTests {
    @Suite("Connection")
    struct ConnectionTests {
        func connect(
            adjust: (inout PostgresConnectionConfiguration) -> Void = { _ in }
        ) async throws
            -> PostgresConnection
        {
            var configuration = try SharedCluster.require().connectionConfiguration
            adjust(&configuration)
            return try await PostgresConnection.connect(configuration: configuration)
        }

        @Test("every supported type round-trips through bind parameters and a table")
        func typesRoundTrip() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("types")
            try await connection.execute(
                """
                CREATE TABLE \(identifier: table) (
                    id int4 PRIMARY KEY, small int2, big int8, flag bool, ratio float8, label text,
                    payload bytea, at timestamptz, document jsonb, plain timestamp, short varchar(20)
                )
                """)
            let allBytes = (0...255).map(UInt8.init)
            let instant = Date(timeIntervalSince1970: 1_732_400_000.123456)
            let label = "患者 \"quoted\" 'single' \\ tab\tnewline\n 😀"
            let inserted = try await connection.execute(
                """
                INSERT INTO \(identifier: table) VALUES
                (\(Int32(1)), \(Int32(-32768)), \(Int64.max), \(true), \(-1.5e300), \(label),
                 \(allBytes), \(instant), \(PostgresJSONB(#"{"b": [1, 2], "a": null}"#)),
                 \(instant), \("short"))
                """)
            #expect(inserted == 1)

            let row = try #require(try await connection.query("SELECT * FROM \(identifier: table)").singleRow())
            #expect(try row.decode(Int.self, column: "id") == 1)
            #expect(try row.decode(Int32.self, column: "id") == 1)
            #expect(try row.decode(Int.self, column: "small") == -32768)
            #expect(try row.decode(Int64.self, column: "big") == .max)
            #expect(try row.decode(Bool.self, column: "flag") == true)
            #expect(try row.decode(Double.self, column: "ratio") == -1.5e300)
            #expect(try row.decode(String.self, column: "label") == label)
            #expect(try row.decode([UInt8].self, column: "payload") == allBytes)
            let decodedInstant = try row.decode(Date.self, column: "at")
            #expect(abs(decodedInstant.timeIntervalSince1970 - instant.timeIntervalSince1970) < 1e-6)
            #expect(try row.decode(Date.self, column: "plain") == decodedInstant)
            // jsonb is normalised by the server: keys sorted, spacing fixed.
            #expect(try row.decode(String.self, column: "document") == #"{"a": null, "b": [1, 2]}"#)
            #expect(try row.decode(PostgresJSONB.self, column: "document").text == #"{"a": null, "b": [1, 2]}"#)
            #expect(try row.decode(String.self, column: "short") == "short")
        }

        @Test("edge values survive: empty text and bytes, infinities, extreme integers, old dates")
        func edgeValues() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let old = Date(timeIntervalSince1970: -2_208_988_800)  // 1900-01-01
            let result = try await connection.query(
                "SELECT \(""), \([UInt8]()), \(Double.infinity), \(-Double.infinity), \(Int.min), \(old), \(Double.nan)"
            )
            let row = try #require(try result.singleRow())
            let (text, bytes, plus, minus, minimum, date, nan) = try row.decode(
                String.self, [UInt8].self, Double.self, Double.self, Int.self, Date.self, Double.self)
            #expect(text == "")
            #expect(bytes == [])
            #expect(plus == .infinity)
            #expect(minus == -.infinity)
            #expect(minimum == .min)
            #expect(date == old)
            #expect(nan.isNaN)
        }

        @Test("numeric decodes as text, as a whole number and as a double")
        func numeric() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let row = try #require(
                try await connection.query(
                    """
                    SELECT 12345678.9012::numeric, -0.00012::numeric, 0::numeric, 'NaN'::numeric,
                           100000000::numeric(20,2), 10000::numeric, 1.5::numeric, 9223372036854775807::numeric
                    """
                ).singleRow())
            #expect(try row.decode(String.self, column: 0) == "12345678.9012")
            #expect(try row.decode(String.self, column: 1) == "-0.00012")
            #expect(try row.decode(String.self, column: 2) == "0")
            #expect(try row.decode(String.self, column: 3) == "NaN")
            #expect(try row.decode(String.self, column: 4) == "100000000.00")
            #expect(try row.decode(Int.self, column: 4) == 100_000_000)
            #expect(try row.decode(Int.self, column: 5) == 10_000)
            #expect(try row.decode(Double.self, column: 6) == 1.5)
            #expect(try row.decode(Int64.self, column: 7) == .max)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: 6) }
        }

        @Test("NULLs decode as nil for optionals and fail for non-optionals")
        func nulls() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let result = try await connection.query(
                """
                SELECT \(Int?.none), \(String?.none), \(Bool?.none), \(Double?.none), \([UInt8]?.none),
                       \(Date?.none), \(PostgresJSONB?.none), \(Int?.some(7))
                """)
            let row = try #require(try result.singleRow())
            #expect(row.isNull(0))
            let (a, b, c, d, e, f, g, h) = try row.decode(
                Int?.self, String?.self, Bool?.self, Double?.self, [UInt8]?.self, Date?.self,
                PostgresJSONB?.self, Int?.self)
            #expect(a == nil && b == nil && c == nil && d == nil && e == nil && f == nil && g == nil)
            #expect(h == 7)
            let error = try #require(throws: PostgresError.self) { try row.decode(Int.self, column: 0) }
            #expect(error.code == .decodingFailed)
        }

        @Test("decoding a column as the wrong type fails with decodingFailed")
        func typeMismatch() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let row = try #require(try await connection.query("SELECT 42::int4, 'text'::text").singleRow())
            #expect(throws: PostgresError.self) { try row.decode(String.self, column: 0) }
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: 1) }
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: 5) }
            #expect(throws: PostgresError.self) { try row.decode(Int.self, column: "missing") }
            let error = try #require(throws: PostgresError.self) { try row.decode(Bool.self, column: 0) }
            #expect(error.code == .decodingFailed)
        }

        @Test("server errors carry SQLSTATE; their description holds no SQL and no values")
        func errorsCarrySQLState() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("patients")
            try await connection.execute(
                "CREATE TABLE \(identifier: table) (id int8 PRIMARY KEY, email text UNIQUE NOT NULL)")
            let secret = "secret-patient@example.jp"
            try await connection.execute("INSERT INTO \(identifier: table) VALUES (\(1), \(secret))")

            let duplicate = try await #require(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO \(identifier: table) VALUES (\(2), \(secret))")
            }
            #expect(duplicate.code == .constraintViolation)
            #expect(duplicate.sqlState == .uniqueViolation)
            #expect(!duplicate.description.contains(secret))
            #expect(!duplicate.description.contains("INSERT"))
            #expect(!duplicate.description.contains(table))
            #expect(!"\(duplicate)".contains(secret))
            #expect(!String(reflecting: duplicate).contains(secret))
            // The details are kept for logs.
            #expect(duplicate.logDescription.contains(secret))
            #expect(duplicate.serverDiagnostics?.constraint == "\(table)_email_key")

            let missing = try await #require(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO \(identifier: table) (id) VALUES (\(3))")
            }
            #expect(missing.sqlState == .notNullViolation)
            #expect(missing.code == .constraintViolation)

            let syntax = try await #require(throws: PostgresError.self) {
                try await connection.query("SELEKT \(secret) FROM \(identifier: table)")
            }
            #expect(syntax.sqlState == .syntaxError)
            #expect(syntax.code == .queryFailed)
            #expect(!syntax.description.contains("SELEKT"))
            #expect(!syntax.description.contains(secret))

            let badCast = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT \(secret)::int4")
            }
            #expect(badCast.sqlState == .invalidTextRepresentation)
            #expect(!badCast.description.contains(secret))
            #expect(badCast.logDescription.contains(secret))

            // The connection is still good after statement errors.
            #expect(connection.isUsable)
            let count = try await connection.query("SELECT count(*) FROM \(identifier: table)").singleRow()?
                .decode(Int.self, column: 0)
            #expect(count == 1)
        }

        @Test("a transaction rolls back when its body throws or a statement fails")
        func transactionRollback() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("ledger")
            try await connection.execute("CREATE TABLE \(identifier: table) (id int8 PRIMARY KEY)")

            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(1))")
                    throw Abort()
                }
            }
            let violation = try await #require(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(2))")
                    try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(2))")
                }
            }
            #expect(violation.sqlState == .uniqueViolation)

            // A body that swallows a failed statement cannot commit the aborted transaction.
            let swallowed = try await #require(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(3))")
                    _ = try? await tx.execute("INSERT INTO \(identifier: table) VALUES (\(3))")
                }
            }
            #expect(swallowed.code == .queryFailed)

            let committed = try await connection.withTransaction(isolation: .repeatableRead) { tx in
                try await tx.execute("INSERT INTO \(identifier: table) VALUES (\(4))")
            }
            #expect(committed == 1)
            let ids = try await connection.query("SELECT id FROM \(identifier: table) ORDER BY id").decode(Int.self)
            #expect(ids == [4])
        }

        @Test("transactions do not nest")
        func noNesting() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let error = try await #require(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.withTransaction { _ in 1 }
                }
            }
            #expect(error.code == .invalidArgument)
        }

        @Test("two conflicting SERIALIZABLE transactions: the loser is retried and both succeed")
        func serializationRetry() async throws {
            let pool = try makePool(maxConnections: 2)
            let table = uniqueName("on_call")
            try await pool.execute("CREATE TABLE \(identifier: table) (doctor text PRIMARY KEY, on_call bool NOT NULL)")
            try await pool.execute("INSERT INTO \(identifier: table) VALUES (\("alice"), \(true)), (\("bob"), \(true))")

            // Each doctor goes off call if someone else is still on call (the write-skew example).
            // Both read before either writes, so serially only one of them may go off call.
            let barrier = Barrier(parties: 2)
            let attempts = Counter()
            @Sendable func goOffCall(_ doctor: String, maxAttempts: Int) async throws -> Bool {
                let attempt = Counter()
                return try await pool.withTransaction(isolation: .serializable, maxAttempts: maxAttempts) { tx in
                    attempts.increment()
                    let onCall = try await tx.query(
                        "SELECT count(*) FROM \(identifier: table) WHERE on_call"
                    ).singleRow()?.decode(Int.self, column: 0)
                    if attempt.increment() == 1 { await barrier.arriveAndWait() }
                    guard (onCall ?? 0) >= 2 else { return false }
                    try await tx.execute("UPDATE \(identifier: table) SET on_call = false WHERE doctor = \(doctor)")
                    return true
                }
            }
            async let alice = goOffCall("alice", maxAttempts: 3)
            async let bob = goOffCall("bob", maxAttempts: 3)
            let outcomes = try await [alice, bob]
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(attempts.current == 3)  // one conflict, one retry
            let stillOnCall = try await pool.query("SELECT count(*) FROM \(identifier: table) WHERE on_call")
                .singleRow()?
                .decode(Int.self, column: 0)
            #expect(stillOnCall == 1)

            // With a single attempt allowed, the loser reports the conflict.
            try await pool.execute("UPDATE \(identifier: table) SET on_call = true")
            let secondBarrier = Barrier(parties: 2)
            @Sendable func onceOffCall(_ doctor: String) async throws {
                try await pool.withTransaction(isolation: .serializable, maxAttempts: 1) { tx in
                    let onCall = try await tx.query(
                        "SELECT count(*) FROM \(identifier: table) WHERE on_call"
                    ).singleRow()?.decode(Int.self, column: 0)
                    await secondBarrier.arriveAndWait()
                    if (onCall ?? 0) >= 2 {
                        try await tx.execute("UPDATE \(identifier: table) SET on_call = false WHERE doctor = \(doctor)")
                    }
                }
            }
            @Sendable func outcome(_ doctor: String) async -> Result<Void, any Error> {
                do { return .success(try await onceOffCall(doctor)) } catch { return .failure(error) }
            }
            async let first = outcome("alice")
            async let second = outcome("bob")
            let results = await [first, second]
            let failures = results.compactMap { result -> PostgresError? in
                if case .failure(let error) = result { return error as? PostgresError }
                return nil
            }
            #expect(failures.count == 1)
            #expect(failures.first?.code == .transactionConflict)
            #expect(failures.first?.sqlState == .serializationFailure)
            await pool.close()
        }

        @Test("a pipeline runs its statements together and atomically")
        func pipeline() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("batch")
            try await connection.execute("CREATE TABLE \(identifier: table) (id int8 PRIMARY KEY, note text)")

            var statements: [PostgresQuery] = (1...100).map {
                "INSERT INTO \(identifier: table) VALUES (\($0), \("note \($0)"))"
            }
            statements.append("SELECT count(*), sum(id) FROM \(identifier: table)")
            let results = try await connection.pipeline(statements)
            #expect(results.count == 101)
            #expect(results.prefix(100).allSatisfy { $0.affectedRows == 1 })
            let summary = try #require(try results[100].singleRow())
            #expect(try summary.decode(Int.self, Int.self) == (100, 5050))

            // A failure in the middle: the error names its position and nothing takes effect.
            let failing: [PostgresQuery] = [
                "INSERT INTO \(identifier: table) VALUES (\(101), \("new"))",
                "INSERT INTO \(identifier: table) VALUES (\(102), \("new"))",
                "INSERT INTO \(identifier: table) VALUES (\(1), \("duplicate"))",
                "INSERT INTO \(identifier: table) VALUES (\(103), \("new"))",
            ]
            let error = try await #require(throws: PostgresError.self) { try await connection.pipeline(failing) }
            #expect(error.sqlState == .uniqueViolation)
            #expect(error.pipelineIndex == 2)
            let count = try await connection.query("SELECT count(*) FROM \(identifier: table)").singleRow()?
                .decode(Int.self, column: 0)
            #expect(count == 100)
            #expect(connection.isUsable)
            #expect(try await connection.pipeline([]).isEmpty)
        }

        @Test("COPY loads 10,000 rows of every type, escaping included")
        func copy() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("bulk")
            try await connection.execute(
                """
                CREATE TABLE \(identifier: table) (
                    id int4 PRIMARY KEY, flag bool, ratio float8, label text, payload bytea,
                    at timestamptz, document jsonb, missing int8
                )
                """)
            let base = Date(timeIntervalSince1970: 1_700_000_000.5)
            let tricky = "tab\there\nnewline \\backslash\\N \r carriage 漢字"
            let rows: [[PostgresValue]] = (0..<10_000).map { index in
                [
                    Int32(index).postgresValue(), (index % 2 == 0).postgresValue(),
                    (Double(index) / 4).postgresValue(),
                    (index % 1000 == 0 ? tricky : "row \(index)").postgresValue(),
                    [UInt8(index & 0xFF), 0, 92, 10, 255].postgresValue(),
                    base.addingTimeInterval(Double(index)).postgresValue(),
                    PostgresJSONB("{\"index\": \(index)}").postgresValue(),
                    (index % 3 == 0 ? Int?.none : Int?.some(index)).postgresValue(),
                ]
            }
            let copied = try await connection.copy(
                into: table, columns: ["id", "flag", "ratio", "label", "payload", "at", "document", "missing"],
                rows: rows)
            #expect(copied == 10_000)

            let summary = try #require(
                try await connection.query(
                    """
                    SELECT count(*), sum(id), count(missing), count(*) FILTER (WHERE flag), sum(ratio),
                           count(*) FILTER (WHERE label = \(tricky))
                    FROM \(identifier: table)
                    """
                ).singleRow())
            let (count, idSum, present, flagged, ratioSum, trickyCount) = try summary.decode(
                Int.self, Int.self, Int.self, Int.self, Double.self, Int.self)
            #expect(count == 10_000)
            #expect(idSum == 49_995_000)
            #expect(present == 10_000 - 3334)
            #expect(flagged == 5000)
            #expect(ratioSum == 49_995_000.0 / 4)
            #expect(trickyCount == 10)

            let sample = try #require(
                try await connection.query(
                    "SELECT label, payload, at, document, missing FROM \(identifier: table) WHERE id = \(Int32(2000))"
                ).singleRow())
            let (label, payload, at, document, missing) = try sample.decode(
                String.self, [UInt8].self, Date.self, String.self, Int?.self)
            #expect(label == tricky)
            #expect(payload == [UInt8(2000 & 0xFF), 0, 92, 10, 255])
            #expect(at == base.addingTimeInterval(2000))
            #expect(document == #"{"index": 2000}"#)
            #expect(missing == 2000)
        }

        @Test("COPY writes 32- and 64-bit integers of either sign, booleans and repeated times exactly")
        func copyIntegersAndTimes() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("bulk_numbers")
            try await connection.execute(
                "CREATE TABLE \(identifier: table) (n int4, medium int4, large int8, flag bool, at timestamptz)"
            )
            let larges: [Int64] = [
                0, 1, -1, 9, 10, -10, 99_999_999_999_999_999, 10_000_000_000_000_000, -10_000_000_000_000_000,
                1_234_567_890_123_456_789, .max, .min,
            ]
            let times = [Date(timeIntervalSince1970: 1_795_000_000.123456), Date(timeIntervalSince1970: -86_400.5)]
            func medium(_ index: Int) -> Int32 { index % 2 == 0 ? Int32.min : Int32.max - Int32(index) }
            var rows: [[PostgresValue]] = []
            for (index, large) in larges.enumerated() {
                let row: [PostgresValue] = [
                    Int32(index).postgresValue(), medium(index).postgresValue(),
                    large.postgresValue(), (index % 3 == 0).postgresValue(), times[index / 6].postgresValue(),
                ]
                rows.append(row)
            }
            _ = try await connection.copy(
                into: table, columns: ["n", "medium", "large", "flag", "at"], rows: rows)
            let stored = try await connection.query(
                "SELECT medium, large, flag, at FROM \(identifier: table) ORDER BY n")
            let values = try stored.rows.map { try $0.decode(Int32.self, Int64.self, Bool.self, Date.self) }
            #expect(values.map { $0.1 } == larges)
            #expect(values.map { $0.0 } == larges.indices.map { medium($0) })
            #expect(values.map { $0.2 } == larges.indices.map { $0 % 3 == 0 })
            #expect(values.map { $0.3 } == larges.indices.map { times[$0 / 6] })
        }

        @Test("a failing COPY leaves nothing behind and the connection usable")
        func copyFailure() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("bulk_fail")
            try await connection.execute("CREATE TABLE \(identifier: table) (id int4 PRIMARY KEY)")
            let rows = [[1.postgresValue()], [2.postgresValue()], [1.postgresValue()]]
            let error = try await #require(throws: PostgresError.self) {
                try await connection.copy(into: table, columns: ["id"], rows: rows)
            }
            #expect(error.sqlState == .uniqueViolation)
            let wrongWidth = try await #require(throws: PostgresError.self) {
                try await connection.copy(into: table, columns: ["id"], rows: [[1.postgresValue(), 2.postgresValue()]])
            }
            #expect(wrongWidth.code == .invalidArgument)
            let count = try await connection.query("SELECT count(*) FROM \(identifier: table)").singleRow()?
                .decode(Int.self, column: 0)
            #expect(count == 0)
        }

        @Test("the server's statement timeout cancels a long statement")
        func statementTimeout() async throws {
            let connection = try await connect { $0.statementTimeout = .milliseconds(200) }
            defer { Task { await connection.close() } }
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT pg_sleep(\(30.0))")
            }
            #expect(error.code == .timeout)
            #expect(error.sqlState == .queryCanceled)
            #expect(connection.isUsable)
            #expect(try await connection.query("SELECT 1::int4").singleRow()?.decode(Int.self, column: 0) == 1)
        }

        @Test("a call's deadline cancels the statement and retires the connection")
        func callDeadline() async throws {
            let connection = try await connect { $0.statementTimeout = nil }
            defer { Task { await connection.close() } }
            let error = try await #require(throws: PostgresError.self) {
                try await connection.query("SELECT pg_sleep(\(30.0))", timeout: .milliseconds(200))
            }
            #expect(error.code == .timeout)
            #expect(error.sqlState == nil)
            #expect(!connection.isUsable)
            let after = try await #require(throws: PostgresError.self) { try await connection.query("SELECT 1") }
            #expect(after.code == .unavailable)
        }

        @Test("cancelling the calling task cancels the statement")
        func taskCancellation() async throws {
            let connection = try await connect { $0.statementTimeout = nil }
            defer { Task { await connection.close() } }
            let started = Gate()
            let task = Task {
                started.open()
                return try await connection.query("SELECT pg_sleep(\(30.0))")
            }
            await started.wait()
            task.cancel()
            let error = try await #require(throws: PostgresError.self) { try await task.value }
            #expect(error.code == .cancelled)
            #expect(!connection.isUsable)
        }

        @Test("a connection URL works as well as key=value pairs")
        func connectByURL() async throws {
            let cluster = try SharedCluster.require()
            let url = "postgresql://datahealth@/datahealth?host=\(cluster.socketDirectory)&port=54321"
            let connection = try await PostgresConnection.connect(
                configuration: PostgresConnectionConfiguration(conninfo: url))
            defer { Task { await connection.close() } }
            let row = try #require(
                try await connection.query("SELECT current_database(), current_setting('application_name')").singleRow()
            )
            #expect(try row.decode(String.self, String.self) == ("datahealth", "datahealth"))
        }

        @Test("statements are prepared once per connection, within the cache's bound")
        func preparedStatementCache() async throws {
            let connection = try await connect { $0.preparedStatementCacheSize = 2 }
            defer { Task { await connection.close() } }
            for value in 0..<3 {
                _ = try await connection.query("SELECT \(value) + 1")
                _ = try await connection.query("SELECT \(value) + 2")
                _ = try await connection.query("SELECT \(value) + 3")  // beyond the cache: unprepared
            }
            let prepared = try await connection.query("SELECT statement FROM pg_prepared_statements ORDER BY name")
                .decode(String.self)
            #expect(prepared == ["SELECT $1 + 1", "SELECT $1 + 2"])
        }

        @Test("a prepared statement survives a change of the table under it")
        func schemaChange() async throws {
            let connection = try await connect()
            defer { Task { await connection.close() } }
            let table = uniqueName("evolving")
            try await connection.execute("CREATE TABLE \(identifier: table) (id int8)")
            try await connection.execute("INSERT INTO \(identifier: table) VALUES (\(1))")
            #expect(try await connection.query("SELECT * FROM \(identifier: table)").columns.count == 1)
            try await connection.execute("ALTER TABLE \(identifier: table) ADD COLUMN note text")
            let after = try await connection.query("SELECT * FROM \(identifier: table)")
            #expect(after.columns.map(\.name) == ["id", "note"])
        }

        @Test("connecting to a server that is not there fails with unavailable")
        func unreachable() async throws {
            let directory = try makeTemporaryDirectory("dh-nowhere")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let configuration = PostgresConnectionConfiguration(
                socketDirectory: directory, port: 5432, user: "nobody", database: "nothing")
            let error = try await #require(throws: PostgresError.self) {
                try await PostgresConnection.connect(configuration: configuration)
            }
            #expect(error.code == .unavailable)
            #expect(!error.description.contains(directory))
        }
    }
}
