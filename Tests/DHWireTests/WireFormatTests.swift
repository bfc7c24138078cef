import DHWire
import Testing

@Suite("Wire format primitives")
struct WireFormatTests {
    static let varints: [(UInt64, [UInt8])] = [
        (0, [0x00]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (150, [0x96, 0x01]),
        (16_383, [0xFF, 0x7F]),
        (16_384, [0x80, 0x80, 0x01]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test("varints round-trip and have the specified sizes", arguments: varints)
    func varint(value: UInt64, encoding: [UInt8]) throws {
        var writer = BinaryWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == encoding)
        #expect(Varint.encodedSize(value) == encoding.count)
        var reader = BinaryReader(encoding)
        #expect(try reader.readVarint() == value)
        #expect(reader.isAtEnd)
    }

    @Test("negative int32 takes ten bytes")
    func negativeInt32() {
        #expect(Varint.encodedSize(int32: -1) == 10)
        #expect(Varint.encodedSize(int32: Int32.max) == 5)
    }

    @Test("zig-zag maps small magnitudes to small numbers")
    func zigZag() {
        #expect(ZigZag.encode(Int32(0)) == 0)
        #expect(ZigZag.encode(Int32(-1)) == 1)
        #expect(ZigZag.encode(Int32(1)) == 2)
        #expect(ZigZag.encode(Int32(-2)) == 3)
        #expect(ZigZag.encode(Int32.max) == 0xFFFF_FFFE)
        #expect(ZigZag.encode(Int32.min) == 0xFFFF_FFFF)
        #expect(ZigZag.encode(Int64.min) == UInt64.max)
        for value in [Int64.min, -12345, -1, 0, 1, 99_999, Int64.max] {
            #expect(ZigZag.decode(ZigZag.encode(value)) == value)
        }
    }

    @Test("malformed input gives typed errors, never a trap")
    func malformed() {
        func code(_ bytes: [UInt8], _ read: (inout BinaryReader) throws -> Void) -> WireError.Code? {
            var reader = BinaryReader(bytes)
            do {
                try read(&reader)
                return nil
            } catch {
                return (error as? WireError)?.code
            }
        }
        #expect(code([0x80]) { _ = try $0.readVarint() } == .truncated)
        #expect(code(Array(repeating: 0xFF, count: 11)) { _ = try $0.readVarint() } == .malformedVarint)
        #expect(
            code([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]) { _ = try $0.readVarint() }
                == .malformedVarint)
        #expect(code([0x00]) { _ = try $0.readTag() } == .invalidFieldNumber)
        #expect(code([0x0E]) { _ = try $0.readTag() } == .invalidWireType)
        #expect(code([0x05, 0x61]) { _ = try $0.readLengthDelimited() } == .lengthPastEnd)
        #expect(code([0x02, 0xC3, 0x28]) { _ = try $0.readString() } == .invalidUTF8)
        #expect(code([0x01, 0x02, 0x03]) { _ = try $0.readFixed32() } == .truncated)
        #expect(code([]) { try $0.skip(.startGroup) } == .groupsNotSupported)
    }

    @Test("a tag, a string and fixed values read back in order")
    func mixed() throws {
        var writer = BinaryWriter()
        writer.writeTag(1, .lengthDelimited)
        writer.writeString("医療機関")
        writer.writeTag(2, .fixed32)
        writer.writeFixed32(0xDEAD_BEEF)
        writer.writeTag(536_870_911, .fixed64)
        writer.writeFixed64(0x0102_0304_0506_0708)
        var reader = BinaryReader(writer.bytes)
        #expect(try reader.readTag() == FieldTag(fieldNumber: 1, wireType: .lengthDelimited))
        #expect(try reader.readString() == "医療機関")
        #expect(try reader.readTag() == FieldTag(fieldNumber: 2, wireType: .fixed32))
        #expect(try reader.readFixed32() == 0xDEAD_BEEF)
        #expect(try reader.readTag() == FieldTag(fieldNumber: 536_870_911, wireType: .fixed64))
        #expect(try reader.readFixed64() == 0x0102_0304_0506_0708)
        #expect(try reader.readTag() == nil)
    }
}
