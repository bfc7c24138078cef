// google.protobuf.Timestamp and google.protobuf.Duration (google/protobuf/timestamp.proto,
// duration.proto), in the shape dh-protoc generates, with their special JSON forms.

/// A point in time: seconds and nanoseconds since 1970-01-01T00:00:00Z, UTC, without leap
/// seconds. JSON: an RFC 3339 string, `"2024-04-01T09:30:00.250Z"`.
public struct Google_Protobuf_Timestamp: Message {
    public static let protoMessageName = "google.protobuf.Timestamp"

    public var seconds: Int64 = 0
    public var nanos: Int32 = 0
    public var unknownFields = UnknownFields()

    public init() {}

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// The JSON range: 0001-01-01T00:00:00Z ... 9999-12-31T23:59:59.999999999Z.
    public static let minimumSeconds: Int64 = -62_135_596_800
    public static let maximumSeconds: Int64 = 253_402_300_799

    public func serializedSize() -> Int { TimeFields.size(seconds, nanos) + unknownFields.count }
    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        TimeFields.encode(seconds, nanos, to: &writer)
    }
    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        try TimeFields.decode(&seconds, &nanos, &unknownFields, from: &reader)
    }
    public func encodeJSONFields(to writer: inout JSONWriter) {
        TimeFields.encodeJSONFields(seconds, nanos, to: &writer)
    }
    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        try TimeFields.decodeJSONField(name, &seconds, &nanos, from: &reader)
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        guard let text = rfc3339 else {
            writer.fail("Timestamp \(seconds)s \(nanos)ns is outside the JSON range 0001...9999")
            writer.writeRaw("null")
            return
        }
        writer.writeString(text)
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        let text = try reader.readStringToken()
        guard let (seconds, nanos) = CivilTime.parseRFC3339(text) else {
            throw reader.valueError("\"\(text)\" is not an RFC 3339 timestamp in 0001...9999")
        }
        self.seconds = seconds
        self.nanos = nanos
    }

    /// The RFC 3339 form in UTC, or nil outside the JSON range or with invalid nanos.
    public var rfc3339: String? {
        guard (Self.minimumSeconds...Self.maximumSeconds).contains(seconds), (0...999_999_999).contains(nanos) else {
            return nil
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = CivilTime.civil(fromDays: days)
        var text = CivilTime.digits(year, 4) + "-" + CivilTime.digits(month, 2) + "-" + CivilTime.digits(day, 2)
        text += "T" + CivilTime.digits(secondOfDay / 3600, 2) + ":" + CivilTime.digits(secondOfDay / 60 % 60, 2)
        text += ":" + CivilTime.digits(secondOfDay % 60, 2) + CivilTime.fraction(nanos) + "Z"
        return text
    }
}

/// A signed span of time: seconds and nanoseconds of the same sign. JSON: a decimal number
/// of seconds with an `s` suffix, `"-1.500s"`.
public struct Google_Protobuf_Duration: Message {
    public static let protoMessageName = "google.protobuf.Duration"

    public var seconds: Int64 = 0
    public var nanos: Int32 = 0
    public var unknownFields = UnknownFields()

    public init() {}

    public init(seconds: Int64, nanos: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
    }

    /// The range protobuf allows: about ±10,000 years.
    public static let maximumSeconds: Int64 = 315_576_000_000

    public func serializedSize() -> Int { TimeFields.size(seconds, nanos) + unknownFields.count }
    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        TimeFields.encode(seconds, nanos, to: &writer)
    }
    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        try TimeFields.decode(&seconds, &nanos, &unknownFields, from: &reader)
    }
    public func encodeJSONFields(to writer: inout JSONWriter) {
        TimeFields.encodeJSONFields(seconds, nanos, to: &writer)
    }
    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        try TimeFields.decodeJSONField(name, &seconds, &nanos, from: &reader)
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        let negative = seconds < 0 || nanos < 0
        if seconds.magnitude > UInt64(Self.maximumSeconds) || nanos.magnitude > 999_999_999
            || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)
        {
            writer.fail("Duration \(seconds)s \(nanos)ns is out of range or mixes signs")
        }
        let text = (negative ? "-" : "") + String(seconds.magnitude) + CivilTime.fraction(Int32(nanos.magnitude)) + "s"
        writer.writeString(text)
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        let text = try reader.readStringToken()
        guard let (seconds, nanos) = Self.parse(text) else {
            throw reader.valueError("\"\(text)\" is not a duration such as \"1.5s\"")
        }
        self.seconds = seconds
        self.nanos = nanos
    }

    static func parse(_ text: String) -> (Int64, Int32)? {
        var bytes = Array(text.utf8)
        guard bytes.last == UInt8(ascii: "s") else { return nil }
        bytes.removeLast()
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes.removeFirst()
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 12,
            whole.allSatisfy({ (0x30...0x39).contains($0) }),
            let seconds = Int64(String(decoding: whole, as: UTF8.self)), seconds <= maximumSeconds
        else { return nil }
        var nanos: Int32 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard (1...9).contains(fraction.count), fraction.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            for index in 0..<9 {
                nanos = nanos * 10 + (index < fraction.count ? Int32(fraction[fraction.startIndex + index] - 0x30) : 0)
            }
        }
        return negative ? (-seconds, -nanos) : (seconds, nanos)
    }
}

