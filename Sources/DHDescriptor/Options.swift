public import DHWire

// The *Options messages of descriptor.proto. Known fields are typed; extensions (custom
// options) and any other field stay in `unknownFields` as wire bytes, in the order they
// were set, so they round-trip byte for byte.

/// `google.protobuf.FileOptions`.
public struct FileOptions: DescriptorMessage {
    /// `FileOptions.OptimizeMode`.
    public struct OptimizeMode: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let speed = OptimizeMode(rawValue: 1)
        public static let codeSize = OptimizeMode(rawValue: 2)
        public static let liteRuntime = OptimizeMode(rawValue: 3)
    }

    public var javaPackage: String?
    public var javaOuterClassname: String?
    public var optimizeFor: OptimizeMode?
    public var javaMultipleFiles: Bool?
    public var goPackage: String?
    public var ccGenericServices: Bool?
    public var javaGenericServices: Bool?
    public var pyGenericServices: Bool?
    public var javaGenerateEqualsAndHash: Bool?
    public var deprecated: Bool?
    public var javaStringCheckUtf8: Bool?
    public var ccEnableArenas: Bool?
    public var objcClassPrefix: String?
    public var csharpNamespace: String?
    public var swiftPrefix: String?
    public var phpClassPrefix: String?
    public var phpNamespace: String?
    public var phpGenericServices: Bool?
    public var phpMetadataNamespace: String?
    public var rubyPackage: String?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, javaPackage)
        writer.write(8, javaOuterClassname)
        writer.write(9, optimizeFor)
        writer.write(10, javaMultipleFiles)
        writer.write(11, goPackage)
        writer.write(16, ccGenericServices)
        writer.write(17, javaGenericServices)
        writer.write(18, pyGenericServices)
        writer.write(20, javaGenerateEqualsAndHash)
        writer.write(23, deprecated)
        writer.write(27, javaStringCheckUtf8)
        writer.write(31, ccEnableArenas)
        writer.write(36, objcClassPrefix)
        writer.write(37, csharpNamespace)
        writer.write(39, swiftPrefix)
        writer.write(40, phpClassPrefix)
        writer.write(41, phpNamespace)
        writer.write(42, phpGenericServices)
        writer.write(44, phpMetadataNamespace)
        writer.write(45, rubyPackage)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: javaPackage = try reader.readString(tag)
        case 8: javaOuterClassname = try reader.readString(tag)
        case 9: optimizeFor = OptimizeMode(rawValue: try reader.readInt32(tag))
        case 10: javaMultipleFiles = try reader.readBool(tag)
        case 11: goPackage = try reader.readString(tag)
        case 16: ccGenericServices = try reader.readBool(tag)
        case 17: javaGenericServices = try reader.readBool(tag)
        case 18: pyGenericServices = try reader.readBool(tag)
        case 20: javaGenerateEqualsAndHash = try reader.readBool(tag)
        case 23: deprecated = try reader.readBool(tag)
        case 27: javaStringCheckUtf8 = try reader.readBool(tag)
        case 31: ccEnableArenas = try reader.readBool(tag)
        case 36: objcClassPrefix = try reader.readString(tag)
        case 37: csharpNamespace = try reader.readString(tag)
        case 39: swiftPrefix = try reader.readString(tag)
        case 40: phpClassPrefix = try reader.readString(tag)
        case 41: phpNamespace = try reader.readString(tag)
        case 42: phpGenericServices = try reader.readBool(tag)
        case 44: phpMetadataNamespace = try reader.readString(tag)
        case 45: rubyPackage = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.MessageOptions`.
public struct MessageOptions: DescriptorMessage {
    public var messageSetWireFormat: Bool?
    public var noStandardDescriptorAccessor: Bool?
    public var deprecated: Bool?
    public var mapEntry: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, messageSetWireFormat)
        writer.write(2, noStandardDescriptorAccessor)
        writer.write(3, deprecated)
        writer.write(7, mapEntry)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: messageSetWireFormat = try reader.readBool(tag)
        case 2: noStandardDescriptorAccessor = try reader.readBool(tag)
        case 3: deprecated = try reader.readBool(tag)
        case 7: mapEntry = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.FieldOptions`.
public struct FieldOptions: DescriptorMessage {
    /// `FieldOptions.CType`.
    public struct CType: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let string = CType(rawValue: 0)
        public static let cord = CType(rawValue: 1)
        public static let stringPiece = CType(rawValue: 2)
    }

    /// `FieldOptions.JSType`.
    public struct JSType: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let jsNormal = JSType(rawValue: 0)
        public static let jsString = JSType(rawValue: 1)
        public static let jsNumber = JSType(rawValue: 2)
    }

    public var ctype: CType?
    public var packed: Bool?
    public var deprecated: Bool?
    public var lazy: Bool?
    public var jstype: JSType?
    public var weak: Bool?
    public var unverifiedLazy: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, ctype)
        writer.write(2, packed)
        writer.write(3, deprecated)
        writer.write(5, lazy)
        writer.write(6, jstype)
        writer.write(10, weak)
        writer.write(15, unverifiedLazy)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: ctype = CType(rawValue: try reader.readInt32(tag))
        case 2: packed = try reader.readBool(tag)
        case 3: deprecated = try reader.readBool(tag)
        case 5: lazy = try reader.readBool(tag)
        case 6: jstype = JSType(rawValue: try reader.readInt32(tag))
        case 10: weak = try reader.readBool(tag)
        case 15: unverifiedLazy = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.OneofOptions`: no fields of its own; custom options only.
public struct OneofOptions: DescriptorMessage {
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        false
    }
}

/// `google.protobuf.ExtensionRangeOptions`: no fields of its own; custom options only.
public struct ExtensionRangeOptions: DescriptorMessage {
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        false
    }
}

/// `google.protobuf.EnumOptions`.
public struct EnumOptions: DescriptorMessage {
    public var allowAlias: Bool?
    public var deprecated: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(2, allowAlias)
        writer.write(3, deprecated)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 2: allowAlias = try reader.readBool(tag)
        case 3: deprecated = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.EnumValueOptions`.
public struct EnumValueOptions: DescriptorMessage {
    public var deprecated: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, deprecated)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: deprecated = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.ServiceOptions`.
public struct ServiceOptions: DescriptorMessage {
    public var deprecated: Bool?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(33, deprecated)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 33: deprecated = try reader.readBool(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.MethodOptions`.
public struct MethodOptions: DescriptorMessage {
    /// `MethodOptions.IdempotencyLevel`.
    public struct IdempotencyLevel: RawRepresentable, Sendable, Hashable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        public static let idempotencyUnknown = IdempotencyLevel(rawValue: 0)
        public static let noSideEffects = IdempotencyLevel(rawValue: 1)
        public static let idempotent = IdempotencyLevel(rawValue: 2)
    }

    public var deprecated: Bool?
    public var idempotencyLevel: IdempotencyLevel?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(33, deprecated)
        writer.write(34, idempotencyLevel)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 33: deprecated = try reader.readBool(tag)
        case 34: idempotencyLevel = IdempotencyLevel(rawValue: try reader.readInt32(tag))
        default: return false
        }
        return true
    }
}
