// google.protobuf.Struct, Value, ListValue and NullValue (struct.proto), in the shape
// dh-protoc generates, with their JSON forms: any JSON object, value and array.

/// `enum NullValue { NULL_VALUE = 0; }`. JSON: `null`.
public enum Google_Protobuf_NullValue: ProtoEnum {
    case nullValue
    case unrecognized(Int32)

    public init() { self = .nullValue }

    public init(rawValue: Int32) { self = rawValue == 0 ? .nullValue : .unrecognized(rawValue) }

    public var rawValue: Int32 {
        switch self {
        case .nullValue: 0
        case .unrecognized(let value): value
        }
    }

    public var protoName: StaticString? {
        switch self {
        case .nullValue: "NULL_VALUE"
        case .unrecognized: nil
        }
    }

    public init?(protoName: JSONName) {
        guard case "NULL_VALUE" = protoName else { return nil }
        self = .nullValue
    }
}

/// A JSON object: `map<string, Value> fields = 1;`.
public struct Google_Protobuf_Struct: Message {
    public static let protoMessageName = "google.protobuf.Struct"

    public var fields: [String: Google_Protobuf_Value] = [:]
    public var unknownFields = UnknownFields()

    public init() {}

    public init(fields: [String: Google_Protobuf_Value]) { self.fields = fields }

    public func serializedSize() -> Int {
        WireSize.map(ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, fields, key: 10)
            + unknownFields.count
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        writer.writeMap(ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, fields, key: 10)
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            if key == 10 {
                try reader.readMapEntry(ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, into: &fields)
            } else {
                try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        writer.mapField("fields", "fields", ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, fields)
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        guard case "fields" = name else { return false }
        try reader.readMap(ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, into: &fields)
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        writer.writeRaw("{")
        for (key, value) in fields {
            writer.separate()
            writer.writeString(key)
            writer.writeRaw(":")
            value.encodeJSONValue(to: &writer)
        }
        writer.writeRaw("}")
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        try reader.readMap(ProtoString.self, ProtoMessageField<Google_Protobuf_Value>.self, into: &fields)
    }
}

/// A JSON array: `repeated Value values = 1;`.
public struct Google_Protobuf_ListValue: Message {
    public static let protoMessageName = "google.protobuf.ListValue"

    public var values: [Google_Protobuf_Value] = []
    public var unknownFields = UnknownFields()

    public init() {}

    public init(values: [Google_Protobuf_Value]) { self.values = values }

    public func serializedSize() -> Int {
        WireSize.repeated(ProtoMessageField<Google_Protobuf_Value>.self, values, key: 10) + unknownFields.count
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        writer.writeRepeated(ProtoMessageField<Google_Protobuf_Value>.self, values, key: 10)
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            if key == 10 {
                try reader.readRepeated(ProtoMessageField<Google_Protobuf_Value>.self, key: key, into: &values)
            } else {
                try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        writer.repeatedField("values", "values", ProtoMessageField<Google_Protobuf_Value>.self, values)
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        guard case "values" = name else { return false }
        try reader.readRepeated(ProtoMessageField<Google_Protobuf_Value>.self, into: &values)
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        writer.writeRaw("[")
        for value in values {
            writer.separate()
            value.encodeJSONValue(to: &writer)
        }
        writer.writeRaw("]")
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        try reader.readRepeated(ProtoMessageField<Google_Protobuf_Value>.self, into: &values)
    }
}

/// Any JSON value: `oneof kind { NullValue null_value = 1; double number_value = 2;
/// string string_value = 3; bool bool_value = 4; Struct struct_value = 5;
/// ListValue list_value = 6; }`.
public struct Google_Protobuf_Value: Message {
    public static let protoMessageName = "google.protobuf.Value"

    public enum Kind: Sendable, Hashable {
        case nullValue(Google_Protobuf_NullValue)
        case numberValue(Double)
        case stringValue(String)
        case boolValue(Bool)
        case structValue(Indirect<Google_Protobuf_Struct>)
        case listValue(Indirect<Google_Protobuf_ListValue>)
    }

    public var kind: Kind? = nil
    public var unknownFields = UnknownFields()

    public init() {}

    public init(kind: Kind) { self.kind = kind }

    public func serializedSize() -> Int {
        var size = unknownFields.count
        switch kind {
        case .nullValue(let v)?: size += WireSize.field(ProtoEnumField<Google_Protobuf_NullValue>.self, v, key: 8)
        case .numberValue(let v)?: size += WireSize.field(ProtoDouble.self, v, key: 17)
        case .stringValue(let v)?: size += WireSize.field(ProtoString.self, v, key: 26)
        case .boolValue(let v)?: size += WireSize.field(ProtoBool.self, v, key: 32)
        case .structValue(let v)?: size += WireSize.message(v.value, key: 42)
        case .listValue(let v)?: size += WireSize.message(v.value, key: 50)
        case nil: break
        }
        return size
    }

