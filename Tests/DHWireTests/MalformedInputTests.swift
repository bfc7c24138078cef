import DHWire
import Testing

@Suite("Malformed input")
struct MalformedInputTests {
    static func errorCode<M: Message>(
        _ type: M.Type, _ bytes: [UInt8], configuration: WireReader.Configuration = .init()
    ) -> WireError.Code? {
        do {
            _ = try M(serializedBytes: bytes, configuration: configuration)
            return nil
        } catch {
            return error.code
        }
    }

    static let cases: [(String, [UInt8], WireError.Code)] = [
        ("field number 0", [0x00, 0x01], .invalidFieldNumber),
        ("field number 0, length-delimited", [0x02, 0x00], .invalidFieldNumber),
        ("wire type 6", [0x0E, 0x01], .invalidWireType),
        ("wire type 7", [0x0F], .invalidWireType),
        ("start group", [0x0B, 0x08, 0x01, 0x0C], .groupsNotSupported),
        ("end group without start", [0x0C], .unexpectedEndGroup),
        ("truncated varint value", [0x08, 0x80, 0x80], .truncated),
        ("truncated key", [0x80], .truncated),
        ("varint over ten bytes", [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], .malformedVarint),
        ("varint overflowing 64 bits", [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02], .malformedVarint),
        ("key above 32 bits", [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], .invalidFieldNumber),
        ("length past end", [0x72, 0x05, 0x61], .lengthPastEnd),
        ("huge length", [0x72, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .lengthPastEnd),
        ("truncated fixed32", [0x3D, 0x01, 0x02], .truncated),
        ("truncated fixed64", [0x41, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07], .truncated),
        ("invalid UTF-8", [0x72, 0x02, 0xC3, 0x28], .invalidUTF8),
        ("lone surrogate in UTF-8", [0x72, 0x03, 0xED, 0xA0, 0x80], .invalidUTF8),
        ("overlong UTF-8", [0x72, 0x02, 0xC0, 0xAF], .invalidUTF8),
        ("unknown field truncated", [0xF8, 0x07], .truncated),
    ]

    @Test("each kind of bad input gives its typed error", arguments: cases)
    func typedErrors(name: String, bytes: [UInt8], code: WireError.Code) {
        #expect(Self.errorCode(Dhtest_Scalars.self, bytes) == code, "\(name)")
    }

    @Test("errors inside nested messages, map entries and packed runs are caught there")
    func nestedErrors() {
        // address (field 4) whose length claims more than the record holds.
        #expect(Self.errorCode(Dhtest_CareRecord.self, [0x22, 0x05, 0x0A, 0x01]) == .lengthPastEnd)
        // address holding a string that runs past the address's own end.
        #expect(Self.errorCode(Dhtest_CareRecord.self, [0x22, 0x02, 0x0A, 0x05, 0x61, 0x62, 0x63]) == .lengthPastEnd)
        // A varint running past the end of a nested message is truncated there.
        #expect(Self.errorCode(Dhtest_CareRecord.self, [0x22, 0x02, 0x20, 0x80, 0x01]) == .truncated)
        // A group inside a nested message.
        #expect(Self.errorCode(Dhtest_CareRecord.self, [0x22, 0x01, 0x0B]) == .groupsNotSupported)
        // Map entry (labels, field 6) with invalid UTF-8 in its key.
        #expect(Self.errorCode(Dhtest_CareRecord.self, [0x32, 0x04, 0x0A, 0x02, 0xC3, 0x28]) == .invalidUTF8)
        // Packed fixed32 run whose length is not a multiple of four.
        #expect(Self.errorCode(Dhtest_Repeateds.self, [0x3A, 0x03, 0x01, 0x02, 0x03]) == .truncated)
        // Packed varint run ending in the middle of a varint.
        #expect(Self.errorCode(Dhtest_Repeateds.self, [0x0A, 0x01, 0x80, 0x01]) == .truncated)
    }

    @Test("inputs above the size limit are rejected before decoding")
    func sizeLimit() {
        let bytes = Samples.careRecord.serializedBytes()
        let small = WireReader.Configuration(maxMessageSize: bytes.count - 1)
        #expect(Self.errorCode(Dhtest_CareRecord.self, bytes, configuration: small) == .messageTooLarge)
        let exact = WireReader.Configuration(maxMessageSize: bytes.count)
        #expect(Self.errorCode(Dhtest_CareRecord.self, bytes, configuration: exact) == nil)
    }

    @Test("every truncation of a valid encoding decodes or throws, never traps")
    func truncations() throws {
        let bytes = Samples.careRecord.serializedBytes()
        var failures = 0
        for length in 0..<bytes.count {
            do {
                _ = try Dhtest_CareRecord(serializedBytes: Array(bytes[..<length]))
            } catch {
                failures += 1
            }
        }
        // Only cuts between top-level fields can decode; most cuts fall inside a field.
        #expect(failures > bytes.count / 2)
    }

    @Test("seeded random corruptions decode or throw a WireError, never trap")
    func corruptions() throws {
        let bytes = Samples.careRecord.serializedBytes()
        var generator = SeededGenerator(seed: 0x5EED_0005)
        var thrown = 0
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
            }
            do {
                let decoded = try Dhtest_CareRecord(serializedBytes: mutated)
                // Whatever decoded must re-encode and decode to itself.
                let again = try Dhtest_CareRecord(serializedBytes: decoded.serializedBytes())
                #expect(again.serializedSize() == decoded.serializedSize())
            } catch {
                thrown += 1
            }
        }
        #expect(thrown > 0)
    }

    @Test("random byte strings decode or throw a WireError, never trap")
    func randomBytes() {
        var generator = SeededGenerator(seed: 42)
        var thrown = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 1...64, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if (try? Dhtest_CareRecord(serializedBytes: bytes)) == nil { thrown += 1 }
            if (try? Dhtest_Repeateds(serializedBytes: bytes)) == nil { thrown += 1 }
        }
        #expect(thrown > 1000)
    }
}

