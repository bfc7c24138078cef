import DHWire
import Testing

/// The golden output of the generator, compiled into this target, against protoc's own
/// encoder and decoder.
@Suite("Generated code round-trips with protoc")
struct GeneratedCodeTests {
    @Test("every field kind decodes from protoc's encoding and re-encodes to the same bytes")
    func outerFromProtoc() async throws {
        let text = """
            middle { inner { level: INNER_CRITICAL outer_level: TRIAGE_LEVEL_RED id: -7 } inners { id: 1 } inners { id: 2 } }
            type { name: "種別" }
            inner { id: 42 }
            int_keys { key: -1 value: "minus one" }
            int_keys { key: 5 value: "五" }
            bool_keys { key: true value { inner { id: 9 } } }
            enum_values { key: 18446744073709551615 value: TRIAGE_LEVEL_BLACK }
            sint_keys { key: -2147483648 value: "\\x00\\xff" }
            fixed_keys { key: 1 value: -0.0 }
            packed_ints: [1, -1, 2147483647, -2147483648]
            unpacked_ints: [3, 4]
            levels: [TRIAGE_LEVEL_RED, TRIAGE_LEVEL_GREEN]
            blobs: ["", "\\001\\002"]
            measurements: [1.5, -2.25, inf]
            recorded_at { seconds: 1732492800 nanos: 123456789 }
            reference { system: "urn:oid:1.2.392.100495.20.1.73" value: "2171014F1020" }
            references { system: "a" } references { value: "b" }
            kind: KIND_PATIENT
            large_number: -5
            """
        let bytes = try await ProtocOracle.encode("dh.torture.v1.Outer", text: text)
        let outer = try Dh_Torture_V1_Outer(serializedBytes: bytes)
        #expect(outer.middle.inner.level == .innerCritical)
        #expect(outer.middle.inner.outerLevel == .red)
        #expect(outer.middle.inner.id == -7)
        #expect(outer.middle.inners.map(\.id) == [1, 2])
        #expect(outer.type.name == "種別")
        #expect(outer.inner.id == 42)
        if case .inner(let inner)? = outer.choice {
            #expect(inner.id == 42)
        } else {
            Issue.record("choice is not inner")
        }
        #expect(outer.intKeys == [-1: "minus one", 5: "五"])
        #expect(outer.boolKeys[true]?.inner.id == 9)
        #expect(outer.enumValues == [UInt64.max: .black])
        #expect(outer.sintKeys == [Int32.min: [0x00, 0xFF]])
        #expect(outer.fixedKeys[1]?.sign == .minus)
        #expect(outer.packedInts == [1, -1, Int32.max, Int32.min])
        #expect(outer.unpackedInts == [3, 4])
        #expect(outer.levels == [.red, .green])
        #expect(outer.blobs == [[], [1, 2]])
        #expect(outer.measurements == [1.5, -2.25, .infinity])
        #expect(outer.recordedAt.seconds == 1_732_492_800 && outer.recordedAt.nanos == 123_456_789)
        #expect(outer.reference.value == "2171014F1020")
        #expect(outer.references.count == 2)
        #expect(outer.kind == .patient)
        #expect(outer.largeNumber == -5)
        #expect(outer.unknownFields.isEmpty)

        // Map entry order is not fixed, so compare what protoc reads back rather than bytes.
        let again = try await ProtocOracle.decode("dh.torture.v1.Outer", bytes: outer.serializedBytes())
        let original = try await ProtocOracle.decode("dh.torture.v1.Outer", bytes: bytes)
        #expect(again.split(separator: "\n").sorted() == original.split(separator: "\n").sorted())
        #expect(try Dh_Torture_V1_Outer(serializedBytes: outer.serializedBytes()) == outer)
    }

