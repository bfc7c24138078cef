/* dh-gateway-example: a hospital gateway that submits care records and reads a patient summary
 * through libdhrpc. See README.md in this directory.
 *
 *   dh-gateway-example CONNECTION submit --records FILE [--batch N]
 *   dh-gateway-example CONNECTION submit --sample N [--batch N]
 *   dh-gateway-example CONNECTION summary (--insured INSURER:SYMBOL:NUMBER:BRANCH | --patient-id HEX)
 *
 * CONNECTION: --host H --port P --ca FILE --cert FILE --key FILE [--server-name NAME]
 *             [--purpose treatment] [--acting-user ID] [--timeout-ms MS]
 *
 * --records FILE holds CareRecord messages in protobuf's length-delimited form: each message
 * preceded by its length as a varint (writeDelimitedTo in Java, BinaryDelimited in Swift,
 * _VarintBytes(len) + bytes in Python). --sample N builds N allergy records, one per patient, in C.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "datahealth/v1/care_record.pb-c.h"
#include "dhrpc.h"

#define SUBMIT "/datahealth.v1.CareRecordService/SubmitRecords"
#define SUMMARY "/datahealth.v1.CareRecordService/GetPatientSummary"
#define MAX_RECORD_SIZE (10 * 1024 * 1024)

typedef struct {
    const char *purpose, *acting_user;
    int64_t timeout_ms;
    int batch;
} options;

static void usage(void) {
    fprintf(stderr,
            "usage: dh-gateway-example --host H --port P --ca FILE --cert FILE --key FILE [--server-name NAME]\n"
            "         [--purpose P] [--acting-user ID] [--timeout-ms MS]\n"
            "         submit (--records FILE | --sample N) [--batch N]\n"
            "       | summary (--insured INSURER:SYMBOL:NUMBER:BRANCH | --patient-id HEX)\n");
    exit(64);
}

/* The institution (医療機関コード) of the gateway certificate: ORG of its dh://ORG/gateway/ID URI. */
static int institution_of(const char *cert_file, char *code, size_t size) {
    FILE *file = fopen(cert_file, "r");
    if (!file) return -1;
    X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    if (!cert) return -1;
    int found = -1;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type != GEN_URI) continue;
        const char *uri = (const char *)ASN1_STRING_get0_data(name->d.uniformResourceIdentifier);
        const char *slash = strncmp(uri, "dh://", 5) == 0 ? strchr(uri + 5, '/') : NULL;
        if (slash && (size_t)(slash - uri - 5) < size) {
            memcpy(code, uri + 5, (size_t)(slash - uri - 5));
            code[slash - uri - 5] = 0;
            found = 0;
            break;
        }
    }
    GENERAL_NAMES_free(names);
    X509_free(cert);
    return found;
}

static const char *result_name(Datahealth__V1__RecordOutcome__Result result) {
    switch (result) {
        case DATAHEALTH__V1__RECORD_OUTCOME__RESULT__RESULT_ACCEPTED: return "ACCEPTED";
        case DATAHEALTH__V1__RECORD_OUTCOME__RESULT__RESULT_DUPLICATE: return "DUPLICATE";
        case DATAHEALTH__V1__RECORD_OUTCOME__RESULT__RESULT_REJECTED: return "REJECTED";
        default: return "UNSPECIFIED";
    }
}

/* Reads the next varint-length-delimited message: 1 read, 0 end of file, -1 malformed. */
static int read_delimited(FILE *file, uint8_t **data, size_t *len) {
    uint64_t size = 0;
    int shift = 0, c;
    for (;;) {
        c = fgetc(file);
        if (c == EOF) return shift == 0 ? 0 : -1;
        size |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) break;
        shift += 7;
        if (shift > 63) return -1;
    }
    if (size > MAX_RECORD_SIZE) return -1;
    *data = malloc(size ? size : 1);
    if (!*data || fread(*data, 1, size, file) != size) { free(*data); return -1; }
    *len = size;
    return 1;
}

