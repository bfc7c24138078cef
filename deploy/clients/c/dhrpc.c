/* libdhrpc: dh-rpc/1 client over TLS 1.3 (see dhrpc.h and docs/PROTOCOL.md). */
#define _POSIX_C_SOURCE 200809L

#include "dhrpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* Frame types, flags, settings and connection error codes (PROTOCOL.md §2, §4, §9.1). */
enum { F_SETTINGS = 0, F_CALL = 1, F_HEADERS = 2, F_MESSAGE = 3, F_TRAILERS = 4, F_RST = 5, F_WINDOW = 6,
       F_PING = 7, F_GOAWAY = 8 };
enum { FLAG_ACK = 1, FLAG_END_STREAM = 1, FLAG_REFUSED = 1 };
enum { S_MAX_FRAME = 1, S_MAX_STREAMS = 2, S_STREAM_WINDOW = 3, S_CONN_WINDOW = 4, S_MAX_MESSAGE = 5,
       S_MINOR = 6 };
enum { E_NO_ERROR = 0, E_PROTOCOL = 1, E_FRAME_TOO_LARGE = 2, E_FLOW_CONTROL = 3, E_INTERNAL = 7 };

#define HEADER_SIZE 10
#define OUR_MAX_FRAME 16384u
#define MAX_WINDOW 0x7fffffffLL
#define WRITE_TIMEOUT_NS (30LL * 1000000000LL)

static const unsigned char alpn_wire[] = "\x08" "dh-rpc/1";

typedef struct {
    uint8_t *data;
    size_t len;
    int64_t credited_ahead; /* flow-control credit granted before the bytes arrived */
} queued_message;

struct dhrpc_call {
    dhrpc_conn *conn;
    uint32_t id;
    int64_t deadline; /* monotonic ns; 0 = none */
    int local_closed;
    int ended;
    int headers_seen;
    int message_seen;
    dhrpc_metadata headers;
    dhrpc_status status;
    int64_t send_credit;  /* what we may still send on the stream */
    int64_t recv_window;  /* what the server may still send on the stream */
    int64_t pending_credit; /* stream credit to return */
    /* the message in progress */
    uint8_t *partial;
    size_t partial_len, partial_cap;
    int64_t partial_ahead;
    /* complete messages not yet taken */
    queued_message *queue;
    size_t queue_head, queue_count, queue_cap;
};

struct dhrpc_conn {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    dhrpc_config config;
    int failed;
    int sending_goaway; /* conn_fail writes its GOAWAY although the connection counts as failed */
    int fail_code;
    char fail_message[512];
    int goaway;
    uint32_t goaway_last;
    char goaway_reason[256];
    int settings_received;
    int alert_received; /* the last TLS alert from the server, -1 if none */
    uint32_t next_id;
    uint32_t highest_id;
    /* the server's settings */
    uint32_t peer_max_frame;
    uint32_t peer_max_message;
    uint32_t peer_max_streams;
    int64_t peer_stream_window;
    int64_t conn_send_credit;
    /* our receive side */
    int64_t conn_recv_window;
    int64_t conn_pending_credit;
    uint8_t *rbuf;
    size_t rlen, rcap;
    dhrpc_call *call;
};

/* ---------- small helpers ---------- */

const char *dhrpc_code_name(int code) {
    static const char *names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                  "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                  "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                  "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    return (code >= 0 && code <= 16) ? names[code] : "UNKNOWN";
}

const char *dhrpc_error_name(dhrpc_error_code code) {
    static const char *names[] = {"NONE", "CONFIG", "TLS_SETUP", "RESOLVE", "CONNECT", "SERVER_CERTIFICATE",
                                  "CLIENT_CERTIFICATE", "TLS_VERSION", "ALPN", "TLS", "PROTOCOL", "TIMEOUT",
                                  "CLOSED"};
    return ((unsigned)code <= DHRPC_ERR_CLOSED) ? names[code] : "UNKNOWN";
}

void dhrpc_config_init(dhrpc_config *config) {
    memset(config, 0, sizeof *config);
    config->connect_timeout_ms = 10000;
    config->max_message_size = 4u * 1024 * 1024;
    config->initial_stream_window = 65536;
    config->initial_connection_window = 1024u * 1024;
}

dhrpc_metadata_entry dhrpc_text(const char *key, const char *value) {
    dhrpc_metadata_entry entry = {key, (const uint8_t *)value, strlen(value)};
    return entry;
}

static void metadata_free(dhrpc_metadata *metadata) {
    for (size_t i = 0; i < metadata->count; i++) {
        free((void *)metadata->entries[i].key);
        free((void *)metadata->entries[i].value);
    }
    free(metadata->entries);
    metadata->entries = NULL;
    metadata->count = 0;
}

char *dhrpc_metadata_get(const dhrpc_metadata *metadata, const char *key) {
    for (size_t i = 0; i < metadata->count; i++) {
        if (strcmp(metadata->entries[i].key, key) == 0) {
            char *copy = malloc(metadata->entries[i].value_len + 1);
            if (!copy) return NULL;
            memcpy(copy, metadata->entries[i].value, metadata->entries[i].value_len);
            copy[metadata->entries[i].value_len] = 0;
            return copy;
        }
    }
    return NULL;
}

void dhrpc_status_clear(dhrpc_status *status) {
    metadata_free(&status->trailers);
    status->code = DHRPC_OK;
    status->message[0] = 0;
}

static void set_status(dhrpc_status *status, int code, const char *format, ...) {
    if (!status) return;
    memset(status, 0, sizeof *status);
    status->code = code;
    va_list args;
    va_start(args, format);
    vsnprintf(status->message, sizeof status->message, format, args);
    va_end(args);
}

static void set_error(dhrpc_error *error, dhrpc_error_code code, const char *format, ...) {
    if (!error) return;
    error->code = code;
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof error->message, format, args);
    va_end(args);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static uint32_t get16(const uint8_t *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Appends an OpenSSL error queue's first reason to `buffer`. */
static void openssl_reason(char *buffer, size_t size) {
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, buffer, size);
    else snprintf(buffer, size, "no OpenSSL reason");
    ERR_clear_error();
}

/* Waits for `events` on the socket until `deadline` (0 = none): 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline) {
    for (;;) {
        int timeout = -1;
        if (deadline) {
            int64_t left = deadline - now_ns();
            if (left <= 0) return 0;
            timeout = (int)((left + 999999) / 1000000);
        }
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, timeout);
        if (r > 0) return 1;
        if (r == 0) continue; /* re-check the deadline */
        if (errno != EINTR) return -1;
    }
}

/* ---------- connection failure and call end ---------- */

static void call_end(dhrpc_call *call, int code, const char *message) {
    if (!call || call->ended) return;
    call->ended = 1;
    set_status(&call->status, code, "%s", message);
}

static int write_all(dhrpc_conn *conn, const uint8_t *data, size_t len);

