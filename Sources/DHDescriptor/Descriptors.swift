public import DHWire

// Value types for the messages of google/protobuf/descriptor.proto that protoc fills in.
// Field names follow the .proto in lowerCamelCase; optional fields are Swift optionals so
// that presence round-trips exactly.

/// `google.protobuf.FileDescriptorSet`: what `--descriptor_set_out` writes.
public struct FileDescriptorSet: DescriptorMessage {
    public var file: [FileDescriptorProto] = []
    public var unknownFields: [UInt8] = []

    public init() {}
    public init(file: [FileDescriptorProto]) { self.file = file }

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, file)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: file.append(try reader.readMessage(tag, depth: depth))
        default: return false
        }
        return true
    }
}

/// `google.protobuf.FileDescriptorProto`: one .proto file.
public struct FileDescriptorProto: DescriptorMessage {
    public var name: String?
    public var package: String?
    public var dependency: [String] = []
    public var publicDependency: [Int32] = []
    public var weakDependency: [Int32] = []
    public var messageType: [DescriptorProto] = []
    public var enumType: [EnumDescriptorProto] = []
    public var service: [ServiceDescriptorProto] = []
    public var `extension`: [FieldDescriptorProto] = []
    public var options: FileOptions?
    /// `source_code_info` (field 9), kept as its encoded bytes.
    public var sourceCodeInfo: [UInt8]?
    public var syntax: String?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, package)
        writer.write(3, dependency)
        writer.write(4, messageType)
        writer.write(5, enumType)
        writer.write(6, service)
        writer.write(7, `extension`)
        writer.write(8, options)
        if let sourceCodeInfo {
            writer.writeTag(9, .lengthDelimited)
            writer.writeLengthDelimited(sourceCodeInfo)
        }
        writer.write(10, publicDependency)
        writer.write(11, weakDependency)
        writer.write(12, syntax)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: package = try reader.readString(tag)
        case 3: dependency.append(try reader.readString(tag))
        case 4: messageType.append(try reader.readMessage(tag, depth: depth))
        case 5: enumType.append(try reader.readMessage(tag, depth: depth))
        case 6: service.append(try reader.readMessage(tag, depth: depth))
        case 7: `extension`.append(try reader.readMessage(tag, depth: depth))
        case 8: try reader.mergeMessage(tag, into: &options, depth: depth)
        case 9:
            try reader.expect(tag, .lengthDelimited)
            sourceCodeInfo = Array(try reader.readLengthDelimited())
        case 10: try reader.readInt32s(tag, into: &publicDependency)
        case 11: try reader.readInt32s(tag, into: &weakDependency)
        case 12: syntax = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.DescriptorProto`: a message type.
public struct DescriptorProto: DescriptorMessage {
    /// `DescriptorProto.ExtensionRange`: `extensions START to END;` with END exclusive.
    public struct ExtensionRange: DescriptorMessage {
        public var start: Int32?
        public var end: Int32?
        public var options: ExtensionRangeOptions?
        public var unknownFields: [UInt8] = []

        public init() {}
        public init(start: Int32, end: Int32) {
            self.start = start
            self.end = end
        }

        public func encode(to writer: inout BinaryWriter) {
            writer.write(1, start)
            writer.write(2, end)
            writer.write(3, options)
            writer.append(contentsOf: unknownFields)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
            switch tag.fieldNumber {
            case 1: start = try reader.readInt32(tag)
            case 2: end = try reader.readInt32(tag)
            case 3: try reader.mergeMessage(tag, into: &options, depth: depth)
            default: return false
            }
            return true
        }
    }

    /// `DescriptorProto.ReservedRange`: a reserved field-number range, END exclusive.
    public struct ReservedRange: DescriptorMessage {
        public var start: Int32?
        public var end: Int32?
        public var unknownFields: [UInt8] = []

        public init() {}
        public init(start: Int32, end: Int32) {
            self.start = start
            self.end = end
        }

        public func encode(to writer: inout BinaryWriter) {
            writer.write(1, start)
            writer.write(2, end)
            writer.append(contentsOf: unknownFields)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
            switch tag.fieldNumber {
            case 1: start = try reader.readInt32(tag)
            case 2: end = try reader.readInt32(tag)
            default: return false
            }
            return true
        }
    }

    public var name: String?
    public var field: [FieldDescriptorProto] = []
    public var `extension`: [FieldDescriptorProto] = []
    public var nestedType: [DescriptorProto] = []
    public var enumType: [EnumDescriptorProto] = []
    public var extensionRange: [ExtensionRange] = []
    public var oneofDecl: [OneofDescriptorProto] = []
    public var options: MessageOptions?
    public var reservedRange: [ReservedRange] = []
    public var reservedName: [String] = []
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, field)
        writer.write(3, nestedType)
        writer.write(4, enumType)
        writer.write(5, extensionRange)
        writer.write(6, `extension`)
        writer.write(7, options)
        writer.write(8, oneofDecl)
        writer.write(9, reservedRange)
        writer.write(10, reservedName)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: field.append(try reader.readMessage(tag, depth: depth))
        case 3: nestedType.append(try reader.readMessage(tag, depth: depth))
        case 4: enumType.append(try reader.readMessage(tag, depth: depth))
        case 5: extensionRange.append(try reader.readMessage(tag, depth: depth))
        case 6: `extension`.append(try reader.readMessage(tag, depth: depth))
        case 7: try reader.mergeMessage(tag, into: &options, depth: depth)
        case 8: oneofDecl.append(try reader.readMessage(tag, depth: depth))
        case 9: reservedRange.append(try reader.readMessage(tag, depth: depth))
        case 10: reservedName.append(try reader.readString(tag))
        default: return false
        }
        return true
    }
}

/// `google.protobuf.FieldDescriptorProto`: a field or an extension.
public struct FieldDescriptorProto: DescriptorMessage {
    /// `FieldDescriptorProto.Type`.
    public struct FieldType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let double = FieldType(rawValue: 1)
        public static let float = FieldType(rawValue: 2)
        public static let int64 = FieldType(rawValue: 3)
        public static let uint64 = FieldType(rawValue: 4)
        public static let int32 = FieldType(rawValue: 5)
        public static let fixed64 = FieldType(rawValue: 6)
        public static let fixed32 = FieldType(rawValue: 7)
        public static let bool = FieldType(rawValue: 8)
        public static let string = FieldType(rawValue: 9)
        public static let group = FieldType(rawValue: 10)
        public static let message = FieldType(rawValue: 11)
        public static let bytes = FieldType(rawValue: 12)
        public static let uint32 = FieldType(rawValue: 13)
        public static let `enum` = FieldType(rawValue: 14)
        public static let sfixed32 = FieldType(rawValue: 15)
        public static let sfixed64 = FieldType(rawValue: 16)
        public static let sint32 = FieldType(rawValue: 17)
        public static let sint64 = FieldType(rawValue: 18)

        static let names = [
            "", "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string",
            "group", "message", "bytes", "uint32", "enum", "sfixed32", "sfixed64", "sint32", "sint64",
        ]

        /// The scalar type a .proto file names with this keyword, if any.
        public init?(keyword: String) {
            guard let index = Self.names.firstIndex(of: keyword), index > 0,
                keyword != "group", keyword != "message", keyword != "enum"
            else { return nil }
            self.init(rawValue: Int32(index))
        }

        /// The type's keyword in .proto source (`int32`, `message`, ...).
        public var description: String {
            rawValue > 0 && Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "type\(rawValue)"
        }
    }

    /// `FieldDescriptorProto.Label`.
    public struct Label: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let optional = Label(rawValue: 1)
        public static let required = Label(rawValue: 2)
        public static let repeated = Label(rawValue: 3)
    }

    public var name: String?
    public var number: Int32?
    public var label: Label?
    public var type: FieldType?
    /// Fully qualified with a leading dot once linked (`.pkg.Message`).
    public var typeName: String?
    public var extendee: String?
    public var defaultValue: String?
    public var oneofIndex: Int32?
    public var jsonName: String?
    public var options: FieldOptions?
    public var proto3Optional: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, extendee)
        writer.write(3, number)
        writer.write(4, label)
        writer.write(5, type)
        writer.write(6, typeName)
        writer.write(7, defaultValue)
        writer.write(8, options)
        writer.write(9, oneofIndex)
        writer.write(10, jsonName)
        writer.write(17, proto3Optional)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: extendee = try reader.readString(tag)
        case 3: number = try reader.readInt32(tag)
        case 4: label = Label(rawValue: try reader.readInt32(tag))
        case 5: type = FieldType(rawValue: try reader.readInt32(tag))
        case 6: typeName = try reader.readString(tag)
        case 7: defaultValue = try reader.readString(tag)
        case 8: try reader.mergeMessage(tag, into: &options, depth: depth)
        case 9: oneofIndex = try reader.readInt32(tag)
        case 10: jsonName = try reader.readString(tag)
        case 17: proto3Optional = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.OneofDescriptorProto`.
