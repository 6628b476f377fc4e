/* Unit tests for the RTCP module (src/webrtc/rtcp.c): walking, parsers and builders. */
#include "webrtc/rtcp.h"

#include <stdlib.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define SSRC_A 0x6F, 0x2D, 0x0E, 0x41   /* a sender's media SSRC */
#define SSRC_B 0x00, 0x00, 0x00, 0x01   /* a receiver's SSRC */

/* A browser's regular report while sending: SR without blocks, then SDES
 * with a 16-character CNAME. */
static const uint8_t sr_sdes[] = {
    0x80, 0xC8, 0x00, 0x06, SSRC_A,
    0xE8, 0x9B, 0x4C, 0x21,            /* NTP seconds */
    0x7A, 0xE1, 0x47, 0xAE,            /* NTP fraction */
    0x9A, 0x3B, 0x1C, 0x80,            /* RTP timestamp */
    0x00, 0x00, 0x01, 0xF4,            /* 500 packets */
    0x00, 0x00, 0x9C, 0x40,            /* 40000 octets */
    0x81, 0xCA, 0x00, 0x06, SSRC_A,
    0x01, 0x10, 'q', '2', 'X', 'n', '9', 'v', 'F', 'p', 'L', '4', 's', 'T', '8', 'k', 'W', 'z',
    0x00, 0x00,
};

/* A receiver's report on SSRC_A followed by its bandwidth estimate. */
static const uint8_t rr_remb[] = {
    0x81, 0xC9, 0x00, 0x07, SSRC_B,
    SSRC_A,
    0x0C, 0xFF, 0xFF, 0xFE,            /* fraction 12/256, cumulative -2 */
    0x00, 0x01, 0x5C, 0x0B,            /* one cycle, seq 23563 */
    0x00, 0x00, 0x00, 0x2F,            /* jitter */
    0x9B, 0x4C, 0x7A, 0xE1,            /* LSR */
    0x00, 0x01, 0x00, 0x00,            /* DLSR: one second */
    0x8F, 0xCE, 0x00, 0x05, SSRC_B, 0x00, 0x00, 0x00, 0x00,
    'R', 'E', 'M', 'B', 0x01, 0x0B, 0xD0, 0x90, SSRC_A,
};

/* Transport-cc feedback: base 256, 5 statuses, reference time -2, fb count 7,
 * one run-length chunk of 5 small deltas, the deltas, and one byte of padding. */
static const uint8_t twcc_pkt[] = {
    0xAF, 0xCD, 0x00, 0x06, SSRC_B, SSRC_A,
    0x01, 0x00, 0x00, 0x05, 0xFF, 0xFF, 0xFE, 0x07,
    0x20, 0x05,
    0x04, 0x08, 0x00, 0x14, 0x02,
    0x01,
};

/* Returns the only packet in buf. */
static int single(const uint8_t *buf, size_t len, rtcp_packet *p)
{
    rtcp_iter it;
    rtcp_packet extra;
    rtcp_iter_init(&it, buf, len);
    if (rtcp_next(&it, p) != 1)
        return -1;
    return rtcp_next(&it, &extra) == 0 ? 0 : -1;
}

static bool valid_exact(const uint8_t *src, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (len)
        memcpy(buf, src, len);
    bool ok = rtcp_is_valid_compound(buf, len);
    free(buf);
    return ok;
}

static void test_sr_sdes_compound(void)
{
    rtcp_iter it;
    rtcp_packet p;
    rtcp_sr sr;
    uint32_t ssrc = 0;
    char cname[64];

    CHECK(rtcp_is_valid_compound(sr_sdes, sizeof sr_sdes));
    rtcp_iter_init(&it, sr_sdes, sizeof sr_sdes);
    CHECK_EQ_INT(rtcp_next(&it, &p), 1);
    CHECK_EQ_INT(p.type, RTCP_SR);
    CHECK_EQ_INT(p.count, 0);
    CHECK_EQ_INT(p.len, 28);
    CHECK(p.data == sr_sdes);
    CHECK_EQ_INT(rtcp_sender_ssrc(&p), 0x6F2D0E41);
    CHECK_EQ_INT(rtcp_parse_sr(&p, &sr), 0);
    CHECK_EQ_INT(sr.ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(sr.ntp_sec, 0xE89B4C21);
    CHECK_EQ_INT(sr.ntp_frac, 0x7AE147AE);
    CHECK_EQ_INT(sr.rtp_timestamp, 0x9A3B1C80);
    CHECK_EQ_INT(sr.packet_count, 500);
    CHECK_EQ_INT(sr.octet_count, 40000);
    CHECK_EQ_INT(sr.n_blocks, 0);
    CHECK_EQ_INT(rtcp_parse_rr(&p, &(rtcp_rr){0}), -1);

    CHECK_EQ_INT(rtcp_next(&it, &p), 1);
    CHECK_EQ_INT(p.type, RTCP_SDES);
    CHECK_EQ_INT(p.count, 1);
    CHECK_EQ_INT(p.len, 28);
    CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), 0);
    CHECK_EQ_INT(ssrc, 0x6F2D0E41);
    CHECK_EQ_STR(cname, "q2Xn9vFpL4sT8kWz");
    CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, 5), 0);
    CHECK_EQ_STR(cname, "q2Xn");
    CHECK_EQ_INT(rtcp_parse_sr(&p, &sr), -1);

    CHECK_EQ_INT(rtcp_next(&it, &p), 0);
    CHECK_EQ_INT(rtcp_next(&it, &p), 0);
}

