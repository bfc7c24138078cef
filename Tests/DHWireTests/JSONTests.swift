import DHWire
import Testing

@Suite("Proto3 JSON mapping")
struct JSONTests {
    static func code<M: Message>(
        _ type: M.Type, _ json: String, configuration: JSONReader.Configuration = .init()
    ) -> WireError.Code? {
        do {
            _ = try M(jsonString: json, configuration: configuration)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("every scalar type has its JSON form")
    func scalarsGolden() throws {
        let expected = #"""
            {"fInt32":-1,"fInt64":"-9223372036854775808","fUint32":4294967295,\#
            "fUint64":"18446744073709551615","fSint32":-2147483648,"fSint64":"9223372036854775807",\#
            "fFixed32":3735928559,"fFixed64":"1","fSfixed32":-2,"fSfixed64":"-3","fFloat":1.5,\#
            "fDouble":-0.25,"fBool":true,"fString":"診療記録","fBytes":"AP8=","fEnum":"STATUS_SUSPENDED"}
            """#
        #expect(try Samples.scalars.jsonString() == expected)
        #expect(try Dhtest_Scalars(jsonString: expected) == Samples.scalars)
    }

    @Test("options write defaults and .proto names")
    func options() throws {
        var m = Dhtest_CareRecord.Address()
        m.postalCode = 1
        #expect(try m.jsonString() == #"{"postalCode":1}"#)
        #expect(try m.jsonString(configuration: .init(usesProtoFieldNames: true)) == #"{"postal_code":1}"#)
        #expect(
            try Dhtest_CareRecord.Observation().jsonString(configuration: .init(includesDefaults: true))
                == #"{"code":"","value":0.0,"takenAt":"0","flags":[],"note":""}"#)
        // Absent messages and optionals stay absent even with defaults included.
        #expect(try Dhtest_Optionals().jsonString(configuration: .init(includesDefaults: true)) == "{}")
    }

    @Test("a care record with every feature round-trips through JSON")
    func careRecordRoundTrip() throws {
        let record = Samples.careRecord
        let json = try record.jsonString()
        #expect(try Dhtest_CareRecord(jsonString: json) == record)
        let protoNamed = try record.jsonString(configuration: .init(usesProtoFieldNames: true))
        #expect(protoNamed.contains(#""by_code":"#))
        #expect(try Dhtest_CareRecord(jsonString: protoNamed) == record)
    }

    @Test("seeded random records round-trip through JSON", arguments: [UInt64(21), 22])
    func randomRoundTrips(seed: UInt64) throws {
        var random = RandomMessages(seed: seed)
        for _ in 0..<100 {
            let record = random.careRecord()
            let decoded = try Dhtest_CareRecord(jsonString: record.jsonString())
            #expect(decoded == record)
        }
    }

    @Test("input may use .proto names, quoted numbers, exponents and null")
    func lenientInput() throws {
        let json = #"""
            { "f_int32" : "7", "fInt64": 12, "f_uint64": "1e3", "fSint32": 2.0e1, "fDouble": "2.5",
              "fFloat": 3, "fString": null, "fBool": false, "fEnum": 2, "f_bytes": "-_8" }
            """#
        let m = try Dhtest_Scalars(jsonString: json)
        #expect(m.fInt32 == 7)
        #expect(m.fInt64 == 12)
        #expect(m.fUint64 == 1000)
        #expect(m.fSint32 == 20)
        #expect(m.fDouble == 2.5)
        #expect(m.fFloat == 3)
        #expect(m.fString == "")
        #expect(m.fEnum == .suspended)
        #expect(m.fBytes == [0xFB, 0xFF])
    }

    @Test("NaN and infinities are strings")
    func nonFinite() throws {
        var m = Dhtest_Repeateds()
        m.rDouble = [.infinity, -.infinity, 1e300]
        m.rFloat = [.nan]
        let json = try m.jsonString()
        #expect(json == #"{"rFloat":["NaN"],"rDouble":["Infinity","-Infinity",1e+300]}"#)
        let decoded = try Dhtest_Repeateds(jsonString: json)
        #expect(decoded.rFloat.count == 1 && decoded.rFloat[0].isNaN)
        #expect(decoded.rDouble == [.infinity, -.infinity, 1e300])
    }

    @Test("strings are escaped and unescaped, surrogate pairs included")
    func escapes() throws {
        var m = Dhtest_Scalars()
        m.fString = "\"引用\" \\ \n\t\u{1} 🩺"
        let json = try m.jsonString()
        #expect(json == #"{"fString":"\"引用\" \\ \n\t\u0001 🩺"}"#)
        #expect(try Dhtest_Scalars(jsonString: json) == m)
        let escaped = try Dhtest_Scalars(jsonString: #"{"fString":"\u6771\u4eac \ud83e\ude7a \/"}"#)
        #expect(escaped.fString == "東京 🩺 /")
    }

    @Test("unknown members fail, or are skipped when configured")
    func unknownMembers() throws {
        let json = #"{"fInt32":1,"later":{"a":[1,{"b":null}],"c":"x"},"fEnum":"STATUS_GONE"}"#
        #expect(Self.code(Dhtest_Scalars.self, json) == .unknownJSONField)
        let lenient = JSONReader.Configuration(ignoresUnknownFields: true)
        let m = try Dhtest_Scalars(jsonString: json, configuration: lenient)
        #expect(m.fInt32 == 1)
        #expect(m.fEnum == .unspecified)
    }

    static let invalid: [(String, WireError.Code)] = [
        ("", .invalidJSON),
        ("[]", .invalidJSON),
        (#"{"fInt32":1,}"#, .invalidJSON),
        (#"{"fInt32":1} x"#, .invalidJSON),
        (#"{"fString":"open}"#, .invalidJSON),
        (#"{"fString":"\x"}"#, .invalidJSON),
        (#"{"fString":"\ud800"}"#, .invalidJSON),
        (#"{"fInt32":01}"#, .invalidJSON),
        (#"{"fInt32":1.5}"#, .invalidJSONValue),
        (#"{"fInt32":2147483648}"#, .invalidJSONValue),
        (#"{"fUint32":-1}"#, .invalidJSONValue),
        (#"{"fInt64":"12abc"}"#, .invalidJSONValue),
        (#"{"fFloat":1e39}"#, .invalidJSONValue),
        (#"{"fDouble":"nan"}"#, .invalidJSONValue),
        (#"{"fBool":"true"}"#, .invalidJSONValue),
        (#"{"fBytes":"***"}"#, .invalidJSONValue),
        (#"{"fEnum":"STATUS_GONE"}"#, .invalidJSONValue),
        (#"{"fString":5}"#, .invalidJSON),
        (#"{"nope":1}"#, .unknownJSONField),
    ]

    @Test("malformed JSON and wrong values give typed errors", arguments: invalid)
    func malformed(json: String, code: WireError.Code) throws {
        #expect(Self.code(Dhtest_Scalars.self, json) == code, "\(json)")
    }

    @Test("two members of one oneof are rejected")
    func oneofTwice() throws {
        #expect(Self.code(Dhtest_CareRecord.self, #"{"phone":"03","email":"a@b.jp"}"#) == .invalidJSONValue)
        #expect(Self.code(Dhtest_CareRecord.self, #"{"phone":"03","postal":{}}"#) == .invalidJSONValue)
        #expect(try Dhtest_CareRecord(jsonString: #"{"phone":null,"email":"a@b.jp"}"#).email == "a@b.jp")
    }

    @Test("nesting beyond the limit is rejected")
    func depth() throws {
        let deep = String(repeating: #"{"guardian":"#, count: 120) + "{}" + String(repeating: "}", count: 120)
        #expect(Self.code(Dhtest_CareRecord.self, deep) == .recursionTooDeep)
        let skipped = #"{"x":"# + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        #expect(Self.code(Dhtest_Scalars.self, skipped, configuration: .init(ignoresUnknownFields: true)) == .recursionTooDeep)
    }

    @Test("seeded random corruptions of JSON decode or throw, never trap")
    func corruptions() throws {
        let bytes = try Array(Samples.careRecord.jsonString().utf8)
        var generator = SeededGenerator(seed: 0x150)
        var thrown = 0
        for _ in 0..<2000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] =
                    Array(#"{}[]",:0-e.\"aZ 9"#.utf8).randomElement(using: &generator)!
            }
            if (try? Dhtest_CareRecord(jsonUTF8Bytes: mutated)) == nil { thrown += 1 }
        }
        #expect(thrown > 1000)
    }
}

@Suite("JSON strings: the word-at-a-time scan")
struct JSONStringScanTests {
    @Test("an escape, a quote or a non-ASCII letter at every offset of every word decodes the same")
    func everyOffset() throws {
        for length in 0..<26 {
            for position in 0...length {
                for insert in ["\\n", "\\\"", "\\u00e9", "é", "日", "\\\\"] {
                    let plain = String(repeating: "a", count: length)
                    let index = plain.index(plain.startIndex, offsetBy: position)
                    let json = "\"" + plain[..<index] + insert + plain[index...] + "\""
                    let decoded = try Google_Protobuf_StringValue(jsonString: json).value
                    let expected =
                        plain[..<index]
                        + ["\\n": "\n", "\\\"": "\"", "\\u00e9": "é", "é": "é", "日": "日", "\\\\": "\\"][insert]!
                        + plain[index...]
                    #expect(decoded == expected, "\(json)")
                }
                // An invalid UTF-8 byte just before the closing quote is still caught.
                let invalid = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "c"), count: position) + [0xFF, UInt8(ascii: "\"")]
                let valid = [UInt8(ascii: "\"")] + Array(repeating: UInt8(ascii: "c"), count: position) + [UInt8(ascii: "\"")]
                #expect(
                    try Google_Protobuf_StringValue(jsonUTF8Bytes: valid + Array(repeating: UInt8(ascii: " "), count: 8)).value
                        == String(repeating: "c", count: position))
                #expect(throws: WireError.self, "0xFF after \(position)") {
                    try Google_Protobuf_StringValue(jsonUTF8Bytes: invalid + Array(repeating: UInt8(ascii: " "), count: 8))
                }
                let control = "\"" + String(repeating: "b", count: position) + "\u{01}" + "\""
                #expect(throws: WireError.self, "\(control.debugDescription)") {
                    try Google_Protobuf_StringValue(jsonString: control)
                }
            }
        }
    }
}
