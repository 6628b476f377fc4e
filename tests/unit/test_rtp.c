/* Unit tests for the RTP header and header-extension module (src/webrtc/rtp.c). */
#include "webrtc/rtp.h"

#include <stdlib.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Fixed header shared by most cases: PT 111, seq 0x1234, ts 123456, SSRC 0xDEADBEEF. */
#define FIXED(b0) (b0), 0x6F, 0x12, 0x34, 0x00, 0x01, 0xE2, 0x40, 0xDE, 0xAD, 0xBE, 0xEF

/* One-byte extensions with padding between elements:
 * id 1 (1 byte), pad, id 2 (3 bytes), pad pad, id 5 (2 bytes). */
static const uint8_t one_byte_pkt[] = {
    FIXED(0x90),
    0xBE, 0xDE, 0x00, 0x03,
    0x10, 0x85,
    0x00,
    0x22, 0xAA, 0xBB, 0xCC,
    0x00, 0x00,
    0x51, 0x11, 0x22,
    0xF0, 0x0D, 0x0E,  /* payload */
};

/* Two-byte extensions (profile 0x1000 with app bits 3): id 1 (1 byte), pad,
 * id 200 (0 bytes), id 7 (4 bytes). */
static const uint8_t two_byte_pkt[] = {
    FIXED(0x90),
    0x10, 0x03, 0x00, 0x03,
    0x01, 0x01, 0x85,
    0x00,
    0xC8, 0x00,
    0x07, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,
    0x01, 0x02,  /* payload */
};

/* Modelled on an Opus packet from Chrome with the extensions Stoa negotiates
 * (1 audio level, 3 transport-cc, 4 mid). libwebrtc reserves transport-cc and
 * mid when it allocates the packet and adds the audio level last, hence the
 * order 3, 4, 1, closed by one padding byte. Hand-built, not a capture. */
static const uint8_t chrome_opus[] = {
    0x90, 0xEF, 0x5C, 0x0B,          /* V2 X, marker (talkspurt), PT 111, seq 23563 */
    0x9A, 0x3B, 0x1C, 0x80,          /* timestamp */
    0x6F, 0x2D, 0x0E, 0x41,          /* SSRC */
    0xBE, 0xDE, 0x00, 0x02,
    0x31, 0x00, 0x2A,                /* transport-cc seq 42 */
    0x40, 0x30,                      /* mid "0" */
    0x10, 0x9E,                      /* voice, -30 dBov */
    0x00,
    0x78, 0x8B, 0x21, 0x5F, 0x8E, 0xC2, 0x17, 0x40,  /* Opus: TOC 0x78 (hybrid FB 20 ms) */
    0x93, 0x6A, 0xD1, 0x05, 0x7C, 0x2E, 0x99, 0xB4,
};

/* Parses a heap copy of exactly len bytes so ASan sees any overread. */
static int parse_exact(const uint8_t *src, size_t len, rtp_header *h, uint8_t **copy)
{
    uint8_t *buf = malloc(len ? len : 1);
    if (len)
        memcpy(buf, src, len);
    int r = rtp_parse(buf, len, h);
    if (copy)
        *copy = buf;
    else
        free(buf);
    return r;
}

