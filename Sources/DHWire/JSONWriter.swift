/// Writes the proto3 JSON mapping of a message as UTF-8.
///
/// Generated code receives a writer `inout` in `Message.encodeJSONFields(to:)` and calls the
/// `field…` methods once per field, in field-number order. Commas and braces are the
/// writer's business.
public struct JSONWriter {
    /// Options of the JSON output.
    public struct Configuration: Sendable, Hashable {
        /// Write fields that hold their default value (not messages, oneofs or optionals
        /// that are absent). Default: false.
        public var includesDefaults: Bool
        /// Name fields by their .proto names instead of their lowerCamelCase JSON names.
        /// Default: false.
        public var usesProtoFieldNames: Bool

        public init(includesDefaults: Bool = false, usesProtoFieldNames: Bool = false) {
            self.includesDefaults = includesDefaults
            self.usesProtoFieldNames = usesProtoFieldNames
        }
    }

    @usableFromInline internal var output: [UInt8]
    public let configuration: Configuration

    @usableFromInline
    internal init(configuration: Configuration, capacity: Int = 256) {
        self.configuration = configuration
        output = []
        output.reserveCapacity(capacity)
    }

    /// Whether fields at their default value are written: generated code tests
    /// `value != default || writer.includesDefaults` for fields without presence.
    @inlinable
    public var includesDefaults: Bool { configuration.includesDefaults }

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
        output.append(UInt8(ascii: "["))
        for value in values {
            if output.last != UInt8(ascii: "[") { output.append(UInt8(ascii: ",")) }
            C.writeJSON(value, to: &self)
        }
        output.append(UInt8(ascii: "]"))
    }

    /// Writes a map field as an object; nothing when empty unless defaults are included.
    @inlinable
    public mutating func mapField<K: FieldCodec, V: FieldCodec>(
        _ jsonName: StaticString, _ protoName: StaticString, _ keyCodec: K.Type, _ valueCodec: V.Type,
        _ map: [K.Value: V.Value]
    ) {
        guard !map.isEmpty || includesDefaults else { return }
        writeName(jsonName, protoName)
        output.append(UInt8(ascii: "{"))
        for (key, value) in map {
            if output.last != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
            output.append(UInt8(ascii: "\""))
            K.writeJSONMapKey(key, to: &self)
            output.append(UInt8(ascii: "\""))
            output.append(UInt8(ascii: ":"))
            V.writeJSON(value, to: &self)
        }
        output.append(UInt8(ascii: "}"))
    }

    // MARK: Values

    @inlinable
    internal mutating func writeName(_ jsonName: StaticString, _ protoName: StaticString) {
        if output.last != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
        output.append(UInt8(ascii: "\""))
        let name = configuration.usesProtoFieldNames ? protoName : jsonName
        name.withUTF8Buffer { output.append(contentsOf: $0) }
        output.append(UInt8(ascii: "\""))
        output.append(UInt8(ascii: ":"))
    }

    /// Writes a message as a JSON object.
    @inlinable
    public mutating func writeMessage<M: Message>(_ message: M) {
        output.append(UInt8(ascii: "{"))
        message.encodeJSONFields(to: &self)
        output.append(UInt8(ascii: "}"))
    }

    @inlinable
    public mutating func writeRaw(_ text: StaticString) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    @inlinable
    public mutating func writeUnsigned(_ value: UInt64) {
        if value < 10 {
            output.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        let count = withUnsafeMutableBytes(of: &digits) { buffer -> Int in
            var value = value
            var index = buffer.count
            while value > 0 {
                index &-= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
            return buffer.count &- index
        }
        _ = count
    }

    @inlinable
    public mutating func writeSigned(_ value: Int64) {
        if value < 0 {
            output.append(UInt8(ascii: "-"))
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
            output.append(contentsOf: value.description.utf8)
        }
    }

    public mutating func writeFloat(_ value: Float) {
        if value.isNaN {
            writeRaw("\"NaN\"")
        } else if value.isInfinite {
            writeRaw(value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        } else {
            output.append(contentsOf: value.description.utf8)
        }
    }

    /// Writes a JSON string with the escapes JSON requires.
    public mutating func writeString(_ value: String) {
        output.append(UInt8(ascii: "\""))
        var copy = value
        copy.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index &+ 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    output.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Writes bytes as a base64 JSON string (standard alphabet, padded).
    public mutating func writeBase64(_ bytes: [UInt8]) {
        output.append(UInt8(ascii: "\""))
        Base64.encode(bytes, into: &output)
        output.append(UInt8(ascii: "\""))
    }
}

/// Base64 (RFC 4648) for `bytes` fields in JSON.
@usableFromInline
internal enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Decoding table: the 6-bit value of a character of either alphabet, or 0xFF.
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    static func encode(_ bytes: [UInt8], into output: inout [UInt8]) {
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
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
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