@Suite("UTF-8 validation of string fields")
struct UTF8ValidationTests {
    /// Wraps `bytes` as field 14 (f_string) of Scalars and reports whether it decodes.
    static func accepts(_ bytes: [UInt8]) -> Bool {
        let field: [UInt8] = [0x72] + varint(bytes.count) + bytes
        return (try? Dhtest_Scalars(serializedBytes: field)) != nil
    }

    static func varint(_ value: Int) -> [UInt8] {
        var writer = BinaryWriter()
        writer.writeVarint(UInt64(value))
        return writer.bytes
    }

    static let edgeCases: [([UInt8], Bool)] = [
        ([], true),
        (Array("plain ascii, longer than eight bytes".utf8), true),
        (Array("東京都千代田区霞が関".utf8), true),
        (Array("𠮷🩺".utf8), true),
        ([0xC2, 0x80], true),  // U+0080
        ([0xDF, 0xBF], true),  // U+07FF
        ([0xE0, 0xA0, 0x80], true),  // U+0800
        ([0xED, 0x9F, 0xBF], true),  // U+D7FF
        ([0xEE, 0x80, 0x80], true),  // U+E000
        ([0xF0, 0x90, 0x80, 0x80], true),  // U+10000
        ([0xF4, 0x8F, 0xBF, 0xBF], true),  // U+10FFFF
        ([0x80], false),  // lone continuation
        ([0xC0, 0x80], false),  // overlong NUL
        ([0xC1, 0xBF], false),  // overlong
        ([0xE0, 0x9F, 0xBF], false),  // overlong three-byte
        ([0xED, 0xA0, 0x80], false),  // surrogate U+D800
        ([0xED, 0xBF, 0xBF], false),  // surrogate U+DFFF
        ([0xF0, 0x8F, 0xBF, 0xBF], false),  // overlong four-byte
        ([0xF4, 0x90, 0x80, 0x80], false),  // above U+10FFFF
        ([0xF5, 0x80, 0x80, 0x80], false),
        ([0xFF], false),
        ([0xE3, 0x81], false),  // truncated at the end
        (Array("abcdefgh".utf8) + [0xE3, 0x81, 0x41], false),  // bad continuation after ASCII
        ([0x41, 0xC3], false),
    ]

    @Test("edge cases of UTF-8 are accepted or rejected as the standard says", arguments: edgeCases)
    func edges(bytes: [UInt8], valid: Bool) {
        #expect(Self.accepts(bytes) == valid)
    }

    @Test("random byte strings are judged as the standard library judges them")
    func differential() {
        var generator = SeededGenerator(seed: 0x07F8)
        let pieces: [[UInt8]] = [
            [0x41], [0x7F], [0x80], [0xBF], [0xC2], [0xDF], [0xE0], [0xED], [0xEF], [0xF0], [0xF4], [0xF5],
            [0xA0], [0x9F], [0x90], [0x8F], Array("é".utf8), Array("東".utf8), Array("🩺".utf8), Array("12345678".utf8),
        ]
        var invalid = 0
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                bytes += pieces.randomElement(using: &generator)!
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if !expected { invalid += 1 }
            #expect(Self.accepts(bytes) == expected, "\(bytes)")
        }
        #expect(invalid > 1000 && invalid < 4900)
    }
}
