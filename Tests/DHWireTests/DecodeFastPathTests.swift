import DHWire
import Testing

/// The decoder's fast paths (varints read with one load, UTF-8 checked sixteen or four bytes
/// at a time, runs of a repeated field read together) against plain reference rules, at every
/// length and offset where they switch between their cases.
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

    @Test("varints of every length decode with 0 to 11 bytes after them in the message, and cut short throw truncated")
    func varintsNearTheEnd() throws {
        var values: [UInt64] = [.max, 1 << 63]
        for bits in stride(from: 7, through: 63, by: 7) {
            values.append((1 << UInt64(bits)) - 1)  // the longest varint of bits / 7 bytes
            values.append(1 << UInt64(bits))  // the shortest of one byte more
        }
        values.append(UInt64(bitPattern: -1))
        values.append(UInt64(bitPattern: -7_305))
        for value in values {
            let encoded = Self.varint(value)
            // Followed by nothing, or by a string field of 2 to 11 bytes: the varint's start
            // has from its own length to its length + 11 bytes before the limit.
            for after in [-1] + Array(0...9) {
                let tail = after < 0 ? [] : [0x72, UInt8(after)] + [UInt8](repeating: 0x61, count: after)
                let decoded = try Dhtest_Scalars(serializedBytes: [0x20] + encoded + tail)
                #expect(decoded.fUint64 == value)
                #expect(decoded.fString == String(repeating: "a", count: Swift.max(after, 0)))
            }
            // Without its last byte, at the end of the message: truncated.
            let cut = Array(encoded.dropLast())
            if !cut.isEmpty {
                #expect(Self.errorCode([0x20] + cut) == .truncated)
            }
        }
    }

    static func errorCode(_ bytes: [UInt8]) -> WireError.Code? {
        do {
            _ = try Dhtest_Scalars(serializedBytes: bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("a ten-byte varint whose last byte is above 1 is malformed, with 10 or more bytes left")
    func malformedTenByteVarints() {
        let nine = [UInt8](repeating: 0xFF, count: 9)
        for last: UInt8 in [0x02, 0x7F] {
            #expect(Self.errorCode([0x20] + nine + [last]) == .malformedVarint)
            #expect(Self.errorCode([0x20] + nine + [last] + [0x72, 0x01, 0x61]) == .malformedVarint)
        }
        #expect(Self.errorCode([0x20] + nine + [0x80] + [0x72, 0x01, 0x61]) == .malformedVarint)
        // Exactly ten bytes, the last 1: the largest values.
        #expect((try? Dhtest_Scalars(serializedBytes: [0x20] + nine + [0x01]))?.fUint64 == .max)
    }

    /// Ill-formed UTF-8: each is invalid wherever it stands.
    static let invalidForms: [[UInt8]] = [
        [0x80], [0xBF], [0x80, 0x80],  // continuation without a lead
        [0xC0, 0x80], [0xC1, 0xBF],  // overlong two-byte forms
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // overlong three-byte forms
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
        [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong four-byte forms
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFF],  // above U+10FFFF
        [0xC3], [0xE3], [0xE3, 0x81], [0xF0, 0x9F], [0xF0, 0x9F, 0x98],  // truncated
        [0xE3, 0x41, 0x81], [0xC3, 0xE3, 0x81, 0x82], [0xE3, 0x81, 0x82, 0x82],  // wrong continuation counts
    ]

    /// Well-formed sequences at the edges of the ranges the rules narrow.
    static let edgeForms: [[UInt8]] = [
        [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE1, 0x80, 0x80], [0xEC, 0xBF, 0xBF],
        [0xED, 0x80, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
        [0xF0, 0x90, 0x80, 0x80], [0xF1, 0x80, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0x7F],
    ]

    @Test("every ill-formed sequence is refused and every edge form accepted, at every offset of texts of 0 to 40 bytes")
    func utf8FormsAtEveryOffset() throws {
        // Texts mixing ASCII with two-, three- and four-byte sequences, in several orders, cut
        // at every scalar boundary up to 40 bytes: the forms land at every offset relative to
        // the 16-byte blocks and to the first non-ASCII byte.
        let mixes = [
            "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
            "東京都新宿区西新宿二丁目8番1号ケアハイツ",
            "aé東😀bß京🙂c0ア\u{10FFFF}dΩ\u{800}e\u{FFFF}f",
            "😀😀😀😀😀😀😀😀😀😀",
            "0123456789abcdef東京都新宿区西新宿二丁目",
        ]
        var texts: [[UInt8]] = []
        for mix in mixes {
            var prefix: [UInt8] = []
            texts.append(prefix)
            for scalar in mix.unicodeScalars {
                prefix += Array(String(scalar).utf8)
                if prefix.count > 40 { break }
                texts.append(prefix)
            }
        }
        var checked = 0
        for text in texts {
            let boundaries = text.indices.filter { text[$0] & 0xC0 != 0x80 } + [text.count]
            for offset in boundaries {
                for form in Self.invalidForms {
                    let bytes = Array(text[..<offset]) + form + text[offset...]
                    #expect(String(validating: bytes, as: UTF8.self) == nil, "reference accepts \(bytes)")
                    #expect(Self.errorCode(Self.stringField(bytes)) == .invalidUTF8, "bytes \(bytes)")
                    checked += 1
                }
                for form in Self.edgeForms {
                    let bytes = Array(text[..<offset]) + form + text[offset...]
                    let expected = try #require(String(validating: bytes, as: UTF8.self))
                    #expect(try Dhtest_Scalars(serializedBytes: Self.stringField(bytes)).fString == expected)
                    checked += 1
                }
            }
        }
        #expect(checked > 10_000)
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
