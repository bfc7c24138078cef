#ifndef DATAHEALTH_COPENSSL_SHIM_H
#define DATAHEALTH_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/tls1.h>

// Many of OpenSSL's setters are macros, which Swift cannot see. Each one that
// DataHealth uses is wrapped here in a static inline function.

static inline unsigned long dh_openssl_header_version_number(void) {
    return (unsigned long)OPENSSL_VERSION_NUMBER;
}

static inline int dh_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline int dh_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

static inline int dh_ssl_ctx_get_min_proto_version(SSL_CTX *ctx) {
    return (int)SSL_CTX_get_min_proto_version(ctx);
}

static inline int dh_ssl_ctx_get_max_proto_version(SSL_CTX *ctx) {
    return (int)SSL_CTX_get_max_proto_version(ctx);
}

// ---- Error queue ----

static inline int dh_err_get_lib(unsigned long code) { return ERR_GET_LIB(code); }
static inline int dh_err_get_reason(unsigned long code) { return ERR_GET_REASON(code); }
static inline void dh_openssl_free(void *pointer) { OPENSSL_free(pointer); }

// A PEM password callback that supplies no password: an encrypted key then fails to
// load instead of OpenSSL prompting on the terminal.
static inline int dh_pem_no_password(char *buffer, int size, int rwflag, void *userdata) {
    (void)buffer; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

// RFC 2253 name printing with UTF-8 kept as UTF-8 (not escaped as \XX).
static inline unsigned long dh_xn_flags_rfc2253_utf8(void) {
    return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
}

// ---- Keys ----

// Generates a key pair with OpenSSL's default provider. EVP_PKEY_Q_keygen is
// variadic (and EVP_EC_gen a macro over it), so Swift reaches it through these.
static inline EVP_PKEY *dh_evp_generate_ec_p256(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static inline EVP_PKEY *dh_evp_generate_ed25519(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

// ---- Certificates ----

// Adds one X.509v3 extension given in OpenSSL's configuration syntax (for example
// "critical,CA:TRUE"). `issuer` may equal `cert` for a self-signed certificate. Only
// fixed strings from DataHealth's own code pass through here; names taken from input
// (DNS names, IP addresses, URIs) are added as GENERAL_NAMEs, never through this syntax.
static inline int dh_x509_add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert, NULL, NULL, 0);
    X509V3_set_ctx_nodb(&context);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, &context, nid, value);
    if (extension == NULL) return 0;
    int ok = X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
    return ok;
}

static inline GENERAL_NAMES *dh_general_names_new(void) { return sk_GENERAL_NAME_new_null(); }
static inline void dh_general_names_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }
static inline int dh_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *dh_general_names_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline int dh_general_names_push(GENERAL_NAMES *names, GENERAL_NAME *name) {
    return sk_GENERAL_NAME_push(names, name);
}

// The subjectAltName extension of a certificate, or NULL; free with dh_general_names_free.
static inline GENERAL_NAMES *dh_x509_subject_alt_names(X509 *cert) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
}

static inline int dh_revoked_count(X509_CRL *crl) {
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    return revoked == NULL ? 0 : sk_X509_REVOKED_num(revoked);
}
static inline X509_REVOKED *dh_revoked_value(X509_CRL *crl, int index) {
    return sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), index);
}

// ---- Contexts and connections ----

static inline long dh_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

static inline long dh_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long dh_ssl_ctx_set_max_cert_list(SSL_CTX *ctx, long bytes) {
    return SSL_CTX_set_max_cert_list(ctx, bytes);
}

static inline uint64_t dh_ssl_op_no_ticket(void) { return SSL_OP_NO_TICKET; }

static inline int dh_ssl_ctx_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return (int)SSL_CTX_add1_chain_cert(ctx, cert);
}

static inline int dh_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int dh_ssl_set_app_data(SSL *ssl, void *data) { return SSL_set_app_data(ssl, data); }
static inline void *dh_ssl_get_app_data(const SSL *ssl) { return SSL_get_app_data(ssl); }

static inline SSL *dh_x509_store_ctx_get_ssl(X509_STORE_CTX *store) {
    return (SSL *)X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
}

#endif
