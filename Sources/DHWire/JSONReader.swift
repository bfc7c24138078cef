/// Reads the proto3 JSON mapping of a message from borrowed UTF-8, with limits and typed
/// errors; never traps on input.
///
/// Generated code receives a reader `inout` in `Message.decodeJSONField(_:from:)`, after the
/// member's name and colon were read and when its value is not `null` (a `null` member leaves
/// the field at its default).
public struct JSONReader: ~Copyable {
    /// Limits and leniency of JSON decoding.
    public struct Configuration: Sendable, Hashable {
        /// The longest input accepted, in bytes. Default: 64 MiB.
        public var maxMessageSize: Int
        /// How deeply objects and arrays may nest. Default: 100.
        public var maxDepth: Int
        /// Skip members that name no field, and enum names the schema does not have,
        /// instead of failing. Default: false.
        public var ignoresUnknownFields: Bool
        /// The message types `google.protobuf.Any` values may hold. Default: the
        /// well-known types.
        public var typeRegistry: TypeRegistry

        public init(
            maxMessageSize: Int = 64 << 20, maxDepth: Int = 100, ignoresUnknownFields: Bool = false,
            typeRegistry: TypeRegistry = TypeRegistry()
        ) {
            self.maxMessageSize = maxMessageSize
            self.maxDepth = maxDepth
            self.ignoresUnknownFields = ignoresUnknownFields
            self.typeRegistry = typeRegistry
        }
    }

    @usableFromInline internal let base: UnsafePointer<UInt8>
    @usableFromInline internal let end: Int
    @usableFromInline internal var position: Int
    @usableFromInline internal var depth: Int
    public let configuration: Configuration
    // Copies of the configuration's limits: reading them through `configuration` would
    // retain and release its type registry on every member.
    @usableFromInline internal let maxDepth: Int
    @usableFromInline internal let ignoresUnknownFields: Bool