/// The two fields Timestamp and Duration share: `int64 seconds = 1; int32 nanos = 2;`.
enum TimeFields {
    static func size(_ seconds: Int64, _ nanos: Int32) -> Int {
        var size = 0
        if seconds != 0 { size += WireSize.field(ProtoInt64.self, seconds, key: 8) }
        if nanos != 0 { size += WireSize.field(ProtoInt32.self, nanos, key: 16) }
        return size
    }

    static func encode(_ seconds: Int64, _ nanos: Int32, to writer: inout WireWriter) {
        if nanos != 0 { writer.write(ProtoInt32.self, nanos, key: 16) }
        if seconds != 0 { writer.write(ProtoInt64.self, seconds, key: 8) }
    }

    static func decode(
        _ seconds: inout Int64, _ nanos: inout Int32, _ unknownFields: inout UnknownFields,
        from reader: inout WireReader
    ) throws(WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8: seconds = try reader.read(ProtoInt64.self)
            case 16: nanos = try reader.read(ProtoInt32.self)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    static func encodeJSONFields(_ seconds: Int64, _ nanos: Int32, to writer: inout JSONWriter) {
        if seconds != 0 || writer.includesDefaults { writer.field("seconds", "seconds", ProtoInt64.self, seconds) }
        if nanos != 0 || writer.includesDefaults { writer.field("nanos", "nanos", ProtoInt32.self, nanos) }
    }

    static func decodeJSONField(
        _ name: JSONName, _ seconds: inout Int64, _ nanos: inout Int32, from reader: inout JSONReader
    ) throws(WireError) -> Bool {
        switch name {
        case "seconds": seconds = try reader.read(ProtoInt64.self)
        case "nanos": nanos = try reader.read(ProtoInt32.self)
        default: return false
        }
        return true
    }
}

/// Proleptic Gregorian calendar arithmetic for RFC 3339, without Foundation.
public enum CivilTime {
    /// Year, month, day of a day count since 1970-01-01 (algorithm by Howard Hinnant).
    public static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// Days since 1970-01-01 of a date.
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// ".fff", ".ffffff" or ".fffffffff" as few as exact, or "" for whole seconds.
    static func fraction(_ nanos: Int32) -> String {
        guard nanos != 0 else { return "" }
        if nanos % 1_000_000 == 0 { return "." + digits(Int(nanos / 1_000_000), 3) }
        if nanos % 1000 == 0 { return "." + digits(Int(nanos / 1000), 6) }
        return "." + digits(Int(nanos), 9)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` into UTC seconds and nanos.
    static func parseRFC3339(_ text: String) -> (Int64, Int32)? {
        let b = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for index in start..<start + count {
                guard (0x30...0x39).contains(b[index]) else { return nil }
                value = value * 10 + Int(b[index] - 0x30)
            }
            return value
        }
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            b[10] == UInt8(ascii: "T"),  // proto3 JSON: upper-case T and Z only
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            year >= 1, (1...12).contains(month), hour <= 23, minute <= 59, second <= 59
        else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...monthDays).contains(day) else { return nil }
        var index = 19
        var nanos: Int32 = 0
        if index < b.count && b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count && (0x30...0x39).contains(b[index]) { index += 1 }
            let count = index - start
            guard (1...9).contains(count) else { return nil }
            for position in 0..<9 {
                nanos = nanos * 10 + (position < count ? Int32(b[start + position] - 0x30) : 0)
            }
        }
        guard index < b.count else { return nil }
        var offsetSeconds = 0
        switch b[index] {
        case UInt8(ascii: "Z"):
            guard index + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == b.count, b[index + 3] == UInt8(ascii: ":"),
                let hours = number(index + 1, 2), let minutes = number(index + 4, 2), hours <= 23, minutes <= 59
            else { return nil }
            offsetSeconds = (hours * 3600 + minutes * 60) * (b[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        let seconds = days(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        guard (Google_Protobuf_Timestamp.minimumSeconds...Google_Protobuf_Timestamp.maximumSeconds).contains(seconds) else {
            return nil
        }
        return (seconds, nanos)
    }
}
