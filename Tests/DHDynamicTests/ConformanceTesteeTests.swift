import DHConformance
import DHDescriptor
import DHDynamic
import DHProtoCompiler
import DHTestSupport
import DHWire
import Foundation
import Testing

/// A proto3 schema of our own with every kind of field the conformance messages have.
private let schema = """
    syntax = "proto3";
    package conformance.check;
    import "google/protobuf/timestamp.proto";
    import "google/protobuf/duration.proto";
    import "google/protobuf/struct.proto";
    import "google/protobuf/wrappers.proto";
    import "google/protobuf/any.proto";
    import "google/protobuf/field_mask.proto";
    message AllKinds {
      message Nested { int32 a = 1; AllKinds corecursive = 2; }
      enum Color { COLOR_UNSPECIFIED = 0; RED = 1; BLUE = 2; }
      int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4; sint32 s32 = 5; sint64 s64 = 6;
      fixed32 f32 = 7; fixed64 f64 = 8; sfixed32 sf32 = 9; sfixed64 sf64 = 10;
      float fl = 11; double db = 12; bool flag = 13; string text = 14; bytes data = 15;
      Nested nested = 18; Color color = 21;
      repeated int32 packed_ints = 31; repeated string names = 44; repeated Nested children = 48;
      map<string, int32> counts = 56; map<int32, Nested> by_id = 57; map<bool, string> flags = 58;
      oneof choice { uint32 choice_u32 = 111; string choice_text = 113; Nested choice_nested = 112; }
      optional int32 maybe = 120;
      google.protobuf.Timestamp at = 201; google.protobuf.Duration took = 202; google.protobuf.Struct meta = 203;
      google.protobuf.Value any_value = 204; google.protobuf.Int64Value wrapped = 205; google.protobuf.Any packed_any = 206;
      google.protobuf.FieldMask mask = 207;
    }
    """

private func pool() throws -> DHDynamic.DescriptorPool {
    let directory = NSTemporaryDirectory() + "dh-conformance-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try schema.write(toFile: directory + "/all.proto", atomically: true, encoding: .utf8)
    var configuration = Compiler.Configuration()
    configuration.importPaths = [directory]
    var compiler = Compiler(configuration: configuration)
    let names = try compiler.compile(inputs: ["all.proto"]).get()
    return DHDynamic.DescriptorPool(compiler.descriptorSet(for: names, includeImports: true))
}

/// A ConformanceRequest, by field number.
private func request(
    json: String? = nil, binary: [UInt8]? = nil, output: Int, type: String = "conformance.check.AllKinds",
    category: Int = 0
) -> [UInt8] {
    var writer = BinaryWriter()
    if let binary {
        writer.writeTag(1, .lengthDelimited)
        writer.writeLengthDelimited(binary)
    }
    if let json {
        writer.writeTag(2, .lengthDelimited)
        writer.writeString(json)
    }
    writer.writeTag(3, .varint)
    writer.writeVarint(UInt64(output))
    writer.writeTag(4, .lengthDelimited)
    writer.writeString(type)
    if category != 0 {
        writer.writeTag(5, .varint)
        writer.writeVarint(UInt64(category))
    }
    return writer.bytes
}

/// The response's one field: (number, bytes).
private func response(_ bytes: [UInt8]) throws -> (Int32, [UInt8]) {
    var reader = BinaryReader(bytes)
    let tag = try #require(try reader.readTag())
    return (tag.fieldNumber, Array(try reader.readLengthDelimited()))
}

private let sample = """
    {"i32": -7, "i64": "-9007199254740993", "u32": 4000000000, "u64": "18446744073709551615", "s32": -1,
     "s64": "-2", "f32": 7, "f64": "8", "sf32": -9, "sf64": "-10", "fl": 1.5, "db": "NaN", "flag": true,
     "text": "日本語 \\u00e9", "data": "AAEC/w==", "nested": {"a": 1, "corecursive": {"i32": 2}}, "color": "BLUE",
     "packedInts": [1, -2, 3], "names": ["a", "b"], "children": [{"a": 5}], "counts": {"x": 1, "y": 2},
     "byId": {"7": {"a": 7}}, "flags": {"true": "yes"}, "choiceText": "picked", "maybe": 0,
     "at": "2026-11-24T09:30:00.250Z", "took": "1.5s", "meta": {"k": [1, "two", null, {"n": true}]},
     "anyValue": 3.25, "wrapped": "42",
     "packedAny": {"@type": "type.googleapis.com/conformance.check.AllKinds.Nested", "a": 9}, "mask": "i32,nested.a"}
    """

