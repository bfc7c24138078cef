// Hand-written in the exact shape dh-protoc emits (docs/RUNTIME.md), from TestSchema.proto.

import DHWire

private typealias _DHWireRuntimeCheck = DHWire.WireRuntimeAPI_1

enum Dhtest_Status: DHWire.ProtoEnum {
    case unspecified
    case active
    case suspended
    case deceased
    case unrecognized(Int32)

    init() { self = .unspecified }

    init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .active
        case 2: self = .suspended
        case 3: self = .deceased
        default: self = .unrecognized(rawValue)
        }
    }

    var protoName: StaticString? {
        switch self {
        case .unspecified: "STATUS_UNSPECIFIED"
        case .active: "STATUS_ACTIVE"
        case .suspended: "STATUS_SUSPENDED"
        case .deceased: "STATUS_DECEASED"
        case .unrecognized: nil
        }
    }

    init?(protoName: String) {
        switch protoName {
        case "STATUS_UNSPECIFIED": self = .unspecified
        case "STATUS_ACTIVE": self = .active
        case "STATUS_SUSPENDED": self = .suspended
        case "STATUS_DECEASED": self = .deceased
        default: return nil
        }
    }

    var rawValue: Int32 {
        switch self {
        case .unspecified: 0
        case .active: 1
        case .suspended: 2
        case .deceased: 3
        case .unrecognized(let value): value
        }
    }
}

struct Dhtest_Scalars: DHWire.Message {
    var fInt32: Int32 = 0
    var fInt64: Int64 = 0
    var fUint32: UInt32 = 0
    var fUint64: UInt64 = 0
    var fSint32: Int32 = 0
    var fSint64: Int64 = 0
    var fFixed32: UInt32 = 0
    var fFixed64: UInt64 = 0
    var fSfixed32: Int32 = 0
    var fSfixed64: Int64 = 0
    var fFloat: Float = 0
    var fDouble: Double = 0
    var fBool: Bool = false
    var fString: String = ""
    var fBytes: [UInt8] = []
    var fEnum: Dhtest_Status = .unspecified
    var unknownFields = DHWire.UnknownFields()

    init() {}