    @Test("without maps, the encoding equals protoc's byte for byte")
    func exactBytes() async throws {
        let text = """
            i32: 0 i64: -1 u32: 4294967295 u64: 18446744073709551615 s32: -2147483648 s64: 9223372036854775807
            f32: 7 f64: 8 sf32: -9 sf64: -10 flt: -0.0 dbl: 3.5 flag: false text: "" data: "\\000" level: TRIAGE_LEVEL_UNSPECIFIED
            nested { text: "inner" }
            """
        let bytes = try await ProtocOracle.encode("dh.torture.v1.Presence", text: text)
        let presence = try Dh_Torture_V1_Presence(serializedBytes: bytes)
        // proto3 optional: zero values that were set are present and re-emitted.
        #expect(presence.hasI32 && presence.i32 == 0)
        #expect(presence.hasFlag && !presence.flag)
        #expect(presence.hasText && presence.text.isEmpty)
        #expect(presence.hasLevel && presence.level == .unspecified)
        #expect(presence.flt.sign == .minus)
        #expect(presence.nested.text == "inner")
        #expect(!presence.nested.hasI32)
        #expect(presence.serializedBytes() == bytes)

        var cleared = presence
        cleared.clearI32()
        cleared.clearNested()
        #expect(!cleared.hasI32 && !cleared.hasNested)
        #expect(cleared.serializedBytes().count < bytes.count)
    }

    @Test("recursive messages nest through fields, oneofs, maps and other messages")
    func recursion() async throws {
        var leaf = Dh_Torture_V1_TreeNode()
        leaf.label = "leaf"
        var root = Dh_Torture_V1_TreeNode()
        root.label = "root"
        root.children = [leaf, leaf]
        root.byName = ["leaf": leaf]
        root.alternate = leaf
        var branch = Dh_Torture_V1_Branch()
        branch.head = leaf
        branch.depth = 2
        root.branch = branch
        var top = Dh_Torture_V1_TreeNode()
        top.parent = root
        let bytes = top.serializedBytes()
        let text = try await ProtocOracle.decode("dh.torture.v1.TreeNode", bytes: bytes)
        #expect(text.contains("alternate {"))
        #expect(text.contains("head {"))
        let decoded = try Dh_Torture_V1_TreeNode(serializedBytes: bytes)
        #expect(decoded == top)
        #expect(decoded.parent.alternate.label == "leaf")
        #expect(decoded.parent.branch.head.label == "leaf")
        #expect(decoded.parent.externalRef.isEmpty)
    }

    @Test("keywords and reserved names work as fields and enum cases")
    func keywordNames() async throws {
        var reserved = Dh_Torture_V1_Reserved()
        reserved.`class` = "c"
        reserved.self_ = 2
        reserved.type = true
        reserved.hashValue_ = 5
        reserved.unknownFields_ = "not the unknown fields"
        reserved.`in` = ["x"]
        reserved.`default` = ["k": "v"]
        reserved.encode_ = "e"
        let text = try await ProtocOracle.decode("dh.torture.v1.Reserved", bytes: reserved.serializedBytes())
        #expect(text.contains("class: \"c\""))
        #expect(text.contains("hash_value: 5"))
        #expect(text.contains("unknown_fields: \"not the unknown fields\""))
        #expect(reserved.unknownFields.isEmpty)
        #expect(try Dh_Torture_V1_Reserved(serializedBytes: reserved.serializedBytes()) == reserved)

        #expect(Dh_Torture_V1_Keywords(rawValue: 1) == .`class`)
        #expect(Dh_Torture_V1_Keywords.aliasOfClass == .`class`)
        #expect(Dh_Torture_V1_Keywords(rawValue: 4) == .unrecognized_)
        #expect(Dh_Torture_V1_Keywords(rawValue: 99) == .unrecognized(99))
        #expect(Dh_Torture_V1_Grade(rawValue: 2) == .grade2)
    }

    @Test("unknown enum values and unknown fields survive a round trip")
    func unknowns() throws {
        // Field 21 (kind) with value 7, which the schema does not define, and field 99, which it lacks.
        let bytes: [UInt8] = [0xA8, 0x01, 0x07, 0x98, 0x06, 0x2A]
        let outer = try Dh_Torture_V1_Outer(serializedBytes: bytes)
        #expect(outer.kind == .unrecognized(7))
        #expect(outer.unknownFields.count == 3)
        #expect(outer.serializedBytes() == bytes)
    }
}
