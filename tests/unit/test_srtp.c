/* SRTP/SRTCP round trips, authentication, replay protection and buffer
 * checks for both DTLS-SRTP profiles. Packets live in heap buffers of exactly
 * the size the API promises to need, so AddressSanitizer catches overruns. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/random.h"
#include "webrtc/srtp.h"

/* Two endpoints with mirrored keys: a sends what b receives and back. */
struct pair {
    stoa_srtp a, b;
};

static stoa_srtp_keys make_keys(int profile)
{
    stoa_srtp_keys k;
    memset(&k, 0, sizeof(k));
    k.profile = profile;
    k.key_len = 16;
    k.salt_len = profile == STOA_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    random_bytes(k.local, k.key_len + k.salt_len);
    random_bytes(k.remote, k.key_len + k.salt_len);
    return k;
}

static stoa_srtp_keys mirror(const stoa_srtp_keys *k)
{
    stoa_srtp_keys m = *k;
    memcpy(m.local, k->remote, sizeof(m.local));
    memcpy(m.remote, k->local, sizeof(m.remote));
    return m;
}

static int pair_init(struct pair *p, int profile)
{
    stoa_srtp_keys ka = make_keys(profile);
    stoa_srtp_keys kb = mirror(&ka);
    if (stoa_srtp_init(&p->a, &ka) != 0)
        return -1;
    if (stoa_srtp_init(&p->b, &kb) != 0) {
        stoa_srtp_free(&p->a);
        return -1;
    }
    return 0;
}

static void pair_free(struct pair *p)
{
    stoa_srtp_free(&p->a);
    stoa_srtp_free(&p->b);
}

/* RTP packet: 12-byte header + payload. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t payload_len)
{
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    buf[4] = (uint8_t)(ts >> 24);
    buf[5] = (uint8_t)(ts >> 16);
    buf[6] = (uint8_t)(ts >> 8);
    buf[7] = (uint8_t)ts;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    for (size_t i = 0; i < payload_len; i++)
        buf[12 + i] = (uint8_t)(i * 7 + seq);
    return 12 + payload_len;
}

/* RTCP receiver report with one report block (32 bytes). */
static size_t make_rtcp(uint8_t *buf, uint32_t ssrc)
{
    memset(buf, 0, 32);
    buf[0] = 0x81;
    buf[1] = 201;
    buf[2] = 0;
    buf[3] = 7;
    buf[4] = (uint8_t)(ssrc >> 24);
    buf[5] = (uint8_t)(ssrc >> 16);
    buf[6] = (uint8_t)(ssrc >> 8);
    buf[7] = (uint8_t)ssrc;
    for (int i = 8; i < 32; i++)
        buf[i] = (uint8_t)(i * 13);
    return 32;
}

static size_t rtp_tag_len(int profile)
{
    return profile == STOA_SRTP_AEAD_AES_128_GCM ? 16 : 10;
}

static void test_rtp_round_trip(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);

    size_t cap = 12 + 160 + STOA_SRTP_MAX_TRAILER;
    uint8_t *buf = malloc(cap);
    uint8_t orig[12 + 160];
    size_t len = make_rtp(orig, 1000, 0x11223344, 160);
    memcpy(buf, orig, len);

    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, cap), 0);
    CHECK_EQ_INT(len, sizeof(orig) + rtp_tag_len(profile));
    CHECK_MEM(buf, orig, 12); /* header stays in the clear */
    CHECK(memcmp(buf + 12, orig + 12, 160) != 0);

    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), 0);
    CHECK_EQ_INT(len, sizeof(orig));
    CHECK_MEM(buf, orig, sizeof(orig));

    /* And the other direction. */
    len = make_rtp(orig, 7, 0xabcdef01, 160);
    memcpy(buf, orig, len);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.b, buf, &len, cap), 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.a, buf, &len), 0);
    CHECK_EQ_INT(len, sizeof(orig));
    CHECK_MEM(buf, orig, sizeof(orig));

    /* A packet protected by a's outbound context is not accepted by a's own
     * inbound one (different keys). */
    len = make_rtp(orig, 1001, 0x11223344, 160);
    memcpy(buf, orig, len);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, cap), 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.a, buf, &len), -1);

    free(buf);
    pair_free(&p);
}

static void test_rtcp_round_trip(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);

    size_t cap = 32 + STOA_SRTP_MAX_TRAILER;
    uint8_t *buf = malloc(cap);
    uint8_t orig[32];
    size_t len = make_rtcp(orig, 0x01020304);
    memcpy(buf, orig, len);

    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.a, buf, &len, cap), 0);
    /* tag + 4-byte E flag and SRTCP index */
    CHECK_EQ_INT(len, 32 + rtp_tag_len(profile) + 4);
    CHECK_MEM(buf, orig, 8);
    CHECK(memcmp(buf + 8, orig + 8, 24) != 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), 0);
    CHECK_EQ_INT(len, 32);
    CHECK_MEM(buf, orig, 32);

    /* Several in a row (index advances) and the other direction. */
    for (int i = 0; i < 5; i++) {
        len = make_rtcp(orig, 0x01020304 + (uint32_t)i);
        memcpy(buf, orig, len);
        CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.b, buf, &len, cap), 0);
        CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.a, buf, &len), 0);
        CHECK_EQ_INT(len, 32);
        CHECK_MEM(buf, orig, 32);
    }

    free(buf);
    pair_free(&p);
}

