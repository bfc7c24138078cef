public import DHDescriptor
public import DHWire

/// protoc's plugin protocol (google/protobuf/compiler/plugin.proto): a CodeGeneratorRequest
/// arrives on standard input, a CodeGeneratorResponse leaves on standard output.
public struct CodeGeneratorRequest: Sendable, Hashable {
    public var fileToGenerate: [String] = []
    public var parameter: String = ""
    /// Every file to generate and everything they import, in dependency order.
    public var protoFile: [FileDescriptorProto] = []

    public init() {}

    public init(serializedBytes bytes: [UInt8]) throws(WireError) {
        var reader = BinaryReader(bytes)
        while let tag = try reader.readTag() {
            switch (tag.fieldNumber, tag.wireType) {
            case (1, .lengthDelimited): fileToGenerate.append(try reader.readString())
            case (2, .lengthDelimited): parameter = try reader.readString()
            case (15, .lengthDelimited):
                protoFile.append(try FileDescriptorProto(serializedBytes: Array(try reader.readLengthDelimited())))
            default: try reader.skip(tag.wireType)
            }
        }
    }
}

public struct CodeGeneratorResponse: Sendable, Hashable {
    /// Set when generation failed because of a problem in the .proto files.
    public var error: String?
    /// FEATURE_PROTO3_OPTIONAL.
    public var supportedFeatures: UInt64 = 1
    public var files: [GeneratedFile] = []

    public init() {}

    public func serializedBytes() -> [UInt8] {
        var writer = BinaryWriter()
        if let error {
            writer.writeTag(1, .lengthDelimited)
            writer.writeString(error)
        }
        writer.writeTag(2, .varint)
        writer.writeVarint(supportedFeatures)
        for file in files {
            var entry = BinaryWriter()
            entry.writeTag(1, .lengthDelimited)
            entry.writeString(file.name)
            entry.writeTag(15, .lengthDelimited)
            entry.writeString(file.content)
            writer.writeTag(15, .lengthDelimited)
            writer.writeLengthDelimited(entry.bytes)
        }
        return writer.bytes
    }
}

extension SwiftGenerator {
    /// Answers a plugin request: generated files, or the error protoc should print.
    public static func respond(to request: CodeGeneratorRequest) -> CodeGeneratorResponse {
        var response = CodeGeneratorResponse()
        do {
            let options = try GeneratorOptions(parameter: request.parameter)
            response.files = try SwiftGenerator(options: options).generate(
                files: request.protoFile, filesToGenerate: request.fileToGenerate)
        } catch {
            response.error = error.message
        }
        return response
    }
}
