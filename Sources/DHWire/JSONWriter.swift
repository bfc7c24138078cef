/// Writes the proto3 JSON mapping of a message as UTF-8.
///
/// Generated code receives a writer `inout` in `Message.encodeJSONFields(to:)` and calls the
/// `field…` methods once per field, in field-number order. Commas and braces are the
/// writer's business.
public struct JSONWriter: ~Copyable {
    /// Options of the JSON output.
    public struct Configuration: Sendable, Hashable {
        /// Write fields that hold their default value (not messages, oneofs or optionals
        /// that are absent). Default: false.
        public var includesDefaults: Bool
        /// Name fields by their .proto names instead of their lowerCamelCase JSON names.
        /// Default: false.
        public var usesProtoFieldNames: Bool
        /// The message types `google.protobuf.Any` values may hold. Default: the
        /// well-known types.
        public var typeRegistry: TypeRegistry

        public init(
            includesDefaults: Bool = false, usesProtoFieldNames: Bool = false,
            typeRegistry: TypeRegistry = TypeRegistry()
        ) {
            self.includesDefaults = includesDefaults
            self.usesProtoFieldNames = usesProtoFieldNames
            self.typeRegistry = typeRegistry
        }
    }

    // A growable buffer of its own: appending to an array costs a uniqueness check and a
    // generic copy per piece, which dominates JSON writing.
    @usableFromInline internal var buffer: UnsafeMutablePointer<UInt8>
    @usableFromInline internal var count: Int
    @usableFromInline internal var capacity: Int
    public let configuration: Configuration
    // Copies of the configuration's flags: reading them through `configuration` would
    // retain and release its type registry on every field.
    @usableFromInline internal let includesDefaultsFlag: Bool
    @usableFromInline internal let usesProtoFieldNames: Bool
    /// The first value met that JSON cannot represent; the output is then not used.
    public private(set) var failure: WireError?

    /// Records that a value cannot be written as JSON (the first failure is kept).
    public mutating func fail(_ message: String) {
        if failure == nil { failure = WireError(code: .invalidJSONValue, offset: count, message: message) }
    }

    @usableFromInline
    internal init(configuration: Configuration, capacity: Int = 1024) {
        self.configuration = configuration
        includesDefaultsFlag = configuration.includesDefaults
        usesProtoFieldNames = configuration.usesProtoFieldNames
        self.capacity = Swift.max(capacity, 16)
        buffer = .allocate(capacity: self.capacity)
        count = 0
        failure = nil
    }

    deinit { buffer.deallocate() }

    /// The bytes written so far.
    @usableFromInline
    internal var bytes: [UInt8] { [UInt8](UnsafeBufferPointer(start: buffer, count: count)) }

    /// Whether fields at their default value are written: generated code tests
    /// `value != default || writer.includesDefaults` for fields without presence.
    @inlinable
    public var includesDefaults: Bool { includesDefaultsFlag }

    // MARK: Buffer

    @inlinable @inline(__always)
    internal mutating func reserve(_ extra: Int) {
        if _slowPath(capacity &- count < extra) { grow(extra) }
    }

    @usableFromInline
    internal mutating func grow(_ extra: Int) {
        let newCapacity = Swift.max(capacity &* 2, count &+ extra)
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }

    @inlinable
    internal mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count &+= 1
    }

    @inlinable
    internal mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (buffer + count).update(from: source, count: bytes.count)
        count &+= bytes.count
    }

    /// The last byte written, or 0 when nothing was.
    @inlinable
    internal var last: UInt8 { count > 0 ? buffer[count &- 1] : 0 }

    /// Writes a comma unless the enclosing object or array was just opened.
    @inlinable
    internal mutating func separate() {
        let previous = last
        if previous != UInt8(ascii: "{") && previous != UInt8(ascii: "[") { append(UInt8(ascii: ",")) }
    }

    // MARK: Fields

    /// Writes one singular field.
    @inlinable
    public mutating func field<C: FieldCodec>(
        _ jsonName: StaticString, _ protoName: StaticString, _ codec: C.Type, _ value: C.Value
    ) {
        writeName(jsonName, protoName)
        C.writeJSON(value, to: &self)
    }

    /// Writes a singular message field.
    @inlinable
    public mutating func messageField<M: Message>(_ jsonName: StaticString, _ protoName: StaticString, _ message: M) {
        writeName(jsonName, protoName)
        writeMessage(message)
    }

    /// Writes a repeated field as an array; nothing when empty unless defaults are included.
    @inlinable
    public mutating func repeatedField<C: FieldCodec>(
        _ jsonName: StaticString, _ protoName: StaticString, _ codec: C.Type, _ values: [C.Value]
    ) {
        guard !values.isEmpty || includesDefaults else { return }
        writeName(jsonName, protoName)
        append(UInt8(ascii: "["))
        for value in values {
            separate()
            C.writeJSON(value, to: &self)
        }
        append(UInt8(ascii: "]"))
    }

    /// Writes a map field as an object; nothing when empty unless defaults are included.
    @inlinable
    public mutating func mapField<K: FieldCodec, V: FieldCodec>(
        _ jsonName: StaticString, _ protoName: StaticString, _ keyCodec: K.Type, _ valueCodec: V.Type,
        _ map: [K.Value: V.Value]
    ) {
        guard !map.isEmpty || includesDefaults else { return }
        writeName(jsonName, protoName)
        append(UInt8(ascii: "{"))
        for (key, value) in map {
            separate()
            K.writeJSONMapKey(key, to: &self)
            append(UInt8(ascii: ":"))
            V.writeJSON(value, to: &self)
        }
        append(UInt8(ascii: "}"))
    }

    // MARK: Values

    @inlinable
    internal mutating func writeName(_ jsonName: StaticString, _ protoName: StaticString) {
        let name = usesProtoFieldNames ? protoName : jsonName
        let length = name.utf8CodeUnitCount
        reserve(length &+ 4)
        let previous = last
        if previous != UInt8(ascii: "{") && previous != UInt8(ascii: "[") {
            buffer[count] = UInt8(ascii: ",")
            count &+= 1
        }
        buffer[count] = UInt8(ascii: "\"")
        (buffer + (count &+ 1)).update(from: name.utf8Start, count: length)
        buffer[count &+ 1 &+ length] = UInt8(ascii: "\"")
        buffer[count &+ 2 &+ length] = UInt8(ascii: ":")
        count &+= length &+ 3
    }

    /// Writes a message as its JSON value.
    @inlinable
    public mutating func writeMessage<M: Message>(_ message: M) {
        message.encodeJSONValue(to: &self)
    }

    /// Writes a message as a JSON object of `encodeJSONFields(to:)`.
    @inlinable
    public mutating func writeObject<M: Message>(_ message: M) {
        append(UInt8(ascii: "{"))
        message.encodeJSONFields(to: &self)
        append(UInt8(ascii: "}"))
    }

    @inlinable
    public mutating func writeRaw(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inlinable
    public mutating func writeUnsigned(_ value: UInt64) {
        if value < 10 {
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits = 0
        var rest = value
        while rest > 0 {
            digits &+= 1
            rest /= 10
        }
        reserve(digits)
        var index = count &+ digits
        rest = value
        while rest > 0 {
            index &-= 1
            buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        count &+= digits
    }

    @inlinable
    public mutating func writeSigned(_ value: Int64) {
        if value < 0 {
            append(UInt8(ascii: "-"))
            writeUnsigned(UInt64(bitPattern: 0 &- value))
        } else {
            writeUnsigned(UInt64(value))
        }
    }

    public mutating func writeDouble(_ value: Double) {
        if value.isNaN {
            writeRaw("\"NaN\"")
        } else if value.isInfinite {
            writeRaw(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        } else {
            var text = value.description
            text.withUTF8 { append($0) }
        }
    }

    public mutating func writeFloat(_ value: Float) {
        if value.isNaN {
            writeRaw("\"NaN\"")
        } else if value.isInfinite {
            writeRaw(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        } else {
            var text = value.description
            text.withUTF8 { append($0) }
        }
    }

    /// Writes a JSON string with the escapes JSON requires.
    public mutating func writeString(_ value: String) {
        var copy = value
        copy.withUTF8 { writeString(utf8: $0) }
    }

    @usableFromInline
    internal mutating func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count &+ 2)
        buffer[count] = UInt8(ascii: "\"")
        count &+= 1
        guard let start = bytes.baseAddress else {
            append(UInt8(ascii: "\""))
            return
        }
        var runStart = 0
        var index = 0
        let total = bytes.count
        while index < total {
            // Skip eight bytes at a time while none needs escaping.
            while total &- index >= 8 {
                let word = UnsafeRawPointer(start).loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let quote = word ^ 0x2222_2222_2222_2222
                let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let low: UInt64 = 0x0101_0101_0101_0101
                let special = ((quote &- low) & ~quote) | ((backslash &- low) & ~backslash)
                    | ((word &- 0x2020_2020_2020_2020) & ~word)
                if special & 0x8080_8080_8080_8080 != 0 { break }
                index &+= 8
            }
            guard index < total else { break }
            let byte = start[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                index &+= 1
                continue
            }
            append(UnsafeBufferPointer(start: start + runStart, count: index &- runStart))
            index &+= 1
            runStart = index
            append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): append(UInt8(ascii: "\\"))
            case 0x0A: append(UInt8(ascii: "n"))
            case 0x0D: append(UInt8(ascii: "r"))
            case 0x09: append(UInt8(ascii: "t"))
            case 0x08: append(UInt8(ascii: "b"))
            case 0x0C: append(UInt8(ascii: "f"))
            default:
                let hex: StaticString = "0123456789abcdef"
                append(UInt8(ascii: "u"))
                append(UInt8(ascii: "0"))
                append(UInt8(ascii: "0"))
                append(hex.utf8Start[Int(byte >> 4)])
                append(hex.utf8Start[Int(byte & 0xF)])
            }
        }
        append(UnsafeBufferPointer(start: start + runStart, count: total &- runStart))
        append(UInt8(ascii: "\""))
    }

    /// Writes bytes as a base64 JSON string (standard alphabet, padded).
    public mutating func writeBase64(_ bytes: [UInt8]) {
        var encoded: [UInt8] = []
        encoded.reserveCapacity((bytes.count + 2) / 3 * 4 + 2)
        encoded.append(UInt8(ascii: "\""))
        Base64.encode(bytes, into: &encoded)
        encoded.append(UInt8(ascii: "\""))
        encoded.withUnsafeBufferPointer { append($0) }
    }
}

/// Standard base64 (RFC 4648 §4) with padding, as proto3 JSON writes `bytes` fields.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Decoding table: the 6-bit value of a character of either alphabet, or 0xFF.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    public static func encode(_ bytes: [UInt8], into output: inout [UInt8]) {
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(alphabet[Int(chunk >> 6 & 63)])
            output.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let chunk = UInt32(bytes[index]) << 16
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        } else if rest == 2 {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(alphabet[Int(chunk >> 6 & 63)])
            output.append(UInt8(ascii: "="))
        }
    }

    /// Decodes standard or URL-safe base64, padded or not; nil when malformed.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        var characters = Array(text)
        while characters.last == UInt8(ascii: "=") { characters.removeLast() }
        guard characters.count % 4 != 1, text.count - characters.count <= 2 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }
}
