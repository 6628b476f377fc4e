/* SRTP and SRTCP (RFC 3711, RFC 7714 AES-GCM) for one transport with libsrtp2:
 * one inbound context (the peer's keys) and one outbound (ours), each
 * covering any SSRC. Protect/unprotect work in place. */
#ifndef STOA_SRTP_H
#define STOA_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* DTLS-SRTP protection profile ids (RFC 5764, RFC 7714). */
#define STOA_SRTP_AES128_CM_SHA1_80 0x0001
#define STOA_SRTP_AEAD_AES_128_GCM 0x0007
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
/* Fuzz builds only: no encryption and no authentication (keys as for
 * AES-CM), so that a stateful fuzzer spends its time in Stoa's code rather
 * than in AES. Never negotiated: DTLS offers only the two above. */
#define STOA_SRTP_NULL_FOR_FUZZING 0xF0F0
#endif

/* Room a buffer needs after the packet for protect: auth tag / GCM tag plus
 * the SRTCP index. */
#define STOA_SRTP_MAX_TRAILER 32

typedef struct stoa_srtp_keys {
    int profile;               /* STOA_SRTP_* */
    uint8_t local[48];         /* master key || master salt, for what we send */
    uint8_t remote[48];        /* master key || master salt, for what we receive */
    size_t key_len;            /* 16 for both profiles */
    size_t salt_len;           /* 14 for AES-CM, 12 for GCM */
} stoa_srtp_keys;

typedef struct stoa_srtp {
    void *in;                  /* srtp_t, kept opaque so callers need no libsrtp header */
    void *out;
} stoa_srtp;

/* Initialises libsrtp once per process; safe to call from several places
 * before threads start. Returns 0 or -1. */
int stoa_srtp_global_init(void);
/* Creates both contexts from keys (replay window 1024; the outbound context
 * refuses to protect an index twice). Returns 0, or -1 (nothing to free then). */
int stoa_srtp_init(stoa_srtp *s, const stoa_srtp_keys *keys);
void stoa_srtp_free(stoa_srtp *s);
/* In place. *len is updated. protect needs cap >= *len + STOA_SRTP_MAX_TRAILER.
 * Each returns 0, or -1 when authentication, replay check or space fails. */
int stoa_srtp_protect_rtp(stoa_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int stoa_srtp_unprotect_rtp(stoa_srtp *s, uint8_t *buf, size_t *len);
int stoa_srtp_protect_rtcp(stoa_srtp *s, uint8_t *buf, size_t *len, size_t cap);
int stoa_srtp_unprotect_rtcp(stoa_srtp *s, uint8_t *buf, size_t *len);
/* Forgets the inbound state libsrtp made for ssrc at its first
 * authenticated packet (each new SSRC costs memory): for SSRCs that turned
 * out to be of no use. Harmless when there is none. */
void stoa_srtp_forget_inbound(stoa_srtp *s, uint32_t ssrc);

#endif
