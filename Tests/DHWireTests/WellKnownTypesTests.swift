import DHWire
import Testing

@Suite("Well-known types")
struct WellKnownTypesTests {
    typealias Timestamp = Google_Protobuf_Timestamp
    typealias Duration = Google_Protobuf_Duration

    static func value(_ kind: Google_Protobuf_Value.Kind) -> Google_Protobuf_Value {
        Google_Protobuf_Value(kind: kind)
    }

    /// The value the Python interop script builds as well.
    static var known: Dhtest_WellKnown {
        var m = Dhtest_WellKnown()
        m.at = Timestamp(seconds: 1_711_963_800, nanos: 250_000_000)
        m.took = Duration(seconds: -1, nanos: -500_000_000)
        m.extra = Google_Protobuf_Struct(fields: [
            "name": value(.stringValue("山田")),
            "age": value(.numberValue(42)),
            "tags": value(.listValue(Indirect(Google_Protobuf_ListValue(values: [
                value(.stringValue("a")), value(.nullValue(.nullValue)), value(.boolValue(true)),
            ])))),
            "nested": value(.structValue(Indirect(Google_Protobuf_Struct(fields: ["k": value(.numberValue(1.5))])))),
        ])
        m.anyValue = value(.stringValue("text"))
        m.list = Google_Protobuf_ListValue(values: [
            value(.numberValue(1)), value(.stringValue("two")), value(.boolValue(false)),
        ])
        m.count = Google_Protobuf_Int64Value(9_007_199_254_740_993)
        m.label = Google_Protobuf_StringValue("")
        m.flag = Google_Protobuf_BoolValue(false)
        m.ratio = Google_Protobuf_DoubleValue(0.125)
        m.mask = Google_Protobuf_FieldMask(paths: ["address.postal_code", "name"])
        m.nothing = Google_Protobuf_Empty()
        m.history = [Timestamp(seconds: 0), Timestamp(seconds: Timestamp.maximumSeconds, nanos: 999_999_999)]
        var address = Dhtest_CareRecord.Address()
        address.prefecture = "東京都"
        address.postalCode = 1_008_916
        m.packed = Google_Protobuf_Any(message: address)
        m.packedList = [
            Google_Protobuf_Any(message: Duration(seconds: 90)),
            Google_Protobuf_Any(message: Google_Protobuf_Int32Value(-3)),
        ]
        return m
    }

    static let registry = TypeRegistry([Dhtest_CareRecord.Address.self, Dhtest_CareRecord.self])

    static let timestamps: [(Int64, Int32, String)] = [
        (0, 0, "1970-01-01T00:00:00Z"),
        (1_711_963_800, 250_000_000, "2024-04-01T09:30:00.250Z"),
        (951_782_400, 1000, "2000-02-29T00:00:00.000001Z"),
        (-1, 5, "1969-12-31T23:59:59.000000005Z"),
        (Timestamp.minimumSeconds, 0, "0001-01-01T00:00:00Z"),
        (Timestamp.maximumSeconds, 999_999_999, "9999-12-31T23:59:59.999999999Z"),
    ]

    @Test("timestamps are RFC 3339 strings in UTC", arguments: timestamps)
    func timestampJSON(seconds: Int64, nanos: Int32, text: String) throws {
        let timestamp = Timestamp(seconds: seconds, nanos: nanos)
        #expect(try timestamp.jsonString() == "\"\(text)\"")
        #expect(try Timestamp(jsonString: "\"\(text)\"") == timestamp)
    }

    @Test("timestamps with offsets convert to UTC; impossible ones are rejected")
    func timestampParsing() throws {
        #expect(try Timestamp(jsonString: #""2024-04-01T18:30:00+09:00""#) == Timestamp(seconds: 1_711_963_800))
        #expect(try Timestamp(jsonString: #""2024-04-01T09:30:00.25Z""#) == Timestamp(seconds: 1_711_963_800, nanos: 250_000_000))
        // proto3 JSON takes upper-case T and Z only (as protobuf's conformance suite requires).
        for bad in [
            "2024-04-01T09:30:00.25z", "2024-04-01t09:30:00Z",
            "2023-02-29T00:00:00Z", "2024-04-01 09:30:00Z", "2024-04-01T24:00:00Z", "2024-04-01T09:30:00",
            "0000-12-31T23:59:59Z", "2024-04-01T09:30:00.1234567891Z", "2024-04-01T09:30:00+9:00",
        ] {
            #expect(throws: WireError.self, "\(bad)") { try Timestamp(jsonString: "\"\(bad)\"") }
        }
    }

    @Test("seeded random timestamps round-trip through RFC 3339")
    func timestampRoundTrips() throws {
        var generator = SeededGenerator(seed: 0x7135)
        for _ in 0..<2000 {
            let timestamp = Timestamp(
                seconds: Int64.random(in: Timestamp.minimumSeconds...Timestamp.maximumSeconds, using: &generator),
                nanos: Int32.random(in: 0...999_999_999, using: &generator))
            #expect(try Timestamp(jsonString: timestamp.jsonString()) == timestamp)
        }
    }

    @Test("durations are decimal seconds with an s")
    func durations() throws {
        let cases: [(Int64, Int32, String)] = [
            (0, 0, "0s"), (1, 500_000_000, "1.500s"), (-1, -500_000_000, "-1.500s"), (0, -1000, "-0.000001s"),
            (Duration.maximumSeconds, 0, "315576000000s"),
        ]
        for (seconds, nanos, text) in cases {
            let duration = Duration(seconds: seconds, nanos: nanos)
            #expect(try duration.jsonString() == "\"\(text)\"")
            #expect(try Duration(jsonString: "\"\(text)\"") == duration)
        }
        for bad in ["1.5", "s", "1.0000000001s", "+1s", "315576000001s", "1e3s"] {
            #expect(throws: WireError.self, "\(bad)") { try Duration(jsonString: "\"\(bad)\"") }
        }
    }

