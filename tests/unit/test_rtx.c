/* Unit tests for RFC 4588 retransmission packets (src/webrtc/rtx.c). The
 * expected packets are written out byte by byte from the RFC, not computed. */
#include "webrtc/rtx.h"

#include <stdbool.h>
#include <stdlib.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define CASE_BEGIN() int case_failed_ = check_failed
#define CASE_END(name) do { if (check_failed != case_failed_) \
    fprintf(stderr, "  in case %s\n", (name)); } while (0)

#define TS 0x11, 0x22, 0x33, 0x44
#define SSRC_ORIG 0x01, 0x02, 0x03, 0x04
#define SSRC_RTX 0xCA, 0xFE, 0xBA, 0xBE
#define ORIG_SSRC 0x01020304u
#define RTX_SSRC 0xCAFEBABEu
#define ORIG_PT 96
#define RTX_PT 97

/* Plain: PT 96, seq 0x1234, four payload bytes. */
static const uint8_t plain[] = {
    0x80, 0x60, 0x12, 0x34, TS, SSRC_ORIG,
    0xDE, 0xAD, 0xBE, 0xEF,
};
static const uint8_t plain_rtx[] = {
    0x80, 0x61, 0x00, 0x07, TS, SSRC_RTX,
    0x12, 0x34,
    0xDE, 0xAD, 0xBE, 0xEF,
};

/* Marker, two CSRCs, a one-byte extension block, seq 0xFFFF, 3 bytes of padding. */
#define FULL_HEADER(b0, b1, seqhi, seqlo, ssrc) \
    (b0), (b1), (seqhi), (seqlo), TS, ssrc, \
    0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x11, 0x11, 0x11, \
    0xBE, 0xDE, 0x00, 0x01, 0x10, 0x55, 0x00, 0x00
static const uint8_t full[] = {
    FULL_HEADER(0xB2, 0xE0, 0xFF, 0xFF, SSRC_ORIG),
    0x01, 0x02, 0x03, 0x04, 0x05,
    0x00, 0x00, 0x03,
};
static const uint8_t full_rtx[] = {
    FULL_HEADER(0x92, 0xE1, 0x01, 0x02, SSRC_RTX),
    0xFF, 0xFF,
    0x01, 0x02, 0x03, 0x04, 0x05,
};
static const uint8_t full_restored[] = {
    FULL_HEADER(0x92, 0xE0, 0xFF, 0xFF, SSRC_ORIG),
    0x01, 0x02, 0x03, 0x04, 0x05,
};

/* Two-byte extension block, padding only (no payload). */
#define TWO_HEADER(b0, b1, seqhi, seqlo, ssrc) \
    (b0), (b1), (seqhi), (seqlo), TS, ssrc, \
    0x10, 0x00, 0x00, 0x01, 0x01, 0x01, 0x7F, 0x00
static const uint8_t padonly[] = {
    TWO_HEADER(0xB0, 0x60, 0x00, 0x00, SSRC_ORIG),
    0x00, 0x00, 0x00, 0x04,
};
static const uint8_t padonly_rtx[] = {
    TWO_HEADER(0x90, 0x61, 0xFF, 0xFE, SSRC_RTX),
    0x00, 0x00,
};
static const uint8_t padonly_restored[] = {
    TWO_HEADER(0x90, 0x60, 0x00, 0x00, SSRC_ORIG),
};

/* Fifteen CSRCs, no extension, a one-byte payload. */
#define CSRCS15 \
    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, \
    0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0, 12, 0, 0, 0, 13, \
    0, 0, 0, 14, 0, 0, 0, 15
static const uint8_t csrcs[] = {
    0x8F, 0x60, 0x80, 0x00, TS, SSRC_ORIG, CSRCS15,
    0x42,
};
static const uint8_t csrcs_rtx[] = {
    0x8F, 0x7F, 0x00, 0x00, TS, SSRC_RTX, CSRCS15,
    0x80, 0x00,
    0x42,
};

typedef struct build_case {
    const char *name;
    const uint8_t *orig;
    size_t orig_len;
    uint8_t rtx_pt;
    uint16_t rtx_seq;
    const uint8_t *rtx;           /* expected RTX packet */
    size_t rtx_len;
    const uint8_t *restored;      /* orig without padding, P cleared */
    size_t restored_len;
    uint16_t osn;
    size_t payload_off, payload_len;
} build_case;

#define B(a) (a), sizeof(a)
static const build_case build_cases[] = {
    {"plain", B(plain), RTX_PT, 7, B(plain_rtx), B(plain), 0x1234, 14, 4},
    {"marker, CSRCs, extension, padding", B(full), RTX_PT, 0x0102, B(full_rtx),
     B(full_restored), 0xFFFF, 30, 5},
    {"padding only, two-byte extension", B(padonly), RTX_PT, 0xFFFE, B(padonly_rtx),
     B(padonly_restored), 0, 22, 0},
    {"15 CSRCs, PT 127", B(csrcs), 127, 0, B(csrcs_rtx), B(csrcs), 0x8000, 74, 1},
};

