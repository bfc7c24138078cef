public import DHDescriptor
public import DHWire

/// A field value of a dynamic message.
public indirect enum DynamicValue: Sendable, Equatable {
    /// int32, int64, sint32, sint64, sfixed32, sfixed64.
    case int(Int64)
    /// uint32, uint64, fixed32, fixed64.
    case uint(UInt64)
    case double(Double)
    case float(Float)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    case enumValue(Int32)
    case message(DynamicMessage)
    /// A repeated field's values.
    case list([DynamicValue])
    /// A map field's entries, in the order read.
    case map([MapEntry])

    public struct MapEntry: Sendable, Equatable {
        public var key: DynamicValue
        public var value: DynamicValue
        public init(key: DynamicValue, value: DynamicValue) {
            self.key = key
            self.value = value
        }
    }
}

/// A message of a type known only from descriptors: encoded, decoded and printed as JSON by
/// the same rules as generated code (docs/RUNTIME.md). Unknown fields are kept and re-emitted.
public struct DynamicMessage: Sendable, Equatable {
    public let typeName: String
    /// Field number → value (a `.list` or `.map` for repeated fields).
    public var values: [Int32: DynamicValue] = [:]
    public var unknownFields: [UInt8] = []

    public init(typeName: String) { self.typeName = typeName }

    public static let maximumDepth = 100

    // MARK: Binary

    /// Decodes `bytes` as a message of `typeName`.
    public init(typeName: String, binary bytes: [UInt8], pool: DescriptorPool) throws(DynamicError) {
        self.init(typeName: typeName)
        let type = try pool.message(typeName)
        do {
            var reader = BinaryReader(bytes)
            try merge(from: &reader, type: type, pool: pool, depth: 0)
        } catch let error as DynamicError {
            throw error
        } catch {
            throw DynamicError(code: .invalidBinary, message: "\(typeName): \(error)")
        }
    }

    private mutating func merge(
        from reader: inout BinaryReader, type: DescriptorPool.MessageType, pool: DescriptorPool, depth: Int
    ) throws {
        guard depth < Self.maximumDepth else {
            throw DynamicError(code: .invalidBinary, message: "messages nest deeper than \(Self.maximumDepth)")
        }
        while let tag = try reader.readTag() {
            guard let field = type.field(number: tag.fieldNumber) else {
                try Self.copyUnknown(tag, from: &reader, into: &unknownFields)
                continue
            }
            if field.type == .group || tag.wireType == .startGroup || tag.wireType == .endGroup {
                throw DynamicError(code: .invalidBinary, message: "groups are not supported (field \(field.name))")
            }
            let entryType = field.type == .message ? pool.messages[field.typeName] : nil
            if let entryType, entryType.isMapEntry {
                guard tag.wireType == .lengthDelimited else { throw Self.wrongWireType(field) }
                var sub = BinaryReader(Array(try reader.readLengthDelimited()))
                var entry = DynamicMessage(typeName: entryType.fullName)
                try entry.merge(from: &sub, type: entryType, pool: pool, depth: depth + 1)
                let key = entry.values[1] ?? Self.defaultValue(entryType.field(number: 1)!, pool: pool)
                let value = entry.values[2] ?? Self.defaultValue(entryType.field(number: 2)!, pool: pool)
                var entries: [DynamicValue.MapEntry] = []
                if case .map(let existing)? = values[field.number] { entries = existing }
                if let index = entries.firstIndex(where: { $0.key == key }) {
                    entries[index].value = value
                } else {
                    entries.append(DynamicValue.MapEntry(key: key, value: value))
                }
                values[field.number] = .map(entries)
                continue
            }
            if field.isRepeated {
                var list: [DynamicValue] = []
                if case .list(let existing)? = values[field.number] { list = existing }
                if tag.wireType == .lengthDelimited, Self.isPackable(field.type) {
                    var packed = BinaryReader(Array(try reader.readLengthDelimited()))
                    while !packed.isAtEnd {
                        list.append(try Self.readScalar(field, wireType: Self.wireType(of: field.type), from: &packed))
                    }
                } else {
                    list.append(try readSingle(field, tag: tag, from: &reader, pool: pool, depth: depth, existing: nil))
                }
                values[field.number] = .list(list)
                continue
            }
            if let oneof = field.oneofIndex {
                for other in type.fields where other.oneofIndex == oneof && other.number != field.number {
                    values[other.number] = nil
                }
            }
            values[field.number] = try readSingle(
                field, tag: tag, from: &reader, pool: pool, depth: depth, existing: values[field.number])
        }
    }

