/// How one protobuf field type is sized, written and read.
///
/// Each protobuf type has one codec, a caseless enum (`ProtoInt32`, `ProtoSInt64`,
/// `ProtoString`, `ProtoEnumField<E>`, `ProtoMessageField<M>`, …). Generated code names the
/// codec in every field operation (`writer.write(ProtoInt32.self, value, key: 8)`), so the
/// generic helpers of `WireWriter`, `WireReader` and `WireSize` specialise into straight-line
/// code with no existentials and no dynamic dispatch.
public protocol FieldCodec {
    associatedtype Value: Sendable & Hashable
    /// The wire type of one value (packed fields use wire type 2 around values of this type).
    static var wireType: WireType { get }
    /// The value a missing field has (used for map entries without a key or value).
    static var defaultValue: Value { get }
    /// The encoded size of every value, when it does not depend on the value.
    static var fixedSize: Int? { get }
    /// The encoded size of `value` without its key; includes the length prefix of
    /// length-delimited values.
    static func encodedSize(of value: Value) -> Int
    /// Writes `value` without its key (back to front: see `WireWriter`).
    static func write(_ value: Value, to writer: inout WireWriter)
    /// Reads one value whose key was just read.
    static func read(from reader: inout WireReader) throws(WireError) -> Value
    /// Writes `value` as a JSON value (proto3 JSON mapping).
    static func writeJSON(_ value: Value, to writer: inout JSONWriter)
    /// Reads a JSON value (not `null`).
    static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value
    /// Writes `value` as the inside of a JSON map key (integers, bools and strings only).
    static func writeJSONMapKey(_ value: Value, to writer: inout JSONWriter)
    /// Parses a JSON map key (integers, bools and strings only).
    static func readJSONMapKey(_ text: String, from reader: inout JSONReader) throws(WireError) -> Value
}

extension FieldCodec {
    @inlinable public static var fixedSize: Int? { nil }

    /// Types that cannot be map keys never reach this.
    public static func writeJSONMapKey(_ value: Value, to writer: inout JSONWriter) {
        writeJSON(value, to: &writer)
    }

    /// Types that cannot be map keys never reach this.
    public static func readJSONMapKey(_ text: String, from reader: inout JSONReader) throws(WireError) -> Value {
        throw reader.valueError("\(Self.self) cannot be a map key")
    }
}

/// Map keys of integer types: the decimal text.
extension FieldCodec where Value: FixedWidthInteger {
    public static func writeJSONMapKey(_ value: Value, to writer: inout JSONWriter) {
        if Value.isSigned {
            writer.writeSigned(Int64(value))
        } else {
            writer.writeUnsigned(UInt64(value))
        }
    }

    public static func readJSONMapKey(_ text: String, from reader: inout JSONReader) throws(WireError) -> Value {
        guard text.first != "+", let value = Value(text, radix: 10) else {
            throw reader.valueError("map key \"\(text)\" is not a valid \(Value.self)")
        }
        return value
    }
}

// MARK: Varint types

/// `int32`: a varint; negative values are sign-extended to ten bytes.
public enum ProtoInt32: FieldCodec {
    public typealias Value = Int32
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: Int32 { 0 }
    @inlinable public static func encodedSize(of value: Int32) -> Int {
        Varint.encodedSize(UInt64(bitPattern: Int64(value)))
    }
    @inlinable public static func write(_ value: Int32, to writer: inout WireWriter) {
        writer.writeVarint(UInt64(bitPattern: Int64(value)))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int32 {
        Int32(truncatingIfNeeded: try reader.readVarint())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeSigned(Int64(value))
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int32.self)
    }
}

