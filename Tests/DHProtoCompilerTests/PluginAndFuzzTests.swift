import DHDescriptor
import DHProtoCompiler
import Foundation
import Testing

@Suite("protoc plugin mode")
struct PluginTests {
    func request(for sources: [String: String], generate: [String]) throws -> CodeGeneratorRequest {
        let set = try SourceSet(sources)
        defer { set.remove() }
        var configuration = Compiler.Configuration()
        configuration.importPaths = [set.directory.path]
        var compiler = Compiler(configuration: configuration)
        let names = try compiler.compile(inputs: generate).get()
        var request = CodeGeneratorRequest()
        request.fileToGenerate = names
        request.parameter = "Visibility=Public"
        request.protoFile = compiler.descriptorSet(for: names, includeImports: true).file
        var version = CompilerVersionMessage()
        version.major = 3
        version.minor = 21
        version.patch = 12
        request.compilerVersion = version
        return request
    }

    @Test("a request is decoded, loaded into a pool and answered with the generator's files")
    func roundTrip() throws {
        let request = try request(
            for: [
                "dep.proto": "syntax = \"proto3\"; package dep; message D {}",
                "top.proto": "syntax = \"proto3\"; import \"dep.proto\"; message T { dep.D d = 1; optional int32 n = 2; }",
            ], generate: ["top.proto"])
        #expect(try CodeGeneratorRequest(serializedBytes: request.serializedBytes()) == request)
        let responseBytes = PluginRunner.run(requestBytes: request.serializedBytes()) { input in
            input.filesToGenerate.map { file in
                CodeGeneratorResponse.File(
                    name: (file.name ?? "") + ".txt",
                    content: file.messageType.map { $0.name ?? "" }.joined(separator: ",")
                        + (input.pool.messages["dep.D"] == nil ? "" : "+dep.D"))
            }
        }
        let response = try CodeGeneratorResponse(serializedBytes: responseBytes)
        #expect(response.error == nil)
        #expect(response.supportedFeatures == CodeGeneratorResponse.featureProto3Optional)
        #expect(response.file.map(\.name) == ["top.proto.txt"])
        #expect(response.file.first?.content == "T+dep.D")
    }

    @Test("a generator's error and a broken request become the response's error")
    func errors() throws {
        let failing = PluginRunner.run(requestBytes: CodeGeneratorRequest().serializedBytes()) { _ throws(PluginRunner.GeneratorError) in
            throw PluginRunner.GeneratorError("nothing to do")
        }
        #expect(try CodeGeneratorResponse(serializedBytes: failing).error == "nothing to do")

        let garbage = PluginRunner.run(requestBytes: [0x0A, 0x09]) { _ in [] }
        #expect(try CodeGeneratorResponse(serializedBytes: garbage).error?.hasPrefix("the CodeGeneratorRequest") == true)

        var missing = CodeGeneratorRequest()
        missing.fileToGenerate = ["absent.proto"]
        let answer = PluginRunner.run(requestBytes: missing.serializedBytes()) { _ in [] }
        #expect(try CodeGeneratorResponse(serializedBytes: answer).error == "absent.proto: the request does not carry this file")
    }
}

@Suite("Fuzzing corpus")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus/compiler")

    static func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).sorted()
    }

    @Test("every kept input, past failures included, runs through the harness without trapping", arguments: files())
    func replay(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        FuzzHarness.run(bytes)
        // Each kept input is malformed in some way and must be reported, not accepted silently.
        let (file, diagnostics) = Parser.parse(fileName: name, source: bytes)
        if diagnostics.isEmpty {
            var pool = DescriptorPool()
            guard case .failure(let error) = Linker.link(file, pool: &pool) else {
                Issue.record("\(name) was accepted")
                return
            }
            #expect(!error.diagnostics.isEmpty)
        }
    }
}

@Suite("the compiled-in descriptor.proto")
struct BuiltinDescriptorTests {
    @Test("equals the system's google/protobuf/descriptor.proto (else: scripts/record-builtin-descriptor.sh)")
    func matchesSystemFile() throws {
        var compiler = Compiler(configuration: Compiler.Configuration())
        let names = try compiler.compile(inputs: ["google/protobuf/descriptor.proto"]).get()
        let compiled = compiler.descriptorSet(for: names, includeImports: false).file
        let builtin = try #require(Compiler.builtinDescriptorProto, "the recorded copy does not decode")
        #expect(compiled == [builtin], "stale: run scripts/record-builtin-descriptor.sh .build/debug/dh-protoc")
    }

    @Test("built-in options are interpreted the same with the compiled-in copy as with the file")
    func optionsInterpreted() throws {
        let set = try SourceSet([
            "o.proto": """
                syntax = "proto3";
                package o;
                option java_package = "jp.example.o";
                option optimize_for = CODE_SIZE;
                message M { int32 a = 1 [deprecated = true, json_name = "x"]; repeated int32 b = 2 [packed = false]; }
                enum E { option allow_alias = true; E_ZERO = 0; E_NONE = 0; }
                """
        ])
        defer { set.remove() }
        var configuration = Compiler.Configuration()
        configuration.importPaths = [set.directory.path]
        var compiler = Compiler(configuration: configuration)
        let names = try compiler.compile(inputs: ["o.proto"]).get()
        let file = try #require(compiler.descriptorSet(for: names, includeImports: false).file.first)
        #expect(file.options?.javaPackage == "jp.example.o")
        #expect(file.messageType.first?.field.first?.options?.deprecated == true)
        #expect(file.messageType.first?.field.last?.options?.packed == false)
        #expect(file.enumType.first?.options?.allowAlias == true)
    }
}