    private func readSingle(
        _ field: DescriptorPool.Field, tag: FieldTag, from reader: inout BinaryReader, pool: DescriptorPool, depth: Int,
        existing: DynamicValue?
    ) throws -> DynamicValue {
        if field.type == .message {
            guard tag.wireType == .lengthDelimited else { throw Self.wrongWireType(field) }
            let subType = try pool.message(field.typeName)
            var sub = BinaryReader(Array(try reader.readLengthDelimited()))
            var message = DynamicMessage(typeName: subType.fullName)
            if case .message(let previous)? = existing { message = previous }  // last one merges
            try message.merge(from: &sub, type: subType, pool: pool, depth: depth + 1)
            return .message(message)
        }
        guard tag.wireType == Self.wireType(of: field.type) else { throw Self.wrongWireType(field) }
        return try Self.readScalar(field, wireType: tag.wireType, from: &reader)
    }

    static func wrongWireType(_ field: DescriptorPool.Field) -> DynamicError {
        DynamicError(code: .invalidBinary, message: "field \(field.name) (\(field.number)) arrived with the wrong wire type")
    }

    static func isPackable(_ type: FieldDescriptorProto.FieldType) -> Bool {
        type != .string && type != .bytes && type != .message && type != .group
    }

    static func wireType(of type: FieldDescriptorProto.FieldType) -> WireType {
        switch type {
        case .double, .fixed64, .sfixed64: .fixed64
        case .float, .fixed32, .sfixed32: .fixed32
        case .string, .bytes, .message: .lengthDelimited
        default: .varint
        }
    }

    static func readScalar(
        _ field: DescriptorPool.Field, wireType: WireType, from reader: inout BinaryReader
    ) throws -> DynamicValue {
        switch field.type {
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .int64: return .int(Int64(bitPattern: try reader.readVarint()))
        case .uint32: return .uint(UInt64(UInt32(truncatingIfNeeded: try reader.readVarint())))
        case .uint64: return .uint(try reader.readVarint())
        case .sint32: return .int(Int64(ZigZag.decode(UInt32(truncatingIfNeeded: try reader.readVarint()))))
        case .sint64: return .int(ZigZag.decode(try reader.readVarint()))
        case .bool: return .bool(try reader.readVarint() != 0)
        case .enum: return .enumValue(Int32(truncatingIfNeeded: try reader.readVarint()))
        case .fixed32: return .uint(UInt64(try reader.readFixed32()))
        case .sfixed32: return .int(Int64(Int32(bitPattern: try reader.readFixed32())))
        case .float: return .float(Float(bitPattern: try reader.readFixed32()))
        case .fixed64: return .uint(try reader.readFixed64())
        case .sfixed64: return .int(Int64(bitPattern: try reader.readFixed64()))
        case .double: return .double(Double(bitPattern: try reader.readFixed64()))
        case .string: return .string(try reader.readString())
        case .bytes: return .bytes(Array(try reader.readLengthDelimited()))
        default: throw DynamicError(code: .invalidBinary, message: "field \(field.name) has an unsupported type")
        }
    }

    static func copyUnknown(_ tag: FieldTag, from reader: inout BinaryReader, into bytes: inout [UInt8]) throws {
        var writer = BinaryWriter()
        writer.writeTag(tag.fieldNumber, tag.wireType)
        switch tag.wireType {
        case .varint: writer.writeVarint(try reader.readVarint())
        case .fixed32: writer.writeFixed32(try reader.readFixed32())
        case .fixed64: writer.writeFixed64(try reader.readFixed64())
        case .lengthDelimited: writer.writeLengthDelimited(try reader.readLengthDelimited())
        default: throw DynamicError(code: .invalidBinary, message: "groups are not supported (field \(tag.fieldNumber))")
        }
        bytes += writer.bytes
    }

    static func defaultValue(_ field: DescriptorPool.Field, pool: DescriptorPool) -> DynamicValue {
        switch field.type {
        case .double: .double(0)
        case .float: .float(0)
        case .bool: .bool(false)
        case .string: .string("")
        case .bytes: .bytes([])
        case .enum: .enumValue(0)
        case .message: .message(DynamicMessage(typeName: field.typeName))
        case .uint32, .uint64, .fixed32, .fixed64: .uint(0)
        default: .int(0)
        }
    }

