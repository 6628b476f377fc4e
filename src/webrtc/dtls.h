/* DTLS 1.2 (RFC 6347) for DTLS-SRTP (RFC 5764) with OpenSSL: one context per
 * bridge holding a self-signed ECDSA P-256 certificate, one connection per
 * transport. Datagram-driven: the caller feeds received records in and gets
 * records to send through a callback, one datagram per call. */
#ifndef STOA_DTLS_H
#define STOA_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/srtp.h"

typedef struct dtls_ctx dtls_ctx;
typedef struct dtls_conn dtls_conn;

/* Called with each outgoing datagram; data is valid only during the call. */
typedef void (*dtls_send_fn)(void *user, const uint8_t *data, size_t len);

enum dtls_state {
    DTLS_HANDSHAKING,
    DTLS_CONNECTED,      /* handshake done, SRTP keys available */
    DTLS_CLOSED,         /* peer sent close_notify */
    DTLS_FAILED,         /* fatal alert or handshake error */
};

/* Creates a context with a fresh ECDSA P-256 key and self-signed certificate
 * (valid 30 days) offering SRTP_AEAD_AES_128_GCM then SRTP_AES128_CM_SHA1_80.
 * Returns NULL on failure (logged). Free with dtls_ctx_free. */
dtls_ctx *dtls_ctx_new(void);
void dtls_ctx_free(dtls_ctx *ctx);
/* "sha-256 AB:CD:..." of the context's certificate; owned by ctx. */
const char *dtls_ctx_fingerprint(const dtls_ctx *ctx);

/* Creates a connection. server: wait for a ClientHello (the bridge's role);
 * otherwise act as client (tests and the load generator) and send the
 * ClientHello on dtls_conn_start. Returns NULL on failure. */
dtls_conn *dtls_conn_new(dtls_ctx *ctx, bool server, dtls_send_fn send, void *user);
void dtls_conn_free(dtls_conn *conn);
/* Client only: sends the first flight. Returns 0 or -1. */
int dtls_conn_start(dtls_conn *conn);
/* Feeds one received datagram. Returns the state after it. Application data
 * (none expected without data channels) is discarded. */
enum dtls_state dtls_conn_input(dtls_conn *conn, const uint8_t *data, size_t len);
enum dtls_state dtls_conn_state(const dtls_conn *conn);
/* Milliseconds until the next retransmission is due, or -1 when none is pending. */
int dtls_conn_timeout_ms(dtls_conn *conn);
/* Retransmits the last flight when its timer has run out. Returns the state. */
enum dtls_state dtls_conn_handle_timeout(dtls_conn *conn);
/* SHA-256 of the peer's certificate (DER). Returns 0, or -1 before the
 * handshake has seen the peer's certificate. */
int dtls_conn_peer_fingerprint(const dtls_conn *conn, uint8_t out[32]);
/* Exports the SRTP keying material (RFC 5764 section 4.2) for the
 * negotiated profile, arranged as local/remote for this side.
 * Returns 0, or -1 when not connected or no profile was negotiated. */
int dtls_conn_srtp_keys(const dtls_conn *conn, stoa_srtp_keys *keys);
/* Sends close_notify (best effort). */
void dtls_conn_close(dtls_conn *conn);

#endif
