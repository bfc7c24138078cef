// google.protobuf.Empty, FieldMask and the wrapper types (empty.proto, field_mask.proto,
// wrappers.proto), in the shape dh-protoc generates, with their special JSON forms.

/// An empty message. JSON: `{}`.
public struct Google_Protobuf_Empty: Message {
    public static let protoMessageName = "google.protobuf.Empty"

    public var unknownFields = UnknownFields()

    public init() {}

    public func serializedSize() -> Int { unknownFields.count }
    public func encode(to writer: inout WireWriter) { writer.writeUnknownFields(unknownFields) }
    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() { try reader.skipField(key: key, into: &unknownFields) }
    }
    public func encodeJSONFields(to writer: inout JSONWriter) {}
    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        false
    }
}

/// A single value in a message, so that it can be absent: `google.protobuf.Int64Value` and
/// its siblings. JSON: the wrapped value itself (`"12"` for an Int64Value).
public struct WrapperMessage<Codec: FieldCodec>: Message {
    public static var protoMessageName: String {
        switch Codec.self {
        case is ProtoDouble.Type: "google.protobuf.DoubleValue"
        case is ProtoFloat.Type: "google.protobuf.FloatValue"
        case is ProtoInt64.Type: "google.protobuf.Int64Value"
        case is ProtoUInt64.Type: "google.protobuf.UInt64Value"
        case is ProtoInt32.Type: "google.protobuf.Int32Value"
        case is ProtoUInt32.Type: "google.protobuf.UInt32Value"
        case is ProtoBool.Type: "google.protobuf.BoolValue"
        case is ProtoString.Type: "google.protobuf.StringValue"
        case is ProtoBytes.Type: "google.protobuf.BytesValue"
        default: "dhwire.Wrapper"
        }
    }

    public var value: Codec.Value = Codec.defaultValue
    public var unknownFields = UnknownFields()

    public init() {}

    public init(_ value: Codec.Value) { self.value = value }

    @usableFromInline
    static var key: UInt32 { 1 << 3 | UInt32(Codec.wireType.rawValue) }

    public func serializedSize() -> Int {
        (value != Codec.defaultValue ? WireSize.field(Codec.self, value, key: Self.key) : 0) + unknownFields.count
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        if value != Codec.defaultValue { writer.write(Codec.self, value, key: Self.key) }
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            if key == Self.key {
                value = try reader.read(Codec.self)
            } else {
                try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        if value != Codec.defaultValue || writer.includesDefaults { writer.field("value", "value", Codec.self, value) }
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        guard case "value" = name else { return false }
        value = try reader.read(Codec.self)
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        Codec.writeJSON(value, to: &writer)
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        value = try Codec.readJSON(from: &reader)
    }
}

public typealias Google_Protobuf_DoubleValue = WrapperMessage<ProtoDouble>
public typealias Google_Protobuf_FloatValue = WrapperMessage<ProtoFloat>
public typealias Google_Protobuf_Int64Value = WrapperMessage<ProtoInt64>
public typealias Google_Protobuf_UInt64Value = WrapperMessage<ProtoUInt64>
public typealias Google_Protobuf_Int32Value = WrapperMessage<ProtoInt32>
public typealias Google_Protobuf_UInt32Value = WrapperMessage<ProtoUInt32>
public typealias Google_Protobuf_BoolValue = WrapperMessage<ProtoBool>
public typealias Google_Protobuf_StringValue = WrapperMessage<ProtoString>
public typealias Google_Protobuf_BytesValue = WrapperMessage<ProtoBytes>

/// A set of field paths (`"address.postal_code"`). JSON: the paths in lowerCamelCase joined
/// by commas, `"address.postalCode,name"`.
public struct Google_Protobuf_FieldMask: Message {
    public static let protoMessageName = "google.protobuf.FieldMask"

    public var paths: [String] = []
    public var unknownFields = UnknownFields()

    public init() {}

    public init(paths: [String]) { self.paths = paths }

    public func serializedSize() -> Int {
        WireSize.repeated(ProtoString.self, paths, key: 10) + unknownFields.count
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        writer.writeRepeated(ProtoString.self, paths, key: 10)
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            if key == 10 {
                try reader.readRepeated(ProtoString.self, key: key, into: &paths)
            } else {
                try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        writer.repeatedField("paths", "paths", ProtoString.self, paths)
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        guard case "paths" = name else { return false }
        try reader.readRepeated(ProtoString.self, into: &paths)
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        // A path has a JSON form only if it comes back the same from it: no upper-case letters,
        // every '_' followed by a lower-case letter (so `fooBar`, `foo_3_bar`, `foo__bar` fail).
        for path in paths where Self.snakeCase(Substring(Self.camelCase(path))) != path {
            writer.fail("field mask path \"\(path)\" has no lowerCamelCase form that reads back the same")
        }
        writer.writeString(paths.map(Self.camelCase).joined(separator: ","))
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        let text = try reader.readStringToken()
        guard !text.isEmpty else { return }
        for path in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let snake = Self.snakeCase(path) else {
                throw reader.valueError("\"\(path)\" is not a lowerCamelCase field path")
            }
            paths.append(snake)
        }
    }

    static func camelCase(_ path: String) -> String {
        var result = ""
        var upper = false
        for character in path {
            if character == "_" {
                upper = true
            } else {
                result.append(upper ? Character(character.uppercased()) : character)
                upper = false
            }
        }
        return result
    }

    static func snakeCase(_ path: Substring) -> String? {
        var result = ""
        for character in path {
            guard character != "_" else { return nil }
            if character.isASCII && character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result.isEmpty ? nil : result
    }
}
