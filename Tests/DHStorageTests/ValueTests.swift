@testable import DHStorage
import Foundation
import Testing

@Suite("Storage values, queries and errors (no database)")
struct ValueTests {
    @Test("interpolated values become numbered parameters, never SQL text")
    func interpolation() {
        let name = "Robert'); DROP TABLE patients;--"
        let query: PostgresQuery = "SELECT * FROM \(identifier: "odd \"table\"") WHERE name = \(name) AND age > \(42) AND note = \(String?.none)"
        #expect(query.sql == #"SELECT * FROM "odd ""table""" WHERE name = $1 AND age > $2 AND note = $3"#)
        #expect(query.parameters.count == 3)
        #expect(query.parameters[0] == PostgresValue(dataType: .text, bytes: Array(name.utf8)))
        #expect(query.parameters[1] == PostgresValue(dataType: .int8, bytes: [0, 0, 0, 0, 0, 0, 0, 42]))
        #expect(query.parameters[2] == .null(.text))
        #expect(!query.sql.contains("DROP"))
        // Printing or dumping a query shows its SQL and parameter types, never the values.
        #expect(query.description.hasSuffix("[parameters: text, int8, text]"))
        var dumped = ""
        dump(query, to: &dumped)
        #expect(!dumped.contains("DROP"))
        #expect(!String(reflecting: query.parameters[0]).contains("Robert"))
    }

    @Test("values encode in PostgreSQL's binary format")
    func binaryEncoding() {
        #expect(true.postgresValue().bytes == [1])
        #expect(Int32(-2).postgresValue().bytes == [0xFF, 0xFF, 0xFF, 0xFE])
        #expect(1.0.postgresValue().bytes == [0x3F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(PostgresJSONB("{}").postgresValue().bytes == [1, UInt8(ascii: "{"), UInt8(ascii: "}")])
        // 2000-01-01 00:00:00 UTC is PostgreSQL's epoch: zero microseconds.
        #expect(Date(timeIntervalSince1970: 946_684_800).postgresValue().bytes == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("timestamps render in COPY's text form", arguments: [
        (Int64(0), "2000-01-01 00:00:00.000000+00"),
        (Int64(-946_684_800_000_000), "1970-01-01 00:00:00.000000+00"),
        (Int64(730_000_123_456), "2000-01-09 10:46:40.123456+00"),
        (Int64(-1), "1999-12-31 23:59:59.999999+00"),
        (Int64(4_107_542_400_000_000), "2130-03-01 00:00:00.000000+00"),
        (Int64(3_034_627_200_000_000), "2096-02-29 00:00:00.000000+00"),
    ])
    func timestampText(micros: Int64, text: String) {
        #expect(formatTimestamp(microsecondsSincePostgresEpoch: micros) == text)
    }

    @Test("text rendering for COPY covers every encodable type")
    func copyText() throws {
        #expect(try true.postgresValue().textRepresentation() == "t")
        #expect(try 12.postgresValue().textRepresentation() == "12")
        #expect(try Double.nan.postgresValue().textRepresentation() == "NaN")
        #expect(try (-Double.infinity).postgresValue().textRepresentation() == "-Infinity")
        #expect(try [UInt8]([0x00, 0xAB]).postgresValue().textRepresentation() == "\\x00ab")
        #expect(try Int?.none.postgresValue().textRepresentation() == nil)
        let uuid = PostgresValue(dataType: .uuid, bytes: Array(repeating: 0, count: 16))
        #expect(throws: PostgresError.self) { try uuid.textRepresentation() }
    }

    @Test("an error's description names code and SQLSTATE but not the server's words")
    func errorDescription() {
        let error = PostgresError.server(
            sqlState: .uniqueViolation,
            diagnostics: .init(
                message: "duplicate key value violates unique constraint",
                detail: "Key (email)=(patient@example.jp) already exists.", constraint: "patients_email_key"))
        #expect(error.code == .constraintViolation)
        #expect(error.description == "constraintViolation: a unique constraint was violated (SQLSTATE 23505)")
        #expect(!error.description.contains("patient@example.jp"))
        #expect(error.logDescription.contains("patient@example.jp"))
        #expect(error.logDescription.contains("patients_email_key"))
        var dumped = ""
        dump(error, to: &dumped)
        #expect(!dumped.contains("patient@example.jp"))
    }

    @Test("SQLSTATEs map to codes", arguments: [
        ("40001", PostgresError.Code.transactionConflict), ("40P01", .transactionConflict),
        ("57P01", .unavailable), ("57P03", .unavailable), ("08006", .unavailable), ("53300", .unavailable),
        ("57014", .timeout), ("55P03", .timeout), ("23503", .constraintViolation), ("23P01", .constraintViolation),
        ("42P01", .queryFailed), ("22012", .queryFailed), ("XX000", .queryFailed),
    ])
    func sqlStateMapping(state: String, code: PostgresError.Code) {
        let error = PostgresError.server(sqlState: SQLState(state), diagnostics: nil)
        #expect(error.code == code)
        #expect(error.isTransactionConflict == (code == .transactionConflict))
    }

    @Test("migration checksums follow the SQL")
    func checksums() {
        let one = Migration(version: 1, name: "a", sql: "CREATE TABLE a (id int)")
        let same = Migration(version: 1, name: "renamed", sql: "CREATE TABLE a (id int)")
        let changed = Migration(version: 1, name: "a", sql: "CREATE TABLE a (id bigint)")
        #expect(one.checksum == same.checksum)
        #expect(one.checksum != changed.checksum)
        #expect(one.checksum.count == 16)
    }
}
