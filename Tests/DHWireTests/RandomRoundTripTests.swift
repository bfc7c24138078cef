import DHWire
import Testing

/// Builds random values of the test messages from a seeded generator.
struct RandomMessages {
    var generator: SeededGenerator
    let alphabet: [Unicode.Scalar]

    init(seed: UInt64, allowsNUL: Bool = true) {
        generator = SeededGenerator(seed: seed)
        alphabet = allowsNUL ? Self.alphabet : Self.alphabet.filter { $0 != "\u{0}" }
    }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &generator) < percent }

    mutating func count(_ maximum: Int) -> Int { Int.random(in: 0...maximum, using: &generator) }

    /// Integers biased towards the boundaries where encodings change size.
    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T {
        switch Int.random(in: 0..<6, using: &generator) {
        case 0: return 0
        case 1: return [T.min, T.max, T.min &+ 1, T.max &- 1].randomElement(using: &generator)!
        case 2: return T(truncatingIfNeeded: Int.random(in: -130...130, using: &generator))
        case 3:
            let shift = Int.random(in: 0..<T.bitWidth, using: &generator)
            return T(truncatingIfNeeded: UInt64(1) << UInt64(shift)) &- T(truncatingIfNeeded: Int.random(in: 0...1, using: &generator))
        default: return T(truncatingIfNeeded: generator.next())
        }
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: 0
        case 1: [-0.0, .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude].randomElement(using: &generator)!
        default: Double.random(in: -1e12...1e12, using: &generator)
        }
    }

    mutating func float() -> Float { Float(double()) }

    static let alphabet: [Unicode.Scalar] = Array("aZ0 -_/:東京都千代田区診療記録ｶﾅ𠮷🩺é\u{0}\u{7F}\u{FFFD}".unicodeScalars)

    mutating func string() -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<count(12) { text.append(alphabet.randomElement(using: &generator)!) }
        return String(text)
    }

    mutating func bytes() -> [UInt8] { (0..<count(16)).map { _ in UInt8.random(in: 0...255, using: &generator) } }

    mutating func status() -> Dhtest_Status {
        Dhtest_Status(rawValue: chance(80) ? Int32.random(in: 0...3, using: &generator) : integer(Int32.self))
    }

    mutating func scalars() -> Dhtest_Scalars {
        var m = Dhtest_Scalars()
        if chance(70) { m.fInt32 = integer(Int32.self) }
        if chance(70) { m.fInt64 = integer(Int64.self) }
        if chance(70) { m.fUint32 = integer(UInt32.self) }
        if chance(70) { m.fUint64 = integer(UInt64.self) }
        if chance(70) { m.fSint32 = integer(Int32.self) }
        if chance(70) { m.fSint64 = integer(Int64.self) }
        if chance(70) { m.fFixed32 = integer(UInt32.self) }
        if chance(70) { m.fFixed64 = integer(UInt64.self) }
        if chance(70) { m.fSfixed32 = integer(Int32.self) }
        if chance(70) { m.fSfixed64 = integer(Int64.self) }
        if chance(70) { m.fFloat = float() }
        if chance(70) { m.fDouble = double() }
        if chance(70) { m.fBool = chance(50) }
        if chance(70) { m.fString = string() }
        if chance(70) { m.fBytes = bytes() }
        if chance(70) { m.fEnum = status() }
        return m
    }

    mutating func repeateds() -> Dhtest_Repeateds {
        var m = Dhtest_Repeateds()
        m.rInt32 = (0..<count(5)).map { _ in integer(Int32.self) }
        m.rInt64 = (0..<count(5)).map { _ in integer(Int64.self) }
        m.rUint32 = (0..<count(5)).map { _ in integer(UInt32.self) }
        m.rUint64 = (0..<count(5)).map { _ in integer(UInt64.self) }
        m.rSint32 = (0..<count(5)).map { _ in integer(Int32.self) }
        m.rSint64 = (0..<count(5)).map { _ in integer(Int64.self) }
        m.rFixed32 = (0..<count(5)).map { _ in integer(UInt32.self) }
        m.rFixed64 = (0..<count(5)).map { _ in integer(UInt64.self) }
        m.rSfixed32 = (0..<count(5)).map { _ in integer(Int32.self) }
        m.rSfixed64 = (0..<count(5)).map { _ in integer(Int64.self) }
        m.rFloat = (0..<count(5)).map { _ in float() }
        m.rDouble = (0..<count(5)).map { _ in double() }
        m.rBool = (0..<count(5)).map { _ in chance(50) }
        m.rString = (0..<count(4)).map { _ in string() }
        m.rBytes = (0..<count(4)).map { _ in bytes() }
        m.rEnum = (0..<count(5)).map { _ in status() }
        m.uInt32 = (0..<count(5)).map { _ in integer(Int32.self) }
        m.uSint64 = (0..<count(5)).map { _ in integer(Int64.self) }
        m.uDouble = (0..<count(5)).map { _ in double() }
        return m
    }

    mutating func optionals() -> Dhtest_Optionals {
        var m = Dhtest_Optionals()
        if chance(50) { m.oInt32 = integer(Int32.self) }
        if chance(50) { m.oString = string() }
        if chance(50) { m.oEnum = status() }
        if chance(50) { m.oDouble = double() }
        if chance(50) { m.oBool = chance(50) }
        if chance(50) { m.oBytes = bytes() }
        return m
    }

    mutating func address() -> Dhtest_CareRecord.Address {
        var m = Dhtest_CareRecord.Address()
        m.prefecture = string()
        m.city = string()
        if chance(50) { m.line = string() }
        m.postalCode = integer(UInt32.self)
        return m
    }

    mutating func observation() -> Dhtest_CareRecord.Observation {
        var m = Dhtest_CareRecord.Observation()
        m.code = string()
        m.value = double()
        m.takenAt = integer(Int64.self)
        m.flags = (0..<count(3)).map { _ in status() }
        if chance(30) { m.note = string() }
        return m
    }

    mutating func careRecord(depth: Int = 0) -> Dhtest_CareRecord {
        var m = Dhtest_CareRecord()
        m.id = integer(Int64.self)
        m.name = string()
        m.status = status()
        if chance(70) { m.address = address() }
        m.observations = (0..<count(4)).map { _ in observation() }
        for _ in 0..<count(3) { m.labels[string()] = string() }
        for _ in 0..<count(3) { m.byCode[integer(Int32.self)] = observation() }
        switch Int.random(in: 0..<4, using: &generator) {
        case 0: m.phone = string()
        case 1: m.email = string()
        case 2: m.postal = address()
        default: break
        }
        if depth < 3 && chance(30) { m.guardian = careRecord(depth: depth + 1) }
        m.tags = (0..<count(3)).map { _ in string() }
        if chance(60) { m.scalars = scalars() }
        if chance(40) { m.repeateds = repeateds() }
        if chance(40) { m.optionals = optionals() }
        for _ in 0..<count(3) { m.counters[string()] = integer(Int64.self) }
        for _ in 0..<count(2) { m.blobs[integer(UInt64.self)] = bytes() }
        for _ in 0..<count(2) { m.switches[chance(50)] = status() }
        return m
    }
}

