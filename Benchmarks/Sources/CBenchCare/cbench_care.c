#include "include/cbench_care.h"
#include "include/bench_care.pb-c.h"

#include <stdlib.h>

void *cbench_care_decode(const uint8_t *bytes, size_t length) {
    return benchcare__care_record__unpack(NULL, length, bytes);
}

void cbench_care_free(void *record) {
    benchcare__care_record__free_unpacked((Benchcare__CareRecord *)record, NULL);
}

size_t cbench_care_size(const void *record) {
    return benchcare__care_record__get_packed_size((const Benchcare__CareRecord *)record);
}

size_t cbench_care_pack(const void *record, uint8_t *out) {
    return benchcare__care_record__pack((const Benchcare__CareRecord *)record, out);
}

size_t cbench_care_encode_once(const void *record) {
    const Benchcare__CareRecord *message = (const Benchcare__CareRecord *)record;
    size_t size = benchcare__care_record__get_packed_size(message);
    uint8_t *out = malloc(size == 0 ? 1 : size);
    if (out == NULL) abort();
    size_t written = benchcare__care_record__pack(message, out);
    /* Keep the write observable so the compiler cannot drop it. */
    volatile uint8_t sink = size > 0 ? out[size - 1] : 0;
    (void)sink;
    free(out);
    return written;
}

int cbench_care_decode_once(const uint8_t *bytes, size_t length) {
    Benchcare__CareRecord *record = benchcare__care_record__unpack(NULL, length, bytes);
    if (record == NULL) return -1;
    benchcare__care_record__free_unpacked(record, NULL);
    return 0;
}