static void test_plain_headers(void)
{
    static const struct {
        uint8_t bytes[16];
        size_t len;
        bool marker;
        uint8_t pt;
        uint16_t seq;
        uint32_t ts, ssrc;
        size_t payload;
    } cases[] = {
        { { 0x80, 0x60, 0x12, 0x34, 0x00, 0x01, 0xE2, 0x40, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3 },
          15, false, 96, 0x1234, 123456, 0xDEADBEEF, 3 },
        { { 0x80, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01 },
          12, true, 96, 0xFFFF, 0xFFFFFFFF, 1, 0 },
        { { 0x80, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 9 },
          13, false, 127, 0, 0, 0, 1 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        rtp_header h;
        CHECK_EQ_INT(parse_exact(cases[i].bytes, cases[i].len, &h, NULL), 0);
        CHECK_EQ_INT(h.version, 2);
        CHECK(!h.padding && !h.extension);
        CHECK_EQ_INT(h.csrc_count, 0);
        CHECK_EQ_INT(h.marker, cases[i].marker);
        CHECK_EQ_INT(h.payload_type, cases[i].pt);
        CHECK_EQ_INT(h.seq, cases[i].seq);
        CHECK_EQ_INT(h.timestamp, cases[i].ts);
        CHECK_EQ_INT(h.ssrc, cases[i].ssrc);
        CHECK_EQ_INT(h.header_len, 12);
        CHECK_EQ_INT(h.payload_len, cases[i].payload);
        CHECK_EQ_INT(h.padding_len, 0);
    }
}

static void test_csrcs(void)
{
    static const uint8_t pkt[] = {
        0x82, 0x60, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1,
        0x11, 0x11, 0x11, 0x11,
        0x22, 0x22, 0x22, 0x22,
        0xAB,
    };
    rtp_header h;
    CHECK_EQ_INT(parse_exact(pkt, sizeof pkt, &h, NULL), 0);
    CHECK_EQ_INT(h.csrc_count, 2);
    CHECK_EQ_INT(h.csrc[0], 0x11111111);
    CHECK_EQ_INT(h.csrc[1], 0x22222222);
    CHECK_EQ_INT(h.header_len, 20);
    CHECK_EQ_INT(h.payload_len, 1);

    /* Fifteen CSRCs, the most the 4-bit count can say, with no payload. */
    uint8_t full[12 + 60];
    memset(full, 0, sizeof full);
    full[0] = 0x8F;
    for (int i = 0; i < 15; i++)
        full[12 + 4 * i + 3] = (uint8_t)(i + 1);
    CHECK_EQ_INT(parse_exact(full, sizeof full, &h, NULL), 0);
    CHECK_EQ_INT(h.csrc_count, 15);
    CHECK_EQ_INT(h.csrc[14], 15);
    CHECK_EQ_INT(h.payload_len, 0);
}

static void test_one_byte_extensions(void)
{
    static const struct {
        uint8_t id;
        int found;
        size_t off;
        uint8_t len;
    } want[] = {
        { 1, 0, 17, 1 }, { 2, 0, 20, 3 }, { 5, 0, 26, 2 },
        { 3, -1, 0, 0 }, { 14, -1, 0, 0 }, { 0, -1, 0, 0 }, { 15, -1, 0, 0 },
    };
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(one_byte_pkt, sizeof one_byte_pkt, &h), 0);
    CHECK(h.extension);
    CHECK_EQ_INT(h.ext_profile, RTP_EXT_PROFILE_ONE_BYTE);
    CHECK_EQ_INT(h.ext_offset, 16);
    CHECK_EQ_INT(h.ext_len, 12);
    CHECK_EQ_INT(h.header_len, 28);
    CHECK_EQ_INT(h.payload_len, 3);
    for (size_t i = 0; i < N(want); i++) {
        size_t off = 0;
        uint8_t len = 0;
        CHECK_EQ_INT(rtp_ext_find(one_byte_pkt, &h, want[i].id, &off, &len), want[i].found);
        if (want[i].found == 0) {
            CHECK_EQ_INT(off, want[i].off);
            CHECK_EQ_INT(len, want[i].len);
        }
    }
    size_t off;
    uint8_t len;
    CHECK_EQ_INT(rtp_ext_find(one_byte_pkt, &h, 2, &off, &len), 0);
    CHECK_MEM(one_byte_pkt + off, "\xAA\xBB\xCC", 3);

    bool voice = false;
    CHECK_EQ_INT(rtp_audio_level(one_byte_pkt, &h, 1, &voice), 5);
    CHECK(voice);
    CHECK_EQ_INT(rtp_audio_level(one_byte_pkt, &h, 3, &voice), -1);
}

