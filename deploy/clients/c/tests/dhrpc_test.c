#define _POSIX_C_SOURCE 200809L
/* Exercises libdhrpc against the Echo service of the transport tests (dh.echo.v1.Echo).
 * Usage: dhrpc-test CASE PORT CA CERT KEY
 * Prints one result line per case; exit 0 when the case behaved as expected, 1 otherwise,
 * 2 when the connection failed (the line names the dhrpc_error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhrpc.h"
#include "echo.pb-c.h"

#define GET "/dh.echo.v1.Echo/Get"
#define COLLECT "/dh.echo.v1.Echo/Collect"
#define EXPAND "/dh.echo.v1.Echo/Expand"

static int unary(dhrpc_conn *conn) {
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.text = "hello from C";
    dhrpc_metadata_entry metadata[] = {dhrpc_text("dh-purpose", "treatment"), dhrpc_text("x-request-id", "42")};
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, GET, metadata, 2, 10000, &request.base,
                                   &dh__echo__v1__echo_response__descriptor, &out, &status);
    if (code != DHRPC_OK) { printf("unary %s %s\n", dhrpc_code_name(code), status.message); return 1; }
    Dh__Echo__V1__EchoResponse *response = (Dh__Echo__V1__EchoResponse *)out;
    printf("unary OK text=%s peer=%s\n", response->text, response->peer);
    int ok = strcmp(response->text, "hello from C") == 0;
    protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    /* the same with raw bytes: field 1 (text) = "raw" */
    static const uint8_t raw[] = {0x0a, 0x03, 'r', 'a', 'w'};
    uint8_t *bytes;
    size_t len;
    code = dhrpc_unary(conn, GET, NULL, 0, 10000, raw, sizeof raw, &bytes, &len, &status);
    if (code != DHRPC_OK) { printf("unary-raw %s %s\n", dhrpc_code_name(code), status.message); return 1; }
    response = dh__echo__v1__echo_response__unpack(NULL, len, bytes);
    printf("unary-raw OK text=%s\n", response ? response->text : "(undecodable)");
    ok = ok && response && strcmp(response->text, "raw") == 0;
    if (response) dh__echo__v1__echo_response__free_unpacked(response, NULL);
    free(bytes);
    dhrpc_status_clear(&status);
    return ok ? 0 : 1;
}

/* 200 requests of 1 KiB each: more than one 64 KiB stream window, so the client waits for credit. */
static int client_stream(dhrpc_conn *conn) {
    dhrpc_status status;
    dhrpc_call *call = dhrpc_call_start(conn, COLLECT, NULL, 0, 20000, &status);
    if (!call) { printf("client-stream %s %s\n", dhrpc_code_name(status.code), status.message); return 1; }
    static uint8_t payload[1024];
    memset(payload, 0xa5, sizeof payload);
    char text[32];
    for (int i = 0; i < 200; i++) {
        Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
        snprintf(text, sizeof text, "r%d", i);
        request.text = text;
        request.payload.data = payload;
        request.payload.len = sizeof payload;
        if (dhrpc_call_send_message(call, &request.base) != DHRPC_OK) break;
    }
    dhrpc_call_close_send(call);
    ProtobufCMessage *out = NULL;
    int got = dhrpc_call_recv_message(call, &dh__echo__v1__echo_response__descriptor, &out);
    int code = dhrpc_call_finish(call, &status);
    if (code != DHRPC_OK || got != 1) {
        printf("client-stream %s %s\n", dhrpc_code_name(code), status.message);
        if (out) protobuf_c_message_free_unpacked(out, NULL);
        return 1;
    }
    Dh__Echo__V1__EchoResponse *response = (Dh__Echo__V1__EchoResponse *)out;
    printf("client-stream OK count=%lld text=%s\n", (long long)response->sequence, response->text);
    int ok = response->sequence == 200 && strcmp(response->text, "r199 204800") == 0;
    protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return ok ? 0 : 1;
}

/* 100 responses of 4 KiB: more than one window, so the client returns credit as it reads. */
static int server_stream(dhrpc_conn *conn) {
    dhrpc_status status;
    dhrpc_call *call = dhrpc_call_start(conn, EXPAND, NULL, 0, 20000, &status);
    if (!call) { printf("server-stream %s %s\n", dhrpc_code_name(status.code), status.message); return 1; }
    static uint8_t payload[4096];
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.sequence = 100;
    request.payload.data = payload;
    request.payload.len = sizeof payload;
    dhrpc_call_send_message(call, &request.base);
    dhrpc_call_close_send(call);
    int count = 0, in_order = 1;
    ProtobufCMessage *out;
    while (dhrpc_call_recv_message(call, &dh__echo__v1__echo_response__descriptor, &out) == 1) {
        Dh__Echo__V1__EchoResponse *response = (Dh__Echo__V1__EchoResponse *)out;
        if (response->sequence != count || response->payload.len != sizeof payload) in_order = 0;
        count++;
        protobuf_c_message_free_unpacked(out, NULL);
    }
    int code = dhrpc_call_finish(call, &status);
    printf("server-stream %s count=%d in_order=%d %s\n", dhrpc_code_name(code), count, in_order, status.message);
    dhrpc_status_clear(&status);
    return code == DHRPC_OK && count == 100 && in_order ? 0 : 1;
}

