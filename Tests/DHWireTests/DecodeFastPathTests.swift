import DHWire
import Testing

/// The decoder's fast paths (varints read with one load, UTF-8 checked four bytes at a time,
/// runs of a repeated field read together) against plain reference rules, at every length and
/// offset where they switch between their cases.
@Suite("Decoder fast paths")
struct DecodeFastPathTests {
    /// A varint as protobuf writes it.
    static func varint(_ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    @Test("uint64 values of every encoded length decode, with and without ten bytes after them")
    func varintsOfEveryLength() throws {
        var values: [UInt64] = [0, 1, 127, 128, 300, .max, .max - 1, 1 << 63]
        for bits in 1...64 {
            values.append(1 << UInt64(bits - 1))
            values.append(bits == 64 ? .max : (1 << UInt64(bits)) - 1)
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 { values.append(random.next() >> UInt64.random(in: 0...63, using: &random)) }
        for value in values {
            // Last in the message: fewer than ten bytes may follow the varint's start.
            let alone = try Dhtest_Scalars(serializedBytes: [0x20] + Self.varint(value))
            #expect(alone.fUint64 == value)
            // Followed by a string field: the one-load path is taken.
            let followed = try Dhtest_Scalars(
                serializedBytes: [0x20] + Self.varint(value) + [0x72, 0x0B] + Array("after value".utf8))
            #expect(followed.fUint64 == value)
            #expect(followed.fString == "after value")
        }
    }

    @Test("a varint that is not ended within ten bytes, or overflows, is still refused on the fast path")
    func malformedVarints() {
        let padding = [UInt8](repeating: 0x01, count: 12)
        for bytes in [
            [0x20] + [UInt8](repeating: 0xFF, count: 10) + [0x01] + padding,
            [0x20] + [UInt8](repeating: 0xFF, count: 9) + [0x02] + padding,
        ] {
            #expect(throws: WireError.self) { try Dhtest_Scalars(serializedBytes: bytes) }
        }
    }

    /// Well-formed UTF-8 of one to four bytes per scalar, ASCII runs included.
    static let pieces: [String] = [
        "a", "0123456", "é", "ß", "東", "京", "ア", "\u{E000}", "\u{FFFD}", "😀", "\u{10FFFF}", "\u{800}", "\u{D7FF}",
    ]

    @Test("strings are accepted exactly when the standard library finds them valid, whatever byte is changed")
    func utf8AgainstStandardLibrary() throws {
        var random = SystemRandomNumberGenerator()
        let replacements: [UInt8] = [
            0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x41, 0xA0, 0x9F,
        ]
        for _ in 0..<150 {
            let text = (0..<Int.random(in: 1...24, using: &random)).map { _ in
                Self.pieces.randomElement(using: &random)!
            }
            .joined()
            let valid = Array(text.utf8)
            #expect(try Dhtest_Scalars(serializedBytes: Self.stringField(valid)).fString == text)
            for offset in valid.indices {
                var bytes = valid
                bytes[offset] = replacements.randomElement(using: &random)!
                let expected = String(validating: bytes, as: UTF8.self)
                let decoded = try? Dhtest_Scalars(serializedBytes: Self.stringField(bytes)).fString
                #expect(decoded == expected, "bytes \(bytes)")
            }
            // Cut short anywhere.
            for end in 0..<valid.count {
                let bytes = Array(valid[..<end])
                let decoded = try? Dhtest_Scalars(serializedBytes: Self.stringField(bytes)).fString
                #expect(decoded == String(validating: bytes, as: UTF8.self))
            }
        }
    }

    static func stringField(_ bytes: [UInt8]) -> [UInt8] {
        [0x72] + varint(UInt64(bytes.count)) + bytes
    }

    @Test("runs of a repeated field, interrupted by other fields, keep every element in order")
    func repeatedRuns() throws {
        var record = Dhtest_CareRecord()
        record.id = 7
        for index in 0..<40 {
            var observation = Dhtest_CareRecord.Observation()
            observation.code = "3F\(index)"
            observation.value = Double(index)
            observation.note = String(repeating: "経過", count: index % 5)
            record.observations.append(observation)
            record.tags.append("tag\(index)")
            record.labels["k\(index)"] = "値\(index)"
        }
        let bytes = try record.serializedBytes()
        #expect(try Dhtest_CareRecord(serializedBytes: bytes) == record)
        // The same fields, split into runs with other fields between them: still appended in order.
        var first = record
        first.observations = Array(record.observations[..<15])
        first.tags = Array(record.tags[..<15])
        var second = Dhtest_CareRecord()
        second.observations = Array(record.observations[15...])
        second.tags = Array(record.tags[15...])
        second.name = "間"
        let merged = try Dhtest_CareRecord(serializedBytes: try first.serializedBytes() + second.serializedBytes())
        #expect(merged.observations == record.observations)
        #expect(merged.tags == record.tags)
        #expect(merged.labels == record.labels)
        #expect(merged.name == "間")
    }
}