    func serializedSize() -> Int {
        var size = 0
        if fInt32 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoInt32.self, fInt32, key: 8) }
        if fInt64 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoInt64.self, fInt64, key: 16) }
        if fUint32 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoUInt32.self, fUint32, key: 24) }
        if fUint64 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoUInt64.self, fUint64, key: 32) }
        if fSint32 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoSInt32.self, fSint32, key: 40) }
        if fSint64 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoSInt64.self, fSint64, key: 48) }
        if fFixed32 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoFixed32.self, fFixed32, key: 61) }
        if fFixed64 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoFixed64.self, fFixed64, key: 65) }
        if fSfixed32 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoSFixed32.self, fSfixed32, key: 77) }
        if fSfixed64 != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoSFixed64.self, fSfixed64, key: 81) }
        if fFloat.bitPattern != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoFloat.self, fFloat, key: 93) }
        if fDouble.bitPattern != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoDouble.self, fDouble, key: 97) }
        if fBool { size &+= DHWire.WireSize.field(DHWire.ProtoBool.self, fBool, key: 104) }
        if !fString.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, fString, key: 114) }
        if !fBytes.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoBytes.self, fBytes, key: 122) }
        if fEnum.rawValue != 0 {
            size &+= DHWire.WireSize.field(DHWire.ProtoEnumField<Dhtest_Status>.self, fEnum, key: 128)
        }
        size &+= unknownFields.count
        return size
    }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(unknownFields)
        if fEnum.rawValue != 0 { writer.write(DHWire.ProtoEnumField<Dhtest_Status>.self, fEnum, key: 128) }
        if !fBytes.isEmpty { writer.write(DHWire.ProtoBytes.self, fBytes, key: 122) }
        if !fString.isEmpty { writer.write(DHWire.ProtoString.self, fString, key: 114) }
        if fBool { writer.write(DHWire.ProtoBool.self, fBool, key: 104) }
        if fDouble.bitPattern != 0 { writer.write(DHWire.ProtoDouble.self, fDouble, key: 97) }
        if fFloat.bitPattern != 0 { writer.write(DHWire.ProtoFloat.self, fFloat, key: 93) }
        if fSfixed64 != 0 { writer.write(DHWire.ProtoSFixed64.self, fSfixed64, key: 81) }
        if fSfixed32 != 0 { writer.write(DHWire.ProtoSFixed32.self, fSfixed32, key: 77) }
        if fFixed64 != 0 { writer.write(DHWire.ProtoFixed64.self, fFixed64, key: 65) }
        if fFixed32 != 0 { writer.write(DHWire.ProtoFixed32.self, fFixed32, key: 61) }
        if fSint64 != 0 { writer.write(DHWire.ProtoSInt64.self, fSint64, key: 48) }
        if fSint32 != 0 { writer.write(DHWire.ProtoSInt32.self, fSint32, key: 40) }
        if fUint64 != 0 { writer.write(DHWire.ProtoUInt64.self, fUint64, key: 32) }
        if fUint32 != 0 { writer.write(DHWire.ProtoUInt32.self, fUint32, key: 24) }
        if fInt64 != 0 { writer.write(DHWire.ProtoInt64.self, fInt64, key: 16) }
        if fInt32 != 0 { writer.write(DHWire.ProtoInt32.self, fInt32, key: 8) }
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8: fInt32 = try reader.read(DHWire.ProtoInt32.self)
            case 16: fInt64 = try reader.read(DHWire.ProtoInt64.self)
            case 24: fUint32 = try reader.read(DHWire.ProtoUInt32.self)
            case 32: fUint64 = try reader.read(DHWire.ProtoUInt64.self)
            case 40: fSint32 = try reader.read(DHWire.ProtoSInt32.self)
            case 48: fSint64 = try reader.read(DHWire.ProtoSInt64.self)
            case 61: fFixed32 = try reader.read(DHWire.ProtoFixed32.self)
            case 65: fFixed64 = try reader.read(DHWire.ProtoFixed64.self)
            case 77: fSfixed32 = try reader.read(DHWire.ProtoSFixed32.self)
            case 81: fSfixed64 = try reader.read(DHWire.ProtoSFixed64.self)
            case 93: fFloat = try reader.read(DHWire.ProtoFloat.self)
            case 97: fDouble = try reader.read(DHWire.ProtoDouble.self)
            case 104: fBool = try reader.read(DHWire.ProtoBool.self)
            case 114: fString = try reader.read(DHWire.ProtoString.self)
            case 122: fBytes = try reader.read(DHWire.ProtoBytes.self)
            case 128: fEnum = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
        if fInt32 != 0 || writer.includesDefaults { writer.field("fInt32", "f_int32", DHWire.ProtoInt32.self, fInt32) }
        if fInt64 != 0 || writer.includesDefaults { writer.field("fInt64", "f_int64", DHWire.ProtoInt64.self, fInt64) }
        if fUint32 != 0 || writer.includesDefaults { writer.field("fUint32", "f_uint32", DHWire.ProtoUInt32.self, fUint32) }
        if fUint64 != 0 || writer.includesDefaults { writer.field("fUint64", "f_uint64", DHWire.ProtoUInt64.self, fUint64) }
        if fSint32 != 0 || writer.includesDefaults { writer.field("fSint32", "f_sint32", DHWire.ProtoSInt32.self, fSint32) }
        if fSint64 != 0 || writer.includesDefaults { writer.field("fSint64", "f_sint64", DHWire.ProtoSInt64.self, fSint64) }
        if fFixed32 != 0 || writer.includesDefaults { writer.field("fFixed32", "f_fixed32", DHWire.ProtoFixed32.self, fFixed32) }
        if fFixed64 != 0 || writer.includesDefaults { writer.field("fFixed64", "f_fixed64", DHWire.ProtoFixed64.self, fFixed64) }
        if fSfixed32 != 0 || writer.includesDefaults { writer.field("fSfixed32", "f_sfixed32", DHWire.ProtoSFixed32.self, fSfixed32) }
        if fSfixed64 != 0 || writer.includesDefaults { writer.field("fSfixed64", "f_sfixed64", DHWire.ProtoSFixed64.self, fSfixed64) }
        if fFloat.bitPattern != 0 || writer.includesDefaults { writer.field("fFloat", "f_float", DHWire.ProtoFloat.self, fFloat) }
        if fDouble.bitPattern != 0 || writer.includesDefaults { writer.field("fDouble", "f_double", DHWire.ProtoDouble.self, fDouble) }
        if fBool || writer.includesDefaults { writer.field("fBool", "f_bool", DHWire.ProtoBool.self, fBool) }
        if !fString.isEmpty || writer.includesDefaults { writer.field("fString", "f_string", DHWire.ProtoString.self, fString) }
        if !fBytes.isEmpty || writer.includesDefaults { writer.field("fBytes", "f_bytes", DHWire.ProtoBytes.self, fBytes) }
        if fEnum.rawValue != 0 || writer.includesDefaults { writer.field("fEnum", "f_enum", DHWire.ProtoEnumField<Dhtest_Status>.self, fEnum) }
    }

    mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        switch name {
        case "fInt32", "f_int32": fInt32 = try reader.read(DHWire.ProtoInt32.self)
        case "fInt64", "f_int64": fInt64 = try reader.read(DHWire.ProtoInt64.self)
        case "fUint32", "f_uint32": fUint32 = try reader.read(DHWire.ProtoUInt32.self)
        case "fUint64", "f_uint64": fUint64 = try reader.read(DHWire.ProtoUInt64.self)
        case "fSint32", "f_sint32": fSint32 = try reader.read(DHWire.ProtoSInt32.self)
        case "fSint64", "f_sint64": fSint64 = try reader.read(DHWire.ProtoSInt64.self)
        case "fFixed32", "f_fixed32": fFixed32 = try reader.read(DHWire.ProtoFixed32.self)
        case "fFixed64", "f_fixed64": fFixed64 = try reader.read(DHWire.ProtoFixed64.self)
        case "fSfixed32", "f_sfixed32": fSfixed32 = try reader.read(DHWire.ProtoSFixed32.self)
        case "fSfixed64", "f_sfixed64": fSfixed64 = try reader.read(DHWire.ProtoSFixed64.self)
        case "fFloat", "f_float": fFloat = try reader.read(DHWire.ProtoFloat.self)
        case "fDouble", "f_double": fDouble = try reader.read(DHWire.ProtoDouble.self)
        case "fBool", "f_bool": fBool = try reader.read(DHWire.ProtoBool.self)
        case "fString", "f_string": fString = try reader.read(DHWire.ProtoString.self)
        case "fBytes", "f_bytes": fBytes = try reader.read(DHWire.ProtoBytes.self)
        case "fEnum", "f_enum": fEnum = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
        default: return false
        }
        return true
    }
}

struct Dhtest_Repeateds: DHWire.Message {
    var rInt32: [Int32] = []
    var rInt64: [Int64] = []
    var rUint32: [UInt32] = []
    var rUint64: [UInt64] = []
    var rSint32: [Int32] = []
    var rSint64: [Int64] = []
    var rFixed32: [UInt32] = []
    var rFixed64: [UInt64] = []
    var rSfixed32: [Int32] = []
    var rSfixed64: [Int64] = []
    var rFloat: [Float] = []
    var rDouble: [Double] = []
    var rBool: [Bool] = []
    var rString: [String] = []
    var rBytes: [[UInt8]] = []
    var rEnum: [Dhtest_Status] = []
    var uInt32: [Int32] = []
    var uSint64: [Int64] = []
    var uDouble: [Double] = []
    var unknownFields = DHWire.UnknownFields()