/* One 1 MiB message each way: larger than the stream window in both directions. */
static int large(dhrpc_conn *conn) {
    size_t size = 1024 * 1024;
    uint8_t *payload = malloc(size);
    for (size_t i = 0; i < size; i++) payload[i] = (uint8_t)(i * 7);
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.text = "large";
    request.payload.data = payload;
    request.payload.len = size;
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, GET, NULL, 0, 20000, &request.base,
                                   &dh__echo__v1__echo_response__descriptor, &out, &status);
    int ok = 0;
    if (code == DHRPC_OK) {
        Dh__Echo__V1__EchoResponse *response = (Dh__Echo__V1__EchoResponse *)out;
        ok = response->payload.len == size && memcmp(response->payload.data, payload, size) == 0;
        printf("large OK bytes=%zu same=%d\n", response->payload.len, ok);
        protobuf_c_message_free_unpacked(out, NULL);
    } else {
        printf("large %s %s\n", dhrpc_code_name(code), status.message);
    }
    free(payload);
    dhrpc_status_clear(&status);
    return ok ? 0 : 1;
}

static int error_status(dhrpc_conn *conn) {
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.fail_with_code = DHRPC_NOT_FOUND;
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, GET, NULL, 0, 10000, &request.base,
                                   &dh__echo__v1__echo_response__descriptor, &out, &status);
    printf("error %s message=%s\n", dhrpc_code_name(code), status.message);
    int ok = code == DHRPC_NOT_FOUND && strcmp(status.message, "asked to fail") == 0;
    dhrpc_status_clear(&status);
    /* an unknown method on the same connection */
    code = dhrpc_unary(conn, "/dh.echo.v1.Echo/Nope", NULL, 0, 10000, NULL, 0, (uint8_t **)&out, &(size_t){0}, &status);
    printf("unknown-method %s\n", dhrpc_code_name(code));
    ok = ok && code == DHRPC_UNIMPLEMENTED;
    dhrpc_status_clear(&status);
    return ok ? 0 : 1;
}

static int deadline(dhrpc_conn *conn) {
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.delay_ms = 10000;
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, GET, NULL, 0, 200, &request.base,
                                   &dh__echo__v1__echo_response__descriptor, &out, &status);
    printf("deadline %s message=%s\n", dhrpc_code_name(code), status.message);
    dhrpc_status_clear(&status);
    /* the connection still serves */
    Dh__Echo__V1__EchoRequest again = DH__ECHO__V1__ECHO_REQUEST__INIT;
    again.text = "after";
    int next = dhrpc_unary_message(conn, GET, NULL, 0, 10000, &again.base, &dh__echo__v1__echo_response__descriptor,
                                   &out, &status);
    printf("after-deadline %s\n", dhrpc_code_name(next));
    if (out) protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return code == DHRPC_DEADLINE_EXCEEDED && next == DHRPC_OK ? 0 : 1;
}

/* The server PINGs every 100 ms and gives up after 800 ms; the call takes 2 s. */
static int ping(dhrpc_conn *conn) {
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.text = "slow";
    request.delay_ms = 2000;
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int code = dhrpc_unary_message(conn, GET, NULL, 0, 20000, &request.base,
                                   &dh__echo__v1__echo_response__descriptor, &out, &status);
    printf("ping %s %s\n", dhrpc_code_name(code), status.message);
    if (out) protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return code == DHRPC_OK ? 0 : 1;
}

/* The server closes idle connections after 500 ms with GOAWAY: a call after that fails with
 * UNAVAILABLE, and the connection says it is no longer usable. */
static int goaway(dhrpc_conn *conn) {
    Dh__Echo__V1__EchoRequest request = DH__ECHO__V1__ECHO_REQUEST__INIT;
    request.text = "first";
    ProtobufCMessage *out = NULL;
    dhrpc_status status;
    int first = dhrpc_unary_message(conn, GET, NULL, 0, 10000, &request.base, &dh__echo__v1__echo_response__descriptor,
                                    &out, &status);
    if (out) protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    struct timespec pause = {1, 500 * 1000000L};
    nanosleep(&pause, NULL);
    int second = dhrpc_unary_message(conn, GET, NULL, 0, 10000, &request.base,
                                     &dh__echo__v1__echo_response__descriptor, &out, &status);
    printf("goaway first=%s second=%s usable=%d %s\n", dhrpc_code_name(first), dhrpc_code_name(second),
           dhrpc_conn_usable(conn), status.message);
    if (out) protobuf_c_message_free_unpacked(out, NULL);
    dhrpc_status_clear(&status);
    return first == DHRPC_OK && second == DHRPC_UNAVAILABLE && !dhrpc_conn_usable(conn) ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s unary|client-stream|server-stream|large|error|deadline|ping|goaway|connect PORT CA CERT KEY\n", argv[0]);
        return 64;
    }
    dhrpc_config config;
    dhrpc_config_init(&config);
    config.host = "127.0.0.1";
    config.port = atoi(argv[2]);
    config.ca_file = argv[3];
    config.cert_file = argv[4];
    config.key_file = argv[5];
    dhrpc_error error;
    dhrpc_conn *conn = dhrpc_connect(&config, &error);
    if (!conn) {
        printf("connect-error %s: %s\n", dhrpc_error_name(error.code), error.message);
        return 2;
    }
    const char *name = argv[1];
    int result = 1;
    if (strcmp(name, "unary") == 0) result = unary(conn);
    else if (strcmp(name, "client-stream") == 0) result = client_stream(conn);
    else if (strcmp(name, "server-stream") == 0) result = server_stream(conn);
    else if (strcmp(name, "large") == 0) result = large(conn);
    else if (strcmp(name, "error") == 0) result = error_status(conn);
    else if (strcmp(name, "deadline") == 0) result = deadline(conn);
    else if (strcmp(name, "ping") == 0) result = ping(conn);
    else if (strcmp(name, "goaway") == 0) result = goaway(conn);
    else if (strcmp(name, "connect") == 0) { printf("connect OK\n"); result = 0; }
    else fprintf(stderr, "unknown case %s\n", name);
    dhrpc_close(conn);
    return result;
}