static void test_rr_remb_compound(void)
{
    rtcp_iter it;
    rtcp_packet p;
    rtcp_rr rr;
    uint64_t bitrate = 0;
    uint32_t ssrcs[4];
    size_t n = 0;

    CHECK(rtcp_is_valid_compound(rr_remb, sizeof rr_remb));
    rtcp_iter_init(&it, rr_remb, sizeof rr_remb);
    CHECK_EQ_INT(rtcp_next(&it, &p), 1);
    CHECK_EQ_INT(p.type, RTCP_RR);
    CHECK_EQ_INT(rtcp_parse_rr(&p, &rr), 0);
    CHECK_EQ_INT(rr.ssrc, 1);
    CHECK_EQ_INT(rr.n_blocks, 1);
    CHECK_EQ_INT(rr.blocks[0].ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(rr.blocks[0].fraction_lost, 12);
    CHECK_EQ_INT(rr.blocks[0].cumulative_lost, -2);
    CHECK_EQ_INT(rr.blocks[0].highest_seq, 0x15C0B);
    CHECK_EQ_INT(rr.blocks[0].jitter, 47);
    CHECK_EQ_INT(rr.blocks[0].lsr, 0x9B4C7AE1);
    CHECK_EQ_INT(rr.blocks[0].dlsr, 65536);

    CHECK_EQ_INT(rtcp_next(&it, &p), 1);
    CHECK_EQ_INT(p.type, RTCP_PSFB);
    CHECK_EQ_INT(p.count, RTCP_FMT_AFB);
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, ssrcs, N(ssrcs), &n), 0);
    CHECK_EQ_INT(bitrate, 1000000);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(ssrcs[0], 0x6F2D0E41);
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, ssrcs, 0, &n), 0);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(rtcp_parse_twcc(&p, NULL, &(rtcp_twcc_header){0}), -1);
    CHECK_EQ_INT(rtcp_next(&it, &p), 0);
}

static void test_compound_truncations(void)
{
    /* Only the boundaries between packets leave a valid compound. */
    for (size_t len = 0; len <= sizeof sr_sdes; len++)
        CHECK_EQ_INT(valid_exact(sr_sdes, len), len == 28 || len == sizeof sr_sdes);
    for (size_t len = 0; len <= sizeof rr_remb; len++)
        CHECK_EQ_INT(valid_exact(rr_remb, len), len == 32 || len == sizeof rr_remb);
    for (size_t len = 0; len <= sizeof twcc_pkt; len++)
        CHECK_EQ_INT(valid_exact(twcc_pkt, len), len == sizeof twcc_pkt);
}