    init() {}

    func serializedSize() -> Int {
        var size = 0
        size &+= DHWire.WireSize.packed(DHWire.ProtoInt32.self, rInt32, key: 10)
        size &+= DHWire.WireSize.packed(DHWire.ProtoInt64.self, rInt64, key: 18)
        size &+= DHWire.WireSize.packed(DHWire.ProtoUInt32.self, rUint32, key: 26)
        size &+= DHWire.WireSize.packed(DHWire.ProtoUInt64.self, rUint64, key: 34)
        size &+= DHWire.WireSize.packed(DHWire.ProtoSInt32.self, rSint32, key: 42)
        size &+= DHWire.WireSize.packed(DHWire.ProtoSInt64.self, rSint64, key: 50)
        size &+= DHWire.WireSize.packed(DHWire.ProtoFixed32.self, rFixed32, key: 58)
        size &+= DHWire.WireSize.packed(DHWire.ProtoFixed64.self, rFixed64, key: 66)
        size &+= DHWire.WireSize.packed(DHWire.ProtoSFixed32.self, rSfixed32, key: 74)
        size &+= DHWire.WireSize.packed(DHWire.ProtoSFixed64.self, rSfixed64, key: 82)
        size &+= DHWire.WireSize.packed(DHWire.ProtoFloat.self, rFloat, key: 90)
        size &+= DHWire.WireSize.packed(DHWire.ProtoDouble.self, rDouble, key: 98)
        size &+= DHWire.WireSize.packed(DHWire.ProtoBool.self, rBool, key: 106)
        size &+= DHWire.WireSize.repeated(DHWire.ProtoString.self, rString, key: 114)
        size &+= DHWire.WireSize.repeated(DHWire.ProtoBytes.self, rBytes, key: 122)
        size &+= DHWire.WireSize.packed(DHWire.ProtoEnumField<Dhtest_Status>.self, rEnum, key: 130)
        size &+= DHWire.WireSize.repeated(DHWire.ProtoInt32.self, uInt32, key: 136)
        size &+= DHWire.WireSize.repeated(DHWire.ProtoSInt64.self, uSint64, key: 144)
        size &+= DHWire.WireSize.repeated(DHWire.ProtoDouble.self, uDouble, key: 153)
        size &+= unknownFields.count
        return size
    }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(unknownFields)
        writer.writeRepeated(DHWire.ProtoDouble.self, uDouble, key: 153)
        writer.writeRepeated(DHWire.ProtoSInt64.self, uSint64, key: 144)
        writer.writeRepeated(DHWire.ProtoInt32.self, uInt32, key: 136)
        writer.writePacked(DHWire.ProtoEnumField<Dhtest_Status>.self, rEnum, key: 130)
        writer.writeRepeated(DHWire.ProtoBytes.self, rBytes, key: 122)
        writer.writeRepeated(DHWire.ProtoString.self, rString, key: 114)
        writer.writePacked(DHWire.ProtoBool.self, rBool, key: 106)
        writer.writePacked(DHWire.ProtoDouble.self, rDouble, key: 98)
        writer.writePacked(DHWire.ProtoFloat.self, rFloat, key: 90)
        writer.writePacked(DHWire.ProtoSFixed64.self, rSfixed64, key: 82)
        writer.writePacked(DHWire.ProtoSFixed32.self, rSfixed32, key: 74)
        writer.writePacked(DHWire.ProtoFixed64.self, rFixed64, key: 66)
        writer.writePacked(DHWire.ProtoFixed32.self, rFixed32, key: 58)
        writer.writePacked(DHWire.ProtoSInt64.self, rSint64, key: 50)
        writer.writePacked(DHWire.ProtoSInt32.self, rSint32, key: 42)
        writer.writePacked(DHWire.ProtoUInt64.self, rUint64, key: 34)
        writer.writePacked(DHWire.ProtoUInt32.self, rUint32, key: 26)
        writer.writePacked(DHWire.ProtoInt64.self, rInt64, key: 18)
        writer.writePacked(DHWire.ProtoInt32.self, rInt32, key: 10)
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8, 10: try reader.readRepeated(DHWire.ProtoInt32.self, key: key, into: &rInt32)
            case 16, 18: try reader.readRepeated(DHWire.ProtoInt64.self, key: key, into: &rInt64)
            case 24, 26: try reader.readRepeated(DHWire.ProtoUInt32.self, key: key, into: &rUint32)
            case 32, 34: try reader.readRepeated(DHWire.ProtoUInt64.self, key: key, into: &rUint64)
            case 40, 42: try reader.readRepeated(DHWire.ProtoSInt32.self, key: key, into: &rSint32)
            case 48, 50: try reader.readRepeated(DHWire.ProtoSInt64.self, key: key, into: &rSint64)
            case 61, 58: try reader.readRepeated(DHWire.ProtoFixed32.self, key: key, into: &rFixed32)
            case 65, 66: try reader.readRepeated(DHWire.ProtoFixed64.self, key: key, into: &rFixed64)
            case 77, 74: try reader.readRepeated(DHWire.ProtoSFixed32.self, key: key, into: &rSfixed32)
            case 81, 82: try reader.readRepeated(DHWire.ProtoSFixed64.self, key: key, into: &rSfixed64)
            case 93, 90: try reader.readRepeated(DHWire.ProtoFloat.self, key: key, into: &rFloat)
            case 97, 98: try reader.readRepeated(DHWire.ProtoDouble.self, key: key, into: &rDouble)
            case 104, 106: try reader.readRepeated(DHWire.ProtoBool.self, key: key, into: &rBool)
            case 114: try reader.readRepeated(DHWire.ProtoString.self, key: key, into: &rString)
            case 122: try reader.readRepeated(DHWire.ProtoBytes.self, key: key, into: &rBytes)
            case 128, 130:
                try reader.readRepeated(DHWire.ProtoEnumField<Dhtest_Status>.self, key: key, into: &rEnum)
            case 136, 138: try reader.readRepeated(DHWire.ProtoInt32.self, key: key, into: &uInt32)
            case 144, 146: try reader.readRepeated(DHWire.ProtoSInt64.self, key: key, into: &uSint64)
            case 153, 154: try reader.readRepeated(DHWire.ProtoDouble.self, key: key, into: &uDouble)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
        writer.repeatedField("rInt32", "r_int32", DHWire.ProtoInt32.self, rInt32)
        writer.repeatedField("rInt64", "r_int64", DHWire.ProtoInt64.self, rInt64)
        writer.repeatedField("rUint32", "r_uint32", DHWire.ProtoUInt32.self, rUint32)
        writer.repeatedField("rUint64", "r_uint64", DHWire.ProtoUInt64.self, rUint64)
        writer.repeatedField("rSint32", "r_sint32", DHWire.ProtoSInt32.self, rSint32)
        writer.repeatedField("rSint64", "r_sint64", DHWire.ProtoSInt64.self, rSint64)
        writer.repeatedField("rFixed32", "r_fixed32", DHWire.ProtoFixed32.self, rFixed32)
        writer.repeatedField("rFixed64", "r_fixed64", DHWire.ProtoFixed64.self, rFixed64)
        writer.repeatedField("rSfixed32", "r_sfixed32", DHWire.ProtoSFixed32.self, rSfixed32)
        writer.repeatedField("rSfixed64", "r_sfixed64", DHWire.ProtoSFixed64.self, rSfixed64)
        writer.repeatedField("rFloat", "r_float", DHWire.ProtoFloat.self, rFloat)
        writer.repeatedField("rDouble", "r_double", DHWire.ProtoDouble.self, rDouble)
        writer.repeatedField("rBool", "r_bool", DHWire.ProtoBool.self, rBool)
        writer.repeatedField("rString", "r_string", DHWire.ProtoString.self, rString)
        writer.repeatedField("rBytes", "r_bytes", DHWire.ProtoBytes.self, rBytes)
        writer.repeatedField("rEnum", "r_enum", DHWire.ProtoEnumField<Dhtest_Status>.self, rEnum)
        writer.repeatedField("uInt32", "u_int32", DHWire.ProtoInt32.self, uInt32)
        writer.repeatedField("uSint64", "u_sint64", DHWire.ProtoSInt64.self, uSint64)
        writer.repeatedField("uDouble", "u_double", DHWire.ProtoDouble.self, uDouble)
    }

    mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        switch name {
        case "rInt32", "r_int32": try reader.readRepeated(DHWire.ProtoInt32.self, into: &rInt32)
        case "rInt64", "r_int64": try reader.readRepeated(DHWire.ProtoInt64.self, into: &rInt64)
        case "rUint32", "r_uint32": try reader.readRepeated(DHWire.ProtoUInt32.self, into: &rUint32)
        case "rUint64", "r_uint64": try reader.readRepeated(DHWire.ProtoUInt64.self, into: &rUint64)
        case "rSint32", "r_sint32": try reader.readRepeated(DHWire.ProtoSInt32.self, into: &rSint32)
        case "rSint64", "r_sint64": try reader.readRepeated(DHWire.ProtoSInt64.self, into: &rSint64)
        case "rFixed32", "r_fixed32": try reader.readRepeated(DHWire.ProtoFixed32.self, into: &rFixed32)
        case "rFixed64", "r_fixed64": try reader.readRepeated(DHWire.ProtoFixed64.self, into: &rFixed64)
        case "rSfixed32", "r_sfixed32": try reader.readRepeated(DHWire.ProtoSFixed32.self, into: &rSfixed32)
        case "rSfixed64", "r_sfixed64": try reader.readRepeated(DHWire.ProtoSFixed64.self, into: &rSfixed64)
        case "rFloat", "r_float": try reader.readRepeated(DHWire.ProtoFloat.self, into: &rFloat)
        case "rDouble", "r_double": try reader.readRepeated(DHWire.ProtoDouble.self, into: &rDouble)
        case "rBool", "r_bool": try reader.readRepeated(DHWire.ProtoBool.self, into: &rBool)
        case "rString", "r_string": try reader.readRepeated(DHWire.ProtoString.self, into: &rString)
        case "rBytes", "r_bytes": try reader.readRepeated(DHWire.ProtoBytes.self, into: &rBytes)
        case "rEnum", "r_enum": try reader.readRepeated(DHWire.ProtoEnumField<Dhtest_Status>.self, into: &rEnum)
        case "uInt32", "u_int32": try reader.readRepeated(DHWire.ProtoInt32.self, into: &uInt32)
        case "uSint64", "u_sint64": try reader.readRepeated(DHWire.ProtoSInt64.self, into: &uSint64)
        case "uDouble", "u_double": try reader.readRepeated(DHWire.ProtoDouble.self, into: &uDouble)
        default: return false
        }
        return true
    }
}

