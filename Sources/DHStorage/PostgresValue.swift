public import Foundation

/// A PostgreSQL type, named by its OID.
public struct PostgresDataType: Sendable, Hashable, CustomStringConvertible {
    public let oid: UInt32
    public init(oid: UInt32) { self.oid = oid }

    /// Lets the server infer the type from the statement.
    public static let unspecified = PostgresDataType(oid: 0)
    public static let bool = PostgresDataType(oid: 16)
    public static let bytea = PostgresDataType(oid: 17)
    public static let name = PostgresDataType(oid: 19)
    public static let int8 = PostgresDataType(oid: 20)
    public static let int2 = PostgresDataType(oid: 21)
    public static let int4 = PostgresDataType(oid: 23)
    public static let text = PostgresDataType(oid: 25)
    public static let oidType = PostgresDataType(oid: 26)
    public static let json = PostgresDataType(oid: 114)
    public static let float4 = PostgresDataType(oid: 700)
    public static let float8 = PostgresDataType(oid: 701)
    public static let numeric = PostgresDataType(oid: 1700)
    public static let bpchar = PostgresDataType(oid: 1042)
    public static let varchar = PostgresDataType(oid: 1043)
    public static let timestamp = PostgresDataType(oid: 1114)
    public static let timestamptz = PostgresDataType(oid: 1184)
    public static let uuid = PostgresDataType(oid: 2950)
    public static let jsonb = PostgresDataType(oid: 3802)

    public var description: String {
        switch self {
        case .bool: "bool"
        case .bytea: "bytea"
        case .name: "name"
        case .int8: "int8"
        case .int2: "int2"
        case .int4: "int4"
        case .text: "text"
        case .json: "json"
        case .float4: "float4"
        case .float8: "float8"
        case .bpchar: "bpchar"
        case .varchar: "varchar"
        case .timestamp: "timestamp"
        case .timestamptz: "timestamptz"
        case .uuid: "uuid"
        case .jsonb: "jsonb"
        case .numeric: "numeric"
        default: "oid \(oid)"
        }
    }

    var isTextual: Bool {
        self == .text || self == .varchar || self == .bpchar || self == .name || self == .json
    }
}

/// One bind parameter or COPY field in PostgreSQL's binary format, or NULL.
public struct PostgresValue: Sendable, Hashable {
    public var dataType: PostgresDataType
    /// The binary representation; `nil` is SQL NULL.
    public var bytes: [UInt8]?

    public init(dataType: PostgresDataType, bytes: [UInt8]?) {
        self.dataType = dataType
        self.bytes = bytes
    }

    public static func null(_ dataType: PostgresDataType = .unspecified) -> PostgresValue {
        PostgresValue(dataType: dataType, bytes: nil)
    }
}

extension PostgresValue: CustomStringConvertible, CustomReflectable {
    /// The type and size only; never the value (it may be health data).
    public var description: String {
        guard let bytes else { return "NULL \(dataType)" }
        return "\(dataType) (\(bytes.count) bytes)"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["dataType": dataType, "isNull": bytes == nil], displayStyle: .struct)
    }
}

/// A Swift value that can be sent to PostgreSQL as a bind parameter.
public protocol PostgresEncodable: Sendable {
    /// The PostgreSQL type the value is sent as.
    static var postgresDataType: PostgresDataType { get }
    /// The value in PostgreSQL's binary format.
    func postgresValue() -> PostgresValue
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL cell. Throws ``PostgresError/Code/decodingFailed`` if the column's
    /// type does not fit.
    static func decode(from cell: PostgresCell) throws -> Self
    /// The value for a NULL cell; throws for non-optional types.
    static func decodeNull(column: String) throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull(column: String) throws -> Self {
        throw PostgresError.decoding("column \(column) is NULL but \(Self.self) is not optional")
    }
}

/// A non-NULL cell of a result, in binary format.
public struct PostgresCell: Sendable {
    public let dataType: PostgresDataType
    public let columnName: String
    public let bytes: ArraySlice<UInt8>

    func mismatch<T>(_ type: T.Type) -> PostgresError {
        .decoding("column \(columnName) of type \(dataType) cannot be decoded as \(T.self)")
    }

    func readInteger<I: FixedWidthInteger>(_: I.Type) throws -> I {
        guard bytes.count == MemoryLayout<I>.size else {
            throw PostgresError.decoding("column \(columnName) has \(bytes.count) bytes for \(dataType)")
        }
        var value: I = 0
        for byte in bytes { value = (value << 8) | I(byte) }
        return value
    }