static void test_malformed_compounds(void)
{
    static const struct {
        const char *what;
        uint8_t bytes[24];
        size_t len;
    } cases[] = {
        { "empty", { 0 }, 0 },
        { "short header", { 0x80, 0xC9, 0x00 }, 3 },
        { "length overrun", { 0x80, 0xC9, 0x00, 0x07, SSRC_B }, 8 },
        { "length 0xFFFF", { 0x80, 0xC9, 0xFF, 0xFF, SSRC_B }, 8 },
        { "version 1", { 0x40, 0xC9, 0x00, 0x01, SSRC_B }, 8 },
        { "version 0", { 0x00, 0x00, 0x00, 0x00 }, 4 },
        { "bad version second", { 0x80, 0xC9, 0x00, 0x01, SSRC_B, 0xC0, 0xCA, 0x00, 0x00 }, 12 },
        { "trailing bytes", { 0x80, 0xC9, 0x00, 0x01, SSRC_B, 0x80, 0xCA }, 10 },
        { "second overruns", { 0x80, 0xC9, 0x00, 0x01, SSRC_B, 0x80, 0xCA, 0x00, 0x02, 0, 0, 0, 0 }, 16 },
        { "padding not last", { 0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 4, 0x80, 0xCA, 0x00, 0x00 }, 12 },
        { "padding count 0", { 0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 0 }, 8 },
        { "padding too long", { 0xA0, 0xC9, 0x00, 0x01, 0, 0, 0, 5 }, 8 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        bool ok = valid_exact(cases[i].bytes, cases[i].len);
        if (ok)
            fprintf(stderr, "accepted malformed compound: %s\n", cases[i].what);
        CHECK(!ok);
    }
    CHECK(!rtcp_is_valid_compound(NULL, 8));

    /* The walker hands out what precedes the damage, then keeps failing. */
    rtcp_iter it;
    rtcp_packet p;
    rtcp_iter_init(&it, cases[6].bytes, cases[6].len);
    CHECK_EQ_INT(rtcp_next(&it, &p), 1);
    CHECK_EQ_INT(p.type, RTCP_RR);
    CHECK_EQ_INT(rtcp_next(&it, &p), -1);
    CHECK_EQ_INT(rtcp_next(&it, &p), -1);

    /* A header-only packet is well framed, but an RR needs its SSRC. */
    static const uint8_t empty_rr[] = { 0x80, 0xC9, 0x00, 0x00 };
    rtcp_rr rr;
    CHECK(rtcp_is_valid_compound(empty_rr, sizeof empty_rr));
    CHECK_EQ_INT(single(empty_rr, sizeof empty_rr, &p), 0);
    CHECK_EQ_INT(rtcp_parse_rr(&p, &rr), -1);
    CHECK_EQ_INT(rtcp_sender_ssrc(&p), 0);

    /* RC says two blocks, the length holds one. */
    uint8_t short_rr[sizeof rr_remb];
    memcpy(short_rr, rr_remb, sizeof rr_remb);
    short_rr[0] = 0x82;
    CHECK_EQ_INT(single(short_rr, 32, &p), 0);
    CHECK_EQ_INT(rtcp_parse_rr(&p, &rr), -1);
}

static void test_sr_round_trip(void)
{
    rtcp_sr in = {
        .ssrc = 0x11223344, .ntp_sec = 0xE89B4C21, .ntp_frac = 0x80000000,
        .rtp_timestamp = 0xCAFEBABE, .packet_count = 12345, .octet_count = 6789012,
        .n_blocks = 2,
        .blocks = {
            { 0xAAAAAAAA, 25, -1, 0x0002FFFF, 300, 0x12345678, 0x00008000 },
            { 0xBBBBBBBB, 255, 8388607, 0xFFFFFFFF, 0, 0, 0 },
        },
    };
    uint8_t buf[28 + 31 * 24];
    rtcp_packet p;
    rtcp_sr out;
    size_t len = rtcp_build_sr(buf, sizeof buf, &in);
    CHECK_EQ_INT(len, 76);
    CHECK_MEM(buf, "\x82\xC8\x00\x12", 4);
    CHECK_MEM(buf + 28 + 5, "\xFF\xFF\xFF", 3);
    CHECK_EQ_INT(single(buf, len, &p), 0);
    CHECK_EQ_INT(rtcp_parse_sr(&p, &out), 0);
    CHECK_EQ_INT(out.ssrc, in.ssrc);
    CHECK_EQ_INT(out.ntp_sec, in.ntp_sec);
    CHECK_EQ_INT(out.ntp_frac, in.ntp_frac);
    CHECK_EQ_INT(out.rtp_timestamp, in.rtp_timestamp);
    CHECK_EQ_INT(out.packet_count, in.packet_count);
    CHECK_EQ_INT(out.octet_count, in.octet_count);
    CHECK_EQ_INT(out.n_blocks, 2);
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(out.blocks[i].ssrc, in.blocks[i].ssrc);
        CHECK_EQ_INT(out.blocks[i].fraction_lost, in.blocks[i].fraction_lost);
        CHECK_EQ_INT(out.blocks[i].cumulative_lost, in.blocks[i].cumulative_lost);
        CHECK_EQ_INT(out.blocks[i].highest_seq, in.blocks[i].highest_seq);
        CHECK_EQ_INT(out.blocks[i].jitter, in.blocks[i].jitter);
        CHECK_EQ_INT(out.blocks[i].lsr, in.blocks[i].lsr);
        CHECK_EQ_INT(out.blocks[i].dlsr, in.blocks[i].dlsr);
    }
    CHECK_EQ_INT(rtcp_build_sr(buf, 75, &in), 0);
    in.n_blocks = 32;
    CHECK_EQ_INT(rtcp_build_sr(buf, sizeof buf, &in), 0);
    in.n_blocks = 31;
    CHECK_EQ_INT(rtcp_build_sr(buf, sizeof buf, &in), sizeof buf);
    CHECK_EQ_INT(single(buf, sizeof buf, &p), 0);
    CHECK_EQ_INT(rtcp_parse_sr(&p, &out), 0);
    CHECK_EQ_INT(out.n_blocks, 31);
}