static void test_one_byte_id15_stops(void)
{
    static const uint8_t pkt[] = {
        FIXED(0x90),
        0xBE, 0xDE, 0x00, 0x02,
        0x10, 0x05,
        0xF3,              /* ID 15: its length is ignored and parsing ends */
        0x21, 0x01, 0x02,  /* would be id 2, must not be seen */
        0x00, 0x00,
    };
    /* Were ID 15 an element, it would swallow one byte and id 2 would follow. */
    static const uint8_t pkt2[] = {
        FIXED(0x90),
        0xBE, 0xDE, 0x00, 0x02,
        0x10, 0x05, 0xF0, 0x00, 0x21, 0x01, 0x02, 0x00,
    };
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(pkt, sizeof pkt, &h), 0);
    CHECK_EQ_INT(rtp_ext_find(pkt, &h, 1, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(pkt, &h, 2, NULL, NULL), -1);
    CHECK_EQ_INT(rtp_parse(pkt2, sizeof pkt2, &h), 0);
    CHECK_EQ_INT(rtp_ext_find(pkt2, &h, 1, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(pkt2, &h, 2, NULL, NULL), -1);
}

static void test_two_byte_extensions(void)
{
    rtp_header h;
    size_t off;
    uint8_t len;
    CHECK_EQ_INT(rtp_parse(two_byte_pkt, sizeof two_byte_pkt, &h), 0);
    CHECK_EQ_INT(h.ext_profile, 0x1003);
    CHECK_EQ_INT(h.payload_len, 2);

    CHECK_EQ_INT(rtp_ext_find(two_byte_pkt, &h, 1, &off, &len), 0);
    CHECK_EQ_INT(off, 18);
    CHECK_EQ_INT(len, 1);
    CHECK_EQ_INT(rtp_ext_find(two_byte_pkt, &h, 200, &off, &len), 0);
    CHECK_EQ_INT(off, 22);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(rtp_ext_find(two_byte_pkt, &h, 7, &off, &len), 0);
    CHECK_EQ_INT(len, 4);
    CHECK_MEM(two_byte_pkt + off, "\xDE\xAD\xBE\xEF", 4);
    CHECK_EQ_INT(rtp_ext_find(two_byte_pkt, &h, 2, &off, &len), -1);
    CHECK_EQ_INT(rtp_ext_find(two_byte_pkt, &h, 0, &off, &len), -1);

    bool voice = false;
    CHECK_EQ_INT(rtp_audio_level(two_byte_pkt, &h, 1, &voice), 5);
    CHECK(voice);
    /* A zero-length element carries no level. */
    CHECK_EQ_INT(rtp_audio_level(two_byte_pkt, &h, 200, &voice), -1);
}

static void test_unknown_profile(void)
{
    static const uint8_t pkt[] = {
        FIXED(0x90),
        0x12, 0x34, 0x00, 0x01,
        0x10, 0x05, 0x00, 0x00,
    };
    rtp_header h;
    uint8_t copy[sizeof pkt];
    CHECK_EQ_INT(rtp_parse(pkt, sizeof pkt, &h), 0);
    CHECK_EQ_INT(h.ext_profile, 0x1234);
    CHECK_EQ_INT(h.header_len, 20);
    CHECK_EQ_INT(rtp_ext_find(pkt, &h, 1, NULL, NULL), -1);
    memcpy(copy, pkt, sizeof pkt);
    CHECK_EQ_INT(rtp_ext_blank(copy, &h, 1), 0);
    CHECK_MEM(copy, pkt, sizeof pkt);
}

static void test_padding(void)
{
    static const uint8_t padded[] = { FIXED(0xA0), 1, 2, 3, 0, 0, 3 };
    static const uint8_t only_padding[] = { FIXED(0xA0), 0, 0, 0, 4 };
    static const uint8_t all_of_it[] = { FIXED(0xA0), 1 };
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(padded, sizeof padded, &h), 0);
    CHECK(h.padding);
    CHECK_EQ_INT(h.padding_len, 3);
    CHECK_EQ_INT(h.payload_len, 3);
    /* Padding-only packets are what browsers send as bandwidth probes. */
    CHECK_EQ_INT(rtp_parse(only_padding, sizeof only_padding, &h), 0);
    CHECK_EQ_INT(h.padding_len, 4);
    CHECK_EQ_INT(h.payload_len, 0);
    CHECK_EQ_INT(rtp_parse(all_of_it, sizeof all_of_it, &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
}

static void test_blank(void)
{
    uint8_t buf[sizeof one_byte_pkt];
    memcpy(buf, one_byte_pkt, sizeof buf);
    rtp_header h;
    size_t off;
    uint8_t len;
    CHECK_EQ_INT(rtp_parse(buf, sizeof buf, &h), 0);

    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 2), 1);
    CHECK_MEM(buf + 19, "\0\0\0\0", 4);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 2, &off, &len), -1);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 1, &off, &len), 0);
    CHECK_EQ_INT(off, 17);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 5, &off, &len), 0);
    CHECK_EQ_INT(off, 26);
    CHECK_EQ_INT(len, 2);
    /* Nothing outside the element moved. */
    CHECK_MEM(buf, one_byte_pkt, 19);
    CHECK_MEM(buf + 23, one_byte_pkt + 23, sizeof buf - 23);
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 2), 0);
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 9), 0);

    /* Blanking the first and last leaves the packet still parseable. */
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 1), 1);
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 5), 1);
    CHECK_EQ_INT(rtp_parse(buf, sizeof buf, &h), 0);
    for (uint8_t id = 1; id < 15; id++)
        CHECK_EQ_INT(rtp_ext_find(buf, &h, id, NULL, NULL), -1);
    CHECK_EQ_INT(h.payload_len, 3);

    uint8_t two[sizeof two_byte_pkt];
    memcpy(two, two_byte_pkt, sizeof two);
    CHECK_EQ_INT(rtp_parse(two, sizeof two, &h), 0);
    CHECK_EQ_INT(rtp_ext_blank(two, &h, 200), 1);
    CHECK_EQ_INT(rtp_ext_find(two, &h, 200, NULL, NULL), -1);
    CHECK_EQ_INT(rtp_ext_find(two, &h, 7, &off, &len), 0);
    CHECK_EQ_INT(len, 4);
    CHECK_EQ_INT(rtp_ext_find(two, &h, 1, &off, &len), 0);
}

