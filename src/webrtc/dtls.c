/* DTLS 1.2 for DTLS-SRTP on OpenSSL 3.
 *
 * Each connection reads from a memory BIO fed one datagram at a time by
 * dtls_conn_input, and writes through a small BIO of our own that hands each
 * write to the caller's send callback as one datagram, so datagram boundaries
 * survive (a memory BIO would merge a flight into one stream of bytes).
 * During the handshake OpenSSL buffers a flight and writes it out in chunks
 * of whole records no larger than the MTU, so one datagram may carry several
 * records but a record never straddles two. The link MTU is fixed at 1200
 * bytes of UDP payload, which crosses any path WebRTC cares about.
 *
 * Thread safety: the SSL_CTX is configured completely in dtls_ctx_new and
 * never changed afterwards, so connections of one context may be driven from
 * different threads; a single connection must be used by one thread at a
 * time. The send callback runs inside dtls_conn_* calls and must not call
 * back into the same connection. */
#include "webrtc/dtls.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"

#define DTLS_MTU 1200
#define CERT_DAYS 30
#define FINGERPRINT_PREFIX "sha-256 "
/* "sha-256 " + 32 bytes as "AB:" minus the last colon + NUL */
#define FINGERPRINT_LEN (sizeof(FINGERPRINT_PREFIX) - 1 + 32 * 3 - 1)

/* What browsers offer for DTLS 1.2 with an ECDSA certificate, strongest and
 * most common first; the RSA suites only matter when we are the client of a
 * peer with an RSA certificate. */
static const char cipher_list[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"
    "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA";

static const char srtp_profiles[] = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

static const char exporter_label[] = "EXTRACTOR-dtls_srtp";

struct dtls_ctx {
    SSL_CTX *ssl_ctx;
    char fingerprint[FINGERPRINT_LEN + 1];
};

struct dtls_conn {
    SSL *ssl;
    dtls_send_fn send;
    void *user;
    enum dtls_state state;
    bool server;
};

/* ---- the datagram write BIO ---- */

static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
/* Created once per process and kept until exit: connections may outlive the
 * context that created them (each SSL holds a reference to its SSL_CTX). */
static BIO_METHOD *bio_method;

static int dgram_bio_write(BIO *bio, const char *data, int len)
{
    BIO_clear_retry_flags(bio);
    dtls_conn *conn = BIO_get_data(bio);
    if (!conn || len < 0)
        return -1;
    if (len > 0)
        conn->send(conn->user, (const uint8_t *)data, (size_t)len);
    return len;
}

static int dgram_bio_read(BIO *bio, char *data, int len)
{
    (void)data;
    (void)len;
    /* Write-only: reading goes through the memory BIO. */
    BIO_clear_retry_flags(bio);
    return -1;
}

static long dgram_bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return DTLS_MTU;
    case BIO_CTRL_DGRAM_SET_MTU:
        return num;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
        return 0;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        /* DTLS_MTU already is the UDP payload size. */
        return 0;
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
        return 0;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        /* Timers are driven by the caller through dtls_conn_timeout_ms. */
        return 1;
    default:
        return 0;
    }
}

static void bio_method_init(void)
{
    int type = BIO_get_new_index();
    if (type == -1)
        return;
    BIO_METHOD *m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK, "stoa dtls datagram");
    if (!m)
        return;
    if (!BIO_meth_set_write(m, dgram_bio_write) || !BIO_meth_set_read(m, dgram_bio_read) ||
        !BIO_meth_set_ctrl(m, dgram_bio_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    bio_method = m;
}

static const BIO_METHOD *get_bio_method(void)
{
    pthread_once(&bio_once, bio_method_init);
    return bio_method;
}

/* ---- helpers ---- */

/* Logs the first queued OpenSSL error (or what) and clears the queue. */
static void log_ssl_error(const char *what)
{
    unsigned long e = ERR_get_error();
    if (e) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        log_error("dtls", "%s: %s", what, buf);
    } else {
        log_error("dtls", "%s", what);
    }
    ERR_clear_error();
}

static void format_fingerprint(char *out, const uint8_t digest[32])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pos = sizeof(FINGERPRINT_PREFIX) - 1;
    memcpy(out, FINGERPRINT_PREFIX, pos);
    for (size_t i = 0; i < 32; i++) {
        if (i > 0)
            out[pos++] = ':';
        out[pos++] = hex[digest[i] >> 4];
        out[pos++] = hex[digest[i] & 0x0f];
    }
    out[pos] = '\0';
}