@Suite("dh-conformance: the conformance protocol over dynamic messages")
struct ConformanceTesteeTests {
    @Test("JSON in, protobuf out, protobuf in, JSON out: the same message all the way round")
    func roundTrips() throws {
        let testee = ConformanceTestee(pool: try pool())
        let (field, binary) = try response(testee.handle(request(json: sample, output: 1)))
        #expect(field == 3, "protobuf_payload, got \(String(decoding: binary, as: UTF8.self))")
        let (jsonField, json) = try response(testee.handle(request(binary: binary, output: 2)))
        #expect(jsonField == 4, "\(String(decoding: json, as: UTF8.self))")
        let (againField, again) = try response(
            testee.handle(request(json: String(decoding: json, as: UTF8.self), output: 1)))
        #expect(againField == 3 && again == binary)
        let text = String(decoding: json, as: UTF8.self)
        for fragment in [
            "\"i64\":\"-9007199254740993\"", "\"db\":\"NaN\"", "\"color\":\"BLUE\"", "\"maybe\":0",
            "\"at\":\"2026-11-24T09:30:00.250Z\"", "\"took\":\"1.500s\"", "\"wrapped\":\"42\"",
            "\"@type\":\"type.googleapis.com/conformance.check.AllKinds.Nested\"", "\"mask\":\"i32,nested.a\"",
        ] {
            #expect(text.contains(fragment), "\(fragment) in \(text)")
        }
    }

    @Test("errors and skips: bad JSON and bytes are parse errors; unknown fields per category; other formats skipped")
    func errorsAndSkips() throws {
        let testee = ConformanceTestee(pool: try pool())
        #expect(try response(testee.handle(request(json: "{\"i32\": 1.5}", output: 1))).0 == 1)
        #expect(try response(testee.handle(request(json: "{\"i32\": 2147483648}", output: 1))).0 == 1)
        #expect(try response(testee.handle(request(binary: [0x0A, 0x05], output: 2))).0 == 1)
        #expect(try response(testee.handle(request(json: "{\"unknown\": 1}", output: 1))).0 == 1)
        #expect(try response(testee.handle(request(json: "{\"unknown\": 1}", output: 1, category: 3))).0 == 3)
        // What protobuf's conformance suite requires to fail.
        for bad in [
            "{\"i32\": 01}", "{\"i32\": -01}", "{\"i64\": \"9223372036854775808\"}",
            "{\"i64\": \"-9223372036854775809\"}", "{\"u64\": \"18446744073709551616\"}",
            "{\"at\": \"0001-01-01t00:00:00Z\"}", "{\"at\": \"0001-01-01T00:00:00z\"}",
        ] {
            #expect(try response(testee.handle(request(json: bad, output: 1))).0 == 1, "\(bad)")
        }
        #expect(try response(testee.handle(request(json: "{\"i64\": 1e2, \"u32\": 4.0}", output: 1))).0 == 3)
        // A field mask path without a JSON form cannot be written as JSON.
        let mask = try response(testee.handle(request(json: "{}", output: 1)))
        #expect(mask.0 == 3)
        var withMask = BinaryWriter()
        withMask.writeTag(207, .lengthDelimited)
        withMask.writeLengthDelimited([0x0A, 0x07] + Array("foo__ba".utf8))
        #expect(try response(testee.handle(request(binary: withMask.bytes, output: 2))).0 == 6)
        #expect(try response(testee.handle(request(json: "{}", output: 4))).0 == 5)
        #expect(
            try response(
                testee.handle(request(json: "{}", output: 1, type: "protobuf_test_messages.proto2.TestAllTypesProto2"))
            ).0 == 5)
        #expect(try response(testee.handle(request(output: 1, type: "conformance.FailureSet"))) == (3, []))
    }

    @Test("the executable speaks the length-prefixed protocol on standard input and output")
    func executable() async throws {
        let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/dh-conformance").path
        try #require(
            FileManager.default.isExecutableFile(atPath: binary), "build dh-conformance first (make test does)")
        let directory = NSTemporaryDirectory() + "dh-conformance-exe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try schema.write(toFile: directory + "/all.proto", atomically: true, encoding: .utf8)
        var input: [UInt8] = []
        for message in [request(json: sample, output: 1), request(json: "{\"i32\": \"x\"}", output: 2)] {
            let count = UInt32(message.count)
            input +=
                [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)] + message
        }
        let output = try await Subprocess.run(binary, ["--proto", "all.proto", "-I", directory], stdin: input)
        #expect(output.status == 0, "\(output.stderr)")
        var bytes = output.stdout[...]
        var fields: [Int32] = []
        while bytes.count >= 4 {
            let length =
                Int(bytes[bytes.startIndex]) | Int(bytes[bytes.startIndex + 1]) << 8
                | Int(bytes[bytes.startIndex + 2]) << 16 | Int(bytes[bytes.startIndex + 3]) << 24
            let body = Array(bytes.dropFirst(4).prefix(length))
            fields.append(try response(body).0)
            bytes = bytes.dropFirst(4 + length)
        }
        #expect(fields == [3, 1])
    }
}