/* The connection is unusable: fail the open call with `code`; send GOAWAY if `goaway_code` >= 0. */
static void conn_fail(dhrpc_conn *conn, int code, int goaway_code, const char *format, ...) {
    if (conn->failed) return;
    va_list args;
    va_start(args, format);
    vsnprintf(conn->fail_message, sizeof conn->fail_message, format, args);
    va_end(args);
    conn->failed = 1;
    conn->fail_code = code;
    call_end(conn->call, code, conn->fail_message);
    if (goaway_code >= 0) {
        size_t reason = strlen(conn->fail_message);
        if (reason > 200) reason = 200;
        uint8_t frame[HEADER_SIZE + 10 + 200];
        put32(frame, (uint32_t)(10 + reason));
        frame[4] = F_GOAWAY; frame[5] = 0; put32(frame + 6, 0);
        put32(frame + 10, 0); put32(frame + 14, (uint32_t)goaway_code); put16(frame + 18, (uint32_t)reason);
        memcpy(frame + 20, conn->fail_message, reason);
        conn->sending_goaway = 1;
        write_all(conn, frame, HEADER_SIZE + 10 + reason);
        conn->sending_goaway = 0;
    }
}

/* Describes the failed TLS operation's reason into `buffer`. */
static void tls_reason(dhrpc_conn *conn, char *buffer, size_t size) {
    if (conn->alert_received >= 0) {
        snprintf(buffer, size, "TLS alert from the server: %s", SSL_alert_desc_string_long(conn->alert_received));
        ERR_clear_error();
    } else {
        openssl_reason(buffer, size);
    }
}

/* ---------- raw I/O ---------- */

/* Writing to a socket the server has closed raises SIGPIPE, which would end the process. The
 * library blocks it on the calling thread around its writes and discards one it caused, so the
 * failure is reported as UNAVAILABLE instead; the process's signal dispositions stay untouched. */
typedef struct {
    sigset_t old;
    int was_blocked;
} pipe_guard;

static void pipe_guard_begin(pipe_guard *guard) {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &guard->old);
    guard->was_blocked = sigismember(&guard->old, SIGPIPE);
}

static void pipe_guard_end(pipe_guard *guard) {
    if (guard->was_blocked) return;
    sigset_t pending, pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &guard->old, NULL);
}

static int write_all(dhrpc_conn *conn, const uint8_t *data, size_t len) {
    if (conn->failed && !conn->sending_goaway) return -1;
    int64_t deadline = now_ns() + WRITE_TIMEOUT_NS;
    while (len > 0) {
        ERR_clear_error();
        pipe_guard guard;
        pipe_guard_begin(&guard);
        int n = SSL_write(conn->ssl, data, (int)(len > (1u << 30) ? (1u << 30) : len));
        pipe_guard_end(&guard);
        if (n > 0) { data += n; len -= (size_t)n; continue; }
        int e = SSL_get_error(conn->ssl, n);
        int r;
        if (e == SSL_ERROR_WANT_WRITE) r = wait_fd(conn->fd, POLLOUT, deadline);
        else if (e == SSL_ERROR_WANT_READ) r = wait_fd(conn->fd, POLLIN, deadline);
        else {
            char reason[256];
            tls_reason(conn, reason, sizeof reason);
            conn_fail(conn, DHRPC_UNAVAILABLE, -1, "connection lost while sending: %s", reason);
            return -1;
        }
        if (r <= 0) {
            conn_fail(conn, DHRPC_UNAVAILABLE, -1, "connection stalled: the server took nothing for 30 s");
            return -1;
        }
    }
    return 0;
}

/* Reads more bytes into rbuf: 1 read some, 0 deadline passed, -1 connection failed. */
static int read_more(dhrpc_conn *conn, int64_t deadline) {
    if (conn->failed) return -1;
    if (conn->rcap - conn->rlen < 16384) {
        size_t cap = conn->rcap ? conn->rcap * 2 : 65536;
        uint8_t *grown = realloc(conn->rbuf, cap);
        if (!grown) { conn_fail(conn, DHRPC_RESOURCE_EXHAUSTED, -1, "out of memory"); return -1; }
        conn->rbuf = grown;
        conn->rcap = cap;
    }
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(conn->ssl, conn->rbuf + conn->rlen, (int)(conn->rcap - conn->rlen));
        if (n > 0) { conn->rlen += (size_t)n; return 1; }
        int e = SSL_get_error(conn->ssl, n);
        int r;
        if (e == SSL_ERROR_WANT_READ) r = wait_fd(conn->fd, POLLIN, deadline);
        else if (e == SSL_ERROR_WANT_WRITE) r = wait_fd(conn->fd, POLLOUT, deadline);
        else {
            const char *where = conn->rlen ? " in the middle of a frame (truncated)" : "";
            if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
                if (conn->goaway)
                    conn_fail(conn, DHRPC_UNAVAILABLE, -1, "connection closed by the server after GOAWAY (%s)%s",
                              conn->goaway_reason, where);
                else
                    conn_fail(conn, DHRPC_UNAVAILABLE, -1, "connection closed by the server%s", where);
            } else {
                char reason[256];
                tls_reason(conn, reason, sizeof reason);
                conn_fail(conn, DHRPC_UNAVAILABLE, -1, "connection failed: %s%s", reason, where);
            }
            return -1;
        }
        if (r == 0) return 0;
        if (r < 0) { conn_fail(conn, DHRPC_UNAVAILABLE, -1, "poll failed: %s", strerror(errno)); return -1; }
    }
}

static int send_frame(dhrpc_conn *conn, uint8_t type, uint8_t flags, uint32_t stream, const uint8_t *payload,
                      size_t len) {
    uint8_t stack[HEADER_SIZE + 512];
    uint8_t *frame = len <= 512 ? stack : malloc(HEADER_SIZE + len);
    if (!frame) return -1;
    put32(frame, (uint32_t)len);
    frame[4] = type; frame[5] = flags; put32(frame + 6, stream);
    if (len) memcpy(frame + HEADER_SIZE, payload, len);
    int r = write_all(conn, frame, HEADER_SIZE + len);
    if (frame != stack) free(frame);
    return r;
}

static void send_rst(dhrpc_conn *conn, uint32_t stream, int code, const char *message) {
    size_t n = strlen(message);
    uint8_t payload[3 + 256];
    if (n > 256) n = 256;
    payload[0] = (uint8_t)code; put16(payload + 1, (uint32_t)n); memcpy(payload + 3, message, n);
    send_frame(conn, F_RST, 0, stream, payload, 3 + n);
}

static void send_window_update(dhrpc_conn *conn, uint32_t stream, int64_t increment) {
    while (increment > 0) {
        uint32_t step = increment > MAX_WINDOW ? (uint32_t)MAX_WINDOW : (uint32_t)increment;
        uint8_t payload[4];
        put32(payload, step);
        send_frame(conn, F_WINDOW, 0, stream, payload, 4);
        increment -= step;
    }
}

/* ---------- flow control: credit back what the application took ---------- */

static void return_conn_credit(dhrpc_conn *conn, int64_t bytes, int force) {
    conn->conn_pending_credit += bytes;
    int64_t quarter = conn->config.initial_connection_window / 4;
    if (conn->conn_pending_credit > 0 &&
        (force || conn->conn_pending_credit >= quarter || conn->conn_recv_window < quarter)) {
        send_window_update(conn, 0, conn->conn_pending_credit);
        conn->conn_recv_window += conn->conn_pending_credit;
        conn->conn_pending_credit = 0;
    }
}

