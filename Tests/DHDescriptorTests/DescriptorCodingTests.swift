import DHDescriptor
import DHWire
import Testing

@Suite("Descriptor encoding and decoding")
struct DescriptorCodingTests {
    static func sampleFile() -> FileDescriptorProto {
        var field = FieldDescriptorProto()
        field.name = "user_id"
        field.number = 1
        field.label = .optional
        field.type = .int64
        field.jsonName = "userId"
        var options = FieldOptions()
        options.deprecated = true
        options.unknownFields = [0x80, 0xB5, 0x18, 0x03]  // field 50000, varint 3
        field.options = options

        var map = FieldDescriptorProto()
        map.name = "tags"
        map.number = 2
        map.label = .repeated
        map.type = .message
        map.typeName = ".pkg.Person.TagsEntry"
        map.jsonName = "tags"

        var entry = DescriptorProto()
        entry.name = "TagsEntry"
        var entryOptions = MessageOptions()
        entryOptions.mapEntry = true
        entry.options = entryOptions

        var message = DescriptorProto()
        message.name = "Person"
        message.field = [field, map]
        message.nestedType = [entry]
        message.oneofDecl = [OneofDescriptorProto(name: "_user_id")]
        message.reservedRange = [DescriptorProto.ReservedRange(start: 5, end: 6)]
        message.reservedName = ["old"]

        var value = EnumValueDescriptorProto()
        value.name = "UNKNOWN"
        value.number = 0
        var kind = EnumDescriptorProto()
        kind.name = "Kind"
        kind.value = [value]
        kind.reservedRange = [EnumDescriptorProto.EnumReservedRange(start: 2, end: 2)]

        var method = MethodDescriptorProto()
        method.name = "Watch"
        method.inputType = ".pkg.Person"
        method.outputType = ".pkg.Person"
        method.serverStreaming = true
        var service = ServiceDescriptorProto()
        service.name = "People"
        service.method = [method]

        var file = FileDescriptorProto()
        file.name = "pkg/person.proto"
        file.package = "pkg"
        file.dependency = ["google/protobuf/descriptor.proto"]
        file.publicDependency = [0]
        file.messageType = [message]
        file.enumType = [kind]
        file.service = [service]
        var fileOptions = FileOptions()
        fileOptions.javaPackage = "jp.datahealth"
        fileOptions.optimizeFor = .codeSize
        file.options = fileOptions
        file.syntax = "proto3"
        return file
    }

    @Test("a file descriptor round-trips through its wire form")
    func roundTrip() throws {
        let file = Self.sampleFile()
        let set = FileDescriptorSet(file: [file, file])
        let decoded = try FileDescriptorSet(serializedBytes: set.serializedBytes())
        #expect(decoded == set)
        #expect(decoded.serializedBytes() == set.serializedBytes())
    }

    @Test("fields are written in field-number order, as protoc writes them")
    func fieldOrder() {
        var field = FieldDescriptorProto()
        field.jsonName = "a"
        field.type = .int32
        field.name = "a"
        field.label = .optional
        field.number = 1
        field.proto3Optional = true
        #expect(
            field.serializedBytes() == [
                0x0A, 0x01, 0x61, 0x18, 0x01, 0x20, 0x01, 0x28, 0x05, 0x52, 0x01, 0x61, 0x88, 0x01, 0x01,
            ])
    }

    @Test("unknown fields, such as custom options, are kept byte for byte")
    func unknownFields() throws {
        // MessageOptions { deprecated: true, 50001: "x", 50002: 7 }
        let bytes: [UInt8] = [0x18, 0x01, 0x8A, 0xB5, 0x18, 0x01, 0x78, 0x90, 0xB5, 0x18, 0x07]
        let options = try MessageOptions(serializedBytes: bytes)
        #expect(options.deprecated == true)
        #expect(options.unknownFields == Array(bytes[2...]))
        #expect(options.serializedBytes() == bytes)
    }

    @Test("repeated int32 fields decode packed and unpacked")
    func packedAndUnpacked() throws {
        let unpacked = try FileDescriptorProto(serializedBytes: [0x50, 0x01, 0x50, 0x02])
        let packed = try FileDescriptorProto(serializedBytes: [0x52, 0x02, 0x01, 0x02])
        #expect(unpacked.publicDependency == [1, 2])
        #expect(packed.publicDependency == [1, 2])
    }

    @Test("malformed bytes are reported, never trapped on")
    func malformed() {
        #expect(throws: WireError.self) { try FileDescriptorProto(serializedBytes: [0x0A, 0x05, 0x61]) }
        #expect(throws: WireError.self) { try FileDescriptorProto(serializedBytes: [0x08]) }
        #expect(throws: WireError.self) { try FileDescriptorProto(serializedBytes: [0x0A, 0x01, 0xFF]) }
        // A string field sent as a varint.
        #expect(throws: WireError.self) { try FileDescriptorProto(serializedBytes: [0x08, 0x01]) }
    }

    @Test("a field type's keyword maps both ways")
    func fieldTypeKeywords() {
        #expect(FieldDescriptorProto.FieldType(keyword: "sfixed64") == .sfixed64)
        #expect(FieldDescriptorProto.FieldType(keyword: "message") == nil)
        #expect(FieldDescriptorProto.FieldType.bytes.description == "bytes")
    }
}