/* Authentication is by the certificate fingerprint exchanged in SDP, which
 * the caller compares after the handshake (dtls_conn_peer_fingerprint), so
 * any certificate is acceptable here: peers' certificates are self-signed
 * and not chained to anything. The handshake still proves the peer holds the
 * certificate's private key. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    (void)store;
    return 1;
}

static X509 *make_certificate(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *serial = BN_new();
    if (!x || !name || !serial)
        goto fail;
    if (!X509_set_version(x, X509_VERSION_3))
        goto fail;
    /* Random positive 63-bit serial. */
    if (!BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)))
        goto fail;
    /* A day back, so peers whose clock runs behind still accept it. */
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -24L * 3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 24 * 3600))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"stoa",
                                    -1, -1, 0) ||
        !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name))
        goto fail;
    if (!X509_set_pubkey(x, key) || X509_sign(x, key, EVP_sha256()) <= 0)
        goto fail;
    X509_NAME_free(name);
    BN_free(serial);
    return x;
fail:
    X509_free(x);
    X509_NAME_free(name);
    BN_free(serial);
    return NULL;
}

/* ---- context ---- */

dtls_ctx *dtls_ctx_new(void)
{
    ERR_clear_error();
    if (!get_bio_method()) {
        log_ssl_error("cannot create the datagram BIO method");
        return NULL;
    }
    dtls_ctx *ctx = calloc(1, sizeof(*ctx));
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    if (!ctx) {
        log_error("dtls", "out of memory");
        return NULL;
    }

    ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
    if (!ctx->ssl_ctx) {
        log_ssl_error("SSL_CTX_new");
        goto fail;
    }
    SSL_CTX *sc = ctx->ssl_ctx;
    if (!SSL_CTX_set_min_proto_version(sc, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(sc, DTLS1_2_VERSION)) {
        log_ssl_error("cannot restrict to DTLS 1.2");
        goto fail;
    }

    key = EVP_EC_gen("P-256");
    if (!key) {
        log_ssl_error("P-256 key generation");
        goto fail;
    }
    cert = make_certificate(key);
    if (!cert) {
        log_ssl_error("self-signed certificate");
        goto fail;
    }
    uint8_t digest[32];
    unsigned int digest_len = 0;
    if (!X509_digest(cert, EVP_sha256(), digest, &digest_len) || digest_len != 32) {
        log_ssl_error("certificate fingerprint");
        goto fail;
    }
    format_fingerprint(ctx->fingerprint, digest);

    if (SSL_CTX_use_certificate(sc, cert) != 1 || SSL_CTX_use_PrivateKey(sc, key) != 1 ||
        SSL_CTX_check_private_key(sc) != 1) {
        log_ssl_error("installing the certificate");
        goto fail;
    }
    /* The SSL_CTX holds its own references now. */
    X509_free(cert);
    cert = NULL;
    EVP_PKEY_free(key);
    key = NULL;

    if (SSL_CTX_set_cipher_list(sc, cipher_list) != 1) {
        log_ssl_error("cipher list");
        goto fail;
    }
    if (SSL_CTX_set1_groups_list(sc, "X25519:P-256:P-384") != 1) {
        log_ssl_error("groups list");
        goto fail;
    }
    /* Note the inverted convention: 0 means success here. */
    if (SSL_CTX_set_tlsext_use_srtp(sc, srtp_profiles) != 0) {
        log_ssl_error("SRTP profiles");
        goto fail;
    }
    SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    /* Every transport does one full handshake with fresh keys: no session
     * resumption, no tickets, no renegotiation (which would change the SRTP
     * keys under us). ECDH group selection is automatic in OpenSSL 3. */
    SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(sc, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
    return ctx;

fail:
    X509_free(cert);
    EVP_PKEY_free(key);
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
    return NULL;
}

void dtls_ctx_free(dtls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

const char *dtls_ctx_fingerprint(const dtls_ctx *ctx)
{
    return ctx ? ctx->fingerprint : NULL;
}

/* ---- connections ---- */

dtls_conn *dtls_conn_new(dtls_ctx *ctx, bool server, dtls_send_fn send, void *user)
{
    if (!ctx || !send)
        return NULL;
    const BIO_METHOD *method = get_bio_method();
    if (!method)
        return NULL;
    dtls_conn *conn = calloc(1, sizeof(*conn));
    if (!conn) {
        log_error("dtls", "out of memory");
        return NULL;
    }
    conn->send = send;
    conn->user = user;
    conn->server = server;
    conn->state = DTLS_HANDSHAKING;

    ERR_clear_error();
    BIO *rbio = NULL, *wbio = NULL;
    conn->ssl = SSL_new(ctx->ssl_ctx);
    if (!conn->ssl)
        goto fail;
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(method);
    if (!rbio || !wbio)
        goto fail;
    /* An empty memory BIO means "no more data yet", not end of file. */
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_data(wbio, conn);
    BIO_set_init(wbio, 1);
    SSL_set_bio(conn->ssl, rbio, wbio); /* the SSL owns both now */
    rbio = wbio = NULL;

    if (!DTLS_set_link_mtu(conn->ssl, DTLS_MTU))
        goto fail;
    if (server)
        SSL_set_accept_state(conn->ssl);
    else
        SSL_set_connect_state(conn->ssl);
    return conn;

fail:
    log_ssl_error("cannot create a connection");
    BIO_free(rbio);
    BIO_free(wbio);
    SSL_free(conn->ssl);
    free(conn);
    return NULL;
}

void dtls_conn_free(dtls_conn *conn)
{
    if (!conn)
        return;
    SSL_free(conn->ssl);
    free(conn);
}

/* Moves to DTLS_CONNECTED once the handshake is done, insisting on an SRTP
 * profile: without one there is nothing this connection is good for. */
static void handshake_done(dtls_conn *conn)
{
    if (!SSL_get_selected_srtp_profile(conn->ssl)) {
        log_error("dtls", "handshake completed without an SRTP profile");
        conn->state = DTLS_FAILED;
        return;
    }
    conn->state = DTLS_CONNECTED;
}

/* Classifies a non-positive SSL_do_handshake/SSL_read result. */
static void handle_ssl_result(dtls_conn *conn, int ret, const char *what)
{
    int err = SSL_get_error(conn->ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return;
    case SSL_ERROR_ZERO_RETURN:
        conn->state = DTLS_CLOSED;
        ERR_clear_error();
        return;
    default:
        conn->state = DTLS_FAILED;
        log_ssl_error(what);
        return;
    }
}

int dtls_conn_start(dtls_conn *conn)
{
    if (!conn || conn->server || conn->state != DTLS_HANDSHAKING)
        return -1;
    ERR_clear_error();
    int ret = SSL_do_handshake(conn->ssl);
    if (ret == 1) {
        handshake_done(conn);
        return 0;
    }
    handle_ssl_result(conn, ret, "handshake start");
    return conn->state == DTLS_FAILED ? -1 : 0;
}

enum dtls_state dtls_conn_input(dtls_conn *conn, const uint8_t *data, size_t len)
{
    if (!conn)
        return DTLS_FAILED;
    if (conn->state == DTLS_FAILED || conn->state == DTLS_CLOSED)
        return conn->state;
    if (!data || len == 0 || len > INT_MAX)
        return conn->state;

    ERR_clear_error();
    BIO *rbio = SSL_get_rbio(conn->ssl);
    if (BIO_write(rbio, data, (int)len) != (int)len) {
        log_ssl_error("buffering a datagram");
        conn->state = DTLS_FAILED;
        return conn->state;
    }

    if (conn->state == DTLS_HANDSHAKING) {
        int ret = SSL_do_handshake(conn->ssl);
        if (ret == 1)
            handshake_done(conn);
        else
            handle_ssl_result(conn, ret, "handshake");
    }
    if (conn->state == DTLS_CONNECTED) {
        /* Drain records: application data is discarded; this also lets
         * OpenSSL answer a retransmitted final flight of the peer and see
         * alerts and close_notify. */
        uint8_t scratch[2048];
        for (;;) {
            int ret = SSL_read(conn->ssl, scratch, (int)sizeof(scratch));
            if (ret > 0)
                continue;
            handle_ssl_result(conn, ret, "read");
            break;
        }
    }
    /* Whatever OpenSSL left unread in the memory BIO (e.g. trailing bytes of
     * a malformed datagram) must not be glued to the next datagram. */
    if (BIO_ctrl_pending(rbio) > 0)
        (void)BIO_reset(rbio);
    ERR_clear_error();
    return conn->state;
}

enum dtls_state dtls_conn_state(const dtls_conn *conn)
{
    return conn ? conn->state : DTLS_FAILED;
}

int dtls_conn_timeout_ms(dtls_conn *conn)
{
    if (!conn || conn->state == DTLS_FAILED || conn->state == DTLS_CLOSED)
        return -1;
    struct timeval tv;
    if (DTLSv1_get_timeout(conn->ssl, &tv) != 1)
        return -1;
    /* Round up so a caller sleeping this long finds the timer expired. */
    long long ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
    if (ms < 0)
        ms = 0;
    if (ms > INT_MAX)
        ms = INT_MAX;
    return (int)ms;
}

enum dtls_state dtls_conn_handle_timeout(dtls_conn *conn)
{
    if (!conn)
        return DTLS_FAILED;
    if (conn->state == DTLS_FAILED || conn->state == DTLS_CLOSED)
        return conn->state;
    ERR_clear_error();
    if (DTLSv1_handle_timeout(conn->ssl) < 0) {
        /* Too many retransmissions without an answer. */
        conn->state = DTLS_FAILED;
        log_ssl_error("handshake timed out");
    }
    ERR_clear_error();
    return conn->state;
}

int dtls_conn_peer_fingerprint(const dtls_conn *conn, uint8_t out[32])
{
    if (!conn || !out)
        return -1;
    X509 *cert = SSL_get0_peer_certificate(conn->ssl);
    if (!cert)
        return -1;
    unsigned int n = 0;
    if (!X509_digest(cert, EVP_sha256(), out, &n) || n != 32) {
        ERR_clear_error();
        return -1;
    }
    return 0;
}

int dtls_conn_srtp_keys(const dtls_conn *conn, stoa_srtp_keys *keys)
{
    if (!conn || !keys || conn->state != DTLS_CONNECTED)
        return -1;
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(conn->ssl);
    if (!p)
        return -1;
    size_t key_len, salt_len;
    int profile;
    switch (p->id) {
    case SRTP_AEAD_AES_128_GCM:
        profile = STOA_SRTP_AEAD_AES_128_GCM;
        key_len = 16;
        salt_len = 12;
        break;
    case SRTP_AES128_CM_SHA1_80:
        profile = STOA_SRTP_AES128_CM_SHA1_80;
        key_len = 16;
        salt_len = 14;
        break;
    default:
        return -1;
    }

    /* RFC 5764 4.2: client key | server key | client salt | server salt. */
    uint8_t material[2 * (16 + 14)];
    size_t total = 2 * (key_len + salt_len);
    ERR_clear_error();
    if (SSL_export_keying_material(conn->ssl, material, total, exporter_label,
                                   sizeof(exporter_label) - 1, NULL, 0, 0) != 1) {
        log_ssl_error("exporting SRTP keys");
        return -1;
    }
    const uint8_t *client_key = material;
    const uint8_t *server_key = material + key_len;
    const uint8_t *client_salt = material + 2 * key_len;
    const uint8_t *server_salt = material + 2 * key_len + salt_len;

    memset(keys, 0, sizeof(*keys));
    keys->profile = profile;
    keys->key_len = key_len;
    keys->salt_len = salt_len;
    const uint8_t *local_key = conn->server ? server_key : client_key;
    const uint8_t *local_salt = conn->server ? server_salt : client_salt;
    const uint8_t *remote_key = conn->server ? client_key : server_key;
    const uint8_t *remote_salt = conn->server ? client_salt : server_salt;
    memcpy(keys->local, local_key, key_len);
    memcpy(keys->local + key_len, local_salt, salt_len);
    memcpy(keys->remote, remote_key, key_len);
    memcpy(keys->remote + key_len, remote_salt, salt_len);
    OPENSSL_cleanse(material, sizeof(material));
    return 0;
}

void dtls_conn_close(dtls_conn *conn)
{
    if (!conn || conn->state == DTLS_FAILED || !SSL_is_init_finished(conn->ssl))
        return;
    if (SSL_get_shutdown(conn->ssl) & SSL_SENT_SHUTDOWN)
        return;
    ERR_clear_error();
    (void)SSL_shutdown(conn->ssl);
    ERR_clear_error();
}
