/// The protobuf binary wire format's building blocks: wire types, tags, varints, zig-zag.
///
/// Specification: https://protobuf.dev/programming-guides/encoding/
public enum WireType: UInt8, Sendable, Hashable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Field-number limits of the protobuf language.
public enum FieldNumber {
    /// The largest field number: 2^29 - 1.
    public static let maximum: Int32 = 536_870_911
    /// The range reserved for the protobuf implementation.
    public static let reservedRange: ClosedRange<Int32> = 19000...19999
}

public enum Varint {
    /// How many bytes the varint encoding of `value` takes (1...10).
    @inlinable
    public static func encodedSize(_ value: UInt64) -> Int {
        // Every 7 significant bits take one byte; zero takes one byte.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// The encoded size of a signed 32-bit value as protobuf writes `int32`:
    /// negative values are sign-extended to 64 bits and take ten bytes.
    @inlinable
    public static func encodedSize(int32 value: Int32) -> Int {
        encodedSize(UInt64(bitPattern: Int64(value)))
    }
}

public enum ZigZag {
    @inlinable public static func encode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value &<< 1) ^ (value >> 31))
    }
    @inlinable public static func encode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value &<< 1) ^ (value >> 63))
    }
    @inlinable public static func decode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
    @inlinable public static func decode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }
}

/// A field key: `(field_number << 3) | wire_type`.
public struct FieldTag: Sendable, Hashable {
    public let fieldNumber: Int32
    public let wireType: WireType

    @inlinable
    public init(fieldNumber: Int32, wireType: WireType) {
        self.fieldNumber = fieldNumber
        self.wireType = wireType
    }

    /// The key as written on the wire.
    @inlinable
    public var rawValue: UInt32 {
        UInt32(bitPattern: fieldNumber) << 3 | UInt32(wireType.rawValue)
    }
}
