import DHWire
import Testing

@Suite("Message encoding and decoding")
struct MessageTests {
    @Test("every scalar type encodes to protoc's bytes and decodes back")
    func scalarsGolden() throws {
        let message = Samples.scalars
        #expect(message.serializedSize() == Samples.scalarsGolden.count)
        #expect(message.serializedBytes() == Samples.scalarsGolden)
        #expect(try Dhtest_Scalars(serializedBytes: Samples.scalarsGolden) == message)
    }

    @Test("packed, unpacked and string repeated fields encode to protoc's bytes")
    func repeatedsGolden() throws {
        let message = Samples.repeateds
        #expect(message.serializedBytes() == Samples.repeatedsGolden)
        #expect(try Dhtest_Repeateds(serializedBytes: Samples.repeatedsGolden) == message)
    }

    @Test("a message at its defaults encodes to nothing")
    func empty() throws {
        #expect(Dhtest_CareRecord().serializedBytes() == [])
        #expect(try Dhtest_CareRecord(serializedBytes: []) == Dhtest_CareRecord())
    }

    @Test("single fields have the specification's encodings")
    func singleFields() {
        var m = Dhtest_Scalars()
        m.fInt32 = 150
        #expect(m.serializedBytes() == [0x08, 0x96, 0x01])
        m = Dhtest_Scalars()
        m.fSint32 = -2
        #expect(m.serializedBytes() == [0x28, 0x03])
        m = Dhtest_Scalars()
        m.fString = "testing"
        #expect(m.serializedBytes() == [0x72, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        m = Dhtest_Scalars()
        m.fDouble = -0.0
        #expect(m.serializedBytes() == [0x61, 0, 0, 0, 0, 0, 0, 0, 0x80], "negative zero is not the default")
        m = Dhtest_Scalars()
        m.fEnum = .unrecognized(-1)
        #expect(m.serializedBytes() == [0x80, 0x01] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
    }

    @Test("a care record with every feature round-trips")
    func careRecordRoundTrip() throws {
        let record = Samples.careRecord
        let bytes = record.serializedBytes()
        #expect(bytes.count == record.serializedSize())
        let decoded = try Dhtest_CareRecord(serializedBytes: bytes)
        #expect(decoded == record)
        #expect(decoded.guardian.name == "山田 太郎")
        #expect(decoded.guardian.phone == "+81-3-0000-0000")
        #expect(decoded.observations[0].flags == [.active, .unrecognized(42), .deceased])
        #expect(decoded.scalars.fInt64 == .min)
        #expect(decoded.counters["missed"] == .min)
        #expect(decoded.switches[false] == .unrecognized(-5))
        #expect(decoded.unknownFields.isEmpty)
    }

    @Test("proto3 optional fields keep presence, also at default values")
    func optionalPresence() throws {
        var m = Dhtest_Optionals()
        #expect(!m.hasOInt32)
        #expect(m.serializedBytes() == [])
        m.oInt32 = 0
        m.oBool = false
        #expect(m.hasOInt32)
        #expect(m.serializedBytes() == [0x08, 0x00, 0x28, 0x00])
        let decoded = try Dhtest_Optionals(serializedBytes: m.serializedBytes())
        #expect(decoded.hasOInt32 && decoded.hasOBool)
        #expect(!decoded.hasOString && !decoded.hasODouble)
        var cleared = decoded
        cleared.clearOInt32()
        #expect(!cleared.hasOInt32)
        #expect(cleared.serializedBytes() == [0x28, 0x00])
    }

    @Test("a oneof holds the member read last")
    func oneofLastWins() throws {
        var a = Dhtest_CareRecord()
        a.phone = "03"
        var b = Dhtest_CareRecord()
        b.postal.city = "大阪市"
        let merged = try Dhtest_CareRecord(serializedBytes: a.serializedBytes() + b.serializedBytes())
        #expect(merged.contact == .postal(b.postal))
        let back = try Dhtest_CareRecord(serializedBytes: b.serializedBytes() + a.serializedBytes())
        #expect(back.contact == .phone("03"))
    }

    @Test("concatenated encodings merge: scalars replace, messages merge, repeated and maps append")
    func mergeSemantics() throws {
        var first = Dhtest_CareRecord()
        first.id = 1
        first.name = "first"
        first.address.prefecture = "北海道"
        first.address.postalCode = 60
        first.tags = ["a"]
        first.labels = ["k": "1", "only-first": "x"]
        first.guardian.name = "guardian"
        var second = Dhtest_CareRecord()
        second.id = 2
        second.address.city = "札幌市"
        second.tags = ["b", "c"]
        second.labels = ["k": "2"]
        second.guardian.id = 9

        var expected = Dhtest_CareRecord()
        expected.id = 2
        expected.name = "first"
        expected.address.prefecture = "北海道"
        expected.address.city = "札幌市"
        expected.address.postalCode = 60
        expected.tags = ["a", "b", "c"]
        expected.labels = ["k": "2", "only-first": "x"]
        expected.guardian.name = "guardian"
        expected.guardian.id = 9

        let decoded = try Dhtest_CareRecord(serializedBytes: first.serializedBytes() + second.serializedBytes())
        #expect(decoded == expected)

        var merged = first
        merged.merge(second)
        #expect(merged == expected)

        var incremental = first
        try incremental.merge(serializedBytes: second.serializedBytes())
        #expect(incremental == expected)
    }