/* A heap copy of exactly len bytes, so ASan sees any read past the end. */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (len)
        memcpy(p, src, len);
    return p;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static void test_build(void)
{
    for (size_t i = 0; i < N(build_cases); i++) {
        const build_case *t = &build_cases[i];
        CASE_BEGIN();
        uint8_t *orig = dup_exact(t->orig, t->orig_len);
        uint8_t *out = malloc(t->rtx_len);
        size_t len = 0;
        CHECK_EQ_INT(rtx_build(orig, t->orig_len, RTX_SSRC, t->rtx_pt, t->rtx_seq,
                               out, t->rtx_len, &len), RTX_OK);
        CHECK_EQ_INT(len, t->rtx_len);
        if (len == t->rtx_len)
            CHECK_MEM(out, t->rtx, len);
        CHECK_MEM(orig, t->orig, t->orig_len);                /* input untouched */

        /* The result parses as RTP and as RTX. */
        rtp_header h;
        CHECK_EQ_INT(rtp_parse(out, len, &h), 0);
        CHECK_EQ_INT(h.ssrc, RTX_SSRC);
        CHECK_EQ_INT(h.payload_type, t->rtx_pt);
        CHECK_EQ_INT(h.seq, t->rtx_seq);
        CHECK(!h.padding);
        rtx_info r;
        CHECK_EQ_INT(rtx_parse(out, len, &r), RTX_OK);
        CHECK_EQ_INT(r.osn, t->osn);
        CHECK_EQ_INT(r.payload_off, t->payload_off);
        CHECK_EQ_INT(r.payload_len, t->payload_len);
        CHECK_EQ_INT(r.hdr.seq, t->rtx_seq);

        /* Round trip. */
        uint8_t *back = malloc(t->restored_len);
        size_t back_len = 0;
        CHECK_EQ_INT(rtx_restore(out, len, ORIG_PT, ORIG_SSRC, back, t->restored_len,
                                 &back_len), RTX_OK);
        CHECK_EQ_INT(back_len, t->restored_len);
        if (back_len == t->restored_len)
            CHECK_MEM(back, t->restored, back_len);
        free(back);
        free(out);
        free(orig);
        CASE_END(t->name);
    }
}

/* Built in the original's own buffer, then restored in the RTX packet's. */
static void test_in_place(void)
{
    for (size_t i = 0; i < N(build_cases); i++) {
        const build_case *t = &build_cases[i];
        CASE_BEGIN();
        size_t cap = t->orig_len + RTX_OSN_LEN;
        uint8_t *buf = malloc(cap);
        memcpy(buf, t->orig, t->orig_len);
        size_t len = 0;
        CHECK_EQ_INT(rtx_build(buf, t->orig_len, RTX_SSRC, t->rtx_pt, t->rtx_seq, buf, cap,
                               &len), RTX_OK);
        CHECK_EQ_INT(len, t->rtx_len);
        if (len == t->rtx_len)
            CHECK_MEM(buf, t->rtx, len);
        size_t back_len = 0;
        CHECK_EQ_INT(rtx_restore(buf, len, ORIG_PT, ORIG_SSRC, buf, len, &back_len), RTX_OK);
        CHECK_EQ_INT(back_len, t->restored_len);
        if (back_len == t->restored_len)
            CHECK_MEM(buf, t->restored, back_len);
        free(buf);
        CASE_END(t->name);
    }
}

/* out_cap one short of the result: refused, *out_len says how much is
 * needed, nothing written. Exactly enough: accepted. */
static void test_capacity(void)
{
    for (size_t i = 0; i < N(build_cases); i++) {
        const build_case *t = &build_cases[i];
        CASE_BEGIN();
        uint8_t out[128];
        size_t len = 0;
        memset(out, 0xA5, sizeof out);
        CHECK_EQ_INT(rtx_build(t->orig, t->orig_len, RTX_SSRC, t->rtx_pt, t->rtx_seq, out,
                               t->rtx_len - 1, &len), RTX_ERR_SPACE);
        CHECK_EQ_INT(len, t->rtx_len);
        CHECK(all_bytes(out, sizeof out, 0xA5));
        CHECK_EQ_INT(rtx_build(t->orig, t->orig_len, RTX_SSRC, t->rtx_pt, t->rtx_seq, out,
                               0, &len), RTX_ERR_SPACE);
        CHECK(all_bytes(out, sizeof out, 0xA5));
        CHECK_EQ_INT(rtx_build(t->orig, t->orig_len, RTX_SSRC, t->rtx_pt, t->rtx_seq, out,
                               t->rtx_len, &len), RTX_OK);
        CHECK(all_bytes(out + t->rtx_len, sizeof out - t->rtx_len, 0xA5));

        memset(out, 0xA5, sizeof out);
        len = 0;
        if (t->restored_len > 0) {
            CHECK_EQ_INT(rtx_restore(t->rtx, t->rtx_len, ORIG_PT, ORIG_SSRC, out,
                                     t->restored_len - 1, &len), RTX_ERR_SPACE);
            CHECK_EQ_INT(len, t->restored_len);
            CHECK(all_bytes(out, sizeof out, 0xA5));
        }
        CHECK_EQ_INT(rtx_restore(t->rtx, t->rtx_len, ORIG_PT, ORIG_SSRC, out,
                                 t->restored_len, &len), RTX_OK);
        CHECK(all_bytes(out + t->restored_len, sizeof out - t->restored_len, 0xA5));
        CASE_END(t->name);
    }
}