static void test_rr_round_trip(void)
{
    static const struct {
        int32_t lost_in, lost_out;
        uint8_t wire[3];
    } loss[] = {
        { 0, 0, { 0, 0, 0 } },
        { 1, 1, { 0, 0, 1 } },
        { -1, -1, { 0xFF, 0xFF, 0xFF } },
        { 8388607, 8388607, { 0x7F, 0xFF, 0xFF } },
        { -8388608, -8388608, { 0x80, 0x00, 0x00 } },
        { 9000000, 8388607, { 0x7F, 0xFF, 0xFF } },      /* clamped, RFC 3550 A.3 */
        { -9000000, -8388608, { 0x80, 0x00, 0x00 } },
    };
    uint8_t buf[64];
    rtcp_packet p;
    rtcp_rr rr;
    for (size_t i = 0; i < N(loss); i++) {
        rtcp_report_block b = { 0x01020304, 64, loss[i].lost_in, 70000, 12, 0x11110000, 0x2222 };
        size_t len = rtcp_build_rr(buf, sizeof buf, 0xFEEDF00D, &b, 1);
        CHECK_EQ_INT(len, 32);
        CHECK_MEM(buf, "\x81\xC9\x00\x07\xFE\xED\xF0\x0D", 8);
        CHECK_MEM(buf + 13, loss[i].wire, 3);
        CHECK_EQ_INT(single(buf, len, &p), 0);
        CHECK_EQ_INT(rtcp_parse_rr(&p, &rr), 0);
        CHECK_EQ_INT(rr.ssrc, 0xFEEDF00D);
        CHECK_EQ_INT(rr.n_blocks, 1);
        CHECK_EQ_INT(rr.blocks[0].ssrc, 0x01020304);
        CHECK_EQ_INT(rr.blocks[0].fraction_lost, 64);
        CHECK_EQ_INT(rr.blocks[0].cumulative_lost, loss[i].lost_out);
        CHECK_EQ_INT(rr.blocks[0].highest_seq, 70000);
        CHECK_EQ_INT(rr.blocks[0].jitter, 12);
        CHECK_EQ_INT(rr.blocks[0].lsr, 0x11110000);
        CHECK_EQ_INT(rr.blocks[0].dlsr, 0x2222);
    }
    /* An empty RR is what a receive-only endpoint sends with nothing to report. */
    CHECK_EQ_INT(rtcp_build_rr(buf, sizeof buf, 7, NULL, 0), 8);
    CHECK_MEM(buf, "\x80\xC9\x00\x01\x00\x00\x00\x07", 8);
    CHECK_EQ_INT(single(buf, 8, &p), 0);
    CHECK_EQ_INT(rtcp_parse_rr(&p, &rr), 0);
    CHECK_EQ_INT(rr.n_blocks, 0);
    CHECK_EQ_INT(rtcp_build_rr(buf, 7, 7, NULL, 0), 0);
    CHECK_EQ_INT(rtcp_build_rr(buf, sizeof buf, 7, NULL, 1), 0);
}

static void test_sdes_round_trip(void)
{
    static const struct {
        const char *cname;
        size_t len;
    } cases[] = {
        { "", 12 }, { "a", 12 }, { "ab", 16 }, { "user@host", 20 },
        { "q2Xn9vFpL4sT8kWz", 28 }, { "0123456789abcdef0", 28 },
    };
    uint8_t buf[300];
    char cname[300];
    uint32_t ssrc;
    rtcp_packet p;
    for (size_t i = 0; i < N(cases); i++) {
        size_t len = rtcp_build_sdes_cname(buf, sizeof buf, 0xA1B2C3D4, cases[i].cname);
        CHECK_EQ_INT(len, cases[i].len);
        CHECK_EQ_INT(buf[len - 1], 0);
        CHECK(rtcp_is_valid_compound(buf, len));
        CHECK_EQ_INT(single(buf, len, &p), 0);
        ssrc = 0;
        CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), 0);
        CHECK_EQ_INT(ssrc, 0xA1B2C3D4);
        CHECK_EQ_STR(cname, cases[i].cname);
        CHECK_EQ_INT(rtcp_build_sdes_cname(buf, len - 1, 1, cases[i].cname), 0);
    }
    char longest[257];
    memset(longest, 'x', 256);
    longest[256] = '\0';
    CHECK_EQ_INT(rtcp_build_sdes_cname(buf, sizeof buf, 1, longest), 0);
    longest[255] = '\0';
    CHECK_EQ_INT(rtcp_build_sdes_cname(buf, sizeof buf, 1, longest), 268);
    CHECK_EQ_INT(single(buf, 268, &p), 0);
    CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), 0);
    CHECK_EQ_INT(strlen(cname), 255);
}

