/*
 * libdhrpc: a C client for dh-rpc/1, the DataHealth RPC protocol (docs/PROTOCOL.md),
 * over TLS 1.3 with mutual authentication.
 *
 * Model: one connection (dhrpc_conn) carries one call at a time (dhrpc_call); start the
 * next call after dhrpc_call_finish. Every call runs to its end on the calling thread;
 * blocking waits are bounded by the call's deadline (or, without one, by the socket).
 * A connection is not thread-safe: use one per thread.
 *
 * Messages are passed either as raw encoded protobuf bytes or as protobuf-c messages
 * (ProtobufCMessage * plus the response's ProtobufCMessageDescriptor).
 *
 * Status codes are the gRPC code set (DHRPC_OK ... DHRPC_UNAUTHENTICATED). A call ends
 * with exactly one dhrpc_status: the server's TRAILERS, a RST_STREAM, or a local failure
 * (connection lost: UNAVAILABLE; deadline passed: DEADLINE_EXCEEDED; ...).
 */
#ifndef DHRPC_H
#define DHRPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The gRPC status codes (PROTOCOL.md §8). */
typedef enum {
    DHRPC_OK = 0,
    DHRPC_CANCELLED = 1,
    DHRPC_UNKNOWN = 2,
    DHRPC_INVALID_ARGUMENT = 3,
    DHRPC_DEADLINE_EXCEEDED = 4,
    DHRPC_NOT_FOUND = 5,
    DHRPC_ALREADY_EXISTS = 6,
    DHRPC_PERMISSION_DENIED = 7,
    DHRPC_RESOURCE_EXHAUSTED = 8,
    DHRPC_FAILED_PRECONDITION = 9,
    DHRPC_ABORTED = 10,
    DHRPC_OUT_OF_RANGE = 11,
    DHRPC_UNIMPLEMENTED = 12,
    DHRPC_INTERNAL = 13,
    DHRPC_UNAVAILABLE = 14,
    DHRPC_DATA_LOSS = 15,
    DHRPC_UNAUTHENTICATED = 16
} dhrpc_code;

/* The name of a status code ("OK", "DEADLINE_EXCEEDED", ...); "UNKNOWN" for other values. */
const char *dhrpc_code_name(int code);

/* Why dhrpc_connect failed. */
typedef enum {
    DHRPC_ERR_NONE = 0,
    DHRPC_ERR_CONFIG,             /* a missing or invalid configuration value */
    DHRPC_ERR_TLS_SETUP,          /* the CA bundle, certificate or key could not be loaded */
    DHRPC_ERR_RESOLVE,            /* the host name did not resolve */
    DHRPC_ERR_CONNECT,            /* TCP connection refused or timed out */
    DHRPC_ERR_SERVER_CERTIFICATE, /* the server's certificate failed verification (CA, name, dates) */
    DHRPC_ERR_CLIENT_CERTIFICATE, /* the server rejected this client's certificate */
    DHRPC_ERR_TLS_VERSION,        /* no TLS 1.3 */
    DHRPC_ERR_ALPN,               /* the server does not speak dh-rpc/1 */
    DHRPC_ERR_TLS,                /* another TLS failure (the message has OpenSSL's reason) */
    DHRPC_ERR_PROTOCOL,           /* the peer broke dh-rpc/1 before the connection was ready */
    DHRPC_ERR_TIMEOUT,            /* the connection was not ready within connect_timeout_ms */
    DHRPC_ERR_CLOSED              /* the server closed the connection (GOAWAY or EOF) at once */
} dhrpc_error_code;

/* The name of an error code ("CLIENT_CERTIFICATE", ...). */
const char *dhrpc_error_name(dhrpc_error_code code);

typedef struct {
    dhrpc_error_code code;
    char message[512]; /* what failed, e.g. "server rejected the client certificate (TLS alert: unknown CA)" */
} dhrpc_error;

/* Connection settings. Initialise with dhrpc_config_init, then set the fields. Strings are
 * copied by dhrpc_connect. */
typedef struct {
    const char *host;        /* host name or IP address to connect to (required) */
    int port;                /* TCP port (required) */
    const char *server_name; /* name verified against the server certificate's SANs (DNS name or
                                IP address); NULL: host. Also sent as SNI when it is a DNS name. */
    const char *ca_file;     /* PEM bundle of trusted CAs (required) */
    const char *cert_file;   /* PEM client certificate, optionally followed by intermediates (required) */
    const char *key_file;    /* PEM private key of the client certificate (required) */
    int connect_timeout_ms;  /* TCP + TLS + SETTINGS exchange; default 10000 */
    uint32_t max_message_size;       /* largest response message accepted; default 4 MiB */
    uint32_t initial_stream_window;  /* receive credit per call; default 65536 */
    uint32_t initial_connection_window; /* receive credit per connection; default 1 MiB */
} dhrpc_config;

/* Fills `config` with the defaults above and NULL strings. */
void dhrpc_config_init(dhrpc_config *config);

typedef struct dhrpc_conn dhrpc_conn;
typedef struct dhrpc_call dhrpc_call;

/* One metadata entry. Keys: lowercase ASCII from 0-9 a-z - _ . (1..255 bytes). A key ending
 * in "-bin" has any bytes as value; other values are printable ASCII. Keys starting with
 * "dh-" name protocol-defined entries such as dh-acting-user and dh-purpose. */