/* RTX packets received from a sender: its own padding, padding-only probes,
 * payloads too short for an OSN. */
static const uint8_t rx_padded[] = {
    0xA0, 0x61, 0x00, 0x09, TS, SSRC_RTX,
    0x04, 0xD2,
    0x0A, 0x0B,
    0x00, 0x00, 0x00, 0x00, 0x05,
};
static const uint8_t rx_padded_orig[] = {
    0x80, 0x60, 0x04, 0xD2, TS, SSRC_ORIG,
    0x0A, 0x0B,
};
static const uint8_t rx_probe[] = {
    0xA0, 0x61, 0x00, 0x0A, TS, SSRC_RTX,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
};
static const uint8_t rx_empty[] = {
    0x80, 0x61, 0x00, 0x0B, TS, SSRC_RTX,
};
static const uint8_t rx_osn_only[] = {
    0x80, 0xE1, 0x00, 0x0C, TS, SSRC_RTX,
    0xAB, 0xCD,
};
static const uint8_t rx_osn_only_orig[] = {
    0x80, 0xE0, 0xAB, 0xCD, TS, SSRC_ORIG,
};
static const uint8_t rx_short[] = {
    0x80, 0x61, 0x00, 0x0D, TS, SSRC_RTX,
    0xAB,
};
static const uint8_t rx_short_padded[] = {
    0xA0, 0x61, 0x00, 0x0E, TS, SSRC_RTX,
    0xAB, 0x00, 0x02,
};
static const uint8_t rx_version1[] = {
    0x40, 0x61, 0x00, 0x0F, TS, SSRC_RTX,
    0xAB, 0xCD, 0x01,
};
static const uint8_t rx_ext_overrun[] = {
    0x90, 0x61, 0x00, 0x10, TS, SSRC_RTX,
    0xBE, 0xDE, 0x00, 0x02, 0x10, 0x01, 0x00, 0x00,
};
static const uint8_t rx_truncated[] = {
    0x80, 0x61, 0x00, 0x11, TS, 0xCA, 0xFE,
};