struct Dhtest_Optionals: DHWire.Message {
    var oInt32: Int32 {
        get { _oInt32 ?? 0 }
        set { _oInt32 = newValue }
    }
    var hasOInt32: Bool { _oInt32 != nil }
    mutating func clearOInt32() { _oInt32 = nil }

    var oString: String {
        get { _oString ?? "" }
        set { _oString = newValue }
    }
    var hasOString: Bool { _oString != nil }
    mutating func clearOString() { _oString = nil }

    var oEnum: Dhtest_Status {
        get { _oEnum ?? .unspecified }
        set { _oEnum = newValue }
    }
    var hasOEnum: Bool { _oEnum != nil }
    mutating func clearOEnum() { _oEnum = nil }

    var oDouble: Double {
        get { _oDouble ?? 0 }
        set { _oDouble = newValue }
    }
    var hasODouble: Bool { _oDouble != nil }
    mutating func clearODouble() { _oDouble = nil }

    var oBool: Bool {
        get { _oBool ?? false }
        set { _oBool = newValue }
    }
    var hasOBool: Bool { _oBool != nil }
    mutating func clearOBool() { _oBool = nil }

    var oBytes: [UInt8] {
        get { _oBytes ?? [] }
        set { _oBytes = newValue }
    }
    var hasOBytes: Bool { _oBytes != nil }
    mutating func clearOBytes() { _oBytes = nil }