static void return_stream_credit(dhrpc_call *call, int64_t bytes) {
    dhrpc_conn *conn = call->conn;
    if (call->ended) { return_conn_credit(conn, bytes, 0); return; }
    call->pending_credit += bytes;
    int64_t quarter = conn->config.initial_stream_window / 4;
    if (call->pending_credit > 0 && (call->pending_credit >= quarter || call->recv_window < quarter)) {
        send_window_update(conn, call->id, call->pending_credit);
        call->recv_window += call->pending_credit;
        call->pending_credit = 0;
    }
    return_conn_credit(conn, bytes, 0);
}

/* A message larger than the window: while nothing is queued, grant what completes it (§6). */
static void grant_for_message_in_progress(dhrpc_call *call) {
    dhrpc_conn *conn = call->conn;
    if (call->ended || call->queue_count > 0 || call->partial_len < 4) return;
    int64_t total = (int64_t)get32(call->partial) + 4;
    int64_t missing = total - (int64_t)call->partial_len;
    if (missing <= 0) return;
    int64_t stream_need = missing - call->recv_window;
    int64_t conn_need = missing - conn->conn_recv_window;
    int64_t grant = stream_need > conn_need ? stream_need : conn_need;
    if (grant <= 0) return;
    if (call->recv_window + grant > MAX_WINDOW || conn->conn_recv_window + grant > MAX_WINDOW) return;
    send_window_update(conn, call->id, grant);
    call->recv_window += grant;
    send_window_update(conn, 0, grant);
    conn->conn_recv_window += grant;
    call->partial_ahead += grant;
}

/* ---------- frame parsing ---------- */

static int valid_key(const uint8_t *key, size_t n) {
    if (n == 0 || n > 255) return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.')) return 0;
    }
    return 1;
}

static int is_binary_key(const char *key, size_t n) { return n >= 4 && memcmp(key + n - 4, "-bin", 4) == 0; }

static int valid_text(const uint8_t *value, size_t n) {
    for (size_t i = 0; i < n; i++) if (value[i] < 0x20 || value[i] > 0x7e) return 0;
    return 1;
}

/* Parses a metadata block that must end exactly at `end`. 0 on success. */
static int parse_metadata(const uint8_t *p, const uint8_t *end, dhrpc_metadata *out) {
    memset(out, 0, sizeof *out);
    if (end - p < 2) return -1;
    size_t count = get16(p);
    p += 2;
    if (count) {
        out->entries = calloc(count, sizeof *out->entries);
        if (!out->entries) return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (end - p < 1) goto bad;
        size_t klen = *p++;
        if ((size_t)(end - p) < klen + 2 || !valid_key(p, klen)) goto bad;
        char *key = malloc(klen + 1);
        if (!key) goto bad;
        memcpy(key, p, klen); key[klen] = 0;
        p += klen;
        size_t vlen = get16(p);
        p += 2;
        if ((size_t)(end - p) < vlen) { free(key); goto bad; }
        if (!is_binary_key(key, klen) && !valid_text(p, vlen)) { free(key); goto bad; }
        uint8_t *value = malloc(vlen + 1);
        if (!value) { free(key); goto bad; }
        memcpy(value, p, vlen); value[vlen] = 0;
        p += vlen;
        out->entries[i].key = key;
        out->entries[i].value = value;
        out->entries[i].value_len = vlen;
        out->count = i + 1;
    }
    if (p != end) goto bad;
    return 0;
bad:
    metadata_free(out);
    return -1;
}

/* Parses a string16 into `buffer` (truncated to fit); returns the bytes consumed or -1. */
static long parse_string16(const uint8_t *p, const uint8_t *end, char *buffer, size_t size) {
    if (end - p < 2) return -1;
    size_t n = get16(p);
    if ((size_t)(end - p - 2) < n) return -1;
    size_t copy = n < size - 1 ? n : size - 1;
    memcpy(buffer, p + 2, copy);
    buffer[copy] = 0;
    return (long)(2 + n);
}

static int code_from_wire(uint8_t code) { return code <= 16 ? code : DHRPC_UNKNOWN; }

static int status_for_goaway(uint32_t code) {
    switch (code) {
        case E_NO_ERROR: return DHRPC_UNAVAILABLE;
        case E_FRAME_TOO_LARGE: return DHRPC_RESOURCE_EXHAUSTED;
        case 4: case 5: case 6: return DHRPC_UNAVAILABLE;
        default: return DHRPC_INTERNAL;
    }
}

static const char *goaway_name(uint32_t code) {
    static const char *names[] = {"NO_ERROR", "PROTOCOL_ERROR", "FRAME_TOO_LARGE", "FLOW_CONTROL_ERROR",
                                  "SETTINGS_TIMEOUT", "ENHANCE_YOUR_CALM", "KEEPALIVE_TIMEOUT", "INTERNAL_ERROR"};
    return code <= 7 ? names[code] : "INTERNAL_ERROR";
}

#define PROTOCOL_ERROR(...) do { conn_fail(conn, DHRPC_INTERNAL, E_PROTOCOL, __VA_ARGS__); return -1; } while (0)

/* Moves complete messages of the call's byte stream into its queue. */
static int deframe(dhrpc_call *call, const uint8_t *data, size_t len) {
    dhrpc_conn *conn = call->conn;
    while (len > 0) {
        size_t want;
        if (call->partial_len < 4) want = 4 - call->partial_len;
        else want = (size_t)get32(call->partial) + 4 - call->partial_len;
        size_t take = len < want ? len : want;
        if (call->partial_cap < call->partial_len + take) {
            size_t cap = call->partial_len + take;
            if (call->partial_len >= 4) cap = (size_t)get32(call->partial) + 4;
            uint8_t *grown = realloc(call->partial, cap);
            if (!grown) { conn_fail(conn, DHRPC_RESOURCE_EXHAUSTED, -1, "out of memory"); return -1; }
            call->partial = grown;
            call->partial_cap = cap;
        }
        memcpy(call->partial + call->partial_len, data, take);
        call->partial_len += take;
        data += take;
        len -= take;
        if (call->partial_len == 4 && get32(call->partial) > conn->config.max_message_size) {
            int64_t held = (int64_t)call->partial_len + (int64_t)len;
            send_rst(conn, call->id, DHRPC_RESOURCE_EXHAUSTED, "message larger than MAX_MESSAGE_SIZE");
            call_end(call, DHRPC_RESOURCE_EXHAUSTED, "response message larger than max_message_size");
            call->partial_len = 0;
            return_conn_credit(conn, held, 0);
            return 0;
        }
        if (call->partial_len >= 4 && call->partial_len == (size_t)get32(call->partial) + 4) {
            if (call->queue_count == call->queue_cap) {
                size_t cap = call->queue_cap ? call->queue_cap * 2 : 8;
                queued_message *grown = realloc(call->queue, cap * sizeof *grown);
                if (!grown) { conn_fail(conn, DHRPC_RESOURCE_EXHAUSTED, -1, "out of memory"); return -1; }
                /* keep the ring contiguous from queue_head */
                if (call->queue_head) {
                    memmove(grown, grown + call->queue_head, call->queue_count * sizeof *grown);
                    call->queue_head = 0;
                }
                call->queue = grown;
                call->queue_cap = cap;
            }
            if (call->queue_head + call->queue_count == call->queue_cap) {
                memmove(call->queue, call->queue + call->queue_head, call->queue_count * sizeof *call->queue);
                call->queue_head = 0;
            }
            size_t n = call->partial_len - 4;
            uint8_t *copy = malloc(n ? n : 1);
            if (!copy) { conn_fail(conn, DHRPC_RESOURCE_EXHAUSTED, -1, "out of memory"); return -1; }
            memcpy(copy, call->partial + 4, n);
            queued_message *slot = &call->queue[call->queue_head + call->queue_count++];
            slot->data = copy;
            slot->len = n;
            slot->credited_ahead = call->partial_ahead;
            call->partial_ahead = 0;
            call->partial_len = 0;
            call->message_seen = 1;
        }
    }
    return 0;
}