/* A sample allergy record for patient `index` of `institution`. Strings live in `scratch`. */
typedef struct {
    char key[64], submission[64], number[16];
    Datahealth__V1__CareRecord record;
    Datahealth__V1__PatientReference patient;
    Datahealth__V1__InsuredPersonId insured;
    Datahealth__V1__Provenance provenance;
    Datahealth__V1__Institution institution;
    Google__Protobuf__Timestamp recorded_at;
    Datahealth__V1__Allergy allergy;
    Datahealth__V1__CodedValue substance;
} sample_record;

static void make_sample(sample_record *s, const char *institution, int index) {
    static const char *substances[] = {"egg", "milk", "wheat", "buckwheat", "peanut", "shrimp", "crab"};
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    snprintf(s->key, sizeof s->key, "sample-allergy-%d", index);
    snprintf(s->submission, sizeof s->submission, "%s^%d^allergy-%d", institution, utc.tm_year + 1900, index);
    snprintf(s->number, sizeof s->number, "%07d", index);
    datahealth__v1__insured_person_id__init(&s->insured);
    s->insured.insurer_number = "06139999";
    s->insured.symbol = "SAMPLE";
    s->insured.number = s->number;
    s->insured.branch_number = "00";
    datahealth__v1__patient_reference__init(&s->patient);
    s->patient.id_case = DATAHEALTH__V1__PATIENT_REFERENCE__ID_INSURED;
    s->patient.insured = &s->insured;
    datahealth__v1__institution__init(&s->institution);
    s->institution.code = (char *)institution;
    google__protobuf__timestamp__init(&s->recorded_at);
    s->recorded_at.seconds = (int64_t)now - 60;
    datahealth__v1__provenance__init(&s->provenance);
    s->provenance.institution = &s->institution;
    s->provenance.department = "internal-medicine";
    s->provenance.recorded_at = &s->recorded_at;
    datahealth__v1__coded_value__init(&s->substance);
    s->substance.text = (char *)substances[index % 7];
    datahealth__v1__allergy__init(&s->allergy);
    s->allergy.category = DATAHEALTH__V1__ALLERGY__CATEGORY__CATEGORY_FOOD;
    s->allergy.substance = &s->substance;
    datahealth__v1__care_record__init(&s->record);
    s->record.idempotency_key = s->key;
    s->record.submission_id = s->submission;
    s->record.operation = DATAHEALTH__V1__OPERATION__OPERATION_CREATE;
    s->record.patient = &s->patient;
    s->record.provenance = &s->provenance;
    s->record.item_case = DATAHEALTH__V1__CARE_RECORD__ITEM_ALLERGY;
    s->record.allergy = &s->allergy;
}

/* Sends one batch (SubmitRecordsRequest) of packed records on the call. */
static int send_batch(dhrpc_call *call, Datahealth__V1__CareRecord **records, size_t count) {
    Datahealth__V1__SubmitRecordsRequest request = DATAHEALTH__V1__SUBMIT_RECORDS_REQUEST__INIT;
    request.records = records;
    request.n_records = count;
    return dhrpc_call_send_message(call, &request.base);
}