static void test_sdes_chunks(void)
{
    /* Chunk 1 has only a NAME; the CNAME is in chunk 2. */
    static const uint8_t two_chunks[] = {
        0x82, 0xCA, 0x00, 0x06,
        0x00, 0x00, 0x00, 0x0A, 0x02, 0x02, 'h', 'i', 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x0B, 0x01, 0x03, 'a', 'b', 'c', 0x00, 0x00, 0x00,
    };
    static const uint8_t no_cname[] = {
        0x81, 0xCA, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0A, 0x02, 0x02, 'h', 'i',
    };
    static const struct {
        const char *what;
        uint8_t bytes[20];
        size_t len;
    } bad[] = {
        { "item overruns", { 0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x09, 'a', 0 }, 12 },
        { "no null item", { 0x81, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b' }, 12 },
        { "SC 2, one chunk", { 0x82, 0xCA, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x01, 'a', 0 }, 12 },
        { "junk after chunk", { 0x81, 0xCA, 0x00, 0x03, 0, 0, 0, 1, 0x01, 0x01, 'a', 0, 9, 9, 9, 9 }, 16 },
        { "chunk cut in SSRC", { 0x81, 0xCA, 0x00, 0x01, 0, 0, 0, 1 }, 8 },
        { "header only, SC 1", { 0x81, 0xCA, 0x00, 0x00 }, 4 },
    };
    rtcp_packet p;
    uint32_t ssrc = 0;
    char cname[16];
    CHECK_EQ_INT(single(two_chunks, sizeof two_chunks, &p), 0);
    CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), 0);
    CHECK_EQ_INT(ssrc, 0x0B);
    CHECK_EQ_STR(cname, "abc");
    CHECK_EQ_INT(single(no_cname, sizeof no_cname, &p), 0);
    CHECK_EQ_INT(rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname), -1);
    for (size_t i = 0; i < N(bad); i++) {
        CHECK_EQ_INT(single(bad[i].bytes, bad[i].len, &p), 0);
        int r = rtcp_parse_sdes_cname(&p, &ssrc, cname, sizeof cname);
        if (r != -1)
            fprintf(stderr, "accepted malformed SDES: %s\n", bad[i].what);
        CHECK_EQ_INT(r, -1);
    }
}

static void test_bye(void)
{
    static const uint32_t leaving[] = { 0x11111111, 0x22222222 };
    static const uint8_t with_reason[] = {
        0x81, 0xCB, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x03, 'b', 'y', 'e',
    };
    static const uint8_t reason_overruns[] = {
        0x81, 0xCB, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0x09, 'b', 'y', 'e',
    };
    static const uint8_t junk_after_reason[] = {
        0x81, 0xCB, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0x01, 'x', 0, 0, 1, 2, 3, 4,
    };
    uint8_t buf[32];
    uint32_t out[4];
    size_t n = 99;
    rtcp_packet p;
    size_t len = rtcp_build_bye(buf, sizeof buf, leaving, 2);
    CHECK_EQ_INT(len, 12);
    CHECK_MEM(buf, "\x82\xCB\x00\x02\x11\x11\x11\x11\x22\x22\x22\x22", 12);
    CHECK_EQ_INT(single(buf, len, &p), 0);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, N(out), &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(out[0], 0x11111111);
    CHECK_EQ_INT(out[1], 0x22222222);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, 1, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(rtcp_build_bye(buf, 11, leaving, 2), 0);

    CHECK_EQ_INT(single(with_reason, sizeof with_reason, &p), 0);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, N(out), &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(single(reason_overruns, sizeof reason_overruns, &p), 0);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, N(out), &n), -1);
    CHECK_EQ_INT(single(junk_after_reason, sizeof junk_after_reason, &p), 0);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, N(out), &n), -1);
    /* SC 3 in a packet holding one SSRC. */
    memcpy(buf, with_reason, sizeof with_reason);
    buf[0] = 0x83;
    CHECK_EQ_INT(single(buf, sizeof with_reason, &p), 0);
    CHECK_EQ_INT(rtcp_parse_bye(&p, out, N(out), &n), -1);
}