    /// A `numeric` in its text form (`-12.3400`, `NaN`, `Infinity`), from the binary form:
    /// digit count, weight, sign and display scale, then base-10000 digits.
    func readNumericText() throws -> String {
        guard dataType == .numeric, bytes.count >= 8 else { throw mismatch(String.self) }
        func word(_ index: Int) -> Int {
            let start = bytes.startIndex + index * 2
            return Int(Int16(bitPattern: UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1])))
        }
        let count = word(0)
        let weight = word(1)
        let sign = UInt16(truncatingIfNeeded: word(2))
        let scale = word(3)
        guard count >= 0, bytes.count == 8 + count * 2 else { throw mismatch(String.self) }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        func digit(_ index: Int) -> Int { index >= 0 && index < count ? word(4 + index) : 0 }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(digit(0))
            for index in stride(from: 1, through: weight, by: 1) {
                let group = String(digit(index))
                text += String(repeating: "0", count: 4 - group.count) + group
            }
        }
        if scale > 0 {
            var fraction = ""
            var group = 1
            while fraction.count < scale {
                let value = String(digit(weight + group))
                fraction += String(repeating: "0", count: 4 - value.count) + value
                group += 1
            }
            text += "." + fraction.prefix(scale)
        }
        return text
    }

    func readText() throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PostgresError.decoding("column \(columnName) is not valid UTF-8")
        }
        return text
    }
}

@inline(__always)
func bigEndianBytes<I: FixedWidthInteger>(_ value: I) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

// MARK: - Optional

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { Wrapped.postgresDataType }
    public func postgresValue() -> PostgresValue {
        switch self {
        case .some(let value): value.postgresValue()
        case .none: .null(Wrapped.postgresDataType)
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Self { try Wrapped.decode(from: cell) }
    public static func decodeNull(column: String) throws -> Self { nil }
}

// MARK: - Integers

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public func postgresValue() -> PostgresValue { PostgresValue(dataType: .int8, bytes: bigEndianBytes(self)) }
    public static func decode(from cell: PostgresCell) throws -> Int64 {
        switch cell.dataType {
        case .int8: return try cell.readInteger(Int64.self)
        case .int4: return Int64(try cell.readInteger(Int32.self))
        case .int2: return Int64(try cell.readInteger(Int16.self))
        case .oidType: return Int64(try cell.readInteger(UInt32.self))
        case .numeric:
            // Whole numbers only, e.g. sum(int8); a fraction other than zeros does not fit.
            let text = try cell.readNumericText()
            let parts = text.split(separator: ".", maxSplits: 1)
            guard let whole = parts.first.flatMap({ Int64($0) }),
                parts.count == 1 || parts[1].allSatisfy({ $0 == "0" })
            else { throw cell.mismatch(Int64.self) }
            return whole
        default: throw cell.mismatch(Int64.self)
        }
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public func postgresValue() -> PostgresValue { Int64(self).postgresValue() }
    public static func decode(from cell: PostgresCell) throws -> Int {
        Int(try Int64.decode(from: cell))
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .int4 }
    public func postgresValue() -> PostgresValue { PostgresValue(dataType: .int4, bytes: bigEndianBytes(self)) }
    public static func decode(from cell: PostgresCell) throws -> Int32 {
        let wide = try Int64.decode(from: cell)
        guard let value = Int32(exactly: wide) else { throw cell.mismatch(Int32.self) }
        return value
    }
}

// MARK: - Bool, Double

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .bool }
    public func postgresValue() -> PostgresValue { PostgresValue(dataType: .bool, bytes: [self ? 1 : 0]) }
    public static func decode(from cell: PostgresCell) throws -> Bool {
        guard cell.dataType == .bool, cell.bytes.count == 1 else { throw cell.mismatch(Bool.self) }
        return cell.bytes.first != 0
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .float8 }
    public func postgresValue() -> PostgresValue {
        PostgresValue(dataType: .float8, bytes: bigEndianBytes(bitPattern))
    }
    public static func decode(from cell: PostgresCell) throws -> Double {
        switch cell.dataType {
        case .float8: Double(bitPattern: try cell.readInteger(UInt64.self))
        case .float4: Double(Float(bitPattern: try cell.readInteger(UInt32.self)))
        case .int2, .int4, .int8: Double(try Int64.decode(from: cell))
        case .numeric:
            try Double(cell.readNumericText()) ?? { throw cell.mismatch(Double.self) }()
        default: throw cell.mismatch(Double.self)
        }
    }
}

// MARK: - Text

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .text }
    public func postgresValue() -> PostgresValue { PostgresValue(dataType: .text, bytes: Array(utf8)) }
    /// Decodes text-like columns (`text`, `varchar`, `char`, `name`, `json`) and `jsonb`
    /// (as its JSON text). Cast other types to `text` in SQL.
    public static func decode(from cell: PostgresCell) throws -> String {
        if cell.dataType.isTextual { return try cell.readText() }
        if cell.dataType == .jsonb { return try PostgresJSONB.decode(from: cell).text }
        if cell.dataType == .numeric { return try cell.readNumericText() }
        throw cell.mismatch(String.self)
    }
}