static int submit(dhrpc_conn *conn, const dhrpc_metadata_entry *metadata, size_t metadata_count, const options *o,
                  const char *records_file, int sample, const char *cert_file) {
    dhrpc_status status;
    dhrpc_call *call = dhrpc_call_start(conn, SUBMIT, metadata, metadata_count, o->timeout_ms, &status);
    if (!call) { fprintf(stderr, "submit: %s: %s\n", dhrpc_code_name(status.code), status.message); return 1; }
    Datahealth__V1__CareRecord **batch = calloc((size_t)o->batch, sizeof *batch);
    sample_record *samples = NULL;
    size_t in_batch = 0, total = 0;
    int failed = 0;
    if (records_file) {
        FILE *file = strcmp(records_file, "-") == 0 ? stdin : fopen(records_file, "rb");
        if (!file) { perror(records_file); dhrpc_call_cancel(call); dhrpc_call_finish(call, NULL); free(batch); return 1; }
        uint8_t *data;
        size_t len;
        int r;
        while ((r = read_delimited(file, &data, &len)) == 1) {
            batch[in_batch] = datahealth__v1__care_record__unpack(NULL, len, data);
            free(data);
            if (!batch[in_batch]) { fprintf(stderr, "submit: record %zu does not decode as a CareRecord\n", total + 1); r = -1; break; }
            total++;
            if (++in_batch == (size_t)o->batch) {
                failed = send_batch(call, batch, in_batch) != DHRPC_OK;
                for (size_t i = 0; i < in_batch; i++) datahealth__v1__care_record__free_unpacked(batch[i], NULL);
                in_batch = 0;
                if (failed) break;
            }
        }
        if (r < 0) { fprintf(stderr, "submit: %s is not length-delimited CareRecords\n", records_file); failed = 1; }
        if (!failed && in_batch) failed = send_batch(call, batch, in_batch) != DHRPC_OK;
        for (size_t i = 0; i < in_batch; i++) datahealth__v1__care_record__free_unpacked(batch[i], NULL);
        if (file != stdin) fclose(file);
        if (r < 0) dhrpc_call_cancel(call);
    } else {
        char institution[32];
        if (institution_of(cert_file, institution, sizeof institution) < 0) {
            fprintf(stderr, "submit: %s has no dh://ORG/gateway/ID identity\n", cert_file);
            dhrpc_call_cancel(call);
            dhrpc_call_finish(call, NULL);
            free(batch);
            return 1;
        }
        samples = calloc((size_t)o->batch, sizeof *samples);
        for (int i = 0; i < sample && !failed; i++) {
            make_sample(&samples[in_batch], institution, i);
            batch[in_batch] = &samples[in_batch].record;
            total++;
            if (++in_batch == (size_t)o->batch || i == sample - 1) {
                failed = send_batch(call, batch, in_batch) != DHRPC_OK;
                in_batch = 0;
            }
        }
    }
    free(batch);
    free(samples);
    dhrpc_call_close_send(call);
    ProtobufCMessage *out = NULL;
    dhrpc_call_recv_message(call, &datahealth__v1__submit_records_response__descriptor, &out);
    int code = dhrpc_call_finish(call, &status);
    if (code != DHRPC_OK) {
        fprintf(stderr, "submit: %s: %s\n", dhrpc_code_name(code), status.message);
        if (out) protobuf_c_message_free_unpacked(out, NULL);
        dhrpc_status_clear(&status);
        return 1;
    }
    Datahealth__V1__SubmitRecordsResponse *response = (Datahealth__V1__SubmitRecordsResponse *)out;
    for (size_t i = 0; response && i < response->n_outcomes; i++) {
        Datahealth__V1__RecordOutcome *outcome = response->outcomes[i];
        if (outcome->result == DATAHEALTH__V1__RECORD_OUTCOME__RESULT__RESULT_REJECTED)
            printf("%s REJECTED %s: %s\n", outcome->idempotency_key, outcome->field_path, outcome->message);
        else
            printf("%s %s version=%lld\n", outcome->idempotency_key, result_name(outcome->result),
                   (long long)outcome->version);
    }
    if (response)
        printf("submitted %zu: accepted %d, duplicate %d, rejected %d\n", total, response->accepted_count,
               response->duplicate_count, response->rejected_count);
    if (out) protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return response ? 0 : 1;
}