static int handle_settings(dhrpc_conn *conn, uint8_t flags, const uint8_t *p, size_t len) {
    if (flags & FLAG_ACK) {
        if (len) PROTOCOL_ERROR("SETTINGS ACK with a payload");
        return 0;
    }
    if (conn->settings_received) PROTOCOL_ERROR("second SETTINGS");
    if (len % 6) PROTOCOL_ERROR("SETTINGS length not a multiple of 6");
    unsigned seen = 0;
    for (size_t i = 0; i < len; i += 6) {
        uint32_t id = get16(p + i), value = get32(p + i + 2);
        if (id >= 1 && id <= 6) {
            if (seen & (1u << id)) PROTOCOL_ERROR("setting %u twice", id);
            seen |= 1u << id;
        }
        switch (id) {
            case S_MAX_FRAME:
                if (value < 16384 || value > 16777215) PROTOCOL_ERROR("bad MAX_FRAME_SIZE %u", value);
                conn->peer_max_frame = value; break;
            case S_MAX_STREAMS:
                if (value > MAX_WINDOW) PROTOCOL_ERROR("bad MAX_CONCURRENT_STREAMS");
                conn->peer_max_streams = value; break;
            case S_STREAM_WINDOW:
                if (value < 1 || value > MAX_WINDOW) PROTOCOL_ERROR("bad INITIAL_STREAM_WINDOW");
                conn->peer_stream_window = value; break;
            case S_CONN_WINDOW:
                if (value < 1 || value > MAX_WINDOW) PROTOCOL_ERROR("bad INITIAL_CONNECTION_WINDOW");
                conn->conn_send_credit = value; break;
            case S_MAX_MESSAGE:
                if (value > MAX_WINDOW) PROTOCOL_ERROR("bad MAX_MESSAGE_SIZE");
                conn->peer_max_message = value; break;
            default: break; /* MINOR_VERSION (we speak 0) and unknown ids */
        }
    }
    conn->settings_received = 1;
    return send_frame(conn, F_SETTINGS, FLAG_ACK, 0, NULL, 0);
}

/* Processes one complete frame at the start of rbuf, if there is one: 1 done, 0 need bytes, -1 failed. */
static int process_frame(dhrpc_conn *conn) {
    if (conn->rlen < HEADER_SIZE) return 0;
    const uint8_t *h = conn->rbuf;
    uint32_t len = get32(h);
    uint8_t type = h[4], flags = h[5];
    uint32_t raw_id = get32(h + 6);
    if (len > OUR_MAX_FRAME) {
        conn_fail(conn, DHRPC_RESOURCE_EXHAUSTED, E_FRAME_TOO_LARGE, "frame of %u bytes above MAX_FRAME_SIZE", len);
        return -1;
    }
    if (conn->rlen < HEADER_SIZE + (size_t)len) return 0;
    const uint8_t *p = h + HEADER_SIZE, *end = p + len;
    uint32_t id = raw_id & 0x7fffffffu;
    if (raw_id != id) PROTOCOL_ERROR("reserved bit set in the stream id");
    if (type > F_GOAWAY) PROTOCOL_ERROR("unknown frame type %u", type);
    int connection_level = type == F_SETTINGS || type == F_PING || type == F_GOAWAY;
    if (connection_level && id != 0) PROTOCOL_ERROR("connection frame on stream %u", id);
    if (!connection_level && type != F_WINDOW && id == 0) PROTOCOL_ERROR("stream frame on stream 0");
    uint8_t allowed = (type == F_SETTINGS || type == F_PING) ? FLAG_ACK : type == F_RST ? FLAG_REFUSED : 0;
    if (flags & ~allowed) PROTOCOL_ERROR("undefined flag 0x%02x on frame type %u", flags, type);
    if (!conn->settings_received && type != F_SETTINGS && type != F_PING && type != F_GOAWAY)
        PROTOCOL_ERROR("frame type %u before SETTINGS", type);
    if (!connection_level && id != 0) {
        if (type == F_CALL) PROTOCOL_ERROR("CALL from the server");
        if (id > conn->highest_id || (id % 2) == 0) PROTOCOL_ERROR("frame for stream %u that never existed", id);
    }
    dhrpc_call *call = conn->call;
    int open = call && !call->ended && call->id == id;
    int result = 0;

    switch (type) {
        case F_SETTINGS:
            if (handle_settings(conn, flags, p, len) < 0) return -1;
            break;
        case F_PING:
            if (len != 8) PROTOCOL_ERROR("PING payload of %u bytes", len);
            if (!(flags & FLAG_ACK)) send_frame(conn, F_PING, FLAG_ACK, 0, p, 8);
            break;
        case F_GOAWAY: {
            if (len < 10) PROTOCOL_ERROR("short GOAWAY");
            uint32_t last = get32(p), code = get32(p + 4);
            long n = parse_string16(p + 8, end, conn->goaway_reason, sizeof conn->goaway_reason);
            if (n < 0 || 8 + (size_t)n != len || (last >> 31)) PROTOCOL_ERROR("malformed GOAWAY");
            conn->goaway = 1;
            conn->goaway_last = last;
            if (code != E_NO_ERROR) {
                conn_fail(conn, status_for_goaway(code), -1, "server closed the connection: GOAWAY %s (%s)",
                          goaway_name(code), conn->goaway_reason);
                result = -1;
            } else if (open && call->id > last) {
                call_end(call, DHRPC_UNAVAILABLE, "call refused: the server is going away (GOAWAY); safe to retry");
            }
            break;
        }
        case F_WINDOW: {
            if (len != 4) PROTOCOL_ERROR("WINDOW_UPDATE payload of %u bytes", len);
            uint32_t increment = get32(p);
            if (increment == 0 || (increment >> 31)) PROTOCOL_ERROR("WINDOW_UPDATE of %u", increment);
            if (id == 0) {
                conn->conn_send_credit += increment;
                if (conn->conn_send_credit > MAX_WINDOW) {
                    conn_fail(conn, DHRPC_INTERNAL, E_FLOW_CONTROL, "connection window above 2^31-1");
                    return -1;
                }
            } else if (open) {
                call->send_credit += increment;
                if (call->send_credit > MAX_WINDOW) {
                    conn_fail(conn, DHRPC_INTERNAL, E_FLOW_CONTROL, "stream window above 2^31-1");
                    return -1;
                }
            }
            break;
        }
        case F_HEADERS:
            if (open) {
                if (call->headers_seen || call->message_seen) {
                    send_rst(conn, id, DHRPC_INTERNAL, "HEADERS twice or after MESSAGE");
                    call_end(call, DHRPC_INTERNAL, "server sent HEADERS twice or after a message");
                    break;
                }
                if (parse_metadata(p, end, &call->headers) < 0) PROTOCOL_ERROR("bad metadata in HEADERS");
                call->headers_seen = 1;
            }
            break;
        case F_MESSAGE:
            conn->conn_recv_window -= len;
            if (conn->conn_recv_window < 0) {
                conn_fail(conn, DHRPC_INTERNAL, E_FLOW_CONTROL, "server sent beyond the connection window");
                return -1;
            }
            if (!open) { /* a closed stream: count and return the connection credit at once */
                return_conn_credit(conn, len, 0);
                break;
            }
            call->recv_window -= len;
            if (call->recv_window < 0) {
                conn_fail(conn, DHRPC_INTERNAL, E_FLOW_CONTROL, "server sent beyond the stream window");
                return -1;
            }
            if (len == 0) PROTOCOL_ERROR("empty MESSAGE without END_STREAM");
            if (deframe(call, p, len) < 0) return -1;
            break;
        case F_TRAILERS:
            if (open) {
                if (len < 3) PROTOCOL_ERROR("short TRAILERS");
                char message[sizeof call->status.message];
                long n = parse_string16(p + 1, end, message, sizeof message);
                if (n < 0) PROTOCOL_ERROR("bad TRAILERS message");
                dhrpc_metadata trailers;
                if (parse_metadata(p + 1 + n, end, &trailers) < 0) PROTOCOL_ERROR("bad metadata in TRAILERS");
                call_end(call, code_from_wire(p[0]), message);
                call->status.trailers = trailers;
                if (call->partial_len) { /* the response ended inside a message */
                    return_conn_credit(conn, (int64_t)call->partial_len - call->partial_ahead, 0);
                    call->partial_len = 0;
                    if (call->status.code == DHRPC_OK) {
                        metadata_free(&call->status.trailers);
                        set_status(&call->status, DHRPC_INTERNAL, "response ended inside a message");
                    }
                }
            }
            break;
        case F_RST:
            if (open) {
                if (len < 3) PROTOCOL_ERROR("short RST_STREAM");
                char message[900];
                long n = parse_string16(p + 1, end, message, sizeof message);
                if (n < 0 || 1 + (size_t)n != len) PROTOCOL_ERROR("bad RST_STREAM");
                char text[sizeof call->status.message];
                snprintf(text, sizeof text, "%s%s", message, flags & FLAG_REFUSED ? " (refused; safe to retry)" : "");
                call_end(call, code_from_wire(p[0]), text);
            }
            break;
        default:
            PROTOCOL_ERROR("unexpected frame type %u", type);
    }
    if (conn->failed) return -1;
    size_t used = HEADER_SIZE + (size_t)len;
    memmove(conn->rbuf, conn->rbuf + used, conn->rlen - used);
    conn->rlen -= used;
    return result < 0 ? -1 : 1;
}