public struct OneofDescriptorProto: DescriptorMessage {
    public var name: String?
    public var options: OneofOptions?
    public var unknownFields: [UInt8] = []

    public init() {}
    public init(name: String) { self.name = name }

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, options)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: try reader.mergeMessage(tag, into: &options, depth: depth)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.EnumDescriptorProto`.
public struct EnumDescriptorProto: DescriptorMessage {
    /// `EnumDescriptorProto.EnumReservedRange`: END is inclusive here, unlike messages.
    public struct EnumReservedRange: DescriptorMessage {
        public var start: Int32?
        public var end: Int32?
        public var unknownFields: [UInt8] = []

        public init() {}
        public init(start: Int32, end: Int32) {
            self.start = start
            self.end = end
        }

        public func encode(to writer: inout BinaryWriter) {
            writer.write(1, start)
            writer.write(2, end)
            writer.append(contentsOf: unknownFields)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
            switch tag.fieldNumber {
            case 1: start = try reader.readInt32(tag)
            case 2: end = try reader.readInt32(tag)
            default: return false
            }
            return true
        }
    }

    public var name: String?
    public var value: [EnumValueDescriptorProto] = []
    public var options: EnumOptions?
    public var reservedRange: [EnumReservedRange] = []
    public var reservedName: [String] = []
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, value)
        writer.write(3, options)
        writer.write(4, reservedRange)
        writer.write(5, reservedName)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: value.append(try reader.readMessage(tag, depth: depth))
        case 3: try reader.mergeMessage(tag, into: &options, depth: depth)
        case 4: reservedRange.append(try reader.readMessage(tag, depth: depth))
        case 5: reservedName.append(try reader.readString(tag))
        default: return false
        }
        return true
    }
}

/// `google.protobuf.EnumValueDescriptorProto`.
public struct EnumValueDescriptorProto: DescriptorMessage {
    public var name: String?
    public var number: Int32?
    public var options: EnumValueOptions?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, number)
        writer.write(3, options)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: number = try reader.readInt32(tag)
        case 3: try reader.mergeMessage(tag, into: &options, depth: depth)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.ServiceDescriptorProto`.
public struct ServiceDescriptorProto: DescriptorMessage {
    public var name: String?
    public var method: [MethodDescriptorProto] = []
    public var options: ServiceOptions?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, method)
        writer.write(3, options)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: method.append(try reader.readMessage(tag, depth: depth))
        case 3: try reader.mergeMessage(tag, into: &options, depth: depth)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.MethodDescriptorProto`.
public struct MethodDescriptorProto: DescriptorMessage {
    public var name: String?
    public var inputType: String?
    public var outputType: String?
    public var options: MethodOptions?
    public var clientStreaming: Bool?
    public var serverStreaming: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, name)
        writer.write(2, inputType)
        writer.write(3, outputType)
        writer.write(4, options)
        writer.write(5, clientStreaming)
        writer.write(6, serverStreaming)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: name = try reader.readString(tag)
        case 2: inputType = try reader.readString(tag)
        case 3: outputType = try reader.readString(tag)
        case 4: try reader.mergeMessage(tag, into: &options, depth: depth)
        case 5: clientStreaming = try reader.readBool(tag)
        case 6: serverStreaming = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}
