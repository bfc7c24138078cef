import DHWire

/// A message with no fields: everything it reads is an unknown field.
struct Dhtest_Empty: DHWire.Message {
    var unknownFields = DHWire.UnknownFields()

    init() {}

    func serializedSize() -> Int { unknownFields.count }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(unknownFields)
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            try reader.skipField(key: key, into: &unknownFields)
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {}

    mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        false
    }
}

/// Seeded SplitMix64, so randomised tests are repeatable.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Values used by several suites.
enum Samples {
    /// Every scalar at an extreme or otherwise interesting value.
    static var scalars: Dhtest_Scalars {
        var m = Dhtest_Scalars()
        m.fInt32 = -1
        m.fInt64 = .min
        m.fUint32 = .max
        m.fUint64 = .max
        m.fSint32 = .min
        m.fSint64 = .max
        m.fFixed32 = 0xDEAD_BEEF
        m.fFixed64 = 1
        m.fSfixed32 = -2
        m.fSfixed64 = -3
        m.fFloat = 1.5
        m.fDouble = -0.25
        m.fBool = true
        m.fString = "診療記録"
        m.fBytes = [0x00, 0xFF]
        m.fEnum = .suspended
        return m
    }

    /// The bytes `protoc --encode` produces for `scalars`.
    static let scalarsGolden: [UInt8] = [
        0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10,
        0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x18, 0xff,
        0xff, 0xff, 0xff, 0x0f, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0x01, 0x28, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x30, 0xfe, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x3d, 0xef, 0xbe, 0xad,
        0xde, 0x41, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0xfe,
        0xff, 0xff, 0xff, 0x51, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x5d, 0x00, 0x00, 0xc0, 0x3f, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xd0, 0xbf, 0x68, 0x01, 0x72, 0x0c, 0xe8, 0xa8, 0xba, 0xe7, 0x99, 0x82,
        0xe8, 0xa8, 0x98, 0xe9, 0x8c, 0xb2, 0x7a, 0x02, 0x00, 0xff, 0x80, 0x01,
        0x02,
    ]

    static var repeateds: Dhtest_Repeateds {
        var m = Dhtest_Repeateds()
        m.rInt32 = [1, -1, 300]
        m.rSint64 = [-1, 1]
        m.rDouble = [0.5]
        m.rString = ["東京", ""]
        m.uInt32 = [7, 8]
        return m
    }

    /// The bytes `protoc --encode` produces for `repeateds`.
    static let repeatedsGolden: [UInt8] = [
        0x0a, 0x0d, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x01, 0xac, 0x02, 0x32, 0x02, 0x01, 0x02, 0x62, 0x08, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xe0, 0x3f, 0x72, 0x06, 0xe6, 0x9d, 0xb1, 0xe4, 0xba,
        0xac, 0x72, 0x00, 0x88, 0x01, 0x07, 0x88, 0x01, 0x08,
    ]

    /// A care record using every feature: nesting, recursion, repeated, maps, a oneof,
    /// optionals, enums, Japanese text and 64-bit extremes.
    static var careRecord: Dhtest_CareRecord {
        var record = Dhtest_CareRecord()
        record.id = .max
        record.name = "山田 花子"
        record.status = .active
        record.address.prefecture = "東京都"
        record.address.city = "千代田区"
        record.address.line = "霞が関1-2-2"
        record.address.postalCode = 1_008_916
        var observation = Dhtest_CareRecord.Observation()
        observation.code = "8480-6"
        observation.value = 128.5
        observation.takenAt = -1_700_000_000_000
        observation.flags = [.active, .unrecognized(42), .deceased]
        observation.note = "収縮期血圧 🩺"
        record.observations = [observation, Dhtest_CareRecord.Observation()]
        record.labels = ["病院": "聖路加国際病院", "ward": ""]
        record.byCode = [7: observation, -1: Dhtest_CareRecord.Observation()]
        record.email = "hanako@example.jp"
        var guardian = Dhtest_CareRecord()
        guardian.id = .min
        guardian.name = "山田 太郎"
        guardian.phone = "+81-3-0000-0000"
        record.guardian = guardian
        record.tags = ["要介護2", "", "allergy:penicillin"]
        record.scalars = scalars
        record.repeateds = fullRepeateds
        var optionals = Dhtest_Optionals()
        optionals.oInt32 = 0
        optionals.oString = ""
        optionals.oEnum = .unspecified
        optionals.oBool = false
        record.optionals = optionals
        record.counters = ["visits": .max, "missed": .min]
        record.blobs = [0: [], .max: [1, 2, 3]]
        record.switches = [true: .suspended, false: .unrecognized(-5)]
        return record
    }

    static var fullRepeateds: Dhtest_Repeateds {
        var m = Dhtest_Repeateds()
        m.rInt32 = [0, 1, -1, .max, .min]
        m.rInt64 = [0, .max, .min]
        m.rUint32 = [0, .max]
        m.rUint64 = [0, .max]
        m.rSint32 = [.min, -1, 0, 1, .max]
        m.rSint64 = [.min, -1, 0, 1, .max]
        m.rFixed32 = [0, .max]
        m.rFixed64 = [0, .max]
        m.rSfixed32 = [.min, .max]
        m.rSfixed64 = [.min, .max]
        m.rFloat = [0, -0.0, .infinity, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        m.rDouble = [0, -0.0, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        m.rBool = [true, false, true]
        m.rString = ["", "ｶﾀｶﾅ", "𠮷野家"]
        m.rBytes = [[], [0], Array(0...255)]
        m.rEnum = [.unspecified, .deceased, .unrecognized(-1), .unrecognized(.max)]
        m.uInt32 = [-7, 0, 7]
        m.uSint64 = [.min, .max]
        m.uDouble = [3.25]
        return m
    }
}
