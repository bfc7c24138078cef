import DHDescriptor
import DHWire
import Foundation
import Testing

@testable import DHProtoCompiler

/// The parser attaches comments to declarations as protoc's SourceCodeInfo does; protoc
/// (`--include_source_info`) is the oracle, on every valid corpus file.
@Suite("Comments attached to declarations")
struct CommentTests {
    struct Location {
        var path: [Int32] = []
        var comments = Comments()
    }

    /// SourceCodeInfo (descriptor.proto field 9): location = 1 { path = 1, leading = 3,
    /// trailing = 4, leading_detached = 6 }.
    static func locations(_ bytes: [UInt8]) throws -> [Location] {
        var reader = BinaryReader(bytes)
        var result: [Location] = []
        while let tag = try reader.readTag() {
            guard tag.fieldNumber == 1, tag.wireType == .lengthDelimited else {
                try reader.skip(tag.wireType)
                continue
            }
            var inner = BinaryReader(Array(try reader.readLengthDelimited()))
            var location = Location()
            while let field = try inner.readTag() {
                switch (field.fieldNumber, field.wireType) {
                case (1, .lengthDelimited):
                    var packed = BinaryReader(Array(try inner.readLengthDelimited()))
                    while !packed.isAtEnd { location.path.append(Int32(truncatingIfNeeded: try packed.readVarint())) }
                case (3, .lengthDelimited): location.comments.leading = try inner.readString()
                case (4, .lengthDelimited): location.comments.trailing = try inner.readString()
                case (6, .lengthDelimited): location.comments.detached.append(try inner.readString())
                default: try inner.skip(field.wireType)
                }
            }
            result.append(location)
        }
        return result
    }

    /// Every declaration of the AST that carries comments, by its SourceCodeInfo path.
    static func declarations(_ file: FileNode) -> [[Int32]: Comments] {
        var result: [[Int32]: Comments] = [:]
        func field(_ node: FieldNode, _ path: [Int32]) { result[path] = node.comments }
        func enumeration(_ node: EnumNode, _ path: [Int32]) {
            result[path] = node.comments
            for (i, value) in node.values.enumerated() { result[path + [2, Int32(i)]] = value.comments }
        }
        func message(_ node: MessageNode, _ path: [Int32]) {
            result[path] = node.comments
            for (i, f) in node.fields.enumerated() { field(f, path + [2, Int32(i)]) }
            for (i, nested) in node.nestedTypes.enumerated() { message(nested, path + [3, Int32(i)]) }
            for (i, e) in node.enums.enumerated() { enumeration(e, path + [4, Int32(i)]) }
            for (i, e) in node.extensions.enumerated() { field(e, path + [6, Int32(i)]) }
            for (i, oneof) in node.oneofs.enumerated() where !oneof.isSynthetic {
                result[path + [8, Int32(i)]] = oneof.comments
            }
        }
        for (i, m) in file.messages.enumerated() { message(m, [4, Int32(i)]) }
        for (i, e) in file.enums.enumerated() { enumeration(e, [5, Int32(i)]) }
        for (i, service) in file.services.enumerated() {
            result[[6, Int32(i)]] = service.comments
            for (j, method) in service.methods.enumerated() { result[[6, Int32(i), 2, Int32(j)]] = method.comments }
        }
        for (i, e) in file.extensions.enumerated() { field(e, [7, Int32(i)]) }
        return result
    }

    static func files() -> [String] {
        ProtocEquivalenceTests.protoFiles(under: ProtocEquivalenceTests.corpus.appendingPathComponent("valid"))
    }

    @Test("comments match protoc's source info", arguments: files())
    func matchesProtoc(_ name: String) async throws {
        let directory = ProtocEquivalenceTests.corpus.appendingPathComponent("valid")
        let output = ProtocEquivalenceTests.temporaryFile()
        defer { try? FileManager.default.removeItem(at: output) }
        let run = try await ProtocEquivalenceTests.runProtoc(
            ["-I.", "--include_source_info", "--descriptor_set_out=" + output.path, name], in: directory)
        try #require(run.status == 0, "\(run.stderr)")
        let set = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: output)))
        let info = try #require(set.file.first?.sourceCodeInfo)
        var expected: [[Int32]: Comments] = [:]
        for location in try Self.locations(info) where expected[location.path] == nil {
            expected[location.path] = location.comments
        }

        let source = Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        let (file, diagnostics) = Parser.parse(fileName: name, source: source)
        #expect(diagnostics.isEmpty)
        let declarations = Self.declarations(file)
        for (path, comments) in declarations {
            #expect(comments == (expected[path] ?? Comments()), "\(name) at path \(path)")
        }
        // The comparison covers every commented declaration protoc reports.
        let commented = declarations.filter { $0.value != Comments() }.count
        let protocCommented = declarations.keys.filter { (expected[$0] ?? Comments()) != Comments() }.count
        #expect(commented == protocCommented)
        if name == "comments.proto" {
            #expect(commented >= 15)
            let patient = try #require(file.messages.first)
            #expect(patient.comments.leading == "*\n A doc comment in Javadoc style:\n   indented line.\n")
            #expect(patient.comments.detached == [" Detached block comment. "])
        }
    }
}