static void test_pli_fir(void)
{
    static const uint8_t pli_wire[] = {
        0x81, 0xCE, 0x00, 0x02, SSRC_B, SSRC_A,
    };
    static const uint8_t fir_wire[] = {
        0x84, 0xCE, 0x00, 0x04, SSRC_B, 0x00, 0x00, 0x00, 0x00, SSRC_A, 0x2A, 0x00, 0x00, 0x00,
    };
    uint8_t buf[32];
    rtcp_packet p;
    rtcp_fb fb;
    rtcp_fir_entry fir[2];
    size_t n = 0;

    CHECK_EQ_INT(rtcp_build_pli(buf, sizeof buf, 1, 0x6F2D0E41), sizeof pli_wire);
    CHECK_MEM(buf, pli_wire, sizeof pli_wire);
    CHECK_EQ_INT(rtcp_build_pli(buf, 11, 1, 2), 0);
    CHECK_EQ_INT(single(pli_wire, sizeof pli_wire, &p), 0);
    CHECK_EQ_INT(p.type, RTCP_PSFB);
    CHECK_EQ_INT(p.count, RTCP_FMT_PLI);
    CHECK_EQ_INT(rtcp_parse_fb(&p, &fb), 0);
    CHECK_EQ_INT(fb.sender_ssrc, 1);
    CHECK_EQ_INT(fb.media_ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(fb.fci_len, 0);
    CHECK_EQ_INT(rtcp_parse_fir(&p, fir, N(fir), &n), -1);
    CHECK_EQ_INT(rtcp_parse_nack(&p, NULL, NULL, 0, &n), -1);

    CHECK_EQ_INT(rtcp_build_fir(buf, sizeof buf, 1, 0x6F2D0E41, 42), sizeof fir_wire);
    CHECK_MEM(buf, fir_wire, sizeof fir_wire);
    CHECK_EQ_INT(rtcp_build_fir(buf, 19, 1, 2, 3), 0);
    CHECK_EQ_INT(single(fir_wire, sizeof fir_wire, &p), 0);
    CHECK_EQ_INT(rtcp_parse_fir(&p, fir, N(fir), &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(fir[0].ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(fir[0].seq, 42);
    CHECK_EQ_INT(rtcp_parse_remb(&p, NULL, NULL, 0, &n), -1);

    /* FIR with an FCI that is not a whole entry. */
    static const uint8_t fir_short[] = {
        0x84, 0xCE, 0x00, 0x03, SSRC_B, 0x00, 0x00, 0x00, 0x00, SSRC_A,
    };
    CHECK_EQ_INT(single(fir_short, sizeof fir_short, &p), 0);
    CHECK_EQ_INT(rtcp_parse_fir(&p, fir, N(fir), &n), -1);
}

static void test_nack_parse(void)
{
    static const uint8_t nack_wire[] = {
        0x81, 0xCD, 0x00, 0x04, SSRC_B, SSRC_A,
        0x00, 0x64, 0x80, 0x01,     /* PID 100, BLP bits 0 and 15 */
        0xFF, 0xFE, 0x00, 0x05,     /* PID 65534, BLP bits 0 and 2: wraps */
    };
    static const uint16_t want[] = { 100, 101, 116, 65534, 65535, 1 };
    uint16_t seqs[32];
    uint32_t media = 0;
    size_t n = 0;
    rtcp_packet p;
    CHECK_EQ_INT(single(nack_wire, sizeof nack_wire, &p), 0);
    CHECK_EQ_INT(rtcp_parse_nack(&p, &media, seqs, N(seqs), &n), 0);
    CHECK_EQ_INT(media, 0x6F2D0E41);
    CHECK_EQ_INT(n, N(want));
    for (size_t i = 0; i < N(want) && i < n; i++)
        CHECK_EQ_INT(seqs[i], want[i]);
    CHECK_EQ_INT(rtcp_parse_nack(&p, &media, seqs, 2, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_INT(seqs[1], 101);

    static const uint8_t nack_empty[] = { 0x81, 0xCD, 0x00, 0x02, SSRC_B, SSRC_A };
    CHECK_EQ_INT(single(nack_empty, sizeof nack_empty, &p), 0);
    CHECK_EQ_INT(rtcp_parse_nack(&p, &media, seqs, N(seqs), &n), -1);
    static const uint8_t fb_short[] = { 0x81, 0xCD, 0x00, 0x01, SSRC_B };
    CHECK_EQ_INT(single(fb_short, sizeof fb_short, &p), 0);
    CHECK_EQ_INT(rtcp_parse_nack(&p, &media, seqs, N(seqs), &n), -1);
    CHECK_EQ_INT(rtcp_parse_fb(&p, &(rtcp_fb){0}), -1);
}

static void test_nack_build_known(void)
{
    static const struct {
        uint16_t seqs[8];
        size_t n;
        uint16_t items[6];   /* PID, BLP pairs */
        size_t n_items;
    } cases[] = {
        { { 116, 100, 101 }, 3, { 100, 0x8001 }, 1 },
        { { 65535, 0, 1, 65534 }, 4, { 65534, 0x0007 }, 1 },
        { { 5, 5, 5 }, 3, { 5, 0 }, 1 },
        { { 1000, 18, 1 }, 3, { 1, 0, 18, 0, 1000, 0 }, 3 },
        { { 17, 1 }, 2, { 1, 0x8000 }, 1 },
        { { 10, 65530 }, 2, { 65530, 0x8000 }, 1 },
        { { 32768, 0 }, 2, { 0, 0, 32768, 0 }, 2 },
        { { 3, 65533, 2 }, 3, { 65533, 0x0030 }, 1 },
    };
    uint8_t buf[64];
    for (size_t i = 0; i < N(cases); i++) {
        size_t len = rtcp_build_nack(buf, sizeof buf, 1, 0x6F2D0E41, cases[i].seqs, cases[i].n);
        CHECK_EQ_INT(len, 12 + 4 * cases[i].n_items);
        CHECK_MEM(buf, "\x81\xCD", 2);
        CHECK_EQ_INT(buf[3], 2 + cases[i].n_items);
        CHECK_MEM(buf + 8, "\x6F\x2D\x0E\x41", 4);
        for (size_t k = 0; k < cases[i].n_items && 12 + 4 * k + 4 <= len; k++) {
            const uint8_t *it = buf + 12 + 4 * k;
            CHECK_EQ_INT(it[0] << 8 | it[1], cases[i].items[2 * k]);
            CHECK_EQ_INT(it[2] << 8 | it[3], cases[i].items[2 * k + 1]);
        }
    }
    static const uint16_t two_items[] = { 1, 100 };
    CHECK_EQ_INT(rtcp_build_nack(buf, 19, 1, 2, two_items, 2), 0);
    CHECK_EQ_INT(rtcp_build_nack(buf, 20, 1, 2, two_items, 2), 20);
    CHECK_EQ_INT(rtcp_build_nack(buf, sizeof buf, 1, 2, two_items, 0), 0);
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Random sets inside a 600-number window (often straddling 65535 -> 0) must
 * come back exactly, in window order, without duplicates. */
static void test_nack_build_random(void)
{
    static uint8_t buf[12 + 4 * 600];
    uint32_t state = 12345;
    for (int trial = 0; trial < 300; trial++) {
        uint16_t base = (uint16_t)(trial < 150 ? (uint32_t)(65536 - 300 + trial) : lcg(&state));
        uint16_t seqs[200];
        bool want[600] = { false };
        size_t n = 1 + lcg(&state) % N(seqs), unique = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t off = lcg(&state) % 600;
            seqs[i] = (uint16_t)(base + off);
            unique += !want[off];
            want[off] = true;
        }
        size_t len = rtcp_build_nack(buf, sizeof buf, 1, 2, seqs, n);
        rtcp_packet p;
        uint16_t got[600];
        size_t m = 0;
        CHECK(len > 12);
        if (single(buf, len, &p) != 0 || rtcp_parse_nack(&p, NULL, got, N(got), &m) != 0) {
            CHECK(!"built NACK does not parse");
            return;
        }
        CHECK_EQ_INT(m, unique);
        int prev = -1;
        bool ordered = true, members = true;
        for (size_t i = 0; i < m; i++) {
            int off = (uint16_t)(got[i] - base);
            members = members && off < 600 && want[off];
            ordered = ordered && off > prev;
            prev = off;
        }
        CHECK(members);
        CHECK(ordered);
    }
}

static void test_nack_build_everything(void)
{
    static uint16_t all[65536], got[65536];
    static uint8_t buf[12 + 4 * 4000];
    for (size_t i = 0; i < 65536; i++)
        all[i] = (uint16_t)(65535 - i);
    size_t len = rtcp_build_nack(buf, sizeof buf, 1, 2, all, 65536);
    CHECK_EQ_INT(len, 12 + 4 * 3856);   /* ceil(65536 / 17) items */
    rtcp_packet p;
    size_t n = 0;
    if (single(buf, len, &p) != 0 || rtcp_parse_nack(&p, NULL, got, N(got), &n) != 0) {
        CHECK(!"built NACK does not parse");
        return;
    }
    CHECK_EQ_INT(n, 65536);
    bool ascending = true;
    for (size_t i = 0; i < n; i++)
        ascending = ascending && got[i] == i;
    CHECK(ascending);
}

static void test_remb(void)
{
    static const struct {
        uint64_t bitrate;
        uint8_t wire[3];
        uint64_t decoded;
    } cases[] = {
        { 0, { 0x00, 0x00, 0x00 }, 0 },
        { 262143, { 0x03, 0xFF, 0xFF }, 262143 },
        { 262144, { 0x06, 0x00, 0x00 }, 262144 },
        { 1000000, { 0x0B, 0xD0, 0x90 }, 1000000 },      /* exp 2, mantissa 250000 */
        { 1000001, { 0x0B, 0xD0, 0x90 }, 1000000 },      /* rounded down */
        { 2500000, { 0x12, 0x62, 0x5A }, 2500000 },      /* exp 4, mantissa 156250 */
        { UINT64_MAX, { 0xBB, 0xFF, 0xFF }, 0xFFFFC00000000000ULL },
    };
    static const uint8_t remb_wire[] = {
        0x8F, 0xCE, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00,
        'R', 'E', 'M', 'B', 0x02, 0x0B, 0xD0, 0x90,
        0xAA, 0xBB, 0xCC, 0xDD, 0x01, 0x02, 0x03, 0x04,
    };
    static const uint32_t ssrcs[] = { 0xAABBCCDD, 0x01020304 };
    uint8_t buf[64];
    uint32_t got[4];
    uint64_t bitrate;
    size_t n;
    rtcp_packet p;

    CHECK_EQ_INT(rtcp_build_remb(buf, sizeof buf, 0x11223344, 1000000, ssrcs, 2), sizeof remb_wire);
    CHECK_MEM(buf, remb_wire, sizeof remb_wire);
    CHECK_EQ_INT(rtcp_build_remb(buf, sizeof remb_wire - 1, 0x11223344, 1000000, ssrcs, 2), 0);
    for (size_t i = 0; i < N(cases); i++) {
        size_t len = rtcp_build_remb(buf, sizeof buf, 1, cases[i].bitrate, ssrcs, 1);
        CHECK_EQ_INT(len, 24);
        CHECK_MEM(buf + 17, cases[i].wire, 3);
        CHECK_EQ_INT(single(buf, len, &p), 0);
        CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), 0);
        CHECK(bitrate == cases[i].decoded);
        CHECK_EQ_INT(n, 1);
        CHECK_EQ_INT(got[0], 0xAABBCCDD);
    }

    /* Hostile encodings. */
    uint8_t bad[sizeof remb_wire];
    memcpy(bad, remb_wire, sizeof bad);
    bad[15] = 'X';
    CHECK_EQ_INT(single(bad, sizeof bad, &p), 0);
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), -1);
    memcpy(bad, remb_wire, sizeof bad);
    bad[16] = 3;   /* three SSRCs announced, two present */
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), -1);
    bad[16] = 1;   /* one announced, two present */
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), -1);
    bad[16] = 2;
    bad[17] = 0xBE;   /* exponent 47, mantissa top bit set: 2^64, does not fit */
    bad[18] = 0x00;
    bad[19] = 0x00;
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), -1);
    bad[17] = 0xFC;   /* exponent 63, mantissa 1: 2^63 fits */
    bad[19] = 0x01;
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), 0);
    CHECK(bitrate == 1ULL << 63);
    static const uint8_t remb_short[] = {
        0x8F, 0xCE, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B',
    };
    CHECK_EQ_INT(single(remb_short, sizeof remb_short, &p), 0);
    CHECK_EQ_INT(rtcp_parse_remb(&p, &bitrate, got, N(got), &n), -1);
    CHECK_EQ_INT(rtcp_build_remb(buf, sizeof buf, 1, 1, ssrcs, 256), 0);
}