/// A `jsonb` value, carried as its JSON text.
public struct PostgresJSONB: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The binary format of `jsonb` is a version byte followed by the text.
    static let formatVersion: UInt8 = 1

    public var text: String
    public init(_ text: String) { self.text = text }

    public static var postgresDataType: PostgresDataType { .jsonb }
    public func postgresValue() -> PostgresValue {
        PostgresValue(dataType: .jsonb, bytes: [Self.formatVersion] + Array(text.utf8))
    }
    public static func decode(from cell: PostgresCell) throws -> PostgresJSONB {
        switch cell.dataType {
        case .jsonb:
            guard cell.bytes.first == formatVersion else { throw cell.mismatch(PostgresJSONB.self) }
            let body = PostgresCell(dataType: .text, columnName: cell.columnName, bytes: cell.bytes.dropFirst())
            return PostgresJSONB(try body.readText())
        case .json:
            return PostgresJSONB(try cell.readText())
        default:
            throw cell.mismatch(PostgresJSONB.self)
        }
    }
}

// MARK: - bytea

extension Array: PostgresEncodable where Element == UInt8 {
    public static var postgresDataType: PostgresDataType { .bytea }
    public func postgresValue() -> PostgresValue { PostgresValue(dataType: .bytea, bytes: self) }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static func decode(from cell: PostgresCell) throws -> [UInt8] {
        guard cell.dataType == .bytea else { throw cell.mismatch([UInt8].self) }
        return Array(cell.bytes)
    }
}

// MARK: - Timestamps

/// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
let postgresEpochOffsetMicroseconds: Int64 = 946_684_800 * 1_000_000

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresDataType: PostgresDataType { .timestamptz }
    /// Sent as `timestamptz` with microsecond precision (PostgreSQL's own).
    public func postgresValue() -> PostgresValue {
        let unixMicros = (timeIntervalSince1970 * 1_000_000).rounded()
        let micros = Int64(unixMicros) - postgresEpochOffsetMicroseconds
        return PostgresValue(dataType: .timestamptz, bytes: bigEndianBytes(micros))
    }
    /// Decodes `timestamptz`, and `timestamp` read as UTC. Infinite timestamps are rejected.
    public static func decode(from cell: PostgresCell) throws -> Date {
        guard cell.dataType == .timestamptz || cell.dataType == .timestamp else {
            throw cell.mismatch(Date.self)
        }
        let micros = try cell.readInteger(Int64.self)
        guard micros != .max, micros != .min else {
            throw PostgresError.decoding("column \(cell.columnName) holds an infinite timestamp")
        }
        let unixMicros = micros + postgresEpochOffsetMicroseconds
        return Date(timeIntervalSince1970: Double(unixMicros) / 1_000_000)
    }
}

// MARK: - Text rendering for COPY

extension PostgresValue {
    /// Appends `bytes` as lowercase hex digits, two a byte (bytea's text form after `\x`).
    static func appendHex(_ bytes: [UInt8], to buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: bytes.count * 2))
        buffer.withUnsafeMutableBufferPointer { out in
            ("0123456789abcdef" as StaticString).withUTF8Buffer { hex in
                var index = start
                for byte in bytes {
                    out[index] = hex[Int(byte >> 4)]
                    out[index + 1] = hex[Int(byte & 0x0F)]
                    index += 2
                }
            }
        }
    }

    /// The value in PostgreSQL's text format, as COPY's text format wants it (before COPY's
    /// own escaping). `nil` for NULL.
    func textRepresentation() throws -> String? {
        guard let bytes else { return nil }
        let cell = PostgresCell(dataType: dataType, columnName: "COPY field", bytes: bytes[...])
        switch dataType {
        case .bool: return try Bool.decode(from: cell) ? "t" : "f"
        case .int2, .int4, .int8: return String(try Int64.decode(from: cell))
        case .float4, .float8:
            let value = try Double.decode(from: cell)
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
            return "\(value)"
        case .jsonb: return try PostgresJSONB.decode(from: cell).text
        case .bytea:
            var text = [UInt8]("\\x".utf8)
            Self.appendHex(bytes, to: &text)
            return String(decoding: text, as: UTF8.self)
        case .timestamptz, .timestamp:
            let micros = try cell.readInteger(Int64.self)
            return formatTimestamp(microsecondsSincePostgresEpoch: micros)
        default:
            if dataType.isTextual || dataType == .unspecified { return try cell.readText() }
            throw PostgresError(
                code: .invalidArgument, message: "values of type \(dataType) cannot be copied")
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS.ffffff+00`, computed with the proleptic Gregorian calendar.
func formatTimestamp(microsecondsSincePostgresEpoch micros: Int64) -> String {
    let unixMicros = micros + postgresEpochOffsetMicroseconds
    let perDay: Int64 = 86_400_000_000
    var days = unixMicros / perDay
    var remainder = unixMicros % perDay
    if remainder < 0 {
        remainder += perDay
        days -= 1
    }
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    let seconds = remainder / 1_000_000
    let fraction = remainder % 1_000_000
    func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let date =
        year > 0
        ? "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))" : "\(pad(1 - year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    let time = "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 6))"
    return "\(date) \(time)+00" + (year > 0 ? "" : " BC")
}