static void test_tamper(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);
    uint8_t buf[12 + 100 + STOA_SRTP_MAX_TRAILER];
    uint8_t protected_pkt[sizeof(buf)];

    size_t len = make_rtp(buf, 500, 42, 100);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, sizeof(buf)), 0);
    size_t plen = len;
    memcpy(protected_pkt, buf, plen);

    /* Flip one bit in the header, the payload and the tag in turn. */
    size_t positions[] = {3, 12, 60, plen - 1};
    for (size_t i = 0; i < sizeof(positions) / sizeof(positions[0]); i++) {
        memcpy(buf, protected_pkt, plen);
        buf[positions[i]] ^= 0x01;
        len = plen;
        CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), -1);
    }
    /* The untouched packet is still accepted after the failures. */
    memcpy(buf, protected_pkt, plen);
    len = plen;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), 0);

    /* RTCP. */
    len = make_rtcp(buf, 99);
    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.a, buf, &len, sizeof(buf)), 0);
    plen = len;
    memcpy(protected_pkt, buf, plen);
    size_t rtcp_positions[] = {1, 10, plen - 5, plen - 1};
    for (size_t i = 0; i < sizeof(rtcp_positions) / sizeof(rtcp_positions[0]); i++) {
        memcpy(buf, protected_pkt, plen);
        buf[rtcp_positions[i]] ^= 0x80;
        len = plen;
        CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), -1);
    }
    memcpy(buf, protected_pkt, plen);
    len = plen;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), 0);

    /* Truncated packets fail cleanly. */
    memcpy(buf, protected_pkt, plen);
    len = 8;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), -1);
    len = 4;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), -1);
    len = 13;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), -1);

    pair_free(&p);
}

static void test_replay(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);
    uint8_t buf[12 + 50 + STOA_SRTP_MAX_TRAILER];
    uint8_t copy[sizeof(buf)];

    size_t len = make_rtp(buf, 20, 77, 50);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, sizeof(buf)), 0);
    size_t plen = len;
    memcpy(copy, buf, plen);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), 0);
    memcpy(buf, copy, plen);
    len = plen;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), -1);

    /* Reordering inside the window is fine, each packet exactly once. */
    uint8_t pkts[5][sizeof(buf)];
    size_t lens[5];
    for (int i = 0; i < 5; i++) {
        lens[i] = make_rtp(pkts[i], (uint16_t)(21 + i), 77, 50);
        CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, pkts[i], &lens[i], sizeof(pkts[i])), 0);
    }
    int order[] = {4, 2, 3, 0, 1};
    for (int i = 0; i < 5; i++) {
        memcpy(buf, pkts[order[i]], lens[order[i]]);
        len = lens[order[i]];
        CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), 0);
    }
    memcpy(buf, pkts[2], lens[2]);
    len = lens[2];
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, buf, &len), -1);

    /* RTCP replay. */
    len = make_rtcp(buf, 77);
    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.a, buf, &len, sizeof(buf)), 0);
    plen = len;
    memcpy(copy, buf, plen);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), 0);
    memcpy(buf, copy, plen);
    len = plen;
    CHECK_EQ_INT(stoa_srtp_unprotect_rtcp(&p.b, buf, &len), -1);

    pair_free(&p);
}

static void test_small_cap(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);
    uint8_t buf[12 + 40 + STOA_SRTP_MAX_TRAILER];
    uint8_t orig[sizeof(buf)];

    size_t len = make_rtp(buf, 1, 5, 40);
    size_t olen = len;
    memcpy(orig, buf, len);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, olen + STOA_SRTP_MAX_TRAILER - 1), -1);
    CHECK_EQ_INT(len, olen);
    CHECK_MEM(buf, orig, olen);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, olen), -1);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, 0), -1);
    CHECK_EQ_INT(len, olen);

    /* Exactly enough room is accepted. */
    uint8_t *heap = malloc(olen + STOA_SRTP_MAX_TRAILER);
    memcpy(heap, orig, olen);
    len = olen;
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, heap, &len, olen + STOA_SRTP_MAX_TRAILER), 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, heap, &len), 0);
    CHECK_MEM(heap, orig, olen);
    free(heap);

    len = make_rtcp(buf, 5);
    olen = len;
    memcpy(orig, buf, len);
    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.a, buf, &len, olen + STOA_SRTP_MAX_TRAILER - 1), -1);
    CHECK_EQ_INT(len, olen);
    CHECK_MEM(buf, orig, olen);

    /* Packets shorter than a header are refused. */
    len = 11;
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, buf, &len, sizeof(buf)), -1);
    len = 7;
    CHECK_EQ_INT(stoa_srtp_protect_rtcp(&p.a, buf, &len, sizeof(buf)), -1);

    pair_free(&p);
}

