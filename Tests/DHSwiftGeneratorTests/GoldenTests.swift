import DHDescriptor
import DHSwiftGenerator
import Foundation
import Testing

/// The generator's output for the torture corpus and the well-known types must equal the
/// committed files byte for byte. After a reviewed change to the generator, re-record with
/// `make golden` (and `make generate` for the well-known types).
@Suite("Generated Swift equals the golden files")
struct GoldenTests {
    static let corpusFiles = ["torture.proto", "imported.proto"]
    static let wellKnownFiles = [
        "google/protobuf/any.proto", "google/protobuf/duration.proto", "google/protobuf/empty.proto",
        "google/protobuf/field_mask.proto", "google/protobuf/struct.proto", "google/protobuf/timestamp.proto",
        "google/protobuf/wrappers.proto",
    ]

    @Test("torture corpus")
    func tortureCorpus() throws {
        let set = try Protoc.descriptorSet(files: Self.corpusFiles, includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: Self.corpusFiles)
        #expect(generated.map(\.name) == ["torture.pb.swift", "imported.pb.swift"])
        for file in generated {
            let golden = try String(contentsOf: Repository.golden.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.content == golden, "\(file.name) differs from its golden file; run `make golden` if intended")
        }
    }

    @Test("the runtime's test messages are the generator's output for their schema")
    func runtimeTestMessages() throws {
        let set = try Protoc.descriptorSet(files: ["dhtest.proto"], includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: ["dhtest.proto"])
        let committed = try String(
            contentsOf: Repository.root.appendingPathComponent("Tests/DHWireTests/Messages/dhtest.pb.swift"),
            encoding: .utf8)
        #expect(generated[0].content == committed, "dhtest.pb.swift is stale; run `make golden`")
    }

    @Test("the RPC runtime's test service")
    func echoService() throws {
        let set = try Protoc.descriptorSet(files: ["echo.proto"], includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: ["echo.proto"])
        let committed = try String(
            contentsOf: Repository.root.appendingPathComponent("Tests/DHRPCCallTests/Generated/echo.pb.swift"),
            encoding: .utf8)
        #expect(generated[0].content == committed, "echo.pb.swift is stale; run `make golden`")
    }

    @Test("well-known types in DHWire")
    func wellKnownTypes() throws {
        let set = try Protoc.descriptorSet(files: Self.wellKnownFiles, includePath: nil)
        var options = GeneratorOptions()
        options.visibility = .public
        options.fileNaming = .dropPath
        let generated = try SwiftGenerator(options: options).generate(
            files: set.file, filesToGenerate: Self.wellKnownFiles)
        for file in generated {
            let committed = try String(
                contentsOf: Repository.wellKnownTypes.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.content == committed, "\(file.name) is stale; run `make generate`")
        }
    }
}