    @usableFromInline
    internal init(_ bytes: UnsafeBufferPointer<UInt8>, configuration: Configuration) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
        position = 0
        depth = 0
        self.configuration = configuration
        maxDepth = configuration.maxDepth
        ignoresUnknownFields = configuration.ignoresUnknownFields
    }

    /// The offset of the next byte.
    public var offset: Int { position }

    // MARK: Errors

    @usableFromInline
    internal func syntaxError(_ message: String) -> WireError {
        WireError(code: .invalidJSON, offset: position, message: message)
    }

    @usableFromInline
    internal func valueError(_ message: String) -> WireError {
        WireError(code: .invalidJSONValue, offset: position, message: message)
    }

    // MARK: Tokens

    @usableFromInline
    internal mutating func skipWhitespace() {
        while position < end {
            switch base[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position &+= 1
            default: return
            }
        }
    }

    /// The next non-space byte, not consumed; nil at the end.
    @inlinable
    internal mutating func peek() -> UInt8? {
        if position < end {
            let byte = base[position]
            if byte > 0x20 { return byte }
        }
        skipWhitespace()
        return position < end ? base[position] : nil
    }

    @inlinable
    internal mutating func expect(_ byte: UInt8) throws(WireError) {
        if position < end && base[position] == byte {
            position &+= 1
            return
        }
        try expectSlow(byte)
    }

    @usableFromInline
    internal mutating func expectSlow(_ byte: UInt8) throws(WireError) {
        guard peek() == byte else {
            throw syntaxError("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position &+= 1
    }

    /// Consumes `literal` (true, false, null) if it comes next.
    @usableFromInline
    internal mutating func consume(_ literal: StaticString) -> Bool {
        skipWhitespace()
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { return false }
        let start = literal.utf8Start
        for index in 0..<count where base[position + index] != start[index] { return false }
        position &+= count
        return true
    }

    /// Whether the next value is `null`; consumes it if so.
    public mutating func consumeNull() -> Bool { consume("null") }

    // MARK: Objects

    @usableFromInline
    internal mutating func enter() throws(WireError) {
        guard depth < maxDepth else {
            throw WireError(
                code: .recursionTooDeep, offset: position,
                message: "JSON nests deeper than \(maxDepth)")
        }
        depth &+= 1
    }

    /// Reads a JSON object, calling `member` with each name after its colon; `member`
    /// reads the value.
    @usableFromInline
    internal mutating func readObject(
        _ member: (JSONName, inout JSONReader) throws(WireError) -> Void
    ) throws(WireError) {
        try expect(UInt8(ascii: "{"))
        try enter()
        if peek() == UInt8(ascii: "}") {
            position &+= 1
            depth &-= 1
            return
        }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw syntaxError("expected a member name") }
            switch try readStringBytes() {
            case .input(let start, let count, _):
                try expect(UInt8(ascii: ":"))
                try member(JSONName(UnsafeBufferPointer(start: base + start, count: count)), &self)
            case .unescaped(let bytes):
                try expect(UInt8(ascii: ":"))
                try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) in
                    try member(JSONName(buffer), &self)
                }
            }
            switch peek() {
            case UInt8(ascii: ","): position &+= 1
            case UInt8(ascii: "}"):
                position &+= 1
                depth &-= 1
                return
            default: throw syntaxError("expected ',' or '}'")
            }
        }
    }

    /// Reads a message's JSON value into `message`, merging.
    @inlinable
    public mutating func readMessage<M: Message>(into message: inout M) throws(WireError) {
        try message.decodeJSONValue(from: &self)
    }

    /// Reads a JSON object's members into `message` through `decodeJSONField(_:from:)`,
    /// merging; `null` members are skipped.
    @inlinable
    public mutating func readObject<M: Message>(into message: inout M) throws(WireError) {
        try readObject { (name: JSONName, reader: inout JSONReader) throws(WireError) in
            if reader.consumeNull() { return }
            let start = reader.position
            guard try !message.decodeJSONField(name, from: &reader) else { return }
            guard reader.position == start else {
                throw reader.valueError("field \"\(name)\" was partly read")
            }
            guard reader.ignoresUnknownFields else {
                throw WireError(code: .unknownJSONField, offset: start, message: "no field is named \"\(name)\"")
            }
            try reader.skipValue()
        }
    }

    /// Reads a message field into an optional, creating it when absent.
    @inlinable
    public mutating func readMessage<M: Message>(into message: inout M?) throws(WireError) {
        if message == nil { message = M() }
        try readMessage(into: &message!)
    }

    /// Reads one value of a singular field.
    @inlinable
    public mutating func read<C: FieldCodec>(_ codec: C.Type) throws(WireError) -> C.Value {
        try C.readJSON(from: &self)
    }

    /// Reads a JSON array into a repeated field, appending.
    @inlinable
    public mutating func readRepeated<C: FieldCodec>(_ codec: C.Type, into values: inout [C.Value]) throws(WireError) {
        try expect(UInt8(ascii: "["))
        try enter()
        if peek() == UInt8(ascii: "]") {
            position &+= 1
            depth &-= 1
            return
        }
        while true {
            values.append(try C.readJSON(from: &self))
            switch peek() {
            case UInt8(ascii: ","): position &+= 1
            case UInt8(ascii: "]"):
                position &+= 1
                depth &-= 1
                return
            default: throw syntaxError("expected ',' or ']'")
            }
        }
    }

    /// Reads a JSON object into a map field; keys are parsed from their string form.
    @inlinable
    public mutating func readMap<K: FieldCodec, V: FieldCodec>(
        _ keyCodec: K.Type, _ valueCodec: V.Type, into map: inout [K.Value: V.Value]
    ) throws(WireError) {
        try readObject { (name: JSONName, reader: inout JSONReader) throws(WireError) in
            let key = try K.readJSONMapKey(name.string, from: &reader)
            map[key] = try V.readJSON(from: &reader)
        }
    }

    /// The error for a second member of one oneof: generated code checks
    /// `guard self.contact == nil else { throw reader.oneofAlreadySet(name) }` before
    /// reading a oneof member.
    public func oneofAlreadySet(_ name: JSONName) -> WireError {
        WireError(
            code: .invalidJSONValue, offset: position,
            message: "\"\(name)\" sets a oneof that another member already set")
    }

    /// Whether the bytes from `start` to `end` are an object with nothing but whitespace.
    @usableFromInline
    internal func isEmptyObject(from start: Int, to end: Int) -> Bool {
        var index = start
        var seenOpen = false
        while index < end {
            switch base[index] {
            case 0x20, 0x09, 0x0A, 0x0D: break
            case UInt8(ascii: "{") where !seenOpen: seenOpen = true
            case UInt8(ascii: "}"): return seenOpen
            default: return false
            }
            index += 1
        }
        return false
    }

    /// Skips any JSON value.
    public mutating func skipValue() throws(WireError) {
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject { (_: JSONName, reader: inout JSONReader) throws(WireError) in try reader.skipValue() }
        case UInt8(ascii: "["):
            position &+= 1
            try enter()
            if peek() == UInt8(ascii: "]") {
                position &+= 1
                depth &-= 1
                return
            }
            while true {
                try skipValue()
                switch peek() {
                case UInt8(ascii: ","): position &+= 1
                case UInt8(ascii: "]"):
                    position &+= 1
                    depth &-= 1
                    return
                default: throw syntaxError("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""): _ = try readStringBytes()
        default:
            if consume("true") || consume("false") || consume("null") { return }
            _ = try readNumberToken()
        }
    }

    // MARK: Scalars

    /// A JSON string's bytes: in the input when it has no escapes, else unescaped.
    @usableFromInline
    internal enum StringBytes {
        case input(start: Int, count: Int, isASCII: Bool)
        case unescaped([UInt8])
    }

    /// Bytes that end the fast scan of a JSON string: '"', '\\' and control characters.
    @usableFromInline
    internal static let stringStops: [Bool] = (0...255).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }

    /// Reads a JSON string token, unescaping it and validating its UTF-8.
    @usableFromInline
    internal mutating func readStringBytes() throws(WireError) -> StringBytes {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: no escapes or control characters; eight bytes at a time.
        var index = position
        var seen: UInt64 = 0
        var stopped = false
        while end &- index >= 8 {
            let word = UnsafeRawPointer(base).loadUnaligned(fromByteOffset: index, as: UInt64.self)
            // Bytes equal to '"' (0x22) or '\\' (0x5C), or below 0x20, set their high bit here.
            let quote = word ^ 0x2222_2222_2222_2222
            let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
            let low: UInt64 = 0x0101_0101_0101_0101
            let high: UInt64 = 0x8080_8080_8080_8080
            let special =
                (((quote &- low) & ~quote) | ((backslash &- low) & ~backslash) | ((word &- 0x2020_2020_2020_2020) & ~word))
                & high
            if special != 0 {
                #if _endian(little)
                    // The lowest flagged byte is the first stop (flags above it may be borrows);
                    // short strings end here without a byte-by-byte scan.
                    let stop = special.trailingZeroBitCount >> 3
                    seen |= stop == 0 ? 0 : word & (UInt64.max >> (64 &- (stop << 3)))
                    index &+= stop
                    stopped = true
                #endif
                break
            }
            seen |= word
            index &+= 8
        }
        var seenByte: UInt8 = 0
        if !stopped {
            Self.stringStops.withUnsafeBufferPointer { stops in
                while index < end && !stops[Int(base[index])] {
                    seenByte |= base[index]
                    index &+= 1
                }
            }
        }
        if index < end && base[index] == UInt8(ascii: "\"") {
            let isASCII = (seen & 0x8080_8080_8080_8080 == 0) && seenByte < 0x80
            if !isASCII {
                let bytes = UnsafeBufferPointer(start: base + start, count: index &- start)
                guard UTF8Check.isValid(bytes) else {
                    throw WireError(code: .invalidUTF8, offset: start, message: "JSON string is not valid UTF-8")
                }
            }
            position = index &+ 1
            return .input(start: start, count: index &- start, isASCII: isASCII)
        }
        var text: [UInt8] = Array(UnsafeBufferPointer(start: base + start, count: index - start))
        position = index
        while position < end {
            let byte = base[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard text.withUnsafeBufferPointer({ UTF8Check.isValid($0) }) else {
                    throw WireError(code: .invalidUTF8, offset: start, message: "JSON string is not valid UTF-8")
                }
                return .unescaped(text)
            case UInt8(ascii: "\\"):
                guard position < end else { break }
                let escape = base[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard consume("\\u") else { throw syntaxError("unpaired surrogate in \\u escape") }
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw syntaxError("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw syntaxError("unpaired surrogate in \\u escape")
                    }
                    text.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
                default: throw syntaxError("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw syntaxError("control character in a JSON string") }
                text.append(byte)
            }
        }
        throw syntaxError("unterminated JSON string")
    }

    /// Reads a JSON string.
    public mutating func readStringToken() throws(WireError) -> String {
        switch try readStringBytes() {
        case .input(let start, let count, let isASCII):
            let bytes = UnsafeBufferPointer(start: base + start, count: count)
            return String(copying: UTF8Span(unchecked: bytes.span, isKnownASCII: isASCII))
        case .unescaped(let bytes):
            return bytes.withUnsafeBufferPointer { String(copying: UTF8Span(unchecked: $0.span)) }
        }
    }

    @usableFromInline
    internal mutating func readHex4() throws(WireError) -> UInt32 {
        guard end - position >= 4 else { throw syntaxError("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[position]
            position += 1
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw syntaxError("invalid \\u escape")
            }
            value = value << 4 | digit
        }
        return value
    }

    /// The length of the JSON number at `start` (checked against the JSON grammar), or nil.
    @usableFromInline
    internal static func numberLength(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var index = start
        func digits(_ index: inout Int) -> Int {
            let first = index
            while index < end, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(base[index]) { index += 1 }
            return index - first
        }
        if index < end && base[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        let integerDigits = digits(&index)
        guard integerDigits > 0 else { return nil }
        guard integerDigits == 1 || base[integerStart] != UInt8(ascii: "0") else { return nil }
        if index < end && base[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&index) > 0 else { return nil }
        }
        if index < end && (base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E")) {
            index += 1
            if index < end && (base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-")) { index += 1 }
            guard digits(&index) > 0 else { return nil }
        }
        return index - start
    }

    /// Whether all of `text` is one JSON number.
    @usableFromInline
    internal static func isNumber(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return numberLength(base, from: 0, to: bytes.count) == bytes.count
        }
    }

    /// Reads a JSON number token; returns its text.
    @usableFromInline
    internal mutating func readNumberToken() throws(WireError) -> Substring {
        skipWhitespace()
        guard let length = Self.numberLength(base, from: position, to: end) else {
            throw syntaxError("expected a value")
        }
        let start = position
        position += length
        return Substring(decoding: UnsafeBufferPointer(start: base + start, count: length), as: UTF8.self)
    }

    /// Reads an integer given as a JSON number or a string holding one; fractions with a
    /// zero fraction and exponents are accepted when the value is integral.
    @inlinable
    internal mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        // Fast path: a plain decimal JSON number, bare or quoted.
        skipWhitespace()
        let quoted = position < end && base[position] == UInt8(ascii: "\"")
        let numberStart = quoted ? position &+ 1 : position
        if numberStart < end, let length = Self.numberLength(base, from: numberStart, to: end),
            !quoted || (numberStart &+ length < end && base[numberStart &+ length] == UInt8(ascii: "\""))
        {
            let negative = base[numberStart] == UInt8(ascii: "-")
            var index = negative ? numberStart &+ 1 : numberStart
            let stop = numberStart &+ length
            var magnitude: UInt64 = 0
            var plain = length <= 20
            while plain && index < stop {
                let digit = base[index] &- UInt8(ascii: "0")
                if digit > 9 { plain = false; break }
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
                if overflow1 || overflow2 { plain = false; break }
                magnitude = sum
                index &+= 1
            }
            if plain {
                position = quoted ? stop &+ 1 : stop
                if negative {
                    if magnitude == 0 { return 0 }
                    if T.isSigned, magnitude <= UInt64(T.max) &+ 1 {
                        return T(truncatingIfNeeded: 0 &- magnitude)
                    }
                } else if magnitude <= UInt64(T.max) {
                    return T(truncatingIfNeeded: magnitude)
                }
                throw valueError("\(negative ? "-" : "")\(magnitude) is out of range for \(T.self)")
            }
        }
        return try readIntegerSlow(T.self)
    }

    @usableFromInline
    internal mutating func readIntegerSlow<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        let text: Substring
        if peek() == UInt8(ascii: "\"") {
            let string = try readStringToken()
            guard Self.isNumber(string) else { throw valueError("\"\(string)\" is not an integer") }
            text = Substring(string)
        } else {
            text = try readNumberToken()
        }
        if let value = T(text, radix: 10) { return value }
        // Exponents and fractions: exact only up to 2^53, which covers what JSON writers emit.
        if let double = Double(text), double.isFinite,
            let value = T(exactly: double)
        {
            return value
        }
        throw valueError("\"\(text)\" is not a valid \(T.self)")
    }

    /// Reads a float or double: a JSON number, or a string holding a number, "NaN",
    /// "Infinity" or "-Infinity". Numbers out of the type's range are errors.
    @inlinable
    internal mutating func readFloatingPoint<F: BinaryFloatingPoint & LosslessStringConvertible>(
        _: F.Type
    ) throws(WireError) -> F {
        let text: Substring
        if peek() == UInt8(ascii: "\"") {
            let string = try readStringToken()
            switch string {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default: break
            }
            guard Self.isNumber(string) else { throw valueError("\"\(string)\" is not a number") }
            text = Substring(string)
        } else {
            text = try readNumberToken()
        }
        guard let value = F(String(text)), value.isFinite else {
            throw valueError("\(text) is out of range for \(F.self)")
        }
        return value
    }

    @usableFromInline
    internal mutating func readBool() throws(WireError) -> Bool {
        if consume("true") { return true }
        if consume("false") { return false }
        throw valueError("expected true or false")
    }

    @usableFromInline
    internal mutating func readBase64() throws(WireError) -> [UInt8] {
        let text = try readStringToken()
        guard let bytes = Base64.decode(text.utf8) else { throw valueError("invalid base64") }
        return bytes
    }

    @inlinable
    internal mutating func readEnum<E: ProtoEnum>(_: E.Type) throws(WireError) -> E {
        if peek() == UInt8(ascii: "\"") {
            let found: E?
            let text: String
            switch try readStringBytes() {
            case .input(let start, let count, _):
                let name = JSONName(UnsafeBufferPointer(start: base + start, count: count))
                found = E(protoName: name)
                text = found == nil ? name.string : ""
            case .unescaped(let bytes):
                found = bytes.withUnsafeBufferPointer { E(protoName: JSONName($0)) }
                text = String(decoding: bytes, as: UTF8.self)
            }
            if let found { return found }
            if ignoresUnknownFields { return E(rawValue: 0) }
            throw valueError("\"\(text)\" is not a value of \(E.self)")
        }
        return E(rawValue: try readInteger(Int32.self))
    }
}

/// A name read from JSON (a member name, or an enum value's name), borrowed from the input
/// for the duration of one `Message.decodeJSONField(_:from:)` or `ProtoEnum.init(protoName:)`
/// call. Generated code matches it against string literals in a `switch`
/// (`case "postalCode", "postal_code":`) without creating a `String`.
public struct JSONName: CustomStringConvertible {
    @usableFromInline internal let bytes: UnsafeBufferPointer<UInt8>

    @usableFromInline
    internal init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The name as a string (for messages and map keys).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    public var description: String { string }

    @inlinable
    public static func ~= (pattern: StaticString, name: JSONName) -> Bool {
        let count = pattern.utf8CodeUnitCount
        guard count == name.bytes.count else { return false }
        let expected = pattern.utf8Start
        for index in 0..<count where expected[index] != name.bytes[index] { return false }
        return true
    }
}
