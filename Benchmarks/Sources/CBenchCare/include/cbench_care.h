#ifndef DATAHEALTH_CBENCH_CARE_H
#define DATAHEALTH_CBENCH_CARE_H

#include <stddef.h>
#include <stdint.h>

/// protobuf-c's side of the wire benchmarks, over the code protoc-c generates from
/// Benchmarks/Schema/bench_care.proto (bench_care.pb-c.c, committed as generated).

/// Decodes a benchcare.CareRecord; NULL when the bytes do not parse. Free with
/// cbench_care_free.
void *cbench_care_decode(const uint8_t *bytes, size_t length);
void cbench_care_free(void *record);
/// The encoded size of a record returned by cbench_care_decode.
size_t cbench_care_size(const void *record);
/// Encodes into `out` (cbench_care_size bytes); returns the bytes written.
size_t cbench_care_pack(const void *record, uint8_t *out);
/// One encode as a caller does it: size, allocate the output, pack, release the output.
/// Returns the encoded size.
size_t cbench_care_encode_once(const void *record);
/// One decode as a caller does it: unpack, then free the decoded record. Returns 0 on
/// success, -1 when the bytes do not parse.
int cbench_care_decode_once(const uint8_t *bytes, size_t length);

#endif
