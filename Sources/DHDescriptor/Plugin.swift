public import DHWire

// The messages of google/protobuf/compiler/plugin.proto: what protoc sends a plugin on
// standard input and what the plugin answers on standard output.

/// `google.protobuf.compiler.Version`.
public struct CompilerVersionMessage: DescriptorMessage {
    public var major: Int32?
    public var minor: Int32?
    public var patch: Int32?
    public var suffix: String?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, major)
        writer.write(2, minor)
        writer.write(3, patch)
        writer.write(4, suffix)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: major = try reader.readInt32(tag)
        case 2: minor = try reader.readInt32(tag)
        case 3: patch = try reader.readInt32(tag)
        case 4: suffix = try reader.readString(tag)
        default: return false
        }
        return true
    }
}

/// `google.protobuf.compiler.CodeGeneratorRequest`.
public struct CodeGeneratorRequest: DescriptorMessage {
    /// The files named on protoc's command line, to generate code for.
    public var fileToGenerate: [String] = []
    public var parameter: String?
    /// Every file to generate and everything they import, dependencies first.
    public var protoFile: [FileDescriptorProto] = []
    public var compilerVersion: CompilerVersionMessage?
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, fileToGenerate)
        writer.write(2, parameter)
        writer.write(3, compilerVersion)
        writer.write(15, protoFile)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: fileToGenerate.append(try reader.readString(tag))
        case 2: parameter = try reader.readString(tag)
        case 3: try reader.mergeMessage(tag, into: &compilerVersion, depth: depth)
        case 15: protoFile.append(try reader.readMessage(tag, depth: depth))
        default: return false
        }
        return true
    }
}

/// `google.protobuf.compiler.CodeGeneratorResponse`.
public struct CodeGeneratorResponse: DescriptorMessage {
    /// `CodeGeneratorResponse.Feature` bits for `supportedFeatures`.
    public static let featureProto3Optional: UInt64 = 1

    /// `CodeGeneratorResponse.File`: one generated file.
    public struct File: DescriptorMessage {
        public var name: String?
        public var insertionPoint: String?
        public var content: String?
        public var unknownFields: [UInt8] = []

        public init() {}
        public init(name: String, content: String) {
            self.name = name
            self.content = content
        }

        public func encode(to writer: inout BinaryWriter) {
            writer.write(1, name)
            writer.write(2, insertionPoint)
            writer.write(15, content)
            writer.append(contentsOf: unknownFields)
        }

        public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
            switch tag.fieldNumber {
            case 1: name = try reader.readString(tag)
            case 2: insertionPoint = try reader.readString(tag)
            case 15: content = try reader.readString(tag)
            default: return false
            }
            return true
        }
    }

    /// Set when the request cannot be served (a problem with the .proto files, not a crash).
    public var error: String?
    public var supportedFeatures: UInt64?
    public var file: [File] = []
    public var unknownFields: [UInt8] = []

    public init() {}

    public func encode(to writer: inout BinaryWriter) {
        writer.write(1, error)
        if let supportedFeatures {
            writer.writeTag(2, .varint)
            writer.writeVarint(supportedFeatures)
        }
        writer.write(15, file)
        writer.append(contentsOf: unknownFields)
    }

    public mutating func decodeField(_ tag: FieldTag, from reader: inout BinaryReader, depth: Int) throws(WireError) -> Bool {
        switch tag.fieldNumber {
        case 1: error = try reader.readString(tag)
        case 2:
            try reader.expect(tag, .varint)
            supportedFeatures = try reader.readVarint()
        case 15: file.append(try reader.readMessage(tag, depth: depth))
        default: return false
        }
        return true
    }
}
