import DHWire
import Foundation
import Testing

/// Wire interop with protobuf-c: the tests compile the schema with `protoc-c`, build a small C
/// program against libprotobuf-c, and exchange bytes with it both ways.
@Suite("Interop with protobuf-c", .serialized)
struct ProtobufCInteropTests {
    /// `encode` writes the known record; `roundtrip` decodes stdin and writes it re-encoded;
    /// `verify` decodes stdin and exits 0 only if it equals the known record (compared through
    /// protobuf-c's own encoding of both).
    static let program = #"""
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include "dhtest.pb-c.h"

        static uint8_t *read_all(size_t *length) {
            size_t capacity = 4096, used = 0;
            uint8_t *buffer = malloc(capacity);
            size_t n;
            while (buffer && (n = fread(buffer + used, 1, capacity - used, stdin)) > 0) {
                used += n;
                if (used == capacity) { capacity *= 2; buffer = realloc(buffer, capacity); }
            }
            *length = used;
            return buffer;
        }

        static void write_all(const uint8_t *bytes, size_t length) {
            if (fwrite(bytes, 1, length, stdout) != length) exit(3);
        }

        static size_t pack_known(uint8_t **out) {
            static uint8_t bytes_value[] = {0x00, 0xFF};
            Dhtest__Scalars scalars = DHTEST__SCALARS__INIT;
            scalars.f_int32 = -1;
            scalars.f_int64 = INT64_MIN;
            scalars.f_uint32 = UINT32_MAX;
            scalars.f_uint64 = UINT64_MAX;
            scalars.f_sint32 = INT32_MIN;
            scalars.f_sint64 = INT64_MAX;
            scalars.f_fixed32 = 0xDEADBEEFu;
            scalars.f_fixed64 = 1;
            scalars.f_sfixed32 = -2;
            scalars.f_sfixed64 = -3;
            scalars.f_float = 1.5f;
            scalars.f_double = -0.25;
            scalars.f_bool = 1;
            scalars.f_string = "診療記録";
            scalars.f_bytes.len = 2;
            scalars.f_bytes.data = bytes_value;
            scalars.f_enum = DHTEST__STATUS__STATUS_SUSPENDED;

            static int32_t r_int32[] = {1, -1, 300};
            static int64_t r_sint64[] = {-1, 1};
            static double r_double[] = {0.5};
            static char *r_string[] = {"東京", ""};
            static int32_t u_int32[] = {7, 8};
            static Dhtest__Status r_enum[] = {DHTEST__STATUS__STATUS_ACTIVE, (Dhtest__Status)42};
            static protobuf_c_boolean r_bool[] = {1, 0};
            static uint64_t r_fixed64[] = {UINT64_MAX};
            static float r_float[] = {-2.5f};
            Dhtest__Repeateds repeateds = DHTEST__REPEATEDS__INIT;
            repeateds.n_r_int32 = 3; repeateds.r_int32 = r_int32;
            repeateds.n_r_sint64 = 2; repeateds.r_sint64 = r_sint64;
            repeateds.n_r_double = 1; repeateds.r_double = r_double;
            repeateds.n_r_string = 2; repeateds.r_string = r_string;
            repeateds.n_u_int32 = 2; repeateds.u_int32 = u_int32;
            repeateds.n_r_enum = 2; repeateds.r_enum = r_enum;
            repeateds.n_r_bool = 2; repeateds.r_bool = r_bool;
            repeateds.n_r_fixed64 = 1; repeateds.r_fixed64 = r_fixed64;
            repeateds.n_r_float = 1; repeateds.r_float = r_float;

            Dhtest__CareRecord__Address address = DHTEST__CARE_RECORD__ADDRESS__INIT;
            address.prefecture = "東京都";
            address.city = "千代田区";
            address.line = "霞が関1-2-2";
            address.postal_code = 1008916;

            static Dhtest__Status flags[] = {DHTEST__STATUS__STATUS_ACTIVE, (Dhtest__Status)42, DHTEST__STATUS__STATUS_DECEASED};
            Dhtest__CareRecord__Observation observation = DHTEST__CARE_RECORD__OBSERVATION__INIT;
            observation.code = "8480-6";
            observation.value = 128.5;
            observation.taken_at = -1700000000000LL;
            observation.n_flags = 3;
            observation.flags = flags;
            observation.note = "収縮期血圧 🩺";
            Dhtest__CareRecord__Observation *observations[] = {&observation};

            Dhtest__CareRecord__Observation short_observation = DHTEST__CARE_RECORD__OBSERVATION__INIT;
            short_observation.code = "x";

            Dhtest__CareRecord__LabelsEntry label = DHTEST__CARE_RECORD__LABELS_ENTRY__INIT;
            label.key = "病院";
            label.value = "聖路加国際病院";
            Dhtest__CareRecord__LabelsEntry *labels[] = {&label};

            Dhtest__CareRecord__ByCodeEntry by_code = DHTEST__CARE_RECORD__BY_CODE_ENTRY__INIT;
            by_code.key = 7;
            by_code.value = &short_observation;
            Dhtest__CareRecord__ByCodeEntry *by_codes[] = {&by_code};

            Dhtest__CareRecord__CountersEntry counter = DHTEST__CARE_RECORD__COUNTERS_ENTRY__INIT;
            counter.key = "visits";
            counter.value = INT64_MIN;
            Dhtest__CareRecord__CountersEntry *counters[] = {&counter};

            static uint8_t blob_value[] = {1, 2, 3};
            Dhtest__CareRecord__BlobsEntry blob = DHTEST__CARE_RECORD__BLOBS_ENTRY__INIT;
            blob.key = UINT64_MAX;
            blob.value.len = 3;
            blob.value.data = blob_value;
            Dhtest__CareRecord__BlobsEntry *blobs[] = {&blob};

            Dhtest__CareRecord__SwitchesEntry toggle = DHTEST__CARE_RECORD__SWITCHES_ENTRY__INIT;
            toggle.key = 1;
            toggle.value = DHTEST__STATUS__STATUS_SUSPENDED;
            Dhtest__CareRecord__SwitchesEntry *switches[] = {&toggle};

            Dhtest__CareRecord guardian = DHTEST__CARE_RECORD__INIT;
            guardian.id = INT64_MIN;
            guardian.name = "山田 太郎";
            guardian.contact_case = DHTEST__CARE_RECORD__CONTACT_PHONE;
            guardian.phone = "+81-3-0000-0000";

            static char *tags[] = {"要介護2", ""};
            Dhtest__CareRecord record = DHTEST__CARE_RECORD__INIT;
            record.id = INT64_MAX;
            record.name = "山田 花子";
            record.status = DHTEST__STATUS__STATUS_ACTIVE;
            record.address = &address;
            record.n_observations = 1; record.observations = observations;
            record.n_labels = 1; record.labels = labels;
            record.n_by_code = 1; record.by_code = by_codes;
            record.contact_case = DHTEST__CARE_RECORD__CONTACT_EMAIL;
            record.email = "hanako@example.jp";
            record.guardian = &guardian;
            record.n_tags = 2; record.tags = tags;
            record.scalars = &scalars;
            record.repeateds = &repeateds;
            record.n_counters = 1; record.counters = counters;
            record.n_blobs = 1; record.blobs = blobs;
            record.n_switches = 1; record.switches = switches;

            size_t size = dhtest__care_record__get_packed_size(&record);
            *out = malloc(size ? size : 1);
            return dhtest__care_record__pack(&record, *out);
        }