    @Test("repeated scalars decode from packed and unpacked encodings alike")
    func packedAndUnpacked() throws {
        // r_int32 (field 1) unpacked, then packed; u_int32 (field 17, declared unpacked) packed.
        let bytes: [UInt8] = [0x08, 0x05, 0x08, 0x7F, 0x0A, 0x02, 0x01, 0x02, 0x8A, 0x01, 0x02, 0x03, 0x04]
        let decoded = try Dhtest_Repeateds(serializedBytes: bytes)
        #expect(decoded.rInt32 == [5, 127, 1, 2])
        #expect(decoded.uInt32 == [3, 4])
        // Fixed-width elements, both ways: r_fixed32 (field 7).
        let fixed: [UInt8] = [0x3D, 1, 0, 0, 0, 0x3A, 0x08, 2, 0, 0, 0, 3, 0, 0, 0]
        #expect(try Dhtest_Repeateds(serializedBytes: fixed).rFixed32 == [1, 2, 3])
        // An empty packed run adds nothing.
        #expect(try Dhtest_Repeateds(serializedBytes: [0x0A, 0x00]).rInt32 == [])
    }

    @Test("enum values the schema does not name are kept and re-emitted")
    func unrecognizedEnums() throws {
        let bytes: [UInt8] = [0x80, 0x01, 0x63]  // f_enum = 99
        let decoded = try Dhtest_Scalars(serializedBytes: bytes)
        #expect(decoded.fEnum == .unrecognized(99))
        #expect(decoded.serializedBytes() == bytes)
        #expect(Dhtest_Status(rawValue: 3) == .deceased)
    }

    @Test("unknown fields are kept and re-emitted byte for byte")
    func unknownFieldsPreserved() throws {
        let record = Samples.careRecord
        let bytes = record.serializedBytes()
        let opaque = try Dhtest_Empty(serializedBytes: bytes)
        #expect(opaque.unknownFields.bytes == bytes)
        #expect(opaque.serializedBytes() == bytes)

        // A message that knows some of the fields keeps the others and round-trips all.
        let scalarBytes = Samples.scalarsGolden
        let partial = try Dhtest_CareRecord.Address(serializedBytes: scalarBytes)
        #expect(partial.postalCode == UInt32(truncatingIfNeeded: UInt64.max))  // field 4 is known
        #expect(!partial.unknownFields.isEmpty)
        let again = try Dhtest_Scalars(serializedBytes: partial.serializedBytes())
        #expect(again.fInt32 == -1 && again.fString == "診療記録" && again.fEnum == .suspended)

        var discarding = WireReader.Configuration()
        discarding.discardUnknownFields = true
        #expect(try Dhtest_Empty(serializedBytes: bytes, configuration: discarding).unknownFields.isEmpty)
    }

    @Test("a key with the wrong wire type for a known field is kept as unknown")
    func wireTypeMismatch() throws {
        // Field 1 of Scalars (int32) sent as a string.
        let bytes: [UInt8] = [0x0A, 0x02, 0x68, 0x69, 0x08, 0x05]
        let decoded = try Dhtest_Scalars(serializedBytes: bytes)
        #expect(decoded.fInt32 == 5)
        #expect(decoded.unknownFields.bytes == [0x0A, 0x02, 0x68, 0x69])
    }

    @Test("NaN and negative zero keep their bits")
    func floatingBits() throws {
        var m = Dhtest_Scalars()
        m.fDouble = Double(bitPattern: 0x7FF8_0000_0000_0001)
        m.fFloat = -0.0
        let decoded = try Dhtest_Scalars(serializedBytes: m.serializedBytes())
        #expect(decoded.fDouble.bitPattern == 0x7FF8_0000_0000_0001)
        #expect(decoded.fFloat.bitPattern == (-0.0 as Float).bitPattern)
    }

    @Test("a nested recursive message 100 deep decodes with the default limit")
    func depthLimit() throws {
        func chain(_ depth: Int) -> Dhtest_CareRecord {
            var node = Dhtest_CareRecord()
            node.id = Int64(depth)
            for level in 0..<depth {
                var parent = Dhtest_CareRecord()
                parent.id = Int64(depth - level - 1)
                parent.guardian = node
                node = parent
            }
            return node
        }
        let hundred = chain(100).serializedBytes()
        #expect(try Dhtest_CareRecord(serializedBytes: hundred) == chain(100))
        let tooDeep = chain(101).serializedBytes()
        #expect(throws: WireError.self) { try Dhtest_CareRecord(serializedBytes: tooDeep) }
        do {
            _ = try Dhtest_CareRecord(serializedBytes: tooDeep)
        } catch {
            #expect(error.code == .recursionTooDeep)
        }
        let shallow = WireReader.Configuration(maxDepth: 3)
        #expect(try Dhtest_CareRecord(serializedBytes: chain(3).serializedBytes(), configuration: shallow) == chain(3))
        #expect(throws: WireError.self) {
            try Dhtest_CareRecord(serializedBytes: chain(4).serializedBytes(), configuration: shallow)
        }
    }

    @Test("serialize(into:size:) writes into a caller's buffer")
    func serializeIntoBuffer() throws {
        let record = Samples.careRecord
        let size = record.serializedSize()
        var frame = [UInt8](repeating: 0xAA, count: size + 5)
        let written = frame.withUnsafeMutableBytes { raw in
            record.serialize(into: UnsafeMutableRawBufferPointer(rebasing: raw[5...]), size: size)
        }
        #expect(written == size)
        #expect(frame[0..<5] == [0xAA, 0xAA, 0xAA, 0xAA, 0xAA])
        #expect(try Dhtest_CareRecord(serializedBytes: Array(frame[5...])) == record)
    }
}
