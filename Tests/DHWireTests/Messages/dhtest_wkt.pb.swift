import DHWire

/// The schema of `Dhtest_WellKnown`, for the interop tests.
enum WellKnownSchema {
    static let fileName = "dhtest_wkt.proto"

    static let proto = """
        syntax = "proto3";

        package dhtest;

        import "google/protobuf/any.proto";
        import "google/protobuf/duration.proto";
        import "google/protobuf/empty.proto";
        import "google/protobuf/field_mask.proto";
        import "google/protobuf/struct.proto";
        import "google/protobuf/timestamp.proto";
        import "google/protobuf/wrappers.proto";

        message WellKnown {
          google.protobuf.Timestamp at = 1;
          google.protobuf.Duration took = 2;
          google.protobuf.Struct extra = 3;
          google.protobuf.Value any_value = 4;
          google.protobuf.ListValue list = 5;
          google.protobuf.Int64Value count = 6;
          google.protobuf.StringValue label = 7;
          google.protobuf.BoolValue flag = 8;
          google.protobuf.DoubleValue ratio = 9;
          google.protobuf.FieldMask mask = 10;
          google.protobuf.Empty nothing = 11;
          repeated google.protobuf.Timestamp history = 12;
          google.protobuf.Any packed = 13;
          repeated google.protobuf.Any packed_list = 14;
        }

        """
}

// Hand-written in the exact shape dh-protoc emits (docs/RUNTIME.md).
struct Dhtest_WellKnown: DHWire.Message {
    static let protoMessageName = "dhtest.WellKnown"

    var at: DHWire.Google_Protobuf_Timestamp {
        get { self._at ?? DHWire.Google_Protobuf_Timestamp() }
        set { self._at = newValue }
    }
    var hasAt: Bool { self._at != nil }
    var took: DHWire.Google_Protobuf_Duration {
        get { self._took ?? DHWire.Google_Protobuf_Duration() }
        set { self._took = newValue }
    }
    var hasTook: Bool { self._took != nil }
    var extra: DHWire.Google_Protobuf_Struct {
        get { self._extra ?? DHWire.Google_Protobuf_Struct() }
        set { self._extra = newValue }
    }
    var hasExtra: Bool { self._extra != nil }
    var anyValue: DHWire.Google_Protobuf_Value {
        get { self._anyValue ?? DHWire.Google_Protobuf_Value() }
        set { self._anyValue = newValue }
    }
    var hasAnyValue: Bool { self._anyValue != nil }
    var list: DHWire.Google_Protobuf_ListValue {
        get { self._list ?? DHWire.Google_Protobuf_ListValue() }
        set { self._list = newValue }
    }
    var hasList: Bool { self._list != nil }
    var count: DHWire.Google_Protobuf_Int64Value {
        get { self._count ?? DHWire.Google_Protobuf_Int64Value() }
        set { self._count = newValue }
    }
    var hasCount: Bool { self._count != nil }
    var label: DHWire.Google_Protobuf_StringValue {
        get { self._label ?? DHWire.Google_Protobuf_StringValue() }
        set { self._label = newValue }
    }
    var hasLabel: Bool { self._label != nil }
    var flag: DHWire.Google_Protobuf_BoolValue {
        get { self._flag ?? DHWire.Google_Protobuf_BoolValue() }
        set { self._flag = newValue }
    }
    var hasFlag: Bool { self._flag != nil }
    var ratio: DHWire.Google_Protobuf_DoubleValue {
        get { self._ratio ?? DHWire.Google_Protobuf_DoubleValue() }
        set { self._ratio = newValue }
    }
    var hasRatio: Bool { self._ratio != nil }
    var mask: DHWire.Google_Protobuf_FieldMask {
        get { self._mask ?? DHWire.Google_Protobuf_FieldMask() }
        set { self._mask = newValue }
    }
    var hasMask: Bool { self._mask != nil }
    var nothing: DHWire.Google_Protobuf_Empty {
        get { self._nothing ?? DHWire.Google_Protobuf_Empty() }
        set { self._nothing = newValue }
    }
    var hasNothing: Bool { self._nothing != nil }
    var history: [DHWire.Google_Protobuf_Timestamp] = []
    var packed: DHWire.Google_Protobuf_Any {
        get { self._packed ?? DHWire.Google_Protobuf_Any() }
        set { self._packed = newValue }
    }
    var hasPacked: Bool { self._packed != nil }
    var packedList: [DHWire.Google_Protobuf_Any] = []
    var unknownFields = DHWire.UnknownFields()

    private var _at: DHWire.Google_Protobuf_Timestamp? = nil
    private var _took: DHWire.Google_Protobuf_Duration? = nil
    private var _extra: DHWire.Google_Protobuf_Struct? = nil
    private var _anyValue: DHWire.Google_Protobuf_Value? = nil
    private var _list: DHWire.Google_Protobuf_ListValue? = nil
    private var _count: DHWire.Google_Protobuf_Int64Value? = nil
    private var _label: DHWire.Google_Protobuf_StringValue? = nil
    private var _flag: DHWire.Google_Protobuf_BoolValue? = nil
    private var _ratio: DHWire.Google_Protobuf_DoubleValue? = nil
    private var _mask: DHWire.Google_Protobuf_FieldMask? = nil
    private var _nothing: DHWire.Google_Protobuf_Empty? = nil
    private var _packed: DHWire.Google_Protobuf_Any? = nil

    init() {}

