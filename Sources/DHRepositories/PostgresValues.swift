import DHStorage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

extension PostgresValue {
    /// A `timestamptz` from microseconds since 1970, exactly (no detour through `Date`).
    static func timestamp(microseconds: Int64) -> PostgresValue {
        var big = (microseconds - postgresEpochMicroseconds).bigEndian
        let bytes = withUnsafeBytes(of: &big) { Array($0) }
        return PostgresValue(dataType: .timestamptz, bytes: bytes)
    }

    /// A `timestamptz` from a date, rounded to microseconds.
    static func timestamp(_ date: Date) -> PostgresValue {
        timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}

extension PostgresDataType {
    static let int4Array = PostgresDataType(oid: 1007)
    static let int8Array = PostgresDataType(oid: 1016)
    static let textArray = PostgresDataType(oid: 1009)
    static let byteaArray = PostgresDataType(oid: 1001)
    static let boolArray = PostgresDataType(oid: 1000)
    static let timestamptzArray = PostgresDataType(oid: 1185)
}

/// Builds a one-dimensional array parameter without NULLs, in PostgreSQL's binary array format
/// (dimensions, no-null flag, element type, length and lower bound, then each element as a
/// length and its binary value): a whole column of a batch as one bind parameter.
struct PostgresArrayBuilder {
    private let elementType: PostgresDataType
    private let arrayType: PostgresDataType
    private var count: Int32 = 0
    private var elements: [UInt8] = []

    init(elementType: PostgresDataType, arrayType: PostgresDataType, capacity: Int = 0) {
        self.elementType = elementType
        self.arrayType = arrayType
        elements.reserveCapacity(capacity)
    }

    mutating func append(_ value: PostgresValue) {
        let bytes = value.bytes ?? []
        appendInteger(Int32(bytes.count), to: &elements)
        elements += bytes
        count += 1
    }

    var value: PostgresValue {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + elements.count)
        appendInteger(Int32(1), to: &bytes)
        appendInteger(Int32(0), to: &bytes)
        appendInteger(Int32(bitPattern: elementType.oid), to: &bytes)
        appendInteger(count, to: &bytes)
        appendInteger(Int32(1), to: &bytes)
        bytes += elements
        return PostgresValue(dataType: arrayType, bytes: bytes)
    }
}

private func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    var big = value.bigEndian
    withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
}