/* One step of progress: a frame processed or bytes read. 1 progress, 0 deadline, -1 failed. */
static int step(dhrpc_conn *conn, int64_t deadline) {
    if (conn->failed) return -1;
    int r = process_frame(conn);
    if (r != 0) return r;
    return read_more(conn, deadline);
}

/* ---------- connect ---------- */

static void info_callback(const SSL *ssl, int where, int ret) {
    if (where & SSL_CB_READ_ALERT) {
        dhrpc_conn *conn = SSL_get_app_data(ssl);
        if (conn && (ret & 0xff) != 0 /* close_notify */) conn->alert_received = ret & 0xff;
    }
}

static dhrpc_error_code classify_alert(int alert) {
    switch (alert) {
        case 42: case 43: case 44: case 45: case 46: case 48: case 49: case 116:
            return DHRPC_ERR_CLIENT_CERTIFICATE; /* bad/unsupported/revoked/expired/unknown cert, unknown CA, access denied, certificate required */
        case 70: return DHRPC_ERR_TLS_VERSION;
        case 120: return DHRPC_ERR_ALPN;
        default: return DHRPC_ERR_TLS;
    }
}

static void describe_alert(dhrpc_conn *conn, dhrpc_error *error, const char *when) {
    dhrpc_error_code code = classify_alert(conn->alert_received);
    const char *what = code == DHRPC_ERR_CLIENT_CERTIFICATE ? "the server rejected the client certificate"
                     : code == DHRPC_ERR_TLS_VERSION        ? "the server refused the TLS version"
                     : code == DHRPC_ERR_ALPN               ? "the server does not speak dh-rpc/1 (ALPN)"
                                                            : "TLS failed";
    set_error(error, code, "%s (TLS alert from the server: %s, %s)", what,
              SSL_alert_desc_string_long(conn->alert_received), when);
}

static int connect_tcp(dhrpc_conn *conn, const char *host, int port, int64_t deadline, dhrpc_error *error) {
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, service, &hints, &list);
    if (rc != 0) { set_error(error, DHRPC_ERR_RESOLVE, "cannot resolve %s: %s", host, gai_strerror(rc)); return -1; }
    int last_errno = 0;
    int timed_out = 0;
    for (struct addrinfo *a = list; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) { last_errno = errno; continue; }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) { conn->fd = fd; break; }
        if (errno == EINPROGRESS) {
            int r = wait_fd(fd, POLLOUT, deadline);
            int soerr = 0;
            socklen_t slen = sizeof soerr;
            if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == 0 && soerr == 0) {
                conn->fd = fd;
                break;
            }
            if (r == 0) timed_out = 1;
            last_errno = soerr ? soerr : errno;
        } else {
            last_errno = errno;
        }
        close(fd);
    }
    freeaddrinfo(list);
    if (conn->fd < 0) {
        if (timed_out) set_error(error, DHRPC_ERR_TIMEOUT, "TCP connection to %s:%d timed out", host, port);
        else set_error(error, DHRPC_ERR_CONNECT, "cannot connect to %s:%d: %s", host, port, strerror(last_errno));
        return -1;
    }
    return 0;
}

