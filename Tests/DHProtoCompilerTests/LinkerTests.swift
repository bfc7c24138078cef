import DHDescriptor
@testable import DHProtoCompiler
import Foundation
import Testing

/// Compiles in-memory sources through a temporary import directory.
struct SourceSet {
    let directory: URL

    init(_ files: [String: String]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dhprotoc-\(UUID().uuidString)")
        for (name, text) in files {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    func compile(_ inputs: [String]) -> (FileDescriptorSet?, [String]) {
        var configuration = Compiler.Configuration()
        configuration.importPaths = [directory.path]
        var compiler = Compiler(configuration: configuration)
        switch compiler.compile(inputs: inputs) {
        case .success(let names):
            return (compiler.descriptorSet(for: names, includeImports: false), [])
        case .failure(let error):
            return (nil, error.description.split(separator: "\n").map(String.init))
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite("Linker")
struct LinkerTests {
    func compile(_ source: String, extra: [String: String] = [:]) throws -> (FileDescriptorSet?, [String]) {
        var files = extra
        files["t.proto"] = source
        let set = try SourceSet(files)
        defer { set.remove() }
        return set.compile(["t.proto"])
    }

    @Test("relative names resolve innermost scope first, as protoc's scoping rules say")
    func scoping() throws {
        let (set, errors) = try compile(
            """
            syntax = "proto3";
            package a.b;
            message Inner {}
            message Outer {
              message Inner {}
              Inner near = 1;
              .a.b.Inner far = 2;
              b.Inner via_package = 3;
              Outer.Inner qualified = 4;
            }
            """)
        #expect(errors.isEmpty)
        let fields = try #require(set?.file.first?.messageType.last?.field)
        #expect(fields.map(\.typeName) == [".a.b.Outer.Inner", ".a.b.Inner", ".a.b.Inner", ".a.b.Outer.Inner"])
        #expect(fields.allSatisfy { $0.type == .message })
    }

    @Test("json_name is computed for every field, and kept when given")
    func jsonNames() throws {
        let (set, _) = try compile(
            "syntax = \"proto3\"; message M { int32 user_id = 1; int32 x__y_ = 2; int32 z = 3 [json_name = \"Zed\"]; }")
        let fields = try #require(set?.file.first?.messageType.first?.field)
        #expect(fields.map(\.jsonName) == ["userId", "xY", "Zed"])
        #expect(Linker.jsonName("foo_bar_baz") == "fooBarBaz")
    }

    @Test("custom options are encoded as protoc encodes them")
    func customOptions() throws {
        let (set, errors) = try compile(
            """
            syntax = "proto3";
            import "google/protobuf/descriptor.proto";
            message Rule { int32 min = 1; repeated string tags = 2; }
            extend google.protobuf.FieldOptions { Rule rule = 50001; sint32 weight = 50002; }
            message M { int32 x = 1 [(rule) = { tags: "b" min: 3 tags: "c" }, (weight) = -1]; }
            """)
        #expect(errors.isEmpty)
        let options = try #require(set?.file.first?.messageType.last?.field.first?.options)
        // 50001: {1: 3, 2: "b", 2: "c"}, then 50002: zig-zag(-1) = 1.
        #expect(
            options.unknownFields == [
                0x8A, 0xB5, 0x18, 0x08, 0x08, 0x03, 0x12, 0x01, 0x62, 0x12, 0x01, 0x63, 0x90, 0xB5, 0x18, 0x01,
            ])
    }

    @Test(
        "semantic errors match protoc's text and positions",
        arguments: [
            ("syntax = \"proto3\";\nmessage A { int32 x = 1; string x = 2; }", "t.proto:2:33: \"x\" is already defined in \"A\"."),
            ("syntax = \"proto3\";\nmessage A { Missing m = 1; }", "t.proto:2:13: \"Missing\" is not defined."),
            ("syntax = \"proto3\";\nenum E { ONE = 1; }", "t.proto:2:16: The first enum value must be zero in proto3."),
            ("syntax = \"proto3\";\nmessage A { int32 a = 1; int32 b = 1; }", "t.proto:2:36: Field number 1 has already been used in \"A\" by field \"a\"."),
            ("syntax = \"proto3\";\nmessage A { int32 a = 19001; }", "t.proto:2:23: Field numbers 19000 through 19999 are reserved for the protocol buffer library implementation."),
            ("syntax = \"proto3\";\nmessage A { map<float, int32> m = 1; }", "t.proto:2:13: Key in map fields cannot be float/double, bytes or message types."),
            ("syntax = \"proto3\";\nmessage A { int32 foo_bar = 1; int32 fooBar = 2; }", "t.proto:2:38: The JSON camel-case name of field \"fooBar\" conflicts with field \"foo_bar\". This is not allowed in proto3."),
        ])
    func semanticErrors(source: String, expected: String) throws {
        let (_, errors) = try compile(source)
        #expect(errors.first == expected)
    }

    @Test("an import cycle is reported in protoc's words")
    func importCycle() throws {
        let sources = try SourceSet([
            "a.proto": "syntax = \"proto3\";\nimport \"b.proto\";\n",
            "b.proto": "syntax = \"proto3\";\n\nimport \"a.proto\";\n",
        ])
        defer { sources.remove() }
        let (_, errors) = sources.compile(["a.proto"])
        #expect(
            errors == [
                "a.proto:2:1: File recursively imports itself: a.proto -> b.proto -> a.proto",
                "b.proto:3:1: Import \"a.proto\" was not found or had errors.",
                "a.proto:2:1: Import \"b.proto\" was not found or had errors.",
            ])
    }

    @Test("a file that fails to link leaves nothing behind in the pool")
    func failedImportRolledBack() throws {
        let sources = try SourceSet([
            "bad.proto": "syntax = \"proto3\";\nmessage Dup { int32 a = 1; int32 a = 2; }\nmessage Shared {}\n",
            "top.proto": "syntax = \"proto3\";\nimport \"bad.proto\";\nmessage Shared { Dup d = 1; }\n",
        ])
        defer { sources.remove() }
        let (_, errors) = sources.compile(["top.proto"])
        #expect(
            errors == [
                "bad.proto:2:34: \"a\" is already defined in \"Dup\".",
                "top.proto:2:1: Import \"bad.proto\" was not found or had errors.",
                "top.proto:3:18: \"Dup\" is not defined.",
            ])
    }

    @Test("a type from a file that is not imported is named in the error")
    func undeclaredDependency() throws {
        let sources = try SourceSet([
            "dep.proto": "syntax = \"proto3\"; package dep; message D {}",
            "mid.proto": "syntax = \"proto3\"; import \"dep.proto\";",
            "t.proto": "syntax = \"proto3\"; import \"mid.proto\"; message M { dep.D d = 1; }",
        ])
        defer { sources.remove() }
        let (_, errors) = sources.compile(["t.proto"])
        #expect(
            errors.first
                == "t.proto:1:52: \"dep.D\" seems to be defined in \"dep.proto\", which is not imported by \"t.proto\".  To use it here, please add the necessary import."
        )
    }
}