static int summary(dhrpc_conn *conn, const dhrpc_metadata_entry *metadata, size_t metadata_count, const options *o,
                   const char *insured_text, const char *patient_id) {
    Datahealth__V1__GetPatientSummaryRequest request = DATAHEALTH__V1__GET_PATIENT_SUMMARY_REQUEST__INIT;
    Datahealth__V1__PatientReference patient = DATAHEALTH__V1__PATIENT_REFERENCE__INIT;
    Datahealth__V1__InsuredPersonId insured = DATAHEALTH__V1__INSURED_PERSON_ID__INIT;
    char fields[4][64] = {{0}};
    if (insured_text) {
        /* INSURER:SYMBOL:NUMBER:BRANCH */
        const char *p = insured_text;
        for (int i = 0; i < 4; i++) {
            const char *end = i < 3 ? strchr(p, ':') : p + strlen(p);
            if (!end || (size_t)(end - p) >= sizeof fields[i]) usage();
            memcpy(fields[i], p, (size_t)(end - p));
            p = end + 1;
        }
        insured.insurer_number = fields[0];
        insured.symbol = fields[1];
        insured.number = fields[2];
        insured.branch_number = fields[3];
        patient.id_case = DATAHEALTH__V1__PATIENT_REFERENCE__ID_INSURED;
        patient.insured = &insured;
    } else {
        patient.id_case = DATAHEALTH__V1__PATIENT_REFERENCE__ID_PATIENT_ID;
        patient.patient_id = (char *)patient_id;
    }
    request.patient = &patient;
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, SUMMARY, metadata, metadata_count, o->timeout_ms, &request.base,
                                   &datahealth__v1__patient_summary__descriptor, &out, &status);
    if (code != DHRPC_OK) {
        fprintf(stderr, "summary: %s: %s\n", dhrpc_code_name(code), status.message);
        dhrpc_status_clear(&status);
        return 1;
    }
    Datahealth__V1__PatientSummary *s = (Datahealth__V1__PatientSummary *)out;
    printf("patient %s: %zu items\n", s->patient_id, s->n_items);
    for (size_t i = 0; i < s->n_items; i++) {
        Datahealth__V1__SummaryItem *item = s->items[i];
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field(&datahealth__v1__summary_item__descriptor, (unsigned)item->item_case);
        printf("  %s version=%lld from %s%s\n", field ? field->name : "item", (long long)item->version,
               item->provenance && item->provenance->institution ? item->provenance->institution->code : "?",
               item->undisclosed ? " (undisclosed)" : "");
    }
    protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return 0;
}

int main(int argc, char **argv) {
    dhrpc_config config;
    dhrpc_config_init(&config);
    options o = {"treatment", NULL, 60000, 100};
    const char *command = NULL, *records = NULL, *insured = NULL, *patient_id = NULL;
    int sample = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (i++, 1))
        if (OPT("--host")) config.host = v;
        else if (OPT("--port")) config.port = atoi(v);
        else if (OPT("--ca")) config.ca_file = v;
        else if (OPT("--cert")) config.cert_file = v;
        else if (OPT("--key")) config.key_file = v;
        else if (OPT("--server-name")) config.server_name = v;
        else if (OPT("--purpose")) o.purpose = v;
        else if (OPT("--acting-user")) o.acting_user = v;
        else if (OPT("--timeout-ms")) o.timeout_ms = atoll(v);
        else if (OPT("--records")) records = v;
        else if (OPT("--sample")) sample = atoi(v);
        else if (OPT("--batch")) o.batch = atoi(v);
        else if (OPT("--insured")) insured = v;
        else if (OPT("--patient-id")) patient_id = v;
        else if (!command && a[0] != '-') command = a;
        else usage();
#undef OPT
    }
    int submitting = command && strcmp(command, "submit") == 0;
    int reading = command && strcmp(command, "summary") == 0;
    if (!(submitting && (!records != !sample) && sample >= 0) && !(reading && (!insured != !patient_id))) usage();
    if (o.batch < 1 || o.batch > 1000) o.batch = 100;

    dhrpc_error error;
    dhrpc_conn *conn = dhrpc_connect(&config, &error);
    if (!conn) {
        fprintf(stderr, "connect: %s: %s\n", dhrpc_error_name(error.code), error.message);
        return 2;
    }
    dhrpc_metadata_entry metadata[2];
    size_t count = 0;
    metadata[count++] = dhrpc_text("dh-purpose", o.purpose);
    if (o.acting_user) metadata[count++] = dhrpc_text("dh-acting-user", o.acting_user);
    int result = submitting ? submit(conn, metadata, count, &o, records, sample, config.cert_file)
                            : summary(conn, metadata, count, &o, insured, patient_id);
    dhrpc_close(conn);
    return result;
}
