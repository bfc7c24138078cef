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

    @Test("torture corpus")
    func tortureCorpus() async throws {
        let set = try await Protoc.descriptorSet(files: Self.corpusFiles, includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: Self.corpusFiles)
        #expect(generated.map(\.name) == ["torture.pb.swift", "imported.pb.swift"])
        for file in generated {
            let golden = try String(contentsOf: Repository.golden.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.content == golden, "\(file.name) differs from its golden file; run `make golden` if intended")
        }
    }

    @Test("the runtime's test messages are the generator's output for their schemas")
    func runtimeTestMessages() async throws {
        let files = ["dhtest.proto", "dhtest_wkt.proto"]
        let set = try await Protoc.descriptorSet(files: files, includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: files)
        for file in generated {
            let committed = try String(
                contentsOf: Repository.root.appendingPathComponent("Tests/DHWireTests/Messages/\(file.name)"),
                encoding: .utf8)
            #expect(file.content == committed, "\(file.name) is stale; run `make golden`")
        }
    }

    @Test("the RPC runtime's test service")
    func echoService() async throws {
        let set = try await Protoc.descriptorSet(files: ["echo.proto"], includePath: Repository.corpus)
        let generated = try SwiftGenerator().generate(files: set.file, filesToGenerate: ["echo.proto"])
        let committed = try String(
            contentsOf: Repository.root.appendingPathComponent("Tests/DHRPCCallTests/Generated/echo.pb.swift"),
            encoding: .utf8)
        #expect(generated[0].content == committed, "echo.pb.swift is stale; run `make golden`")
    }

}