    public func encode(to writer: inout WireWriter) {
        writer.writeUnknownFields(unknownFields)
        switch kind {
        case .listValue(let v)?: writer.writeMessage(v.value, key: 50)
        case .structValue(let v)?: writer.writeMessage(v.value, key: 42)
        case .boolValue(let v)?: writer.write(ProtoBool.self, v, key: 32)
        case .stringValue(let v)?: writer.write(ProtoString.self, v, key: 26)
        case .numberValue(let v)?: writer.write(ProtoDouble.self, v, key: 17)
        case .nullValue(let v)?: writer.write(ProtoEnumField<Google_Protobuf_NullValue>.self, v, key: 8)
        case nil: break
        }
    }

    public mutating func decodeMessage(from reader: inout WireReader) throws(WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8: kind = .nullValue(try reader.read(ProtoEnumField<Google_Protobuf_NullValue>.self))
            case 17: kind = .numberValue(try reader.read(ProtoDouble.self))
            case 26: kind = .stringValue(try reader.read(ProtoString.self))
            case 32: kind = .boolValue(try reader.read(ProtoBool.self))
            case 42:
                var v = Google_Protobuf_Struct()
                if case .structValue(let existing)? = kind { v = existing.value }
                try reader.readMessage(into: &v)
                kind = .structValue(Indirect(v))
            case 50:
                var v = Google_Protobuf_ListValue()
                if case .listValue(let existing)? = kind { v = existing.value }
                try reader.readMessage(into: &v)
                kind = .listValue(Indirect(v))
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    public func encodeJSONFields(to writer: inout JSONWriter) {
        switch kind {
        case .nullValue(let v)?:
            writer.field("nullValue", "null_value", ProtoEnumField<Google_Protobuf_NullValue>.self, v)
        case .numberValue(let v)?: writer.field("numberValue", "number_value", ProtoDouble.self, v)
        case .stringValue(let v)?: writer.field("stringValue", "string_value", ProtoString.self, v)
        case .boolValue(let v)?: writer.field("boolValue", "bool_value", ProtoBool.self, v)
        case .structValue(let v)?: writer.messageField("structValue", "struct_value", v.value)
        case .listValue(let v)?: writer.messageField("listValue", "list_value", v.value)
        case nil: break
        }
    }

    public mutating func decodeJSONField(_ name: JSONName, from reader: inout JSONReader) throws(WireError) -> Bool {
        switch name {
        case "nullValue", "null_value": kind = .nullValue(try reader.read(ProtoEnumField<Google_Protobuf_NullValue>.self))
        case "numberValue", "number_value": kind = .numberValue(try reader.read(ProtoDouble.self))
        case "stringValue", "string_value": kind = .stringValue(try reader.read(ProtoString.self))
        case "boolValue", "bool_value": kind = .boolValue(try reader.read(ProtoBool.self))
        case "structValue", "struct_value":
            var v = Google_Protobuf_Struct()
            try reader.readMessage(into: &v)
            kind = .structValue(Indirect(v))
        case "listValue", "list_value":
            var v = Google_Protobuf_ListValue()
            try reader.readMessage(into: &v)
            kind = .listValue(Indirect(v))
        default: return false
        }
        return true
    }

    public func encodeJSONValue(to writer: inout JSONWriter) {
        switch kind {
        case .numberValue(let v)?: writer.writeDouble(v)
        case .stringValue(let v)?: writer.writeString(v)
        case .boolValue(let v)?: writer.writeRaw(v ? "true" : "false")
        case .structValue(let v)?: v.value.encodeJSONValue(to: &writer)
        case .listValue(let v)?: v.value.encodeJSONValue(to: &writer)
        case .nullValue?, nil: writer.writeRaw("null")
        }
    }

    public mutating func decodeJSONValue(from reader: inout JSONReader) throws(WireError) {
        switch reader.peek() {
        case UInt8(ascii: "{"):
            var v = Google_Protobuf_Struct()
            try v.decodeJSONValue(from: &reader)
            kind = .structValue(Indirect(v))
        case UInt8(ascii: "["):
            var v = Google_Protobuf_ListValue()
            try v.decodeJSONValue(from: &reader)
            kind = .listValue(Indirect(v))
        case UInt8(ascii: "\""):
            kind = .stringValue(try reader.readStringToken())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            kind = .boolValue(try reader.readBool())
        case UInt8(ascii: "n"):
            guard reader.consumeNull() else { throw reader.syntaxError("expected a value") }
            kind = .nullValue(.nullValue)
        default:
            kind = .numberValue(try reader.readFloatingPoint(Double.self))
        }
    }
}