static void test_blank_duplicates(void)
{
    uint8_t buf[] = {
        FIXED(0x90),
        0xBE, 0xDE, 0x00, 0x02,
        0x30, 0x01, 0x40, 0x30, 0x30, 0x02, 0x00, 0x00,
    };
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(buf, sizeof buf, &h), 0);
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 3), 1);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 3, NULL, NULL), -1);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 4, NULL, NULL), 0);
}

static void test_chrome_opus(void)
{
    rtp_header h;
    size_t off;
    uint8_t len;
    bool voice = false;
    uint8_t *buf;
    CHECK_EQ_INT(parse_exact(chrome_opus, sizeof chrome_opus, &h, &buf), 0);
    CHECK(!rtp_is_rtcp(buf, sizeof chrome_opus));
    CHECK(h.marker);
    CHECK_EQ_INT(h.payload_type, 111);
    CHECK_EQ_INT(h.seq, 23563);
    CHECK_EQ_INT(h.timestamp, 0x9A3B1C80);
    CHECK_EQ_INT(h.ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(h.header_len, 24);
    CHECK_EQ_INT(h.payload_len, 16);
    CHECK_EQ_INT(buf[h.header_len], 0x78);

    CHECK_EQ_INT(rtp_audio_level(buf, &h, 1, &voice), 30);
    CHECK(voice);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 3, &off, &len), 0);
    CHECK_EQ_INT(len, 2);
    CHECK_EQ_INT(buf[off] << 8 | buf[off + 1], 42);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 4, &off, &len), 0);
    CHECK_EQ_INT(len, 1);
    CHECK_EQ_INT(buf[off], '0');

    /* The bridge strips mid before forwarding; the rest must survive. */
    CHECK_EQ_INT(rtp_ext_blank(buf, &h, 4), 1);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 4, NULL, NULL), -1);
    CHECK_EQ_INT(rtp_audio_level(buf, &h, 1, &voice), 30);
    CHECK_EQ_INT(rtp_ext_find(buf, &h, 3, &off, &len), 0);
    CHECK_EQ_INT(buf[off + 1], 42);
    free(buf);
}

