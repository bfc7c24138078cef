/// Appends protobuf wire-format values to a byte array.
///
/// The simple, growable writer: tools and descriptors use it. Hot paths size a
/// message first and write it into one buffer of exactly that size.
public struct BinaryWriter: Sendable {
    @usableFromInline
    internal var storage: [UInt8]
    public var bytes: [UInt8] { storage }

    public init(capacity: Int = 0) {
        storage = []
        storage.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        append(UInt8(value))
    }

    @inlinable
    public mutating func writeTag(_ fieldNumber: Int32, _ wireType: WireType) {
        writeVarint(UInt64(FieldTag(fieldNumber: fieldNumber, wireType: wireType).rawValue))
    }

    @inlinable
    public mutating func writeFixed32(_ value: UInt32) {
        var value = value.littleEndian
        Swift.withUnsafeBytes(of: &value) { storage.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeFixed64(_ value: UInt64) {
        var value = value.littleEndian
        Swift.withUnsafeBytes(of: &value) { storage.append(contentsOf: $0) }
    }

    /// Writes a length prefix and then the bytes.
    @inlinable
    public mutating func writeLengthDelimited(_ payload: some Collection<UInt8>) {
        writeVarint(UInt64(payload.count))
        storage.append(contentsOf: payload)
    }

    @inlinable
    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { writeLengthDelimited($0) }
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        storage.append(byte)
    }

    @inlinable
    public mutating func append(contentsOf other: some Collection<UInt8>) {
        storage.append(contentsOf: other)
    }
}