static int setup_tls(dhrpc_conn *conn, const dhrpc_config *config, const char *name, dhrpc_error *error) {
    char reason[256];
    conn->ctx = SSL_CTX_new(TLS_client_method());
    if (!conn->ctx) { openssl_reason(reason, sizeof reason); set_error(error, DHRPC_ERR_TLS_SETUP, "SSL_CTX_new: %s", reason); return -1; }
    SSL_CTX_set_min_proto_version(conn->ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(conn->ctx, TLS1_3_VERSION);
    SSL_CTX_set_verify(conn->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_info_callback(conn->ctx, info_callback);
    SSL_CTX_set_mode(conn->ctx, SSL_MODE_AUTO_RETRY);
    if (SSL_CTX_load_verify_locations(conn->ctx, config->ca_file, NULL) != 1) {
        openssl_reason(reason, sizeof reason);
        set_error(error, DHRPC_ERR_TLS_SETUP, "cannot load the CA bundle %s: %s", config->ca_file, reason);
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(conn->ctx, config->cert_file) != 1) {
        openssl_reason(reason, sizeof reason);
        set_error(error, DHRPC_ERR_TLS_SETUP, "cannot load the client certificate %s: %s", config->cert_file, reason);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(conn->ctx, config->key_file, SSL_FILETYPE_PEM) != 1) {
        openssl_reason(reason, sizeof reason);
        set_error(error, DHRPC_ERR_TLS_SETUP, "cannot load the private key %s: %s", config->key_file, reason);
        return -1;
    }
    if (SSL_CTX_check_private_key(conn->ctx) != 1) {
        openssl_reason(reason, sizeof reason);
        set_error(error, DHRPC_ERR_TLS_SETUP, "the private key %s does not match the certificate %s: %s",
                  config->key_file, config->cert_file, reason);
        return -1;
    }
    if (SSL_CTX_set_alpn_protos(conn->ctx, alpn_wire, sizeof alpn_wire - 1) != 0) {
        set_error(error, DHRPC_ERR_TLS_SETUP, "cannot set ALPN");
        return -1;
    }
    conn->ssl = SSL_new(conn->ctx);
    if (!conn->ssl) { openssl_reason(reason, sizeof reason); set_error(error, DHRPC_ERR_TLS_SETUP, "SSL_new: %s", reason); return -1; }
    SSL_set_app_data(conn->ssl, conn);
    unsigned char address[16];
    int is_ip = inet_pton(AF_INET, name, address) == 1 || inet_pton(AF_INET6, name, address) == 1;
    if (is_ip) {
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(conn->ssl), name) != 1) {
            set_error(error, DHRPC_ERR_CONFIG, "bad server address %s", name);
            return -1;
        }
    } else {
        if (SSL_set1_host(conn->ssl, name) != 1 || SSL_set_tlsext_host_name(conn->ssl, name) != 1) {
            set_error(error, DHRPC_ERR_CONFIG, "bad server name %s", name);
            return -1;
        }
    }
    return 0;
}

static int handshake(dhrpc_conn *conn, const char *name, int64_t deadline, dhrpc_error *error) {
    SSL_set_fd(conn->ssl, conn->fd);
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(conn->ssl);
        if (r == 1) break;
        int e = SSL_get_error(conn->ssl, r);
        int w;
        if (e == SSL_ERROR_WANT_READ) w = wait_fd(conn->fd, POLLIN, deadline);
        else if (e == SSL_ERROR_WANT_WRITE) w = wait_fd(conn->fd, POLLOUT, deadline);
        else {
            long verify = SSL_get_verify_result(conn->ssl);
            if (verify != X509_V_OK) {
                set_error(error, DHRPC_ERR_SERVER_CERTIFICATE, "the server certificate was rejected for %s: %s",
                          name, X509_verify_cert_error_string(verify));
            } else if (conn->alert_received >= 0) {
                describe_alert(conn, error, "during the handshake");
            } else {
                char reason[256];
                openssl_reason(reason, sizeof reason);
                if (e == SSL_ERROR_SYSCALL && strstr(reason, "no OpenSSL reason"))
                    set_error(error, DHRPC_ERR_TLS, "TLS handshake failed: the server closed the connection");
                else
                    set_error(error, strstr(reason, "version") ? DHRPC_ERR_TLS_VERSION : DHRPC_ERR_TLS,
                              "TLS handshake failed: %s", reason);
            }
            return -1;
        }
        if (w == 0) { set_error(error, DHRPC_ERR_TIMEOUT, "TLS handshake timed out"); return -1; }
        if (w < 0) { set_error(error, DHRPC_ERR_CONNECT, "poll: %s", strerror(errno)); return -1; }
    }
    const unsigned char *selected = NULL;
    unsigned int selected_len = 0;
    SSL_get0_alpn_selected(conn->ssl, &selected, &selected_len);
    if (selected_len != 8 || memcmp(selected, "dh-rpc/1", 8) != 0) {
        set_error(error, DHRPC_ERR_ALPN, "the server selected no dh-rpc/1 ALPN protocol");
        return -1;
    }
    return 0;
}

static int send_settings(dhrpc_conn *conn) {
    uint8_t payload[24];
    put16(payload, S_MAX_FRAME); put32(payload + 2, OUR_MAX_FRAME);
    put16(payload + 6, S_STREAM_WINDOW); put32(payload + 8, conn->config.initial_stream_window);
    put16(payload + 12, S_CONN_WINDOW); put32(payload + 14, conn->config.initial_connection_window);
    put16(payload + 18, S_MAX_MESSAGE); put32(payload + 20, conn->config.max_message_size);
    return send_frame(conn, F_SETTINGS, 0, 0, payload, sizeof payload);
}

dhrpc_conn *dhrpc_connect(const dhrpc_config *config, dhrpc_error *error) {
    if (error) { error->code = DHRPC_ERR_NONE; error->message[0] = 0; }
    if (!config || !config->host || !config->ca_file || !config->cert_file || !config->key_file ||
        config->port <= 0 || config->port > 65535) {
        set_error(error, DHRPC_ERR_CONFIG, "host, port, ca_file, cert_file and key_file are required");
        return NULL;
    }
    if (config->initial_stream_window < 1 || config->initial_stream_window > MAX_WINDOW ||
        config->initial_connection_window < 1 || config->initial_connection_window > MAX_WINDOW ||
        config->max_message_size > MAX_WINDOW) {
        set_error(error, DHRPC_ERR_CONFIG, "a window or message size out of range (1 ... 2^31-1)");
        return NULL;
    }
    dhrpc_conn *conn = calloc(1, sizeof *conn);
    if (!conn) { set_error(error, DHRPC_ERR_CONFIG, "out of memory"); return NULL; }
    conn->fd = -1;
    conn->config = *config;
    conn->config.host = conn->config.server_name = conn->config.ca_file = NULL;
    conn->config.cert_file = conn->config.key_file = NULL;
    conn->alert_received = -1;
    conn->next_id = 1;
    conn->peer_max_frame = 16384;
    conn->peer_max_message = 4u * 1024 * 1024;
    conn->peer_max_streams = 100;
    conn->peer_stream_window = 65536;
    conn->conn_send_credit = 1024 * 1024;
    conn->conn_recv_window = config->initial_connection_window;
    const char *name = config->server_name ? config->server_name : config->host;
    int64_t deadline = now_ns() + (int64_t)(config->connect_timeout_ms > 0 ? config->connect_timeout_ms : 10000) * 1000000LL;

    if (setup_tls(conn, config, name, error) < 0 || connect_tcp(conn, config->host, config->port, deadline, error) < 0 ||
        handshake(conn, name, deadline, error) < 0) {
        dhrpc_close(conn);
        return NULL;
    }
    if (send_settings(conn) < 0) goto failed;
    while (!conn->settings_received) {
        int r = step(conn, deadline);
        if (r == 0) { set_error(error, DHRPC_ERR_TIMEOUT, "no SETTINGS from the server within the connect timeout"); goto out; }
        if (r < 0) goto failed;
    }
    return conn;
failed:
    if (conn->alert_received >= 0) describe_alert(conn, error, "after the handshake");
    else if (conn->goaway) set_error(error, DHRPC_ERR_CLOSED, "%s", conn->fail_message);
    else if (strstr(conn->fail_message, "closed by the server"))
        set_error(error, DHRPC_ERR_CLOSED, "%s (a server closes connections without a verified identity)", conn->fail_message);
    else set_error(error, DHRPC_ERR_PROTOCOL, "%s", conn->fail_message);
out:
    dhrpc_close(conn);
    return NULL;
}

