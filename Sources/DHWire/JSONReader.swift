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

        public init(maxMessageSize: Int = 64 << 20, maxDepth: Int = 100, ignoresUnknownFields: Bool = false) {
            self.maxMessageSize = maxMessageSize
            self.maxDepth = maxDepth
            self.ignoresUnknownFields = ignoresUnknownFields
        }
    }

    @usableFromInline internal let base: UnsafePointer<UInt8>
    @usableFromInline internal let end: Int
    @usableFromInline internal var position: Int
    @usableFromInline internal var depth: Int
    public let configuration: Configuration

    @usableFromInline
    internal init(_ bytes: UnsafeBufferPointer<UInt8>, configuration: Configuration) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
        position = 0
        depth = 0
        self.configuration = configuration
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
    @usableFromInline
    internal mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < end ? base[position] : nil
    }

    @usableFromInline
    internal mutating func expect(_ byte: UInt8) throws(WireError) {
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
        guard depth < configuration.maxDepth else {
            throw WireError(
                code: .recursionTooDeep, offset: position,
                message: "JSON nests deeper than \(configuration.maxDepth)")
        }
        depth &+= 1
    }

    /// Reads a JSON object, calling `member` with each name after its colon; `member`
    /// reads the value.
    @usableFromInline
    internal mutating func readObject(
        _ member: (String, inout JSONReader) throws(WireError) -> Void
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
            let name = try readStringToken()
            try expect(UInt8(ascii: ":"))
            try member(name, &self)
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

    /// Reads a message's members into `message`, merging; `null` members are skipped.
    @inlinable
    public mutating func readMessage<M: Message>(into message: inout M) throws(WireError) {
        try readObject { (name: String, reader: inout JSONReader) throws(WireError) in
            if reader.consumeNull() { return }
            let start = reader.position
            guard try !message.decodeJSONField(name, from: &reader) else { return }
            guard reader.position == start else {
                throw reader.valueError("field \"\(name)\" was partly read")
            }
            guard reader.configuration.ignoresUnknownFields else {
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
        try readObject { (name: String, reader: inout JSONReader) throws(WireError) in
            let key = try K.readJSONMapKey(name, from: &reader)
            map[key] = try V.readJSON(from: &reader)
        }
    }

    /// Skips any JSON value.
    public mutating func skipValue() throws(WireError) {
        switch peek() {
        case UInt8(ascii: "{"):
            try readObject { (_: String, reader: inout JSONReader) throws(WireError) in try reader.skipValue() }
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
        case UInt8(ascii: "\""): _ = try readStringToken()
        default:
            if consume("true") || consume("false") || consume("null") { return }
            _ = try readNumberToken()
        }
    }

    // MARK: Scalars

    /// Reads a JSON string, unescaping it and validating its UTF-8.
    public mutating func readStringToken() throws(WireError) -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        // Fast path: no escapes.
        var index = position
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                let bytes = UnsafeBufferPointer(start: base + start, count: index - start)
                guard UTF8Check.isValid(bytes) else {
                    throw WireError(code: .invalidUTF8, offset: start, message: "JSON string is not valid UTF-8")
                }
                position = index + 1
                return String(copying: UTF8Span(unchecked: bytes.span))
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            index += 1
        }
        var text: [UInt8] = Array(UnsafeBufferPointer(start: base + start, count: index - start))
        position = index
        while position < end {
            let byte = base[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let string = String(validating: text, as: UTF8.self) else {
                    throw WireError(code: .invalidUTF8, offset: start, message: "JSON string is not valid UTF-8")
                }
                return string
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
    @usableFromInline
    internal mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
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
    @usableFromInline
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

    @usableFromInline
    internal mutating func readEnum<E: ProtoEnum>(_: E.Type) throws(WireError) -> E {
        if peek() == UInt8(ascii: "\"") {
            let name = try readStringToken()
            if let value = E(protoName: name) { return value }
            if configuration.ignoresUnknownFields { return E(rawValue: 0) }
            throw valueError("\"\(name)\" is not a value of \(E.self)")
        }
        return E(rawValue: try readInteger(Int32.self))
    }
}
