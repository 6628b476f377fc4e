/* What one srtp_protect costs with the system's libsrtp2: time and heap
 * allocations per 1200-byte RTP packet, per profile. Debian builds libsrtp2
 * on NSS; the bridge protects every forwarded packet once per receiver, so
 * this is its largest cost per packet. Run by ./run (allocations are
 * counted by alloc_count.c, preloaded). */
#include <srtp2/srtp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

long alloc_count(void);

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void measure(const char *name, void (*set)(srtp_crypto_policy_t *))
{
    enum { PACKETS = 200000, LEN = 1200 };
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    set(&policy.rtp);
    set(&policy.rtcp);
    unsigned char key[64];
    memset(key, 7, sizeof key);
    policy.key = key;
    policy.ssrc.type = ssrc_any_outbound;
    policy.window_size = 1024;
    srtp_t session;
    if (srtp_create(&session, &policy) != srtp_err_status_ok) {
        printf("%s: srtp_create failed\n", name);
        return;
    }
    unsigned char pkt[LEN + SRTP_MAX_TRAILER_LEN];
    long allocs = alloc_count();
    double start = seconds();
    for (int i = 0; i < PACKETS; i++) {
        memset(pkt, 0, 12);
        pkt[0] = 0x80;
        pkt[1] = 96;
        pkt[2] = (unsigned char)(i >> 8);
        pkt[3] = (unsigned char)i;
        pkt[11] = 1;
        int len = LEN;
        srtp_protect(session, pkt, &len);
    }
    double took = seconds() - start;
    printf("%-20s %6.2f allocations and %6.0f ns per %d-byte packet\n", name,
           (double)(alloc_count() - allocs) / PACKETS, took / PACKETS * 1e9, LEN);
    srtp_dealloc(session);
}

int main(void)
{
    srtp_init();
    measure("AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth);
    measure("AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default);
    return 0;
}