int dhrpc_conn_usable(const dhrpc_conn *conn) { return conn && !conn->failed && !conn->goaway; }

static void call_free(dhrpc_call *call) {
    for (size_t i = 0; i < call->queue_count; i++) free(call->queue[call->queue_head + i].data);
    free(call->queue);
    free(call->partial);
    metadata_free(&call->headers);
    metadata_free(&call->status.trailers);
    if (call->conn && call->conn->call == call) call->conn->call = NULL;
    free(call);
}

void dhrpc_close(dhrpc_conn *conn) {
    if (!conn) return;
    if (conn->call) call_free(conn->call);
    if (conn->ssl) {
        if (!conn->failed && conn->settings_received) {
            uint8_t payload[10] = {0};
            send_frame(conn, F_GOAWAY, 0, 0, payload, sizeof payload);
        }
        if (!conn->failed) {
            pipe_guard guard;
            pipe_guard_begin(&guard);
            SSL_shutdown(conn->ssl);
            pipe_guard_end(&guard);
        }
        SSL_free(conn->ssl);
    }
    if (conn->ctx) SSL_CTX_free(conn->ctx);
    if (conn->fd >= 0) close(conn->fd);
    free(conn->rbuf);
    free(conn);
}

/* ---------- calls ---------- */

dhrpc_call *dhrpc_call_start(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata,
                             size_t metadata_count, int64_t timeout_ms, dhrpc_status *status) {
    if (status) memset(status, 0, sizeof *status);
    if (!conn) { set_status(status, DHRPC_UNAVAILABLE, "no connection"); return NULL; }
    if (conn->call) { set_status(status, DHRPC_FAILED_PRECONDITION, "another call is open on this connection"); return NULL; }
    if (conn->failed) { set_status(status, DHRPC_UNAVAILABLE, "connection closed: %s", conn->fail_message); return NULL; }
    if (conn->goaway) { set_status(status, DHRPC_UNAVAILABLE, "the server sent GOAWAY (%s); connect again", conn->goaway_reason); return NULL; }
    if (conn->next_id > 0x7fffffffu) { set_status(status, DHRPC_UNAVAILABLE, "stream ids used up; connect again"); return NULL; }
    if (conn->peer_max_streams == 0) { set_status(status, DHRPC_RESOURCE_EXHAUSTED, "the server accepts no streams"); return NULL; }
    size_t path_len = method ? strlen(method) : 0;
    if (path_len < 3 || path_len > 1024 || method[0] != '/' || !strchr(method + 1, '/')) {
        set_status(status, DHRPC_INVALID_ARGUMENT, "method path must be /package.Service/Method");
        return NULL;
    }
    if (timeout_ms < 0 || timeout_ms > 9000000000000LL) { /* beyond that, µs and ns overflow */
        set_status(status, DHRPC_INVALID_ARGUMENT, "timeout_ms out of range (0 ... 9e12)");
        return NULL;
    }
    size_t size = 2 + path_len + 8 + 2;
    for (size_t i = 0; i < metadata_count; i++) {
        const char *key = metadata[i].key;
        size_t klen = key ? strlen(key) : 0;
        if (!valid_key((const uint8_t *)key, klen) || metadata[i].value_len > 65535 ||
            (!is_binary_key(key, klen) && !valid_text(metadata[i].value, metadata[i].value_len))) {
            set_status(status, DHRPC_INVALID_ARGUMENT, "invalid metadata entry %s", key ? key : "(null)");
            return NULL;
        }
        size += 1 + klen + 2 + metadata[i].value_len;
    }
    if (metadata_count > 65535 || size > conn->peer_max_frame) {
        set_status(status, DHRPC_RESOURCE_EXHAUSTED, "call metadata does not fit one frame");
        return NULL;
    }
    uint8_t *payload = malloc(size);
    dhrpc_call *call = calloc(1, sizeof *call);
    if (!payload || !call) { free(payload); free(call); set_status(status, DHRPC_RESOURCE_EXHAUSTED, "out of memory"); return NULL; }
    uint8_t *p = payload;
    put16(p, (uint32_t)path_len); memcpy(p + 2, method, path_len); p += 2 + path_len;
    put64(p, (uint64_t)timeout_ms * 1000); p += 8;
    put16(p, (uint32_t)metadata_count); p += 2;
    for (size_t i = 0; i < metadata_count; i++) {
        size_t klen = strlen(metadata[i].key);
        *p++ = (uint8_t)klen; memcpy(p, metadata[i].key, klen); p += klen;
        put16(p, (uint32_t)metadata[i].value_len); p += 2;
        if (metadata[i].value_len) memcpy(p, metadata[i].value, metadata[i].value_len);
        p += metadata[i].value_len;
    }
    call->conn = conn;
    call->id = conn->next_id;
    conn->next_id += 2;
    conn->highest_id = call->id;
    call->deadline = timeout_ms ? now_ns() + timeout_ms * 1000000LL : 0;
    call->send_credit = conn->peer_stream_window;
    call->recv_window = conn->config.initial_stream_window;
    conn->call = call;
    int r = send_frame(conn, F_CALL, 0, call->id, payload, size);
    free(payload);
    if (r < 0) {
        set_status(status, DHRPC_UNAVAILABLE, "%s", conn->fail_message);
        call_free(call);
        return NULL;
    }
    return call;
}

/* The deadline passed: reset the stream and end the call. */
static void call_expired(dhrpc_call *call) {
    if (call->ended) return;
    send_rst(call->conn, call->id, DHRPC_DEADLINE_EXCEEDED, "deadline exceeded");
    call_end(call, DHRPC_DEADLINE_EXCEEDED, "deadline exceeded");
}

/* Waits for progress on the call: 0 progress, -1 the call ended. */
static int call_step(dhrpc_call *call) {
    if (call->ended) return -1;
    if (call->deadline && now_ns() >= call->deadline) { call_expired(call); return -1; }
    int r = step(call->conn, call->deadline);
    if (r == 0) { call_expired(call); return -1; }
    return call->ended ? -1 : 0;
}

