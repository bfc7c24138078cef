import DHTestSupport
import DHWire
import Foundation
import Testing

/// Wire interop with Python's protobuf package: the tests create a venv under
/// `.build/interop/` (kept between runs), install a pinned `protobuf` from PyPI, generate Python
/// code with `protoc`, and exchange bytes with a small script both ways.
@Suite("Interop with Python protobuf", .serialized)
struct PythonProtobufInteropTests {
    /// The Python runtime matching Debian 12's protoc (3.21): its generated code needs 4.x.
    static let protobufRequirement = "protobuf==4.25.9"

    /// `encode` writes the known record; `roundtrip` parses stdin and writes it re-serialized;
    /// `verify` parses stdin and exits 0 only if it equals the known record.
    static let script = #"""
        import sys

        sys.path.insert(0, sys.argv[1])
        import dhtest_pb2 as pb
        import dhtest_wkt_pb2 as wkt
        from google.protobuf import duration_pb2, json_format, wrappers_pb2


        def known():
            r = pb.CareRecord()
            r.id = 2**63 - 1
            r.name = "山田 花子"
            r.status = pb.STATUS_ACTIVE
            r.address.prefecture = "東京都"
            r.address.city = "千代田区"
            r.address.line = "霞が関1-2-2"
            r.address.postal_code = 1008916
            o = r.observations.add()
            o.code = "8480-6"
            o.value = 128.5
            o.taken_at = -1700000000000
            o.flags.extend([pb.STATUS_ACTIVE, 42, pb.STATUS_DECEASED])
            o.note = "収縮期血圧 🩺"
            r.labels["病院"] = "聖路加国際病院"
            r.by_code[7].code = "x"
            r.email = "hanako@example.jp"
            r.guardian.id = -(2**63)
            r.guardian.name = "山田 太郎"
            r.guardian.phone = "+81-3-0000-0000"
            r.tags.extend(["要介護2", ""])
            s = r.scalars
            s.f_int32 = -1
            s.f_int64 = -(2**63)
            s.f_uint32 = 2**32 - 1
            s.f_uint64 = 2**64 - 1
            s.f_sint32 = -(2**31)
            s.f_sint64 = 2**63 - 1
            s.f_fixed32 = 0xDEADBEEF
            s.f_fixed64 = 1
            s.f_sfixed32 = -2
            s.f_sfixed64 = -3
            s.f_float = 1.5
            s.f_double = -0.25
            s.f_bool = True
            s.f_string = "診療記録"
            s.f_bytes = b"\x00\xff"
            s.f_enum = pb.STATUS_SUSPENDED
            p = r.repeateds
            p.r_int32.extend([1, -1, 300])
            p.r_sint64.extend([-1, 1])
            p.r_double.extend([0.5])
            p.r_string.extend(["東京", ""])
            p.u_int32.extend([7, 8])
            p.r_enum.extend([pb.STATUS_ACTIVE, 42])
            p.r_bool.extend([True, False])
            p.r_fixed64.extend([2**64 - 1])
            p.r_float.extend([-2.5])
            r.counters["visits"] = -(2**63)
            r.blobs[2**64 - 1] = b"\x01\x02\x03"
            r.switches[True] = pb.STATUS_SUSPENDED
            r.optionals.o_int32 = 0
            r.optionals.o_string = "任意"
            r.optionals.o_bool = False
            return r


        def known_wkt():
            m = wkt.WellKnown()
            m.at.seconds = 1711963800
            m.at.nanos = 250000000
            m.took.seconds = -1
            m.took.nanos = -500000000
            m.extra.update({"name": "山田", "age": 42, "tags": ["a", None, True], "nested": {"k": 1.5}})
            m.any_value.string_value = "text"
            m.list.extend([1, "two", False])
            m.count.value = 9007199254740993
            m.label.SetInParent()
            m.flag.SetInParent()
            m.ratio.value = 0.125
            m.mask.paths.extend(["address.postal_code", "name"])
            m.nothing.SetInParent()
            m.history.add().seconds = 0
            last = m.history.add()
            last.seconds = 253402300799
            last.nanos = 999999999
            address = pb.CareRecord.Address()
            address.prefecture = "東京都"
            address.postal_code = 1008916
            m.packed.Pack(address)
            first = m.packed_list.add()
            first.Pack(duration_pb2.Duration(seconds=90))
            second = m.packed_list.add()
            second.Pack(wrappers_pb2.Int32Value(value=-3))
            return m


