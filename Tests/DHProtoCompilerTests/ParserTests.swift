import DHDescriptor
@testable import DHProtoCompiler
import Testing

@Suite("Parser")
struct ParserTests {
    func parse(_ source: String) -> (FileNode, [String]) {
        let (file, diagnostics) = Parser.parse(fileName: "t.proto", source: Array(source.utf8))
        return (file, diagnostics.map(\.description))
    }

    @Test("a proto3 file parses into messages, enums, services and options with positions")
    func basicFile() throws {
        let (file, errors) = parse(
            """
            syntax = "proto3";
            package a.b;
            import public "x.proto";
            option java_package = "jp.x";
            message M {
              string name = 1 [json_name = "n", deprecated = true];
              repeated int64 ids = 2;
              M child = 3;
            }
            enum E { E_ZERO = 0; E_ONE = 1 [(custom) = -2]; }
            service S { rpc Call (stream M) returns (M) { option deprecated = true; } }
            """)
        #expect(errors.isEmpty)
        #expect(file.syntax == "proto3")
        #expect(file.package == "a.b")
        #expect(file.imports == [ImportNode(path: "x.proto", kind: .public, position: SourcePosition(line: 2, column: 0))])
        #expect(file.options.first?.value == .string(Array("jp.x".utf8)))
        let message = try #require(file.messages.first)
        #expect(message.fields.map { $0.proto.name } == ["name", "ids", "child"])
        #expect(message.fields[0].proto.jsonName == "n")
        #expect(message.fields[0].options.first?.displayName == "deprecated")
        #expect(message.fields[0].namePosition == SourcePosition(line: 5, column: 9))
        #expect(message.fields[1].proto.label == .repeated)
        #expect(message.fields[2].proto.typeName == "M")
        #expect(file.enums.first?.values.last?.options.first?.value == .negativeInteger(-2))
        let method = try #require(file.services.first?.methods.first)
        #expect(method.clientStreaming && !method.serverStreaming)
    }

    @Test("map fields generate their entry type as protoc does")
    func mapEntry() throws {
        let (file, errors) = parse("syntax = \"proto3\"; message M { map<string, int32> user_scores = 1; }")
        #expect(errors.isEmpty)
        let message = try #require(file.messages.first)
        #expect(message.fields[0].proto.typeName == "UserScoresEntry")
        #expect(message.fields[0].proto.label == .repeated)
        let entry = try #require(message.nestedTypes.first)
        #expect(entry.isMapEntry)
        #expect(entry.fields.map { $0.proto.name } == ["key", "value"])
        #expect(entry.fields[0].proto.type == .string)
    }

    @Test("proto3 optional fields get synthetic oneofs named around existing names")
    func syntheticOneofs() throws {
        let (file, _) = parse(
            "syntax = \"proto3\"; message M { optional int32 a = 1; int32 _a = 2; optional int32 b = 3; oneof o { int32 c = 4; } }"
        )
        let message = try #require(file.messages.first)
        #expect(message.oneofs.map(\.name) == ["o", "X_a", "_b"])
        #expect(message.fields.map { $0.proto.oneofIndex } == [1, nil, 2, 0])
    }

    @Test("groups become a field and a nested type")
    func groups() throws {
        let (file, errors) = parse("message M { optional group Result = 1 { optional int32 x = 2; } }")
        #expect(errors.isEmpty)
        let message = try #require(file.messages.first)
        #expect(message.fields[0].proto.name == "result")
        #expect(message.fields[0].proto.type == .group)
        #expect(message.nestedTypes.first?.name == "Result")
    }

    @Test("a bad statement is reported and parsing goes on, so every error is seen")
    func recovery() {
        let (_, errors) = parse("syntax = \"proto3\";\nmessage A { int32 x = 1 }\nmessage B { int32 = 2; }\n")
        #expect(errors == ["t.proto:2:25: Expected \";\".", "t.proto:3:19: Expected field name."])
    }

    @Test(
        "syntax errors match protoc's messages",
        arguments: [
            ("syntax = \"proto4\";", "t.proto:1:10: Unrecognized syntax identifier \"proto4\".  This parser only recognizes \"proto2\" and \"proto3\"."),
            ("syntax = \"proto3\"; foo", "t.proto:1:20: Expected top-level statement (e.g. \"message\")."),
            ("syntax = \"proto3\"; message A {", "t.proto:1:31: Reached end of input in message definition (missing '}')."),
            ("message A { int32 x = 1; }", "t.proto:1:13: Expected \"required\", \"optional\", or \"repeated\"."),
            ("message A { optional int32 x = 1 [default = \"a\"]; }", "t.proto:1:45: Expected integer for field default value."),
            ("syntax = \"proto3\"; enum E { option allow_alias = false; A = 0; }", "t.proto:1:65: \"E\" declares 'option allow_alias = false;' which has no effect. Please remove the declaration."),
        ])
    func syntaxErrors(source: String, expected: String) {
        let (_, errors) = parse(source)
        #expect(errors.first == expected)
    }
}