    var unknownFields = DHWire.UnknownFields()

    private var _oInt32: Int32? = nil
    private var _oString: String? = nil
    private var _oEnum: Dhtest_Status? = nil
    private var _oDouble: Double? = nil
    private var _oBool: Bool? = nil
    private var _oBytes: [UInt8]? = nil

    init() {}

    func serializedSize() -> Int {
        var size = 0
        if let v = _oInt32 { size &+= DHWire.WireSize.field(DHWire.ProtoInt32.self, v, key: 8) }
        if let v = _oString { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, v, key: 18) }
        if let v = _oEnum { size &+= DHWire.WireSize.field(DHWire.ProtoEnumField<Dhtest_Status>.self, v, key: 24) }
        if let v = _oDouble { size &+= DHWire.WireSize.field(DHWire.ProtoDouble.self, v, key: 33) }
        if let v = _oBool { size &+= DHWire.WireSize.field(DHWire.ProtoBool.self, v, key: 40) }
        if let v = _oBytes { size &+= DHWire.WireSize.field(DHWire.ProtoBytes.self, v, key: 50) }
        size &+= unknownFields.count
        return size
    }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(unknownFields)
        if let v = _oBytes { writer.write(DHWire.ProtoBytes.self, v, key: 50) }
        if let v = _oBool { writer.write(DHWire.ProtoBool.self, v, key: 40) }
        if let v = _oDouble { writer.write(DHWire.ProtoDouble.self, v, key: 33) }
        if let v = _oEnum { writer.write(DHWire.ProtoEnumField<Dhtest_Status>.self, v, key: 24) }
        if let v = _oString { writer.write(DHWire.ProtoString.self, v, key: 18) }
        if let v = _oInt32 { writer.write(DHWire.ProtoInt32.self, v, key: 8) }
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8: _oInt32 = try reader.read(DHWire.ProtoInt32.self)
            case 18: _oString = try reader.read(DHWire.ProtoString.self)
            case 24: _oEnum = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
            case 33: _oDouble = try reader.read(DHWire.ProtoDouble.self)
            case 40: _oBool = try reader.read(DHWire.ProtoBool.self)
            case 50: _oBytes = try reader.read(DHWire.ProtoBytes.self)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
        if let v = _oInt32 { writer.field("oInt32", "o_int32", DHWire.ProtoInt32.self, v) }
        if let v = _oString { writer.field("oString", "o_string", DHWire.ProtoString.self, v) }
        if let v = _oEnum { writer.field("oEnum", "o_enum", DHWire.ProtoEnumField<Dhtest_Status>.self, v) }
        if let v = _oDouble { writer.field("oDouble", "o_double", DHWire.ProtoDouble.self, v) }
        if let v = _oBool { writer.field("oBool", "o_bool", DHWire.ProtoBool.self, v) }
        if let v = _oBytes { writer.field("oBytes", "o_bytes", DHWire.ProtoBytes.self, v) }
    }

    mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        switch name {
        case "oInt32", "o_int32": _oInt32 = try reader.read(DHWire.ProtoInt32.self)
        case "oString", "o_string": _oString = try reader.read(DHWire.ProtoString.self)
        case "oEnum", "o_enum": _oEnum = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
        case "oDouble", "o_double": _oDouble = try reader.read(DHWire.ProtoDouble.self)
        case "oBool", "o_bool": _oBool = try reader.read(DHWire.ProtoBool.self)
        case "oBytes", "o_bytes": _oBytes = try reader.read(DHWire.ProtoBytes.self)
        default: return false
        }
        return true
    }
}

struct Dhtest_CareRecord: DHWire.Message {
    struct Address: DHWire.Message {
        var prefecture: String = ""
        var city: String = ""
        var line: String = ""
        var postalCode: UInt32 = 0
        var unknownFields = DHWire.UnknownFields()

        init() {}

