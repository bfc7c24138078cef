import DHWire

/// The value the interop programs build independently in C and Python. Maps hold one entry
/// each so that every implementation's encoding of it is the same.
enum InteropValues {
    static func knownRecord(includeOptionals: Bool) -> Dhtest_CareRecord {
        var scalars = Dhtest_Scalars()
        scalars.fInt32 = -1
        scalars.fInt64 = .min
        scalars.fUint32 = .max
        scalars.fUint64 = .max
        scalars.fSint32 = .min
        scalars.fSint64 = .max
        scalars.fFixed32 = 0xDEAD_BEEF
        scalars.fFixed64 = 1
        scalars.fSfixed32 = -2
        scalars.fSfixed64 = -3
        scalars.fFloat = 1.5
        scalars.fDouble = -0.25
        scalars.fBool = true
        scalars.fString = "診療記録"
        scalars.fBytes = [0x00, 0xFF]
        scalars.fEnum = .suspended

        var repeateds = Dhtest_Repeateds()
        repeateds.rInt32 = [1, -1, 300]
        repeateds.rSint64 = [-1, 1]
        repeateds.rDouble = [0.5]
        repeateds.rString = ["東京", ""]
        repeateds.uInt32 = [7, 8]
        repeateds.rEnum = [.active, .unrecognized(42)]
        repeateds.rBool = [true, false]
        repeateds.rFixed64 = [.max]
        repeateds.rFloat = [-2.5]

        var address = Dhtest_CareRecord.Address()
        address.prefecture = "東京都"
        address.city = "千代田区"
        address.line = "霞が関1-2-2"
        address.postalCode = 1_008_916

        var observation = Dhtest_CareRecord.Observation()
        observation.code = "8480-6"
        observation.value = 128.5
        observation.takenAt = -1_700_000_000_000
        observation.flags = [.active, .unrecognized(42), .deceased]
        observation.note = "収縮期血圧 🩺"

        var shortObservation = Dhtest_CareRecord.Observation()
        shortObservation.code = "x"

        var guardian = Dhtest_CareRecord()
        guardian.id = .min
        guardian.name = "山田 太郎"
        guardian.phone = "+81-3-0000-0000"

        var record = Dhtest_CareRecord()
        record.id = .max
        record.name = "山田 花子"
        record.status = .active
        record.address = address
        record.observations = [observation]
        record.labels = ["病院": "聖路加国際病院"]
        record.byCode = [7: shortObservation]
        record.email = "hanako@example.jp"
        record.guardian = guardian
        record.tags = ["要介護2", ""]
        record.scalars = scalars
        record.repeateds = repeateds
        record.counters = ["visits": .min]
        record.blobs = [.max: [1, 2, 3]]
        record.switches = [true: .suspended]
        if includeOptionals {
            var optionals = Dhtest_Optionals()
            optionals.oInt32 = 0
            optionals.oString = "任意"
            optionals.oBool = false
            record.optionals = optionals
        }
        return record
    }

    /// The test schema without proto3 `optional` (protoc-c 1.4 cannot compile it): no
    /// `Optionals` message and no `optionals` field, which the C side then sees as unknown.
    static var protoWithoutOptional: String {
        var lines: [Substring] = []
        var skipping = false
        for line in TestSchema.proto.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("message Optionals") { skipping = true }
            if !skipping && !line.contains("Optionals optionals") { lines.append(line) }
            if skipping && line.hasPrefix("}") { skipping = false }
        }
        return lines.joined(separator: "\n")
    }
}