    func serializedSize() -> Int {
        var size = 0
        if let v = self._at { size &+= DHWire.WireSize.message(v, key: 10) }
        if let v = self._took { size &+= DHWire.WireSize.message(v, key: 18) }
        if let v = self._extra { size &+= DHWire.WireSize.message(v, key: 26) }
        if let v = self._anyValue { size &+= DHWire.WireSize.message(v, key: 34) }
        if let v = self._list { size &+= DHWire.WireSize.message(v, key: 42) }
        if let v = self._count { size &+= DHWire.WireSize.message(v, key: 50) }
        if let v = self._label { size &+= DHWire.WireSize.message(v, key: 58) }
        if let v = self._flag { size &+= DHWire.WireSize.message(v, key: 66) }
        if let v = self._ratio { size &+= DHWire.WireSize.message(v, key: 74) }
        if let v = self._mask { size &+= DHWire.WireSize.message(v, key: 82) }
        if let v = self._nothing { size &+= DHWire.WireSize.message(v, key: 90) }
        size &+= DHWire.WireSize.repeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Timestamp>.self, self.history, key: 98)
        if let v = self._packed { size &+= DHWire.WireSize.message(v, key: 106) }
        size &+= DHWire.WireSize.repeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Any>.self, self.packedList, key: 114)
        size &+= self.unknownFields.count
        return size
    }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(self.unknownFields)
        writer.writeRepeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Any>.self, self.packedList, key: 114)
        if let v = self._packed { writer.writeMessage(v, key: 106) }
        writer.writeRepeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Timestamp>.self, self.history, key: 98)
        if let v = self._nothing { writer.writeMessage(v, key: 90) }
        if let v = self._mask { writer.writeMessage(v, key: 82) }
        if let v = self._ratio { writer.writeMessage(v, key: 74) }
        if let v = self._flag { writer.writeMessage(v, key: 66) }
        if let v = self._label { writer.writeMessage(v, key: 58) }
        if let v = self._count { writer.writeMessage(v, key: 50) }
        if let v = self._list { writer.writeMessage(v, key: 42) }
        if let v = self._anyValue { writer.writeMessage(v, key: 34) }
        if let v = self._extra { writer.writeMessage(v, key: 26) }
        if let v = self._took { writer.writeMessage(v, key: 18) }
        if let v = self._at { writer.writeMessage(v, key: 10) }
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 10: try reader.readMessage(into: &self._at)
            case 18: try reader.readMessage(into: &self._took)
            case 26: try reader.readMessage(into: &self._extra)
            case 34: try reader.readMessage(into: &self._anyValue)
            case 42: try reader.readMessage(into: &self._list)
            case 50: try reader.readMessage(into: &self._count)
            case 58: try reader.readMessage(into: &self._label)
            case 66: try reader.readMessage(into: &self._flag)
            case 74: try reader.readMessage(into: &self._ratio)
            case 82: try reader.readMessage(into: &self._mask)
            case 90: try reader.readMessage(into: &self._nothing)
            case 98:
                try reader.readRepeated(
                    DHWire.ProtoMessageField<DHWire.Google_Protobuf_Timestamp>.self, key: key, into: &self.history)
            case 106: try reader.readMessage(into: &self._packed)
            case 114:
                try reader.readRepeated(
                    DHWire.ProtoMessageField<DHWire.Google_Protobuf_Any>.self, key: key, into: &self.packedList)
            default: try reader.skipField(key: key, into: &self.unknownFields)
            }
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
        if let v = self._at { writer.messageField("at", "at", v) }
        if let v = self._took { writer.messageField("took", "took", v) }
        if let v = self._extra { writer.messageField("extra", "extra", v) }
        if let v = self._anyValue { writer.messageField("anyValue", "any_value", v) }
        if let v = self._list { writer.messageField("list", "list", v) }
        if let v = self._count { writer.messageField("count", "count", v) }
        if let v = self._label { writer.messageField("label", "label", v) }
        if let v = self._flag { writer.messageField("flag", "flag", v) }
        if let v = self._ratio { writer.messageField("ratio", "ratio", v) }
        if let v = self._mask { writer.messageField("mask", "mask", v) }
        if let v = self._nothing { writer.messageField("nothing", "nothing", v) }
        writer.repeatedField("history", "history", DHWire.ProtoMessageField<DHWire.Google_Protobuf_Timestamp>.self, self.history)
        if let v = self._packed { writer.messageField("packed", "packed", v) }
        writer.repeatedField("packedList", "packed_list", DHWire.ProtoMessageField<DHWire.Google_Protobuf_Any>.self, self.packedList)
    }

    mutating func decodeJSONField(_ name: DHWire.JSONName, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        switch name {
        case "at": try reader.readMessage(into: &self._at)
        case "took": try reader.readMessage(into: &self._took)
        case "extra": try reader.readMessage(into: &self._extra)
        case "anyValue", "any_value": try reader.readMessage(into: &self._anyValue)
        case "list": try reader.readMessage(into: &self._list)
        case "count": try reader.readMessage(into: &self._count)
        case "label": try reader.readMessage(into: &self._label)
        case "flag": try reader.readMessage(into: &self._flag)
        case "ratio": try reader.readMessage(into: &self._ratio)
        case "mask": try reader.readMessage(into: &self._mask)
        case "nothing": try reader.readMessage(into: &self._nothing)
        case "history":
            try reader.readRepeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Timestamp>.self, into: &self.history)
        case "packed": try reader.readMessage(into: &self._packed)
        case "packedList", "packed_list":
            try reader.readRepeated(DHWire.ProtoMessageField<DHWire.Google_Protobuf_Any>.self, into: &self.packedList)
        default: return false
        }
        return true
    }
}