@Suite("Randomised round trips")
struct RandomRoundTripTests {
    @Test("seeded random care records round-trip and size exactly", arguments: [UInt64(1), 2, 3, 4])
    func careRecords(seed: UInt64) throws {
        var random = RandomMessages(seed: seed)
        for _ in 0..<150 {
            let record = random.careRecord()
            let bytes = record.serializedBytes()
            #expect(bytes.count == record.serializedSize())
            let decoded = try Dhtest_CareRecord(serializedBytes: bytes)
            #expect(decoded == record)
            // Unknown to an empty message, the same bytes survive untouched.
            #expect(try Dhtest_Empty(serializedBytes: bytes).serializedBytes() == bytes)
        }
    }

    @Test("merging random records equals decoding their concatenation", arguments: [UInt64(11), 12])
    func merges(seed: UInt64) throws {
        var random = RandomMessages(seed: seed)
        for _ in 0..<60 {
            let first = random.careRecord()
            let second = random.careRecord()
            var merged = first
            merged.merge(second)
            let concatenated = try Dhtest_CareRecord(
                serializedBytes: first.serializedBytes() + second.serializedBytes())
            #expect(merged == concatenated)
            #expect(merged.tags == first.tags + second.tags)
            #expect(merged.id == (second.id != 0 ? second.id : first.id))
        }
    }
}
