internal import DHDescriptor

/// One protobuf scalar type's Swift type, runtime codec, wire type and presence test.
struct ScalarKind {
    let swiftType: String
    let codec: String
    let wireType: UInt32
    /// Whether repeated values of this type can be packed.
    let packable: Bool
    /// The zero value as Swift source.
    let zero: String
    /// The implicit-presence test for a value named `name`.
    let presence: (String) -> String

    static func of(_ type: FieldDescriptorProto.FieldType) -> ScalarKind? {
        let integer: (String) -> String = { "\($0) != 0" }
        let floating: (String) -> String = { "\($0).bitPattern != 0" }
        switch type {
        case .int32: return ScalarKind(swiftType: "Int32", codec: "DHWire.ProtoInt32", wireType: 0, packable: true, zero: "0", presence: integer)
        case .int64: return ScalarKind(swiftType: "Int64", codec: "DHWire.ProtoInt64", wireType: 0, packable: true, zero: "0", presence: integer)
        case .uint32: return ScalarKind(swiftType: "UInt32", codec: "DHWire.ProtoUInt32", wireType: 0, packable: true, zero: "0", presence: integer)
        case .uint64: return ScalarKind(swiftType: "UInt64", codec: "DHWire.ProtoUInt64", wireType: 0, packable: true, zero: "0", presence: integer)
        case .sint32: return ScalarKind(swiftType: "Int32", codec: "DHWire.ProtoSInt32", wireType: 0, packable: true, zero: "0", presence: integer)
        case .sint64: return ScalarKind(swiftType: "Int64", codec: "DHWire.ProtoSInt64", wireType: 0, packable: true, zero: "0", presence: integer)
        case .fixed32: return ScalarKind(swiftType: "UInt32", codec: "DHWire.ProtoFixed32", wireType: 5, packable: true, zero: "0", presence: integer)
        case .fixed64: return ScalarKind(swiftType: "UInt64", codec: "DHWire.ProtoFixed64", wireType: 1, packable: true, zero: "0", presence: integer)
        case .sfixed32: return ScalarKind(swiftType: "Int32", codec: "DHWire.ProtoSFixed32", wireType: 5, packable: true, zero: "0", presence: integer)
        case .sfixed64: return ScalarKind(swiftType: "Int64", codec: "DHWire.ProtoSFixed64", wireType: 1, packable: true, zero: "0", presence: integer)
        case .float: return ScalarKind(swiftType: "Float", codec: "DHWire.ProtoFloat", wireType: 5, packable: true, zero: "0", presence: floating)
        case .double: return ScalarKind(swiftType: "Double", codec: "DHWire.ProtoDouble", wireType: 1, packable: true, zero: "0", presence: floating)
        case .bool: return ScalarKind(swiftType: "Bool", codec: "DHWire.ProtoBool", wireType: 0, packable: true, zero: "false", presence: { $0 })
        case .string: return ScalarKind(swiftType: "String", codec: "DHWire.ProtoString", wireType: 2, packable: false, zero: "\"\"", presence: { "!\($0).isEmpty" })
        case .bytes: return ScalarKind(swiftType: "[UInt8]", codec: "DHWire.ProtoBytes", wireType: 2, packable: false, zero: "[]", presence: { "!\($0).isEmpty" })
        default: return nil
        }
    }
}

/// A field as the emitter sees it: its Swift names, its codec and how it is stored.
struct FieldModel {
    enum Storage {
        /// proto3 implicit presence: a plain stored property compared with zero.
        case implicit
        /// Explicit presence (proto3 `optional`, proto2 optional/required, messages):
        /// a private optional behind a non-optional accessor with has/clear.
        case optional(indirect: Bool)
        case repeated(packed: Bool)
        case map(keyCodec: String, keyType: String, valueCodec: String, valueType: String)
        /// A member of a real (not synthetic) oneof.
        case oneofMember(oneof: Int, indirect: Bool)
    }

    let descriptor: FieldDescriptorProto
    let number: Int32
    let name: String  // Swift member name, unescaped
    let swiftType: String  // element type for repeated, value type otherwise
    let codec: String
    let wireType: UInt32
    let isMessage: Bool
    let isEnum: Bool
    let storage: Storage
    /// The value a getter returns when nothing is set, as Swift source.
    let defaultValue: String
    /// The implicit-presence test, for `.implicit` storage.
    let presence: (String) -> String
    let comment: String

    var key: UInt32 { UInt32(bitPattern: number) << 3 | wireType }
    var packedKey: UInt32 { UInt32(bitPattern: number) << 3 | 2 }
    var privateName: String { "_" + name }
    var capitalizedName: String {
        let trimmed = name.hasPrefix("_") ? String(name.dropFirst()) : name
        return trimmed.prefix(1).uppercased() + trimmed.dropFirst()
    }
}
