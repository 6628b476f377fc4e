/* SRTP/SRTCP with libsrtp2: one inbound and one outbound session per
 * transport, both keyed for any SSRC. */
#include "webrtc/srtp.h"

#include <limits.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "core/log.h"

/* Without MKI, libsrtp appends at most the authentication (or GCM) tag, plus
 * the 4-byte E flag/index for SRTCP. Its own SRTP_MAX_TRAILER_LEN (144) also
 * counts a 128-byte MKI, which is never used here, so the smaller bound of
 * the header holds. */
_Static_assert(SRTP_MAX_TAG_LEN + 4 <= STOA_SRTP_MAX_TRAILER,
               "STOA_SRTP_MAX_TRAILER too small for libsrtp's tag and SRTCP index");

#define RTP_MIN_HEADER 12
#define RTCP_MIN_HEADER 8
#define REPLAY_WINDOW 1024

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t global_status = srtp_err_status_init_fail;

static void global_init_once(void)
{
    global_status = srtp_init();
}

int stoa_srtp_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    if (global_status != srtp_err_status_ok) {
        log_error("srtp", "srtp_init failed: %d", (int)global_status);
        return -1;
    }
    return 0;
}

/* Fills the RTP and RTCP crypto policies for a DTLS-SRTP profile. */
static int set_crypto_policy(srtp_policy_t *p, const stoa_srtp_keys *keys)
{
    switch (keys->profile) {
    case STOA_SRTP_AES128_CM_SHA1_80:
        if (keys->key_len != 16 || keys->salt_len != 14)
            return -1;
        srtp_crypto_policy_set_rtp_default(&p->rtp);
        srtp_crypto_policy_set_rtcp_default(&p->rtcp);
        return 0;
    case STOA_SRTP_AEAD_AES_128_GCM:
        if (keys->key_len != 16 || keys->salt_len != 12)
            return -1;
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
        return 0;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    case STOA_SRTP_NULL_FOR_FUZZING:
        if (keys->key_len != 16 || keys->salt_len != 14)
            return -1;
        srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtp);
        srtp_crypto_policy_set_null_cipher_hmac_null(&p->rtcp);
        return 0;
#endif
    default:
        return -1;
    }
}

static int create_session(srtp_t *out, const stoa_srtp_keys *keys, const uint8_t *key,
                          srtp_ssrc_type_t type, const char *what)
{
    /* libsrtp takes a non-const key pointer and copies what it needs during
     * srtp_create, so a local copy keeps the caller's keys untouched. */
    uint8_t material[48];
    srtp_policy_t policy;
    memset(&policy, 0, sizeof(policy));
    if (set_crypto_policy(&policy, keys) != 0) {
        log_error("srtp", "unsupported profile 0x%04x or key lengths %zu/%zu",
                  (unsigned)keys->profile, keys->key_len, keys->salt_len);
        return -1;
    }
    memcpy(material, key, keys->key_len + keys->salt_len);
    policy.ssrc.type = type;
    policy.ssrc.value = 0;
    policy.key = material;
    policy.window_size = REPLAY_WINDOW;
    /* Never: a repeated index under one SSRC with another payload reuses
     * the AES-GCM nonce (or the CTR key stream) towards the receiver. The
     * bridge retransmits on RTX streams, each packet a new index. */
    policy.allow_repeat_tx = 0;
    policy.next = NULL;

    srtp_err_status_t st = srtp_create(out, &policy);
    memset(material, 0, sizeof(material));
    if (st != srtp_err_status_ok) {
        log_error("srtp", "srtp_create (%s) failed: %d", what, (int)st);
        *out = NULL;
        return -1;
    }
    return 0;
}

int stoa_srtp_init(stoa_srtp *s, const stoa_srtp_keys *keys)
{
    if (!s || !keys)
        return -1;
    s->in = NULL;
    s->out = NULL;
    if (stoa_srtp_global_init() != 0)
        return -1;
    if (keys->key_len + keys->salt_len > sizeof(keys->local)) {
        log_error("srtp", "key material too long: %zu", keys->key_len + keys->salt_len);
        return -1;
    }

    srtp_t in = NULL, out = NULL;
    if (create_session(&in, keys, keys->remote, ssrc_any_inbound, "inbound") != 0)
        return -1;
    if (create_session(&out, keys, keys->local, ssrc_any_outbound, "outbound") != 0) {
        srtp_dealloc(in);
        return -1;
    }
    s->in = in;
    s->out = out;
    return 0;
}

void stoa_srtp_free(stoa_srtp *s)
{
    if (!s)
        return;
    if (s->in)
        srtp_dealloc((srtp_t)s->in);
    if (s->out)
        srtp_dealloc((srtp_t)s->out);
    s->in = NULL;
    s->out = NULL;
}

/* Checks the room protect needs; returns the length as int or -1. */
static int protect_len(const stoa_srtp *s, void *ctx, const uint8_t *buf, const size_t *len,
                       size_t cap, size_t min_header)
{
    if (!s || !ctx || !buf || !len)
        return -1;
    if (*len < min_header || *len > (size_t)INT_MAX - STOA_SRTP_MAX_TRAILER)
        return -1;
    if (cap < *len + STOA_SRTP_MAX_TRAILER)
        return -1;
    return (int)*len;
}

static int unprotect_len(const stoa_srtp *s, void *ctx, const uint8_t *buf, const size_t *len,
                         size_t min_header)
{
    if (!s || !ctx || !buf || !len)
        return -1;
    if (*len < min_header || *len > (size_t)INT_MAX)
        return -1;
    return (int)*len;
}

int stoa_srtp_protect_rtp(stoa_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    int n = protect_len(s, s ? s->out : NULL, buf, len, cap, RTP_MIN_HEADER);
    if (n < 0)
        return -1;
    if (srtp_protect((srtp_t)s->out, buf, &n) != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}

int stoa_srtp_unprotect_rtp(stoa_srtp *s, uint8_t *buf, size_t *len)
{
    int n = unprotect_len(s, s ? s->in : NULL, buf, len, RTP_MIN_HEADER);
    if (n < 0)
        return -1;
    if (srtp_unprotect((srtp_t)s->in, buf, &n) != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}

int stoa_srtp_protect_rtcp(stoa_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    int n = protect_len(s, s ? s->out : NULL, buf, len, cap, RTCP_MIN_HEADER);
    if (n < 0)
        return -1;
    if (srtp_protect_rtcp((srtp_t)s->out, buf, &n) != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}

int stoa_srtp_unprotect_rtcp(stoa_srtp *s, uint8_t *buf, size_t *len)
{
    int n = unprotect_len(s, s ? s->in : NULL, buf, len, RTCP_MIN_HEADER);
    if (n < 0)
        return -1;
    if (srtp_unprotect_rtcp((srtp_t)s->in, buf, &n) != srtp_err_status_ok)
        return -1;
    *len = (size_t)n;
    return 0;
}

void stoa_srtp_forget_inbound(stoa_srtp *s, uint32_t ssrc)
{
    if (s && s->in)
        (void)srtp_remove_stream((srtp_t)s->in, htonl(ssrc));   /* libsrtp keys streams in network order */
}
