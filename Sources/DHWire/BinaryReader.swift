/// Reads protobuf wire-format values from a byte array, with typed errors and no traps.
public struct BinaryReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    public var isAtEnd: Bool { offset >= end }

    public mutating func readVarint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else {
                throw WireError(code: .truncated, offset: start, message: "varint runs past the end of the input")
            }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 {
                throw WireError(code: .malformedVarint, offset: start, message: "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 {
                throw WireError(code: .malformedVarint, offset: start, message: "varint longer than ten bytes")
            }
        }
    }

    /// Reads a key; returns nil at the end of the input.
    public mutating func readTag() throws(WireError) -> FieldTag? {
        guard !isAtEnd else { return nil }
        let start = offset
        let key = try readVarint()
        guard key <= UInt64(UInt32.max) else {
            throw WireError(code: .invalidFieldNumber, offset: start, message: "key does not fit 32 bits")
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw WireError(code: .invalidWireType, offset: start, message: "wire type \(key & 7) does not exist")
        }
        let number = Int32(truncatingIfNeeded: key >> 3)
        guard number > 0 else {
            throw WireError(code: .invalidFieldNumber, offset: start, message: "field number 0")
        }
        return FieldTag(fieldNumber: number, wireType: wireType)
    }

    public mutating func readFixed32() throws(WireError) -> UInt32 {
        guard end - offset >= 4 else {
            throw WireError(code: .truncated, offset: offset, message: "fixed32 runs past the end of the input")
        }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * index) }
        offset += 4
        return value
    }

    public mutating func readFixed64() throws(WireError) -> UInt64 {
        guard end - offset >= 8 else {
            throw WireError(code: .truncated, offset: offset, message: "fixed64 runs past the end of the input")
        }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * index) }
        offset += 8
        return value
    }

    public mutating func readLengthDelimited() throws(WireError) -> ArraySlice<UInt8> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else {
            throw WireError(
                code: .lengthPastEnd, offset: start, message: "length \(length) runs past the end of the input")
        }
        let slice = bytes[offset..<offset + Int(length)]
        offset += Int(length)
        return slice
    }

    public mutating func readString() throws(WireError) -> String {
        let start = offset
        let slice = try readLengthDelimited()
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw WireError(code: .invalidUTF8, offset: start, message: "string field is not valid UTF-8")
        }
        return text
    }

    /// Skips the value of a field whose key was just read. Groups are rejected.
    public mutating func skip(_ wireType: WireType) throws(WireError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup:
            throw WireError(code: .groupsNotSupported, offset: offset, message: "groups are not supported")
        }
    }
}
