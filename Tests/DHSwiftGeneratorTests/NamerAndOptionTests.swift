import DHDescriptor
import DHSwiftGenerator
import DHWire
import Testing

@Suite("Names, options and the plugin protocol")
struct NamerAndOptionTests {
    /// Generates one message from a hand-built descriptor and returns the Swift.
    func generate(_ file: FileDescriptorProto, options: GeneratorOptions = GeneratorOptions()) throws -> String {
        try SwiftGenerator(options: options).generate(files: [file], filesToGenerate: [file.name!])[0].content
    }

    func file(fields: [(String, Int32, FieldDescriptorProto.FieldType)]) -> FileDescriptorProto {
        var file = FileDescriptorProto()
        file.name = "names.proto"
        file.package = "dh.names"
        file.syntax = "proto3"
        var message = DescriptorProto()
        message.name = "Names"
        for (name, number, type) in fields {
            var field = FieldDescriptorProto()
            field.name = name
            field.number = number
            field.type = type
            field.label = .optional
            message.field.append(field)
        }
        file.messageType = [message]
        return file
    }

    @Test("field names become lowerCamel members; clashes get an underscore or backticks")
    func memberNames() throws {
        let source = try generate(
            file(fields: [
                ("insured_number", 1, .string), ("class", 2, .string), ("hash_value", 3, .int64),
                ("unknown_fields", 4, .bytes), ("branch2_digits", 5, .string),
            ]))
        #expect(source.contains("var insuredNumber: String = \"\""))
        #expect(source.contains("var `class`: String = \"\""))
        #expect(source.contains("var hashValue_: Int64 = 0"))
        #expect(source.contains("var unknownFields_: [UInt8] = []"))
        #expect(source.contains("var branch2Digits: String = \"\""))
        #expect(source.contains("struct Dh_Names_Names: DHWire.Message"))
    }

    @Test("visibility option reaches every declaration")
    func visibility() throws {
        var options = GeneratorOptions()
        options.visibility = .public
        let source = try generate(file(fields: [("code", 1, .string)]), options: options)
        #expect(source.contains("public struct Dh_Names_Names"))
        #expect(source.contains("public var code: String"))
        #expect(source.contains("public init() {}"))
        #expect(source.contains("public func serializedSize() -> Int"))
        #expect(source.contains("public mutating func decodeMessage"))
    }

    @Test("options parse from protoc's parameter string and reject unknown ones")
    func options() throws {
        let options = try GeneratorOptions(parameter: "Visibility=Public, FileNaming=PathToUnderscores")
        #expect(options.visibility == .public)
        #expect(options.fileNaming == .pathToUnderscores)
        #expect(throws: GeneratorError.self) { try GeneratorOptions(parameter: "Visibility=Open") }
        #expect(throws: GeneratorError.self) { try GeneratorOptions(parameter: "Colour=Blue") }
        #expect(throws: GeneratorError.self) { try GeneratorOptions(parameter: "Visibility") }
    }

    @Test("file naming options", arguments: [
        (GeneratorOptions.FileNaming.fullPath, "datahealth/v1/care_record.pb.swift"),
        (.pathToUnderscores, "datahealth_v1_care_record.pb.swift"),
        (.dropPath, "care_record.pb.swift"),
    ])
    func fileNaming(naming: GeneratorOptions.FileNaming, expected: String) throws {
        var file = file(fields: [])
        file.name = "datahealth/v1/care_record.proto"
        var options = GeneratorOptions()
        options.fileNaming = naming
        let generated = try SwiftGenerator(options: options).generate(files: [file], filesToGenerate: [file.name!])
        #expect(generated[0].name == expected)
    }

    @Test("a field of an undefined type is an error, not a guess")
    func unknownType() {
        var broken = file(fields: [])
        var field = FieldDescriptorProto()
        field.name = "missing"
        field.number = 1
        field.type = .message
        field.label = .optional
        field.typeName = ".dh.names.Missing"
        broken.messageType[0].field = [field]
        #expect(throws: GeneratorError.self) { try generate(broken) }
    }

    @Test("a group is refused")
    func group() {
        var broken = file(fields: [("legacy", 1, .group)])
        broken.syntax = "proto2"
        #expect(throws: GeneratorError.self) { try generate(broken) }
    }

    @Test("plugin request in, files out; bad options are refused")
    func pluginProtocol() throws {
        var request = CodeGeneratorRequest()
        request.fileToGenerate = ["names.proto"]
        request.parameter = "Visibility=Public"
        request.protoFile = [file(fields: [("code", 1, .string)])]
        let decoded = try CodeGeneratorRequest(serializedBytes: request.serializedBytes())
        let files = try SwiftGenerator.files(for: decoded)
        #expect(files.count == 1)
        #expect(files[0].name == "names.pb.swift")
        #expect(files[0].content?.contains("public struct Dh_Names_Names") == true)

        var bad = request
        bad.parameter = "Visibility=Nope"
        #expect(throws: GeneratorError.self) { try SwiftGenerator.files(for: bad) }
    }

}