        func serializedSize() -> Int {
            var size = 0
            if !prefecture.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, prefecture, key: 10) }
            if !city.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, city, key: 18) }
            if !line.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, line, key: 26) }
            if postalCode != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoUInt32.self, postalCode, key: 32) }
            size &+= unknownFields.count
            return size
        }

        func encode(to writer: inout DHWire.WireWriter) {
            writer.writeUnknownFields(unknownFields)
            if postalCode != 0 { writer.write(DHWire.ProtoUInt32.self, postalCode, key: 32) }
            if !line.isEmpty { writer.write(DHWire.ProtoString.self, line, key: 26) }
            if !city.isEmpty { writer.write(DHWire.ProtoString.self, city, key: 18) }
            if !prefecture.isEmpty { writer.write(DHWire.ProtoString.self, prefecture, key: 10) }
        }

        mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
            while let key = try reader.nextKey() {
                switch key {
                case 10: prefecture = try reader.read(DHWire.ProtoString.self)
                case 18: city = try reader.read(DHWire.ProtoString.self)
                case 26: line = try reader.read(DHWire.ProtoString.self)
                case 32: postalCode = try reader.read(DHWire.ProtoUInt32.self)
                default: try reader.skipField(key: key, into: &unknownFields)
                }
            }
        }

        func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
            if !prefecture.isEmpty || writer.includesDefaults { writer.field("prefecture", "prefecture", DHWire.ProtoString.self, prefecture) }
            if !city.isEmpty || writer.includesDefaults { writer.field("city", "city", DHWire.ProtoString.self, city) }
            if !line.isEmpty || writer.includesDefaults { writer.field("line", "line", DHWire.ProtoString.self, line) }
            if postalCode != 0 || writer.includesDefaults { writer.field("postalCode", "postal_code", DHWire.ProtoUInt32.self, postalCode) }
        }

        mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
            switch name {
            case "prefecture": prefecture = try reader.read(DHWire.ProtoString.self)
            case "city": city = try reader.read(DHWire.ProtoString.self)
            case "line": line = try reader.read(DHWire.ProtoString.self)
            case "postalCode", "postal_code": postalCode = try reader.read(DHWire.ProtoUInt32.self)
            default: return false
            }
            return true
        }
    }

    struct Observation: DHWire.Message {
        var code: String = ""
        var value: Double = 0
        var takenAt: Int64 = 0
        var flags: [Dhtest_Status] = []
        var note: String = ""
        var unknownFields = DHWire.UnknownFields()

        init() {}

        func serializedSize() -> Int {
            var size = 0
            if !code.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, code, key: 10) }
            if value.bitPattern != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoDouble.self, value, key: 17) }
            if takenAt != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoSInt64.self, takenAt, key: 24) }
            size &+= DHWire.WireSize.packed(DHWire.ProtoEnumField<Dhtest_Status>.self, flags, key: 34)
            if !note.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, note, key: 42) }
            size &+= unknownFields.count
            return size
        }

        func encode(to writer: inout DHWire.WireWriter) {
            writer.writeUnknownFields(unknownFields)
            if !note.isEmpty { writer.write(DHWire.ProtoString.self, note, key: 42) }
            writer.writePacked(DHWire.ProtoEnumField<Dhtest_Status>.self, flags, key: 34)
            if takenAt != 0 { writer.write(DHWire.ProtoSInt64.self, takenAt, key: 24) }
            if value.bitPattern != 0 { writer.write(DHWire.ProtoDouble.self, value, key: 17) }
            if !code.isEmpty { writer.write(DHWire.ProtoString.self, code, key: 10) }
        }

        mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
            while let key = try reader.nextKey() {
                switch key {
                case 10: code = try reader.read(DHWire.ProtoString.self)
                case 17: value = try reader.read(DHWire.ProtoDouble.self)
                case 24: takenAt = try reader.read(DHWire.ProtoSInt64.self)
                case 32, 34:
                    try reader.readRepeated(DHWire.ProtoEnumField<Dhtest_Status>.self, key: key, into: &flags)
                case 42: note = try reader.read(DHWire.ProtoString.self)
                default: try reader.skipField(key: key, into: &unknownFields)
                }
            }
        }

        func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
            if !code.isEmpty || writer.includesDefaults { writer.field("code", "code", DHWire.ProtoString.self, code) }
            if value.bitPattern != 0 || writer.includesDefaults { writer.field("value", "value", DHWire.ProtoDouble.self, value) }
            if takenAt != 0 || writer.includesDefaults { writer.field("takenAt", "taken_at", DHWire.ProtoSInt64.self, takenAt) }
            writer.repeatedField("flags", "flags", DHWire.ProtoEnumField<Dhtest_Status>.self, flags)
            if !note.isEmpty || writer.includesDefaults { writer.field("note", "note", DHWire.ProtoString.self, note) }
        }

        mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
            switch name {
            case "code": code = try reader.read(DHWire.ProtoString.self)
            case "value": value = try reader.read(DHWire.ProtoDouble.self)
            case "takenAt", "taken_at": takenAt = try reader.read(DHWire.ProtoSInt64.self)
            case "flags": try reader.readRepeated(DHWire.ProtoEnumField<Dhtest_Status>.self, into: &flags)
            case "note": note = try reader.read(DHWire.ProtoString.self)
            default: return false
            }
            return true
        }
    }

    enum Contact: Sendable, Hashable {
        case phone(String)
        case email(String)
        case postal(Dhtest_CareRecord.Address)
    }

    var id: Int64 = 0
    var name: String = ""
    var status: Dhtest_Status = .unspecified
    var address: Dhtest_CareRecord.Address {
        get { _address ?? Dhtest_CareRecord.Address() }
        set { _address = newValue }
    }
    var hasAddress: Bool { _address != nil }
    mutating func clearAddress() { _address = nil }
    var observations: [Dhtest_CareRecord.Observation] = []
    var labels: [String: String] = [:]
    var byCode: [Int32: Dhtest_CareRecord.Observation] = [:]
    var contact: Dhtest_CareRecord.Contact? = nil
    var phone: String {
        get { if case .phone(let v)? = contact { v } else { "" } }
        set { contact = .phone(newValue) }
    }
    var email: String {
        get { if case .email(let v)? = contact { v } else { "" } }
        set { contact = .email(newValue) }
    }
    var postal: Dhtest_CareRecord.Address {
        get { if case .postal(let v)? = contact { v } else { Dhtest_CareRecord.Address() } }
        set { contact = .postal(newValue) }
    }
    var guardian: Dhtest_CareRecord {
        get { _guardian?.value ?? Dhtest_CareRecord() }
        set { _guardian = DHWire.Indirect(newValue) }
    }
    var hasGuardian: Bool { _guardian != nil }
    mutating func clearGuardian() { _guardian = nil }
    var tags: [String] = []
    var scalars: Dhtest_Scalars {
        get { _scalars ?? Dhtest_Scalars() }
        set { _scalars = newValue }
    }
    var hasScalars: Bool { _scalars != nil }
    mutating func clearScalars() { _scalars = nil }
    var repeateds: Dhtest_Repeateds {
        get { _repeateds ?? Dhtest_Repeateds() }
        set { _repeateds = newValue }
    }
    var hasRepeateds: Bool { _repeateds != nil }
    mutating func clearRepeateds() { _repeateds = nil }
    var optionals: Dhtest_Optionals {
        get { _optionals ?? Dhtest_Optionals() }
        set { _optionals = newValue }
    }
    var hasOptionals: Bool { _optionals != nil }
    mutating func clearOptionals() { _optionals = nil }
    var counters: [String: Int64] = [:]
    var blobs: [UInt64: [UInt8]] = [:]
    var switches: [Bool: Dhtest_Status] = [:]
    var unknownFields = DHWire.UnknownFields()

    private var _address: Dhtest_CareRecord.Address? = nil
    private var _guardian: DHWire.Indirect<Dhtest_CareRecord>? = nil
    private var _scalars: Dhtest_Scalars? = nil
    private var _repeateds: Dhtest_Repeateds? = nil
    private var _optionals: Dhtest_Optionals? = nil

    init() {}

    func serializedSize() -> Int {
        var size = 0
        if id != 0 { size &+= DHWire.WireSize.field(DHWire.ProtoInt64.self, id, key: 8) }
        if !name.isEmpty { size &+= DHWire.WireSize.field(DHWire.ProtoString.self, name, key: 18) }
        if status.rawValue != 0 {
            size &+= DHWire.WireSize.field(DHWire.ProtoEnumField<Dhtest_Status>.self, status, key: 24)
        }
        if let v = _address { size &+= DHWire.WireSize.message(v, key: 34) }
        size &+= DHWire.WireSize.repeated(
            DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, observations, key: 42)
        size &+= DHWire.WireSize.map(DHWire.ProtoString.self, DHWire.ProtoString.self, labels, key: 50)
        size &+= DHWire.WireSize.map(
            DHWire.ProtoInt32.self, DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, byCode, key: 58)
        switch contact {
        case .phone(let v)?: size &+= DHWire.WireSize.field(DHWire.ProtoString.self, v, key: 66)
        case .email(let v)?: size &+= DHWire.WireSize.field(DHWire.ProtoString.self, v, key: 74)
        case .postal(let v)?: size &+= DHWire.WireSize.message(v, key: 82)
        case nil: break
        }
        if let v = _guardian { size &+= DHWire.WireSize.message(v.value, key: 90) }
        size &+= DHWire.WireSize.repeated(DHWire.ProtoString.self, tags, key: 98)
        if let v = _scalars { size &+= DHWire.WireSize.message(v, key: 106) }
        if let v = _repeateds { size &+= DHWire.WireSize.message(v, key: 114) }
        if let v = _optionals { size &+= DHWire.WireSize.message(v, key: 122) }
        size &+= DHWire.WireSize.map(DHWire.ProtoString.self, DHWire.ProtoInt64.self, counters, key: 130)
        size &+= DHWire.WireSize.map(DHWire.ProtoUInt64.self, DHWire.ProtoBytes.self, blobs, key: 138)
        size &+= DHWire.WireSize.map(
            DHWire.ProtoBool.self, DHWire.ProtoEnumField<Dhtest_Status>.self, switches, key: 146)
        size &+= unknownFields.count
        return size
    }

    func encode(to writer: inout DHWire.WireWriter) {
        writer.writeUnknownFields(unknownFields)
        writer.writeMap(DHWire.ProtoBool.self, DHWire.ProtoEnumField<Dhtest_Status>.self, switches, key: 146)
        writer.writeMap(DHWire.ProtoUInt64.self, DHWire.ProtoBytes.self, blobs, key: 138)
        writer.writeMap(DHWire.ProtoString.self, DHWire.ProtoInt64.self, counters, key: 130)
        if let v = _optionals { writer.writeMessage(v, key: 122) }
        if let v = _repeateds { writer.writeMessage(v, key: 114) }
        if let v = _scalars { writer.writeMessage(v, key: 106) }
        writer.writeRepeated(DHWire.ProtoString.self, tags, key: 98)
        if let v = _guardian { writer.writeMessage(v.value, key: 90) }
        switch contact {
        case .postal(let v)?: writer.writeMessage(v, key: 82)
        case .email(let v)?: writer.write(DHWire.ProtoString.self, v, key: 74)
        case .phone(let v)?: writer.write(DHWire.ProtoString.self, v, key: 66)
        case nil: break
        }
        writer.writeMap(
            DHWire.ProtoInt32.self, DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, byCode, key: 58)
        writer.writeMap(DHWire.ProtoString.self, DHWire.ProtoString.self, labels, key: 50)
        writer.writeRepeated(DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, observations, key: 42)
        if let v = _address { writer.writeMessage(v, key: 34) }
        if status.rawValue != 0 { writer.write(DHWire.ProtoEnumField<Dhtest_Status>.self, status, key: 24) }
        if !name.isEmpty { writer.write(DHWire.ProtoString.self, name, key: 18) }
        if id != 0 { writer.write(DHWire.ProtoInt64.self, id, key: 8) }
    }

    mutating func decodeMessage(from reader: inout DHWire.WireReader) throws(DHWire.WireError) {
        while let key = try reader.nextKey() {
            switch key {
            case 8: id = try reader.read(DHWire.ProtoInt64.self)
            case 18: name = try reader.read(DHWire.ProtoString.self)
            case 24: status = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
            case 34: try reader.readMessage(into: &_address)
            case 42:
                try reader.readRepeated(
                    DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, key: key, into: &observations)
            case 50: try reader.readMapEntry(DHWire.ProtoString.self, DHWire.ProtoString.self, into: &labels)
            case 58:
                try reader.readMapEntry(
                    DHWire.ProtoInt32.self, DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self,
                    into: &byCode)
            case 66: contact = .phone(try reader.read(DHWire.ProtoString.self))
            case 74: contact = .email(try reader.read(DHWire.ProtoString.self))
            case 82:
                var v = Dhtest_CareRecord.Address()
                if case .postal(let existing)? = contact { v = existing }
                try reader.readMessage(into: &v)
                contact = .postal(v)
            case 90:
                var v = _guardian?.value ?? Dhtest_CareRecord()
                try reader.readMessage(into: &v)
                _guardian = DHWire.Indirect(v)
            case 98: try reader.readRepeated(DHWire.ProtoString.self, key: key, into: &tags)
            case 106: try reader.readMessage(into: &_scalars)
            case 114: try reader.readMessage(into: &_repeateds)
            case 122: try reader.readMessage(into: &_optionals)
            case 130: try reader.readMapEntry(DHWire.ProtoString.self, DHWire.ProtoInt64.self, into: &counters)
            case 138: try reader.readMapEntry(DHWire.ProtoUInt64.self, DHWire.ProtoBytes.self, into: &blobs)
            case 146:
                try reader.readMapEntry(
                    DHWire.ProtoBool.self, DHWire.ProtoEnumField<Dhtest_Status>.self, into: &switches)
            default: try reader.skipField(key: key, into: &unknownFields)
            }
        }
    }

    func encodeJSONFields(to writer: inout DHWire.JSONWriter) {
        if id != 0 || writer.includesDefaults { writer.field("id", "id", DHWire.ProtoInt64.self, id) }
        if !name.isEmpty || writer.includesDefaults { writer.field("name", "name", DHWire.ProtoString.self, name) }
        if status.rawValue != 0 || writer.includesDefaults { writer.field("status", "status", DHWire.ProtoEnumField<Dhtest_Status>.self, status) }
        if let v = _address { writer.messageField("address", "address", v) }
        writer.repeatedField("observations", "observations", DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, observations)
        writer.mapField("labels", "labels", DHWire.ProtoString.self, DHWire.ProtoString.self, labels)
        writer.mapField("byCode", "by_code", DHWire.ProtoInt32.self, DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, byCode)
        switch contact {
        case .phone(let v)?: writer.field("phone", "phone", DHWire.ProtoString.self, v)
        case .email(let v)?: writer.field("email", "email", DHWire.ProtoString.self, v)
        case .postal(let v)?: writer.messageField("postal", "postal", v)
        case nil: break
        }
        if let v = _guardian { writer.messageField("guardian", "guardian", v.value) }
        writer.repeatedField("tags", "tags", DHWire.ProtoString.self, tags)
        if let v = _scalars { writer.messageField("scalars", "scalars", v) }
        if let v = _repeateds { writer.messageField("repeateds", "repeateds", v) }
        if let v = _optionals { writer.messageField("optionals", "optionals", v) }
        writer.mapField("counters", "counters", DHWire.ProtoString.self, DHWire.ProtoInt64.self, counters)
        writer.mapField("blobs", "blobs", DHWire.ProtoUInt64.self, DHWire.ProtoBytes.self, blobs)
        writer.mapField("switches", "switches", DHWire.ProtoBool.self, DHWire.ProtoEnumField<Dhtest_Status>.self, switches)
    }

    mutating func decodeJSONField(_ name: String, from reader: inout DHWire.JSONReader) throws(DHWire.WireError) -> Bool {
        switch name {
        case "id": id = try reader.read(DHWire.ProtoInt64.self)
        case "name": self.name = try reader.read(DHWire.ProtoString.self)
        case "status": status = try reader.read(DHWire.ProtoEnumField<Dhtest_Status>.self)
        case "address": try reader.readMessage(into: &_address)
        case "observations": try reader.readRepeated(DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, into: &observations)
        case "labels": try reader.readMap(DHWire.ProtoString.self, DHWire.ProtoString.self, into: &labels)
        case "byCode", "by_code": try reader.readMap(DHWire.ProtoInt32.self, DHWire.ProtoMessageField<Dhtest_CareRecord.Observation>.self, into: &byCode)
        case "phone": contact = .phone(try reader.read(DHWire.ProtoString.self))
        case "email": contact = .email(try reader.read(DHWire.ProtoString.self))
        case "postal":
            var v = Dhtest_CareRecord.Address()
            if case .postal(let existing)? = contact { v = existing }
            try reader.readMessage(into: &v)
            contact = .postal(v)
        case "guardian":
            var v = _guardian?.value ?? Dhtest_CareRecord()
            try reader.readMessage(into: &v)
            _guardian = DHWire.Indirect(v)
        case "tags": try reader.readRepeated(DHWire.ProtoString.self, into: &tags)
        case "scalars": try reader.readMessage(into: &_scalars)
        case "repeateds": try reader.readMessage(into: &_repeateds)
        case "optionals": try reader.readMessage(into: &_optionals)
        case "counters": try reader.readMap(DHWire.ProtoString.self, DHWire.ProtoInt64.self, into: &counters)
        case "blobs": try reader.readMap(DHWire.ProtoUInt64.self, DHWire.ProtoBytes.self, into: &blobs)
        case "switches": try reader.readMap(DHWire.ProtoBool.self, DHWire.ProtoEnumField<Dhtest_Status>.self, into: &switches)
        default: return false
        }
        return true
    }
}
