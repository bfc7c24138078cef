import DHDescriptor
import DHProtoCompiler
import Foundation
import Synchronization
import Testing

@Suite("dh-protoc command line")
struct CommandLineTests {
    @Test("protoc's spellings of every option are accepted")
    func parsing() throws {
        let parsed = try CommandLineOptions.parse([
            "-Ia", "-I", "b", "--proto_path=c:d", "--proto_path", "e", "-oout.pb", "--include_imports",
            "--descriptor_set_in=x.pb:y.pb", "--swift_out=gen", "--swift_opt=Visibility=Public", "one.proto", "two.proto",
        ]).get()
        #expect(parsed.importPaths == ["a", "b", "c", "d", "e"])
        #expect(parsed.descriptorSetOut == "out.pb")
        #expect(parsed.includeImports)
        #expect(parsed.descriptorSetIn == ["x.pb", "y.pb"])
        #expect(parsed.swiftOut == "gen")
        #expect(parsed.swiftOptions == ["Visibility=Public"])
        #expect(parsed.inputs == ["one.proto", "two.proto"])
    }

    @Test("unknown flags and missing values are refused")
    func badFlags() {
        #expect(throws: CompileError.self) { try CommandLineOptions.parse(["--cpp_out=x", "a.proto"]).get() }
        #expect(throws: CompileError.self) { try CommandLineOptions.parse(["-I"]).get() }
        #expect(throws: CompileError.self) { try CommandLineOptions.parse(["--include_imports=yes"]).get() }
    }

    func run(_ arguments: [String]) -> (Int32, [String], [String]) {
        var output: [String] = []
        var errors: [String] = []
        let status = CommandLineTool.run(arguments, output: { output.append($0) }, errorOutput: { errors.append($0) })
        return (status, output, errors)
    }

    @Test("--version and --help answer and succeed")
    func versionAndHelp() {
        let (status, output, _) = run(["--version"])
        #expect(status == 0)
        #expect(output.first?.contains("libprotoc 3.21.12") == true)
        let (helpStatus, help, _) = run(["--help"])
        #expect(helpStatus == 0)
        #expect(help.first?.contains("--descriptor_set_out") == true)
    }

    @Test("protoc's usage errors: no input, no output")
    func usageErrors() {
        #expect(run([]).0 == 1)
        #expect(run([]).2 == ["Missing input file."])
        #expect(run(["a.proto"]).2 == ["Missing output directives."])
    }

    @Test("--swift_out hands the compiled files to the Swift generator and writes what it returns")
    func swiftOut() throws {
        let sources = try SourceSet([
            "dep.proto": "syntax = \"proto3\"; package dep; message D {}",
            "a.proto": "syntax = \"proto3\"; import \"dep.proto\"; message A { dep.D d = 1; }",
        ])
        defer { sources.remove() }
        let output = sources.directory.appendingPathComponent("swift-out")
        // Without a generator (this library alone) the option is refused.
        let (refused, _, refusal) = run(["-I" + sources.directory.path, "--swift_out=\(output.path)", "a.proto"])
        #expect(refused == 1)
        #expect(refusal.first?.contains("no Swift generator") == true)

        // With one, it gets every compiled file (imports first), the names to generate and the
        // joined --swift_opt values, and its files are written under the output directory.
        let seen = Mutex<(files: [String], generate: [String], parameter: String)>(([], [], ""))
        var errors: [String] = []
        let status = CommandLineTool.run(
            ["-I" + sources.directory.path, "--swift_out=\(output.path)", "--swift_opt=Visibility=Public",
             "--swift_opt=FileNaming=DropPath", "a.proto"],
            output: { _ in }, errorOutput: { errors.append($0) },
            swiftGenerator: { files, generate, parameter throws(CompileError) in
                seen.withLock { $0 = (files.map { $0.name ?? "" }, generate, parameter) }
                return [(path: "nested/a.pb.swift", content: "// generated\n")]
            })
        #expect(status == 0, "\(errors)")
        #expect(seen.withLock { $0.files } == ["dep.proto", "a.proto"])
        #expect(seen.withLock { $0.generate } == ["a.proto"])
        #expect(seen.withLock { $0.parameter } == "Visibility=Public,FileNaming=DropPath")
        let written = try String(contentsOf: output.appendingPathComponent("nested/a.pb.swift"), encoding: .utf8)
        #expect(written == "// generated\n")

        let failed = CommandLineTool.run(
            ["-I" + sources.directory.path, "--swift_out=\(output.path)", "a.proto"],
            output: { _ in }, errorOutput: { errors.append($0) },
            swiftGenerator: { _, _, _ throws(CompileError) in
                throw CompileError(code: .generationFailed, message: "unknown option 'Colour'")
            })
        #expect(failed == 1)
        #expect(errors.last?.contains("unknown option 'Colour'") == true)
    }

    @Test("a descriptor set written with --include_imports reads back through --descriptor_set_in")
    func descriptorSetRoundTrip() throws {
        let sources = try SourceSet([
            "dep.proto": "syntax = \"proto3\"; package dep; message D { int32 x = 1; }",
            "top.proto": "syntax = \"proto3\"; import \"dep.proto\"; message T { dep.D d = 1; }",
        ])
        defer { sources.remove() }
        let first = sources.directory.appendingPathComponent("first.pb").path
        let (status, _, errors) = run(["-I" + sources.directory.path, "--include_imports", "-o", first, "top.proto"])
        #expect(status == 0, "\(errors)")
        let set = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: URL(fileURLWithPath: first))))
        #expect(set.file.map(\.name) == ["dep.proto", "top.proto"])

        // Only the descriptor set: no import path holds the files.
        let empty = sources.directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let second = sources.directory.appendingPathComponent("second.pb").path
        let (again, _, againErrors) = run([
            "-I" + empty.path, "--descriptor_set_in=" + first, "--include_imports", "-o", second, "top.proto",
        ])
        #expect(again == 0, "\(againErrors)")
        let reread = try FileDescriptorSet(serializedBytes: Array(Data(contentsOf: URL(fileURLWithPath: second))))
        #expect(reread == set)
    }

    @Test("unused imports of the inputs are warned about as protoc does, and compilation succeeds")
    func unusedImports() throws {
        let sources = try SourceSet([
            "used.proto": "syntax = \"proto3\"; message U {}",
            "unused.proto": "syntax = \"proto3\"; message V {}",
            "reexport.proto": "syntax = \"proto3\"; import public \"unused.proto\";",
            "top.proto": "syntax = \"proto3\";\nimport \"used.proto\";\nimport \"unused.proto\";\nimport \"reexport.proto\";\nmessage T { U u = 1; }",
        ])
        defer { sources.remove() }
        let (status, _, errors) = run(["-I" + sources.directory.path, "-o/dev/null", "top.proto"])
        #expect(status == 0)
        #expect(errors == ["top.proto:3:1: warning: Import unused.proto is unused."])
    }

    @Test("an input outside every import path gets protoc's message")
    func inputOutsidePaths() throws {
        let sources = try SourceSet(["a.proto": "syntax = \"proto3\";"])
        defer { sources.remove() }
        let (status, _, errors) = run(["-I/nonexistent", "-o/dev/null", sources.directory.appendingPathComponent("a.proto").path])
        #expect(status == 1)
        #expect(errors.first?.hasSuffix("(it's harder than you think).") == true)
    }
}