/// `int64`: a varint of the two's-complement bits.
public enum ProtoInt64: FieldCodec {
    public typealias Value = Int64
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: Int64 { 0 }
    @inlinable public static func encodedSize(of value: Int64) -> Int {
        Varint.encodedSize(UInt64(bitPattern: value))
    }
    @inlinable public static func write(_ value: Int64, to writer: inout WireWriter) {
        writer.writeVarint(UInt64(bitPattern: value))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int64 {
        Int64(bitPattern: try reader.readVarint())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw("\""); writer.writeSigned(value); writer.writeRaw("\"")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int64.self)
    }
}

/// `uint32`: a varint.
public enum ProtoUInt32: FieldCodec {
    public typealias Value = UInt32
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: UInt32 { 0 }
    @inlinable public static func encodedSize(of value: UInt32) -> Int {
        Varint.encodedSize(UInt64(value))
    }
    @inlinable public static func write(_ value: UInt32, to writer: inout WireWriter) {
        writer.writeVarint(value)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try reader.readVarint())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeUnsigned(UInt64(value))
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(UInt32.self)
    }
}

/// `uint64`: a varint.
public enum ProtoUInt64: FieldCodec {
    public typealias Value = UInt64
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: UInt64 { 0 }
    @inlinable public static func encodedSize(of value: UInt64) -> Int {
        Varint.encodedSize(value)
    }
    @inlinable public static func write(_ value: UInt64, to writer: inout WireWriter) {
        writer.writeVarint(value)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> UInt64 {
        try reader.readVarint()
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw("\""); writer.writeUnsigned(value); writer.writeRaw("\"")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(UInt64.self)
    }
}

/// `sint32`: a zig-zag varint.
public enum ProtoSInt32: FieldCodec {
    public typealias Value = Int32
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: Int32 { 0 }
    @inlinable public static func encodedSize(of value: Int32) -> Int {
        Varint.encodedSize(UInt64(ZigZag.encode(value)))
    }
    @inlinable public static func write(_ value: Int32, to writer: inout WireWriter) {
        writer.writeVarint(ZigZag.encode(value))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int32 {
        ZigZag.decode(UInt32(truncatingIfNeeded: try reader.readVarint()))
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeSigned(Int64(value))
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int32.self)
    }
}

/// `sint64`: a zig-zag varint.
public enum ProtoSInt64: FieldCodec {
    public typealias Value = Int64
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: Int64 { 0 }
    @inlinable public static func encodedSize(of value: Int64) -> Int {
        Varint.encodedSize(ZigZag.encode(value))
    }
    @inlinable public static func write(_ value: Int64, to writer: inout WireWriter) {
        writer.writeVarint(ZigZag.encode(value))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int64 {
        ZigZag.decode(try reader.readVarint())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw("\""); writer.writeSigned(value); writer.writeRaw("\"")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int64.self)
    }
}

/// `bool`: a varint; any non-zero value reads as true.
public enum ProtoBool: FieldCodec {
    public typealias Value = Bool
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: Bool { false }
    @inlinable public static var fixedSize: Int? { 1 }
    @inlinable public static func encodedSize(of value: Bool) -> Int { 1 }
    @inlinable public static func write(_ value: Bool, to writer: inout WireWriter) {
        writer.writeByte(value ? 1 : 0)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Bool {
        try reader.readVarint() != 0
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw(value ? "true" : "false")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readBool()
    }
    public static func writeJSONMapKey(_ value: Bool, to writer: inout JSONWriter) {
        writer.writeRaw(value ? "true" : "false")
    }
    public static func readJSONMapKey(_ text: String, from reader: inout JSONReader) throws(WireError) -> Bool {
        switch text {
        case "true": return true
        case "false": return false
        default: throw reader.valueError("map key \"\(text)\" is not a bool")
        }
    }
}

/// An enum field: an `int32` varint. Values the schema does not name are kept.
public enum ProtoEnumField<E: ProtoEnum>: FieldCodec {
    public typealias Value = E
    @inlinable public static var wireType: WireType { .varint }
    @inlinable public static var defaultValue: E { E(rawValue: 0) }
    @inlinable public static func encodedSize(of value: E) -> Int {
        ProtoInt32.encodedSize(of: value.rawValue)
    }
    @inlinable public static func write(_ value: E, to writer: inout WireWriter) {
        ProtoInt32.write(value.rawValue, to: &writer)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> E {
        E(rawValue: try ProtoInt32.read(from: &reader))
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        if let name = value.protoName {
            writer.writeRaw("\"")
            writer.writeRaw(name)
            writer.writeRaw("\"")
        } else {
            writer.writeSigned(Int64(value.rawValue))
        }
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readEnum(E.self)
    }
}

// MARK: Fixed-width types

/// `fixed32`: four bytes, little-endian.
public enum ProtoFixed32: FieldCodec {
    public typealias Value = UInt32
    @inlinable public static var wireType: WireType { .fixed32 }
    @inlinable public static var defaultValue: UInt32 { 0 }
    @inlinable public static var fixedSize: Int? { 4 }
    @inlinable public static func encodedSize(of value: UInt32) -> Int { 4 }
    @inlinable public static func write(_ value: UInt32, to writer: inout WireWriter) {
        writer.writeFixed32(value)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> UInt32 {
        try reader.readFixed32()
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeUnsigned(UInt64(value))
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(UInt32.self)
    }
}

/// `sfixed32`: four bytes, little-endian two's complement.
public enum ProtoSFixed32: FieldCodec {
    public typealias Value = Int32
    @inlinable public static var wireType: WireType { .fixed32 }
    @inlinable public static var defaultValue: Int32 { 0 }
    @inlinable public static var fixedSize: Int? { 4 }
    @inlinable public static func encodedSize(of value: Int32) -> Int { 4 }
    @inlinable public static func write(_ value: Int32, to writer: inout WireWriter) {
        writer.writeFixed32(UInt32(bitPattern: value))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int32 {
        Int32(bitPattern: try reader.readFixed32())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeSigned(Int64(value))
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int32.self)
    }
}

/// `float`: IEEE 754 binary32, little-endian.
public enum ProtoFloat: FieldCodec {
    public typealias Value = Float
    @inlinable public static var wireType: WireType { .fixed32 }
    @inlinable public static var defaultValue: Float { 0 }
    @inlinable public static var fixedSize: Int? { 4 }
    @inlinable public static func encodedSize(of value: Float) -> Int { 4 }
    @inlinable public static func write(_ value: Float, to writer: inout WireWriter) {
        writer.writeFixed32(value.bitPattern)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Float {
        Float(bitPattern: try reader.readFixed32())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeFloat(value)
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readFloatingPoint(Float.self)
    }
}

/// `fixed64`: eight bytes, little-endian.
public enum ProtoFixed64: FieldCodec {
    public typealias Value = UInt64
    @inlinable public static var wireType: WireType { .fixed64 }
    @inlinable public static var defaultValue: UInt64 { 0 }
    @inlinable public static var fixedSize: Int? { 8 }
    @inlinable public static func encodedSize(of value: UInt64) -> Int { 8 }
    @inlinable public static func write(_ value: UInt64, to writer: inout WireWriter) {
        writer.writeFixed64(value)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> UInt64 {
        try reader.readFixed64()
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw("\""); writer.writeUnsigned(value); writer.writeRaw("\"")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(UInt64.self)
    }
}

/// `sfixed64`: eight bytes, little-endian two's complement.
public enum ProtoSFixed64: FieldCodec {
    public typealias Value = Int64
    @inlinable public static var wireType: WireType { .fixed64 }
    @inlinable public static var defaultValue: Int64 { 0 }
    @inlinable public static var fixedSize: Int? { 8 }
    @inlinable public static func encodedSize(of value: Int64) -> Int { 8 }
    @inlinable public static func write(_ value: Int64, to writer: inout WireWriter) {
        writer.writeFixed64(UInt64(bitPattern: value))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Int64 {
        Int64(bitPattern: try reader.readFixed64())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeRaw("\""); writer.writeSigned(value); writer.writeRaw("\"")
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readInteger(Int64.self)
    }
}

/// `double`: IEEE 754 binary64, little-endian.
public enum ProtoDouble: FieldCodec {
    public typealias Value = Double
    @inlinable public static var wireType: WireType { .fixed64 }
    @inlinable public static var defaultValue: Double { 0 }
    @inlinable public static var fixedSize: Int? { 8 }
    @inlinable public static func encodedSize(of value: Double) -> Int { 8 }
    @inlinable public static func write(_ value: Double, to writer: inout WireWriter) {
        writer.writeFixed64(value.bitPattern)
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> Double {
        Double(bitPattern: try reader.readFixed64())
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeDouble(value)
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readFloatingPoint(Double.self)
    }
}

// MARK: Length-delimited types

/// `string`: length-prefixed UTF-8, validated on decode.
public enum ProtoString: FieldCodec {
    public typealias Value = String
    @inlinable public static var wireType: WireType { .lengthDelimited }
    @inlinable public static var defaultValue: String { "" }
    @inlinable public static func encodedSize(of value: String) -> Int {
        let count = value.utf8.count
        return Varint.encodedSize(UInt64(count)) &+ count
    }
    @inlinable public static func write(_ value: String, to writer: inout WireWriter) {
        let start = writer.mark
        writer.writeRawUTF8(value)
        writer.writeVarint(UInt64(writer.bytesWritten(since: start)))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> String {
        try reader.readString()
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeString(value)
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readStringToken()
    }
    public static func writeJSONMapKey(_ value: String, to writer: inout JSONWriter) {
        // The writer adds the quotes around map keys; write the escaped inside only.
        var quoted = JSONWriter(configuration: writer.configuration, capacity: value.utf8.count + 2)
        quoted.writeString(value)
        writer.output.append(contentsOf: quoted.output.dropFirst().dropLast())
    }
    public static func readJSONMapKey(_ text: String, from reader: inout JSONReader) throws(WireError) -> String {
        text
    }
}

/// `bytes`: length-prefixed bytes.
public enum ProtoBytes: FieldCodec {
    public typealias Value = [UInt8]
    @inlinable public static var wireType: WireType { .lengthDelimited }
    @inlinable public static var defaultValue: [UInt8] { [] }
    @inlinable public static func encodedSize(of value: [UInt8]) -> Int {
        Varint.encodedSize(UInt64(value.count)) &+ value.count
    }
    @inlinable public static func write(_ value: [UInt8], to writer: inout WireWriter) {
        writer.writeRawBytes(value)
        writer.writeVarint(UInt64(value.count))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> [UInt8] {
        try reader.readBytes()
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeBase64(value)
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        try reader.readBase64()
    }
}

/// A message-typed value (repeated message fields and map values; singular message fields
/// use `WireWriter.writeMessage` and `WireReader.readMessage(into:)`, which merge).
public enum ProtoMessageField<M: Message>: FieldCodec {
    public typealias Value = M
    @inlinable public static var wireType: WireType { .lengthDelimited }
    @inlinable public static var defaultValue: M { M() }
    @inlinable public static func encodedSize(of value: M) -> Int {
        let size = value.serializedSize()
        return Varint.encodedSize(UInt64(size)) &+ size
    }
    @inlinable public static func write(_ value: M, to writer: inout WireWriter) {
        let start = writer.mark
        value.encode(to: &writer)
        writer.writeVarint(UInt64(writer.bytesWritten(since: start)))
    }
    @inlinable public static func read(from reader: inout WireReader) throws(WireError) -> M {
        var message = M()
        try reader.readMessage(into: &message)
        return message
    }
    @inlinable public static func writeJSON(_ value: Value, to writer: inout JSONWriter) {
        writer.writeMessage(value)
    }
    @inlinable public static func readJSON(from reader: inout JSONReader) throws(WireError) -> Value {
        var message = M()
        try reader.readMessage(into: &message)
        return message
    }
}