        static size_t repack_stdin(uint8_t **out) {
            size_t length;
            uint8_t *input = read_all(&length);
            Dhtest__CareRecord *record = dhtest__care_record__unpack(NULL, length, input);
            if (!record) { fprintf(stderr, "protobuf-c could not unpack %zu bytes\n", length); exit(2); }
            size_t size = dhtest__care_record__get_packed_size(record);
            *out = malloc(size ? size : 1);
            size_t written = dhtest__care_record__pack(record, *out);
            dhtest__care_record__free_unpacked(record, NULL);
            free(input);
            return written;
        }

        int main(int argc, char **argv) {
            uint8_t *bytes;
            size_t size;
            if (argc != 2) return 64;
            if (strcmp(argv[1], "encode") == 0) {
                size = pack_known(&bytes);
                write_all(bytes, size);
                return 0;
            }
            if (strcmp(argv[1], "roundtrip") == 0) {
                size = repack_stdin(&bytes);
                write_all(bytes, size);
                return 0;
            }
            if (strcmp(argv[1], "verify") == 0) {
                uint8_t *known;
                size_t known_size = pack_known(&known);
                size = repack_stdin(&bytes);
                if (size != known_size || memcmp(bytes, known, size) != 0) {
                    fprintf(stderr, "decoded record differs from the known record (%zu vs %zu bytes)\n", size, known_size);
                    return 1;
                }
                return 0;
            }
            return 64;
        }
        """#

    /// Builds the C program once per process; throws a clear failure when tools are missing.
    static func buildProgram() async throws -> (path: String, directory: URL) {
        let protocC = try InteropHarness.require("protoc-c", package: "protobuf-c-compiler")
        let cc = try InteropHarness.require("cc", package: "gcc")
        let pkgConfig = try InteropHarness.require("pkg-config", package: "pkg-config")
        let directory = try InteropHarness.scratchDirectory("protobuf-c")
        try InteropHarness.write(
            InteropValues.protoWithoutOptional, to: directory.appendingPathComponent(TestSchema.fileName))
        try InteropHarness.write(program, to: directory.appendingPathComponent("interop.c"))
        _ = try await InteropHarness.check(protocC, ["--c_out=.", TestSchema.fileName], in: directory)
        let flags = String(
            decoding: try await InteropHarness.check(
                pkgConfig, ["--cflags", "--libs", "libprotobuf-c"], in: directory),
            as: UTF8.self
        ).split(whereSeparator: \.isWhitespace).map(String.init)
        _ = try await InteropHarness.check(
            cc, ["-O1", "-Wall", "-o", "interop", "interop.c", "dhtest.pb-c.c", "-I."] + flags, in: directory)
        return (directory.appendingPathComponent("interop").path, directory)
    }

    @Test("bytes protobuf-c encodes decode here to the same values, and re-encode to what it accepts")
    func fromProtobufC() async throws {
        let (program, directory) = try await Self.buildProgram()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bytes = try await InteropHarness.check(program, ["encode"], in: directory)
        let decoded = try Dhtest_CareRecord(serializedBytes: bytes)
        let known = InteropValues.knownRecord(includeOptionals: false)
        #expect(decoded == known)
        #expect(decoded.unknownFields.isEmpty)
        // One-entry maps: both implementations write the same bytes.
        #expect(known.serializedBytes() == bytes)
        let verdict = try await InteropHarness.run(program, ["verify"], stdin: decoded.serializedBytes(), in: directory)
        #expect(verdict.status == 0, "\(verdict.stderr)")
    }

    @Test("bytes encoded here decode in protobuf-c to the same values")
    func toProtobufC() async throws {
        let (program, directory) = try await Self.buildProgram()
        defer { try? FileManager.default.removeItem(at: directory) }
        let known = InteropValues.knownRecord(includeOptionals: false)
        let verdict = try await InteropHarness.run(program, ["verify"], stdin: known.serializedBytes(), in: directory)
        #expect(verdict.status == 0, "\(verdict.stderr)")

        // A different value must not pass the check.
        var other = known
        other.scalars.fSint64 -= 1
        let rejected = try await InteropHarness.run(program, ["verify"], stdin: other.serializedBytes(), in: directory)
        #expect(rejected.status == 1)
    }

    @Test("records round-trip through protobuf-c unchanged, unknown fields included")
    func roundTripThroughProtobufC() async throws {
        let (program, directory) = try await Self.buildProgram()
        defer { try? FileManager.default.removeItem(at: directory) }
        var records = [Samples.careRecord, InteropValues.knownRecord(includeOptionals: true)]
        // protobuf-c keeps strings NUL-terminated, so its strings cannot hold U+0000.
        var random = RandomMessages(seed: 0xC0DE, allowsNUL: false)
        records += (0..<40).map { _ in random.careRecord() }
        for record in records {
            // `optionals` (field 15) is unknown to the C schema: protobuf-c keeps and re-emits it.
            let back = try await InteropHarness.check(
                program, ["roundtrip"], stdin: record.serializedBytes(), in: directory)
            let got = try Dhtest_CareRecord(serializedBytes: back)
            #expect(got == record)
        }
    }
}