static void test_receive(void)
{
    static const struct {
        const char *name;
        const uint8_t *pkt;
        size_t len;
        int rc;
        uint16_t osn;
        const uint8_t *orig;
        size_t orig_len;
    } cases[] = {
        {"padded", B(rx_padded), RTX_OK, 1234, B(rx_padded_orig)},
        {"OSN only, marker", B(rx_osn_only), RTX_OK, 0xABCD, B(rx_osn_only_orig)},
        {"padding-only probe", B(rx_probe), RTX_EMPTY, 0, NULL, 0},
        {"no payload", B(rx_empty), RTX_EMPTY, 0, NULL, 0},
        {"1-byte payload", B(rx_short), RTX_ERR_INVALID, 0, NULL, 0},
        {"1-byte payload + padding", B(rx_short_padded), RTX_ERR_INVALID, 0, NULL, 0},
        {"version 1", B(rx_version1), RTX_ERR_INVALID, 0, NULL, 0},
        {"extension overruns", B(rx_ext_overrun), RTX_ERR_INVALID, 0, NULL, 0},
        {"truncated header", B(rx_truncated), RTX_ERR_INVALID, 0, NULL, 0},
        {"zero length", rx_padded, 0, RTX_ERR_INVALID, 0, NULL, 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        CASE_BEGIN();
        uint8_t *pkt = dup_exact(cases[i].pkt, cases[i].len);
        rtx_info r;
        CHECK_EQ_INT(rtx_parse(pkt, cases[i].len, &r), cases[i].rc);
        if (cases[i].rc == RTX_OK)
            CHECK_EQ_INT(r.osn, cases[i].osn);
        if (cases[i].rc == RTX_EMPTY) {
            CHECK_EQ_INT(r.hdr.ssrc, RTX_SSRC);
            CHECK_EQ_INT(r.payload_len, 0);
        }

        uint8_t out[64];
        size_t len = 999;
        memset(out, 0xA5, sizeof out);
        CHECK_EQ_INT(rtx_restore(pkt, cases[i].len, ORIG_PT, ORIG_SSRC, out, sizeof out, &len),
                     cases[i].rc);
        if (cases[i].rc == RTX_OK) {
            CHECK_EQ_INT(len, cases[i].orig_len);
            if (len == cases[i].orig_len)
                CHECK_MEM(out, cases[i].orig, len);
        } else {
            CHECK_EQ_INT(len, 999);
            CHECK(all_bytes(out, sizeof out, 0xA5));
        }
        free(pkt);
        CASE_END(cases[i].name);
    }
}

static void test_bad_arguments(void)
{
    uint8_t out[64];
    size_t len = 0;
    rtx_info r;
    memset(out, 0xA5, sizeof out);
    CHECK_EQ_INT(rtx_build(plain, sizeof plain, RTX_SSRC, 128, 0, out, sizeof out, &len),
                 RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(plain, sizeof plain, RTX_SSRC, 255, 0, out, sizeof out, &len),
                 RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(NULL, sizeof plain, RTX_SSRC, RTX_PT, 0, out, sizeof out, &len),
                 RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(plain, sizeof plain, RTX_SSRC, RTX_PT, 0, NULL, sizeof out, &len),
                 RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(plain, sizeof plain, RTX_SSRC, RTX_PT, 0, out, sizeof out, NULL),
                 RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(rx_version1, sizeof rx_version1, RTX_SSRC, RTX_PT, 0, out,
                           sizeof out, &len), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(rx_ext_overrun, sizeof rx_ext_overrun, RTX_SSRC, RTX_PT, 0, out,
                           sizeof out, &len), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_build(plain, RTP_HEADER_MIN - 1, RTX_SSRC, RTX_PT, 0, out, sizeof out,
                           &len), RTX_ERR_INVALID);
    CHECK(all_bytes(out, sizeof out, 0xA5));

    CHECK_EQ_INT(rtx_restore(plain_rtx, sizeof plain_rtx, 128, ORIG_SSRC, out, sizeof out,
                             &len), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_restore(plain_rtx, sizeof plain_rtx, ORIG_PT, ORIG_SSRC, NULL, sizeof out,
                             &len), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_restore(plain_rtx, sizeof plain_rtx, ORIG_PT, ORIG_SSRC, out, sizeof out,
                             NULL), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_restore(NULL, sizeof plain_rtx, ORIG_PT, ORIG_SSRC, out, sizeof out,
                             &len), RTX_ERR_INVALID);
    CHECK(all_bytes(out, sizeof out, 0xA5));
    CHECK_EQ_INT(rtx_parse(plain_rtx, sizeof plain_rtx, NULL), RTX_ERR_INVALID);
    CHECK_EQ_INT(rtx_parse(NULL, sizeof plain_rtx, &r), RTX_ERR_INVALID);
}

/* Every prefix of every case, in an exact-size heap buffer: whatever the
 * result, nothing is read outside the input or written outside the output
 * (ASan), and a success always has the size the parsed header implies. */
static void test_truncations(void)
{
    long bad = 0;
    for (size_t i = 0; i < N(build_cases); i++) {
        const build_case *t = &build_cases[i];
        const uint8_t *srcs[2] = {t->orig, t->rtx};
        size_t lens[2] = {t->orig_len, t->rtx_len};
        for (int k = 0; k < 2; k++) {
            for (size_t n = 0; n <= lens[k]; n++) {
                uint8_t *in = dup_exact(srcs[k], n);
                rtp_header h;
                bool parses = rtp_parse(in, n, &h) == 0;
                size_t need = parses ? h.header_len + RTX_OSN_LEN + h.payload_len : 0;
                uint8_t *out = malloc(need ? need : 1);
                size_t len = 0;
                int rc = rtx_build(in, n, RTX_SSRC, RTX_PT, 1, out, need, &len);
                bad += rc != (parses ? RTX_OK : RTX_ERR_INVALID) || (parses && len != need);
                rtx_info r;
                rc = rtx_parse(in, n, &r);
                if (rc == RTX_OK) {
                    bad += r.payload_off + r.payload_len + r.hdr.padding_len != n;
                    size_t need2 = r.hdr.header_len + r.payload_len;
                    uint8_t *back = malloc(need2 ? need2 : 1);
                    bad += rtx_restore(in, n, ORIG_PT, ORIG_SSRC, back, need2, &len) != RTX_OK;
                    bad += len != need2;
                    free(back);
                }
                free(out);
                free(in);
            }
        }
    }
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    test_build();
    test_in_place();
    test_capacity();
    test_receive();
    test_bad_arguments();
    test_truncations();
    return check_report("rtx");
}