    /// The message in protobuf's binary format, fields in number order.
    public func serializedBytes(pool: DescriptorPool) throws(DynamicError) -> [UInt8] {
        let type = try pool.message(typeName)
        var writer = BinaryWriter()
        try encode(type: type, pool: pool, into: &writer)
        return writer.bytes
    }

    private func encode(type: DescriptorPool.MessageType, pool: DescriptorPool, into writer: inout BinaryWriter)
        throws(DynamicError)
    {
        for field in type.fields.sorted(by: { $0.number < $1.number }) {
            guard let value = values[field.number] else { continue }
            switch value {
            case .list(let items):
                if field.isPacked, !items.isEmpty {
                    var packed = BinaryWriter()
                    for item in items { try Self.writeScalar(item, field: field, into: &packed) }
                    writer.writeTag(field.number, .lengthDelimited)
                    writer.writeLengthDelimited(packed.bytes)
                } else {
                    for item in items { try writeField(item, field: field, pool: pool, into: &writer) }
                }
            case .map(let entries):
                let entryType = try pool.message(field.typeName)
                for entry in entries {
                    var message = DynamicMessage(typeName: entryType.fullName)
                    message.values = [1: entry.key, 2: entry.value]
                    var sub = BinaryWriter()
                    try message.encode(type: entryType, pool: pool, into: &sub)
                    writer.writeTag(field.number, .lengthDelimited)
                    writer.writeLengthDelimited(sub.bytes)
                }
            default:
                if !field.tracksPresence, Self.isDefault(value) { continue }
                try writeField(value, field: field, pool: pool, into: &writer)
            }
        }
        writer.append(contentsOf: unknownFields)
    }

    private func writeField(
        _ value: DynamicValue, field: DescriptorPool.Field, pool: DescriptorPool, into writer: inout BinaryWriter
    ) throws(DynamicError) {
        if case .message(let message) = value {
            var sub = BinaryWriter()
            try message.encode(type: try pool.message(field.typeName), pool: pool, into: &sub)
            writer.writeTag(field.number, .lengthDelimited)
            writer.writeLengthDelimited(sub.bytes)
            return
        }
        writer.writeTag(field.number, Self.wireType(of: field.type))
        try Self.writeScalar(value, field: field, into: &writer)
    }

    static func isDefault(_ value: DynamicValue) -> Bool {
        switch value {
        case .int(let v): v == 0
        case .uint(let v): v == 0
        case .double(let v): v == 0 && v.sign == .plus
        case .float(let v): v == 0 && v.sign == .plus
        case .bool(let v): !v
        case .string(let v): v.isEmpty
        case .bytes(let v): v.isEmpty
        case .enumValue(let v): v == 0
        case .message: false
        case .list(let v): v.isEmpty
        case .map(let v): v.isEmpty
        }
    }

    static func writeScalar(_ value: DynamicValue, field: DescriptorPool.Field, into writer: inout BinaryWriter)
        throws(DynamicError)
    {
        switch (field.type, value) {
        case (.int32, .int(let v)), (.int64, .int(let v)): writer.writeVarint(UInt64(bitPattern: v))
        case (.enum, .enumValue(let v)): writer.writeVarint(UInt64(bitPattern: Int64(v)))
        case (.uint32, .uint(let v)), (.uint64, .uint(let v)): writer.writeVarint(v)
        case (.sint32, .int(let v)): writer.writeVarint(UInt64(ZigZag.encode(Int32(truncatingIfNeeded: v))))
        case (.sint64, .int(let v)): writer.writeVarint(ZigZag.encode(v))
        case (.bool, .bool(let v)): writer.writeVarint(v ? 1 : 0)
        case (.fixed32, .uint(let v)): writer.writeFixed32(UInt32(truncatingIfNeeded: v))
        case (.sfixed32, .int(let v)): writer.writeFixed32(UInt32(bitPattern: Int32(truncatingIfNeeded: v)))
        case (.float, .float(let v)): writer.writeFixed32(v.bitPattern)
        case (.fixed64, .uint(let v)): writer.writeFixed64(v)
        case (.sfixed64, .int(let v)): writer.writeFixed64(UInt64(bitPattern: v))
        case (.double, .double(let v)): writer.writeFixed64(v.bitPattern)
        case (.string, .string(let v)): writer.writeString(v)
        case (.bytes, .bytes(let v)): writer.writeLengthDelimited(v)
        default:
            throw DynamicError(code: .invalidValue, message: "field \(field.name) holds a value of the wrong kind")
        }
    }
}