static void test_malformed(void)
{
    static const struct {
        const char *what;
        uint8_t bytes[32];
        size_t len;
    } cases[] = {
        { "version 1", { FIXED(0x40), 1, 2 }, 14 },
        { "version 0", { FIXED(0x00) }, 12 },
        { "version 3", { FIXED(0xC0) }, 12 },
        { "short fixed header", { 0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 11 },
        { "CSRC count overruns", { FIXED(0x83), 0, 0, 0, 1, 0, 0, 0, 2 }, 20 },
        { "15 CSRCs in 16 bytes", { FIXED(0x8F), 0, 0, 0, 1 }, 16 },
        { "extension header cut", { FIXED(0x90), 0xBE, 0xDE }, 14 },
        { "extension length overruns", { FIXED(0x90), 0xBE, 0xDE, 0x00, 0x02, 0x10, 1, 0, 0 }, 20 },
        { "extension length huge", { FIXED(0x90), 0xBE, 0xDE, 0xFF, 0xFF, 0x10, 1, 0, 0 }, 20 },
        { "padding longer than payload", { FIXED(0xA0), 1, 2, 3, 5 }, 16 },
        { "padding count 0", { FIXED(0xA0), 1, 2, 3, 0 }, 16 },
        { "padding bit, no room", { FIXED(0xA0) }, 12 },
        { "padding reaches extension", { FIXED(0xB0), 0xBE, 0xDE, 0x00, 0x01, 0x10, 1, 0, 0, 2 }, 21 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        rtp_header h;
        int r = parse_exact(cases[i].bytes, cases[i].len, &h, NULL);
        if (r != -1)
            fprintf(stderr, "accepted malformed: %s\n", cases[i].what);
        CHECK_EQ_INT(r, -1);
    }
    CHECK_EQ_INT(rtp_parse(NULL, 12, NULL), -1);
}

static void test_malformed_elements(void)
{
    /* id 1 is fine; id 3 claims 4 bytes where 2 remain. */
    static const uint8_t one[] = {
        FIXED(0x90), 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x01, 0x33, 0x00,
    };
    /* id 7 is fine; the last byte is an id with no length byte. */
    static const uint8_t two[] = {
        FIXED(0x90), 0x10, 0x00, 0x00, 0x01, 0x07, 0x01, 0xAA, 0x09,
    };
    /* Each last element is one byte longer than what is left of the block,
     * and the block ends the packet, so any overread leaves the buffer. */
    static const uint8_t one_by_one[] = { FIXED(0x90), 0xBE, 0xDE, 0x00, 0x01, 0x10, 0x01, 0x31, 0x00 };
    static const uint8_t two_by_one[] = { FIXED(0x90), 0x10, 0x00, 0x00, 0x01, 0x07, 0x01, 0x09, 0x02 };
    /* id 7 claims 200 bytes. */
    static const uint8_t two_long[] = {
        FIXED(0x90), 0x10, 0x00, 0x00, 0x01, 0x07, 0xC8, 0xAA, 0xBB,
    };
    rtp_header h;
    uint8_t copy[32];
    CHECK_EQ_INT(rtp_parse(one, sizeof one, &h), 0);
    CHECK_EQ_INT(rtp_ext_find(one, &h, 1, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(one, &h, 3, NULL, NULL), -1);
    memcpy(copy, one, sizeof one);
    CHECK_EQ_INT(rtp_ext_blank(copy, &h, 3), 0);
    CHECK_MEM(copy, one, sizeof one);

    CHECK_EQ_INT(rtp_parse(two, sizeof two, &h), 0);
    CHECK_EQ_INT(rtp_ext_find(two, &h, 7, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(two, &h, 9, NULL, NULL), -1);

    uint8_t *exact;
    CHECK_EQ_INT(parse_exact(one_by_one, sizeof one_by_one, &h, &exact), 0);
    CHECK_EQ_INT(rtp_ext_find(exact, &h, 1, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(exact, &h, 3, NULL, NULL), -1);
    CHECK_EQ_INT(rtp_ext_blank(exact, &h, 3), 0);
    free(exact);
    CHECK_EQ_INT(parse_exact(two_by_one, sizeof two_by_one, &h, &exact), 0);
    CHECK_EQ_INT(rtp_ext_find(exact, &h, 7, NULL, NULL), 0);
    CHECK_EQ_INT(rtp_ext_find(exact, &h, 9, NULL, NULL), -1);
    free(exact);

    CHECK_EQ_INT(rtp_parse(two_long, sizeof two_long, &h), 0);
    CHECK_EQ_INT(rtp_ext_find(two_long, &h, 7, NULL, NULL), -1);
}

/* Every prefix of a valid packet either fails or parses consistently, and a
 * prefix that still holds the whole header parses to the same extensions. */
static void check_truncations(const uint8_t *pkt, size_t full, const uint8_t *ids, size_t n_ids)
{
    rtp_header whole;
    CHECK_EQ_INT(rtp_parse(pkt, full, &whole), 0);
    for (size_t len = 0; len < full; len++) {
        rtp_header h;
        uint8_t *buf;
        int r = parse_exact(pkt, len, &h, &buf);
        CHECK_EQ_INT(r, len >= whole.header_len ? 0 : -1);
        if (r == 0) {
            CHECK_EQ_INT(h.header_len, whole.header_len);
            CHECK_EQ_INT(h.payload_len, len - whole.header_len);
            for (size_t i = 0; i < n_ids; i++)
                CHECK_EQ_INT(rtp_ext_find(buf, &h, ids[i], NULL, NULL), 0);
        }
        free(buf);
    }
}

static void test_truncations(void)
{
    static const uint8_t one_ids[] = { 1, 2, 5 }, two_ids[] = { 1, 200, 7 }, chrome_ids[] = { 1, 3, 4 };
    check_truncations(one_byte_pkt, sizeof one_byte_pkt, one_ids, N(one_ids));
    check_truncations(two_byte_pkt, sizeof two_byte_pkt, two_ids, N(two_ids));
    check_truncations(chrome_opus, sizeof chrome_opus, chrome_ids, N(chrome_ids));

    /* With the padding bit set the last byte of each prefix is read as the
     * count, so only the accounting can be checked. */
    static const uint8_t padded[] = { FIXED(0xA0), 1, 2, 3, 4, 0, 0, 0, 4 };
    for (size_t len = 0; len <= sizeof padded; len++) {
        rtp_header h;
        if (parse_exact(padded, len, &h, NULL) == 0)
            CHECK_EQ_INT(h.header_len + h.payload_len + h.padding_len, len);
        else
            CHECK(len < 13 || padded[len - 1] == 0 || padded[len - 1] > len - 12);
    }
}

static void test_is_rtcp(void)
{
    static const struct {
        uint8_t b1;
        bool rtcp;
    } cases[] = {
        { 200, true }, { 201, true }, { 192, true }, { 223, true }, { 206, true },
        { 191, false }, { 224, false }, { 111, false }, { 0x80 | 96, false }, { 0, false },
    };
    for (size_t i = 0; i < N(cases); i++) {
        uint8_t buf[2] = { 0x80, cases[i].b1 };
        CHECK_EQ_INT(rtp_is_rtcp(buf, 2), cases[i].rtcp);
    }
    uint8_t one = 0x80;
    CHECK(!rtp_is_rtcp(&one, 1));
    CHECK(!rtp_is_rtcp(NULL, 0));
}

int main(void)
{
    test_plain_headers();
    test_csrcs();
    test_one_byte_extensions();
    test_one_byte_id15_stops();
    test_two_byte_extensions();
    test_unknown_profile();
    test_padding();
    test_blank();
    test_blank_duplicates();
    test_chrome_opus();
    test_malformed();
    test_malformed_elements();
    test_truncations();
    test_is_rtcp();
    return check_report("rtp");
}