static int send_bytes(dhrpc_call *call, const uint8_t *data, size_t len, int end_stream) {
    dhrpc_conn *conn = call->conn;
    if (call->ended) return call->status.code;
    if (call->local_closed) return DHRPC_FAILED_PRECONDITION;
    if (len > conn->peer_max_message) {
        send_rst(conn, call->id, DHRPC_RESOURCE_EXHAUSTED, "message too large");
        call_end(call, DHRPC_RESOURCE_EXHAUSTED, "request message larger than the server's MAX_MESSAGE_SIZE");
        return DHRPC_RESOURCE_EXHAUSTED;
    }
    /* the message byte stream: u32 length, then the message */
    size_t total = len + 4, sent = 0;
    uint8_t prefix[4];
    put32(prefix, (uint32_t)len);
    uint8_t *frame = malloc(HEADER_SIZE + (total < conn->peer_max_frame ? total : conn->peer_max_frame));
    if (!frame) return DHRPC_RESOURCE_EXHAUSTED;
    while (sent < total) {
        int64_t avail = call->send_credit < conn->conn_send_credit ? call->send_credit : conn->conn_send_credit;
        if (avail > (int64_t)conn->peer_max_frame) avail = conn->peer_max_frame;
        if (avail <= 0) {
            if (call_step(call) < 0) { free(frame); return call->status.code; }
            continue;
        }
        size_t chunk = total - sent < (size_t)avail ? total - sent : (size_t)avail;
        size_t i = 0;
        for (; i < chunk && sent + i < 4; i++) frame[HEADER_SIZE + i] = prefix[sent + i];
        if (i < chunk) memcpy(frame + HEADER_SIZE + i, data + (sent + i - 4), chunk - i);
        int last = sent + chunk == total;
        put32(frame, (uint32_t)chunk);
        frame[4] = F_MESSAGE; frame[5] = (last && end_stream) ? FLAG_END_STREAM : 0; put32(frame + 6, call->id);
        if (write_all(conn, frame, HEADER_SIZE + chunk) < 0) { free(frame); return call->status.code; }
        call->send_credit -= (int64_t)chunk;
        conn->conn_send_credit -= (int64_t)chunk;
        sent += chunk;
        /* take what already arrived (credit, PINGs, an early end of the call), without waiting */
        if (read_more(conn, 1) < 0) { free(frame); return call->status.code; }
        while (!call->ended && process_frame(conn) > 0) {}
        if (call->ended) { free(frame); return call->status.code; }
    }
    free(frame);
    if (end_stream) call->local_closed = 1;
    return DHRPC_OK;
}

int dhrpc_call_send(dhrpc_call *call, const uint8_t *data, size_t len) { return send_bytes(call, data, len, 0); }

static int pack(const ProtobufCMessage *message, uint8_t **out, size_t *len) {
    *len = protobuf_c_message_get_packed_size(message);
    *out = malloc(*len ? *len : 1);
    if (!*out) return -1;
    protobuf_c_message_pack(message, *out);
    return 0;
}

int dhrpc_call_send_message(dhrpc_call *call, const ProtobufCMessage *message) {
    uint8_t *data;
    size_t len;
    if (pack(message, &data, &len) < 0) return DHRPC_RESOURCE_EXHAUSTED;
    int r = send_bytes(call, data, len, 0);
    free(data);
    return r;
}

int dhrpc_call_close_send(dhrpc_call *call) {
    if (call->ended) return call->status.code;
    if (call->local_closed) return DHRPC_OK;
    if (send_frame(call->conn, F_MESSAGE, FLAG_END_STREAM, call->id, NULL, 0) < 0) return call->status.code;
    call->local_closed = 1;
    return DHRPC_OK;
}

int dhrpc_call_recv(dhrpc_call *call, uint8_t **data, size_t *len) {
    for (;;) {
        if (call->queue_count > 0) {
            queued_message m = call->queue[call->queue_head++];
            call->queue_count--;
            if (call->queue_count == 0) call->queue_head = 0;
            *data = m.data;
            *len = m.len;
            return_stream_credit(call, (int64_t)m.len + 4 - m.credited_ahead);
            return 1;
        }
        if (call->ended) return call->status.code == DHRPC_OK ? 0 : -1;
        grant_for_message_in_progress(call);
        call_step(call);
    }
}

int dhrpc_call_recv_message(dhrpc_call *call, const ProtobufCMessageDescriptor *descriptor, ProtobufCMessage **message) {
    uint8_t *data;
    size_t len;
    *message = NULL;
    int r = dhrpc_call_recv(call, &data, &len);
    if (r != 1) return r;
    *message = protobuf_c_message_unpack(descriptor, NULL, len, data);
    free(data);
    if (!*message) {
        send_rst(call->conn, call->id, DHRPC_CANCELLED, "response did not decode");
        if (!call->ended) call_end(call, DHRPC_INTERNAL, "");
        metadata_free(&call->status.trailers);
        set_status(&call->status, DHRPC_INTERNAL, "response message does not decode as %s", descriptor->name);
        return -1;
    }
    return 1;
}

const dhrpc_metadata *dhrpc_call_headers(const dhrpc_call *call) { return &call->headers; }

void dhrpc_call_cancel(dhrpc_call *call) {
    if (call->ended) return;
    send_rst(call->conn, call->id, DHRPC_CANCELLED, "cancelled by the client");
    call_end(call, DHRPC_CANCELLED, "cancelled by the client");
}

int dhrpc_call_finish(dhrpc_call *call, dhrpc_status *status) {
    if (!call->ended) dhrpc_call_close_send(call);
    uint8_t *data;
    size_t len;
    while (dhrpc_call_recv(call, &data, &len) == 1) free(data);
    /* connection credit of what will never be taken */
    if (call->partial_len > 0 && (int64_t)call->partial_len > call->partial_ahead)
        return_conn_credit(call->conn, (int64_t)call->partial_len - call->partial_ahead, 0);
    int code = call->status.code;
    if (status) {
        *status = call->status;
        memset(&call->status.trailers, 0, sizeof call->status.trailers);
    }
    call_free(call);
    return code;
}

int dhrpc_unary(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata, size_t metadata_count,
                int64_t timeout_ms, const uint8_t *request, size_t request_len, uint8_t **response,
                size_t *response_len, dhrpc_status *status) {
    dhrpc_status local;
    if (!status) status = &local;
    *response = NULL;
    *response_len = 0;
    dhrpc_call *call = dhrpc_call_start(conn, method, metadata, metadata_count, timeout_ms, status);
    if (!call) return status->code;
    send_bytes(call, request, request_len, 1);
    uint8_t *data = NULL, *extra = NULL;
    size_t len = 0, extra_len = 0;
    int got = dhrpc_call_recv(call, &data, &len);
    int more = got == 1 ? dhrpc_call_recv(call, &extra, &extra_len) : 0;
    free(extra);
    int code = dhrpc_call_finish(call, status);
    if (code == DHRPC_OK && (got != 1 || more == 1)) {
        dhrpc_status_clear(status);
        set_status(status, DHRPC_INTERNAL, got != 1 ? "no response message to a unary call" : "two response messages to a unary call");
        code = DHRPC_INTERNAL;
    }
    if (code == DHRPC_OK) { *response = data; *response_len = len; }
    else free(data);
    if (status == &local) dhrpc_status_clear(&local);
    return code;
}

int dhrpc_unary_message(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata,
                        size_t metadata_count, int64_t timeout_ms, const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *response_descriptor, ProtobufCMessage **response,
                        dhrpc_status *status) {
    dhrpc_status local;
    if (!status) status = &local;
    *response = NULL;
    uint8_t *data, *out;
    size_t len, out_len;
    if (pack(request, &data, &len) < 0) { set_status(status, DHRPC_RESOURCE_EXHAUSTED, "out of memory"); return status->code; }
    int code = dhrpc_unary(conn, method, metadata, metadata_count, timeout_ms, data, len, &out, &out_len, status);
    free(data);
    if (code == DHRPC_OK) {
        *response = protobuf_c_message_unpack(response_descriptor, NULL, out_len, out);
        free(out);
        if (!*response) {
            dhrpc_status_clear(status);
            set_status(status, DHRPC_INTERNAL, "response message does not decode as %s", response_descriptor->name);
            code = DHRPC_INTERNAL;
        }
    }
    if (status == &local) dhrpc_status_clear(&local);
    return code;
}