static void test_twcc(void)
{
    rtcp_packet p;
    rtcp_twcc_header h;
    uint32_t media = 0;
    rtcp_fb fb;
    CHECK(rtcp_is_valid_compound(twcc_pkt, sizeof twcc_pkt));
    CHECK_EQ_INT(single(twcc_pkt, sizeof twcc_pkt, &p), 0);
    CHECK_EQ_INT(p.type, RTCP_RTPFB);
    CHECK_EQ_INT(p.count, RTCP_FMT_TWCC);
    CHECK_EQ_INT(p.len, 28);
    CHECK_EQ_INT(rtcp_parse_twcc(&p, &media, &h), 0);
    CHECK_EQ_INT(media, 0x6F2D0E41);
    CHECK_EQ_INT(h.base_seq, 256);
    CHECK_EQ_INT(h.status_count, 5);
    CHECK_EQ_INT(h.reference_time, -2);
    CHECK_EQ_INT(h.fb_count, 7);
    /* The padding byte is not part of the FCI. */
    CHECK_EQ_INT(rtcp_parse_fb(&p, &fb), 0);
    CHECK_EQ_INT(fb.fci_len, 15);
    CHECK_EQ_INT(rtcp_parse_nack(&p, NULL, NULL, 0, &(size_t){0}), -1);

    uint8_t buf[sizeof twcc_pkt];
    memcpy(buf, twcc_pkt, sizeof buf);
    buf[16] = 0x12;
    buf[17] = 0x34;
    buf[18] = 0x56;
    buf[19] = 0xFF;
    CHECK_EQ_INT(single(buf, sizeof buf, &p), 0);
    CHECK_EQ_INT(rtcp_parse_twcc(&p, &media, &h), 0);
    CHECK_EQ_INT(h.reference_time, 0x123456);
    CHECK_EQ_INT(h.fb_count, 255);

    /* Statuses announced but no chunk to carry them. */
    static const uint8_t no_chunk[] = {
        0x8F, 0xCD, 0x00, 0x04, SSRC_B, SSRC_A, 0x01, 0x00, 0x00, 0x05, 0x00, 0x00, 0x01, 0x00,
    };
    CHECK_EQ_INT(single(no_chunk, sizeof no_chunk, &p), 0);
    CHECK_EQ_INT(rtcp_parse_twcc(&p, &media, &h), -1);
    static const uint8_t fci_short[] = {
        0x8F, 0xCD, 0x00, 0x03, SSRC_B, SSRC_A, 0x01, 0x00, 0x00, 0x00,
    };
    CHECK_EQ_INT(single(fci_short, sizeof fci_short, &p), 0);
    CHECK_EQ_INT(rtcp_parse_twcc(&p, &media, &h), -1);
}

int main(void)
{
    test_sr_sdes_compound();
    test_rr_remb_compound();
    test_compound_truncations();
    test_malformed_compounds();
    test_sr_round_trip();
    test_rr_round_trip();
    test_sdes_round_trip();
    test_sdes_chunks();
    test_bye();
    test_pli_fir();
    test_nack_parse();
    test_nack_build_known();
    test_nack_build_random();
    test_nack_build_everything();
    test_remb();
    test_twcc();
    return check_report("rtcp");
}