typedef struct {
    const char *key;
    const uint8_t *value;
    size_t value_len;
} dhrpc_metadata_entry;

/* A list of metadata entries owned by the library (response headers, trailers). */
typedef struct {
    dhrpc_metadata_entry *entries;
    size_t count;
} dhrpc_metadata;

/* A text metadata entry from two C strings. */
dhrpc_metadata_entry dhrpc_text(const char *key, const char *value);

/* The value of the first entry named `key` as a NUL-terminated copy (free() it), or NULL. */
char *dhrpc_metadata_get(const dhrpc_metadata *metadata, const char *key);

/* How a call ended. Clear with dhrpc_status_clear after use (frees the trailers). */
typedef struct {
    int code;              /* a dhrpc_code */
    char message[1024];    /* the status message (may be empty); truncated if longer */
    dhrpc_metadata trailers; /* the trailing metadata (empty unless the server sent TRAILERS) */
} dhrpc_status;

void dhrpc_status_clear(dhrpc_status *status);

/* Connects: TCP, TLS 1.3 handshake with the client certificate, verification of the server
 * certificate against ca_file and server_name, ALPN dh-rpc/1, then the SETTINGS exchange.
 * Returns the connection, or NULL with `error` filled. A client certificate the server
 * refuses is reported as DHRPC_ERR_CLIENT_CERTIFICATE (in TLS 1.3 the server's alert arrives
 * after the client's handshake, so the SETTINGS exchange is part of connecting). */
dhrpc_conn *dhrpc_connect(const dhrpc_config *config, dhrpc_error *error);

/* Sends GOAWAY (NO_ERROR) and close_notify, closes the socket and frees the connection.
 * A call still open is freed too. NULL is allowed. */
void dhrpc_close(dhrpc_conn *conn);

/* 1 while new calls can start (no GOAWAY received, connection not failed), else 0. Once 0,
 * connect again. */
int dhrpc_conn_usable(const dhrpc_conn *conn);

/* Starts a call of `method` ("/package.Service/Method") with request metadata and a deadline
 * (`timeout_ms` from now; 0 = none). Returns the call, or NULL with `status` filled (for
 * example UNAVAILABLE after GOAWAY, or while another call is open). */
dhrpc_call *dhrpc_call_start(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata,
                             size_t metadata_count, int64_t timeout_ms, dhrpc_status *status);

/* Sends one request message of encoded protobuf bytes, waiting for flow-control credit as
 * needed (until the deadline). Returns DHRPC_OK when sent. Once the call has ended (the server
 * may end it before the client half-closes), nothing more is sent and the call's code is
 * returned: stop sending and take the status from dhrpc_call_finish (a server that ended the
 * call with OK makes this DHRPC_OK too). After dhrpc_call_close_send: DHRPC_FAILED_PRECONDITION. */
int dhrpc_call_send(dhrpc_call *call, const uint8_t *data, size_t len);

/* dhrpc_call_send with a protobuf-c message (packed by the library). */
int dhrpc_call_send_message(dhrpc_call *call, const ProtobufCMessage *message);

/* Half-closes: the client sends no more messages. Returns DHRPC_OK or the call's end code. */
int dhrpc_call_close_send(dhrpc_call *call);

/* Receives the next response message. Returns 1 with *data (malloc'd; free() it) and *len
 * set; 0 when the server ended the response stream (the status comes from dhrpc_call_finish);
 * -1 when the call failed (likewise). Returning a message gives its flow-control credit back. */
int dhrpc_call_recv(dhrpc_call *call, uint8_t **data, size_t *len);

/* dhrpc_call_recv, unpacked with `descriptor` into *message (free it with
 * protobuf_c_message_free_unpacked(*message, NULL)). A response that does not unpack ends the
 * call with INTERNAL and returns -1. */
int dhrpc_call_recv_message(dhrpc_call *call, const ProtobufCMessageDescriptor *descriptor,
                            ProtobufCMessage **message);

/* The response metadata (HEADERS); empty until the first response message or the end. */
const dhrpc_metadata *dhrpc_call_headers(const dhrpc_call *call);

/* Resets the call with CANCELLED (RST_STREAM) unless it has ended already. */
void dhrpc_call_cancel(dhrpc_call *call);

/* Waits for the call's end (discarding unread response messages; half-closing first if the
 * client has not), fills `status`, frees the call and returns the status code. */
int dhrpc_call_finish(dhrpc_call *call, dhrpc_status *status);

/* A unary call with raw bytes: returns the status code; on DHRPC_OK, *response (malloc'd) and
 * *response_len hold the one response message. */
int dhrpc_unary(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata, size_t metadata_count,
                int64_t timeout_ms, const uint8_t *request, size_t request_len, uint8_t **response,
                size_t *response_len, dhrpc_status *status);

/* A unary call with protobuf-c messages: on DHRPC_OK, *response is unpacked with
 * `response_descriptor`. */
int dhrpc_unary_message(dhrpc_conn *conn, const char *method, const dhrpc_metadata_entry *metadata,
                        size_t metadata_count, int64_t timeout_ms, const ProtobufCMessage *request,
                        const ProtobufCMessageDescriptor *response_descriptor, ProtobufCMessage **response,
                        dhrpc_status *status);

#ifdef __cplusplus
}
#endif

#endif
