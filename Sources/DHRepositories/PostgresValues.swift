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