        def parse(data):
            m = pb.CareRecord()
            m.ParseFromString(data)
            return m


        mode = sys.argv[2]
        if mode == "encode":
            sys.stdout.buffer.write(known().SerializeToString())
        elif mode == "roundtrip":
            sys.stdout.buffer.write(parse(sys.stdin.buffer.read()).SerializeToString())
        elif mode == "verify":
            m = parse(sys.stdin.buffer.read())
            if m != known():
                sys.stderr.write("decoded record differs from the known record:\n%s\n" % m)
                sys.exit(1)
        elif mode == "json":
            sys.stdout.write(json_format.MessageToJson(known(), ensure_ascii=False))
        elif mode == "json-proto-names":
            sys.stdout.write(json_format.MessageToJson(known(), preserving_proto_field_name=True))
        elif mode == "verify-json":
            m = json_format.Parse(sys.stdin.buffer.read().decode("utf-8"), pb.CareRecord())
            if m != known():
                sys.stderr.write("parsed record differs from the known record:\n%s\n" % m)
                sys.exit(1)
        elif mode == "wkt-json":
            sys.stdout.write(json_format.MessageToJson(known_wkt(), ensure_ascii=False))
        elif mode == "wkt-binary":
            sys.stdout.buffer.write(known_wkt().SerializeToString())
        elif mode == "wkt-verify-json":
            m = json_format.Parse(sys.stdin.buffer.read().decode("utf-8"), wkt.WellKnown())
            if m != known_wkt():
                sys.stderr.write("parsed message differs from the known one:\n%s\n" % m)
                sys.exit(1)
        elif mode == "json-roundtrip":
            m = json_format.Parse(sys.stdin.buffer.read().decode("utf-8"), pb.CareRecord())
            sys.stdout.buffer.write(m.SerializeToString())
        else:
            sys.exit(64)
        """#

    /// Creates the venv once (kept under `.build/interop/`), generates the Python code and
    /// writes the script; throws a clear failure when a tool is missing.
    static func prepare() async throws -> (python: String, directory: URL) {
        let python3 = try InteropHarness.require("python3", package: "python3-venv")
        let protoc = try InteropHarness.require("protoc", package: "protobuf-compiler")
        let venv = try InteropHarness.cacheDirectory("python-venv")
        let python = venv.appendingPathComponent("bin/python").path
        let marker = venv.appendingPathComponent("installed-\(protobufRequirement)")
        let directory = try InteropHarness.scratchDirectory("python")
        if !FileManager.default.fileExists(atPath: marker.path) {
            _ = try await InteropHarness.check(python3, ["-m", "venv", "--clear", venv.path], in: directory)
            _ = try await InteropHarness.check(
                python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", protobufRequirement],
                in: directory)
            try Data().write(to: marker)
        }
        try InteropHarness.write(TestSchema.proto, to: directory.appendingPathComponent(TestSchema.fileName))
        try InteropHarness.write(WellKnownSchema.proto, to: directory.appendingPathComponent(WellKnownSchema.fileName))
        try InteropHarness.write(script, to: directory.appendingPathComponent("interop.py"))
        _ = try await InteropHarness.check(
            protoc, ["--python_out=.", TestSchema.fileName, WellKnownSchema.fileName], in: directory)
        return (python, directory)
    }

    static func run(
        _ prepared: (python: String, directory: URL), _ mode: String, stdin: [UInt8] = []
    ) async throws -> Subprocess.Output {
        try await InteropHarness.run(
            prepared.python, ["interop.py", prepared.directory.path, mode], stdin: stdin, in: prepared.directory)
    }

    @Test("bytes Python encodes decode here to the same values")
    func fromPython() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        let output = try await Self.run(prepared, "encode")
        try #require(output.status == 0, "\(output.stderr)")
        let decoded = try Dhtest_CareRecord(serializedBytes: output.stdout)
        let known = InteropValues.knownRecord(includeOptionals: true)
        #expect(decoded == known)
        #expect(decoded.optionals.hasOInt32 && decoded.optionals.hasOBool && !decoded.optionals.hasOEnum)
        #expect(decoded.unknownFields.isEmpty)
        #expect(known.serializedBytes() == output.stdout)
    }

    @Test("bytes encoded here decode in Python to the same values")
    func toPython() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        let known = InteropValues.knownRecord(includeOptionals: true)
        let verdict = try await Self.run(prepared, "verify", stdin: known.serializedBytes())
        #expect(verdict.status == 0, "\(verdict.stderr)")

        // Presence matters: without the explicitly set zero the values differ.
        var other = known
        other.optionals.clearOInt32()
        let rejected = try await Self.run(prepared, "verify", stdin: other.serializedBytes())
        #expect(rejected.status == 1)
    }

    @Test("JSON Python writes parses here to the same values, lowerCamel and .proto names alike")
    func jsonFromPython() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        let known = InteropValues.knownRecord(includeOptionals: true)
        for mode in ["json", "json-proto-names"] {
            let output = try await Self.run(prepared, mode)
            try #require(output.status == 0, "\(output.stderr)")
            #expect(try Dhtest_CareRecord(jsonUTF8Bytes: output.stdout) == known, "\(mode)")
        }
    }

    @Test("JSON written here parses in Python to the same values")
    func jsonToPython() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        let known = InteropValues.knownRecord(includeOptionals: true)
        let verdict = try await Self.run(prepared, "verify-json", stdin: known.jsonUTF8Bytes())
        #expect(verdict.status == 0, "\(verdict.stderr)")

        // Random records: Python parses our JSON to the same binary value.
        var random = RandomMessages(seed: 0x150)
        for _ in 0..<20 {
            let record = random.careRecord()
            let output = try await Self.run(prepared, "json-roundtrip", stdin: record.jsonUTF8Bytes())
            try #require(output.status == 0, "\(output.stderr)")
            #expect(try Dhtest_CareRecord(serializedBytes: output.stdout) == record)
        }
    }

    @Test("well-known types: Python's JSON and binary decode here, and our JSON parses in Python")
    func wellKnownTypes() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        let known = WellKnownTypesTests.known
        let json = try await Self.run(prepared, "wkt-json")
        try #require(json.status == 0, "\(json.stderr)")
        let reading = JSONReader.Configuration(typeRegistry: WellKnownTypesTests.registry)
        #expect(try Dhtest_WellKnown(jsonUTF8Bytes: json.stdout, configuration: reading) == known)
        let binary = try await Self.run(prepared, "wkt-binary")
        try #require(binary.status == 0, "\(binary.stderr)")
        #expect(try Dhtest_WellKnown(serializedBytes: binary.stdout) == known)
        let writing = JSONWriter.Configuration(typeRegistry: WellKnownTypesTests.registry)
        let verdict = try await Self.run(
            prepared, "wkt-verify-json", stdin: known.jsonUTF8Bytes(configuration: writing))
        #expect(verdict.status == 0, "\(verdict.stderr)")
    }

    @Test("records round-trip through Python unchanged")
    func roundTripThroughPython() async throws {
        let prepared = try await Self.prepare()
        defer { try? FileManager.default.removeItem(at: prepared.directory) }
        var records = [Samples.careRecord, InteropValues.knownRecord(includeOptionals: true)]
        var random = RandomMessages(seed: 0x9E7)
        records += (0..<40).map { _ in random.careRecord() }
        for record in records {
            let output = try await Self.run(prepared, "roundtrip", stdin: record.serializedBytes())
            try #require(output.status == 0, "\(output.stderr)")
            #expect(try Dhtest_CareRecord(serializedBytes: output.stdout) == record)
        }
    }
}