    @Test("wrappers, field masks and empty have their JSON forms")
    func simpleForms() throws {
        #expect(try Google_Protobuf_Int64Value(-5).jsonString() == #""-5""#)
        #expect(try Google_Protobuf_Int64Value(jsonString: "7") == Google_Protobuf_Int64Value(7))
        #expect(try Google_Protobuf_BoolValue(false).jsonString() == "false")
        #expect(try Google_Protobuf_BytesValue([1, 2]).jsonString() == #""AQI=""#)
        let mask = Google_Protobuf_FieldMask(paths: ["address.postal_code", "name"])
        #expect(try mask.jsonString() == #""address.postalCode,name""#)
        #expect(try Google_Protobuf_FieldMask(jsonString: #""address.postalCode,name""#) == mask)
        #expect(try Google_Protobuf_FieldMask(jsonString: #""""#) == Google_Protobuf_FieldMask())
        #expect(throws: WireError.self) { try Google_Protobuf_FieldMask(jsonString: #""a_b""#) }
        // Paths without a JSON form that reads back the same cannot be written as JSON.
        for path in ["fooBar", "foo_3_bar", "foo__bar", "foo_"] {
            #expect(throws: WireError.self, "\(path)") { try Google_Protobuf_FieldMask(paths: [path]).jsonString() }
        }
        #expect(try Google_Protobuf_Empty().jsonString() == "{}")
    }

    @Test("Struct, Value and ListValue are plain JSON")
    func structs() throws {
        let json = #"{"a":1.5,"b":[true,null,"x",{"c":{}}],"d":"日本"}"#
        let parsed = try Google_Protobuf_Struct(jsonString: json)
        #expect(parsed.fields["a"] == Self.value(.numberValue(1.5)))
        #expect(parsed.fields["d"] == Self.value(.stringValue("日本")))
        guard case .listValue(let list)? = parsed.fields["b"]?.kind else {
            Issue.record("b is not a list")
            return
        }
        #expect(list.value.values.count == 4)
        #expect(list.value.values[1] == Self.value(.nullValue(.nullValue)))
        #expect(try Google_Protobuf_Struct(jsonString: parsed.jsonString()) == parsed)
        #expect(try Google_Protobuf_Struct(serializedBytes: parsed.serializedBytes()) == parsed)
        #expect(try Self.value(.listValue(Indirect(Google_Protobuf_ListValue()))).jsonString() == "[]")
    }

    @Test("Any holds messages as @type plus fields, well-known types as @type plus value")
    func anyJSON() throws {
        var address = Dhtest_CareRecord.Address()
        address.city = "札幌市"
        let packed = Google_Protobuf_Any(message: address)
        #expect(packed.typeURL == "type.googleapis.com/dhtest.CareRecord.Address")
        #expect(try packed.unpack(Dhtest_CareRecord.Address.self) == address)
        #expect(throws: WireError.self) { try packed.unpack(Dhtest_Scalars.self) }
        let writing = JSONWriter.Configuration(typeRegistry: Self.registry)
        let reading = JSONReader.Configuration(typeRegistry: Self.registry)
        let json = try packed.jsonString(configuration: writing)
        #expect(json == #"{"@type":"type.googleapis.com/dhtest.CareRecord.Address","city":"札幌市"}"#)
        #expect(try Google_Protobuf_Any(jsonString: json, configuration: reading) == packed)
        // "@type" may come last.
        let reordered = #"{"city":"札幌市","@type":"type.googleapis.com/dhtest.CareRecord.Address"}"#
        #expect(try Google_Protobuf_Any(jsonString: reordered, configuration: reading) == packed)

        let time = Google_Protobuf_Any(message: Timestamp(seconds: 0))
        let timeJSON = #"{"@type":"type.googleapis.com/google.protobuf.Timestamp","value":"1970-01-01T00:00:00Z"}"#
        #expect(try time.jsonString() == timeJSON)
        #expect(try Google_Protobuf_Any(jsonString: timeJSON) == time)
        #expect(try Google_Protobuf_Any(jsonString: "{}") == Google_Protobuf_Any())

        // Types the registry does not know cannot be written or read.
        #expect(throws: WireError.self) { try packed.jsonString() }
        #expect(throws: WireError.self) { try Google_Protobuf_Any(jsonString: json) }
        #expect(throws: WireError.self) { try Google_Protobuf_Any(jsonString: #"{"city":"x"}"#, configuration: reading) }
    }

    @Test("values JSON cannot represent make JSON encoding throw")
    func unrepresentable() {
        #expect(throws: WireError.self) { try Timestamp(seconds: Timestamp.maximumSeconds + 1).jsonString() }
        #expect(throws: WireError.self) { try Duration(seconds: 1, nanos: -1).jsonString() }
    }

    @Test("a message of well-known types round-trips in binary and JSON")
    func wellKnownMessage() throws {
        let known = Self.known
        #expect(try Dhtest_WellKnown(serializedBytes: known.serializedBytes()) == known)
        let json = try known.jsonString(configuration: .init(typeRegistry: Self.registry))
        #expect(json.contains(#""at":"2024-04-01T09:30:00.250Z""#))
        #expect(json.contains(#""took":"-1.500s""#))
        #expect(json.contains(#""count":"9007199254740993""#))
        #expect(json.contains(#""label":"""#))
        #expect(json.contains(#""nothing":{}"#))
        #expect(try Dhtest_WellKnown(jsonString: json, configuration: .init(typeRegistry: Self.registry)) == known)
    }
}