/* The bridge forwards many sources to one receiver through one outbound
 * context. */
static void test_many_ssrcs(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);
    enum { N = 64 };
    int ok_protect = 0, ok_unprotect = 0, ok_bytes = 0;
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < N; i++) {
            uint8_t buf[12 + 80 + STOA_SRTP_MAX_TRAILER], orig[12 + 80];
            size_t len = make_rtp(orig, (uint16_t)(100 * i + (uint32_t)round), 0x1000 + i * 17, 80);
            memcpy(buf, orig, len);
            if (stoa_srtp_protect_rtp(&p.a, buf, &len, sizeof(buf)) == 0)
                ok_protect++;
            if (stoa_srtp_unprotect_rtp(&p.b, buf, &len) == 0)
                ok_unprotect++;
            if (len == sizeof(orig) && memcmp(buf, orig, len) == 0)
                ok_bytes++;
        }
        for (uint32_t i = 0; i < N; i++) {
            uint8_t buf[32 + STOA_SRTP_MAX_TRAILER], orig[32];
            size_t len = make_rtcp(orig, 0x1000 + i * 17);
            memcpy(buf, orig, len);
            if (stoa_srtp_protect_rtcp(&p.a, buf, &len, sizeof(buf)) == 0)
                ok_protect++;
            if (stoa_srtp_unprotect_rtcp(&p.b, buf, &len) == 0)
                ok_unprotect++;
            if (len == sizeof(orig) && memcmp(buf, orig, len) == 0)
                ok_bytes++;
        }
    }
    CHECK_EQ_INT(ok_protect, 3 * 2 * N);
    CHECK_EQ_INT(ok_unprotect, 3 * 2 * N);
    CHECK_EQ_INT(ok_bytes, 3 * 2 * N);
    pair_free(&p);
}

/* An index is never protected twice on the way out: under AES-GCM a second
 * payload would reuse the nonce. */
static void test_no_repeat_tx(int profile)
{
    struct pair p;
    CHECK_EQ_INT(pair_init(&p, profile), 0);
    uint8_t first[12 + 60 + STOA_SRTP_MAX_TRAILER], second[sizeof(first)], later[sizeof(first)];
    size_t len1 = make_rtp(first, 3000, 9, 60);
    size_t len2 = make_rtp(second, 3000, 9, 60);
    second[20] ^= 0x01;                     /* another payload under the same index */
    size_t len3 = make_rtp(later, 3001, 9, 60);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, first, &len1, sizeof(first)), 0);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, later, &len3, sizeof(later)), 0);
    CHECK_EQ_INT(stoa_srtp_protect_rtp(&p.a, second, &len2, sizeof(second)), -1);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, first, &len1), 0);
    CHECK_EQ_INT(stoa_srtp_unprotect_rtp(&p.b, later, &len3), 0);
    pair_free(&p);
}

static void test_bad_keys(void)
{
    stoa_srtp s;
    stoa_srtp_keys k = make_keys(STOA_SRTP_AES128_CM_SHA1_80);
    k.profile = 0x0002; /* AES_CM_128_HMAC_SHA1_32: not offered */
    CHECK_EQ_INT(stoa_srtp_init(&s, &k), -1);
    k = make_keys(STOA_SRTP_AEAD_AES_128_GCM);
    k.salt_len = 14;
    CHECK_EQ_INT(stoa_srtp_init(&s, &k), -1);
    k = make_keys(STOA_SRTP_AES128_CM_SHA1_80);
    k.key_len = 32;
    CHECK_EQ_INT(stoa_srtp_init(&s, &k), -1);
    CHECK_EQ_INT(stoa_srtp_init(&s, NULL), -1);
    /* Freeing an unused (zeroed) context is harmless. */
    memset(&s, 0, sizeof(s));
    stoa_srtp_free(&s);
    CHECK(s.in == NULL && s.out == NULL);
}

int main(void)
{
    CHECK_EQ_INT(stoa_srtp_global_init(), 0);
    CHECK_EQ_INT(stoa_srtp_global_init(), 0);
    const int profiles[] = {STOA_SRTP_AES128_CM_SHA1_80, STOA_SRTP_AEAD_AES_128_GCM};
    for (size_t i = 0; i < 2; i++) {
        test_rtp_round_trip(profiles[i]);
        test_rtcp_round_trip(profiles[i]);
        test_tamper(profiles[i]);
        test_replay(profiles[i]);
        test_small_cap(profiles[i]);
        test_many_ssrcs(profiles[i]);
        test_no_repeat_tx(profiles[i]);
    }
    test_bad_keys();
    return check_report("srtp");
}
