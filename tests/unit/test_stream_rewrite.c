/* stream_rewrite: several simulcast source streams into one continuous output
 * stream. Packets are built by hand (RFC 3550 header, RFC 7741 descriptor),
 * rewritten, and read back with rtp_parse and vp8_parse. Expected outputs are
 * worked out by hand in the comments, not recomputed with the same formulas. */
#include "bridge/stream_rewrite.h"

#include <stdlib.h>

#include "check.h"
#include "webrtc/rtp.h"
#include "webrtc/vp8.h"

#define OUT 0xCAFEBABEu
#define A 0x0A0A0A0Au
#define B 0x0B0B0B0Bu
#define C 0x0C0C0C0Cu
#define D 0x0D0D0D0Du

typedef struct pk {
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    int pic_bits;      /* 0: no PictureID, else 7 or 15 */
    uint16_t pic;
    int tl0;           /* -1: no TL0PICIDX */
    bool key;          /* a key frame start (640x360); else an inter frame start */
} pk;

typedef struct res {
    int rc;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t ts;
    int pic_bits;
    uint16_t pic;
    int tl0;
    bool unchanged;    /* every byte as built */
} res;

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static size_t build(uint8_t *buf, pk p)
{
    buf[0] = 0x80;
    buf[1] = 96;
    put16(buf + 2, p.seq);
    put32(buf + 4, p.ts);
    put32(buf + 8, p.ssrc);
    size_t o = 12;
    bool x = p.pic_bits != 0 || p.tl0 >= 0;
    buf[o++] = (uint8_t)((x ? 0x80 : 0) | 0x10);                 /* S=1 PID=0 */
    if (x) {
        buf[o++] = (uint8_t)((p.pic_bits ? 0x80 : 0) | (p.tl0 >= 0 ? 0x40 : 0));
        if (p.pic_bits == 15) {
            buf[o++] = (uint8_t)(0x80 | (p.pic >> 8 & 0x7F));
            buf[o++] = (uint8_t)p.pic;
        } else if (p.pic_bits == 7) {
            buf[o++] = (uint8_t)(p.pic & 0x7F);
        }
        if (p.tl0 >= 0)
            buf[o++] = (uint8_t)p.tl0;
    }
    if (p.key) {
        static const uint8_t kf[] = {0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
        memcpy(buf + o, kf, sizeof kf);
        o += sizeof kf;
    } else {
        static const uint8_t inter[] = {0x11, 0x00, 0x00};
        memcpy(buf + o, inter, sizeof inter);
        o += sizeof inter;
    }
    buf[o++] = 0xEE;
    buf[o++] = 0xEF;
    return o;
}

/* Reads back what a (possibly rewritten) packet says. */
static void read_back(const uint8_t *buf, size_t n, res *r)
{
    rtp_header o;
    if (rtp_parse(buf, n, &o) != 0) {
        r->rc = 1000;   /* never a real result: fails every expectation */
        return;
    }
    r->ssrc = o.ssrc;
    r->seq = o.seq;
    r->ts = o.timestamp;
    vp8_descriptor d;
    r->pic_bits = 0;
    r->tl0 = -1;
    if (o.payload_len && vp8_parse(buf + o.header_len, o.payload_len, &d) == 0) {
        r->pic_bits = d.picture_id_bits;
        r->pic = d.picture_id;
        r->tl0 = d.has_tl0picidx ? d.tl0picidx : -1;
    }
}

/* Builds p, runs it through s, reads it back. Invariants are counted into
 * *bad when bad is given (bulk loops), else checked one by one. */
static res run(stream_rewrite *s, pk p, bool claim_key, int64_t now, int *bad)
{
    uint8_t buf[64], orig[64];
    size_t n = build(buf, p);
    memcpy(orig, buf, n);
    rtp_header h;
    res r = {0};
    int fails = rtp_parse(buf, n, &h) != 0;
    r.rc = stream_rewrite_packet(s, buf, n, &h, claim_key, now);
    r.unchanged = memcmp(buf, orig, n) == 0;
    fails += r.rc < 0 && !r.unchanged;          /* a drop never touches the packet */
    /* Beyond seq/ts/ssrc and the descriptor's fields, nothing changes. */
    fails += buf[0] != orig[0] || buf[1] != orig[1] || buf[12] != orig[12];
    fails += memcmp(buf + n - 2, orig + n - 2, 2) != 0;
    read_back(buf, n, &r);
    if (bad)
        *bad += fails;
    else
        CHECK_EQ_INT(fails, 0);
    return r;
}

static res feed_claim(stream_rewrite *s, pk p, bool claim_key, int64_t now)
{
    return run(s, p, claim_key, now, NULL);
}

static res feed(stream_rewrite *s, pk p, int64_t now)
{
    return run(s, p, p.key, now, NULL);
}

/* For loops: invariant failures go to *bad. */
static res feedq(stream_rewrite *s, pk p, int64_t now, int *bad)
{
    return run(s, p, p.key, now, bad);
}

/* Packet shorthands: VP8 with 15-bit / 7-bit PictureID and TL0PICIDX, or bare. */
#define P15(ssrc, seq, ts, pic, tl0, key) ((pk){(ssrc), (seq), (ts), 15, (pic), (tl0), (key)})
#define P7(ssrc, seq, ts, pic, tl0, key) ((pk){(ssrc), (seq), (ts), 7, (pic), (tl0), (key)})
#define PB(ssrc, seq, ts, key) ((pk){(ssrc), (seq), (ts), 0, 0, -1, (key)})

#define EXPECT_FWD(r, rc_, seq_, ts_) do { \
    res r_ = (r); \
    CHECK_EQ_INT(r_.rc, rc_); \
    CHECK_EQ_INT(r_.ssrc, OUT); \
    CHECK_EQ_INT(r_.seq, seq_); \
    CHECK_EQ_INT(r_.ts, ts_); \
} while (0)

#define EXPECT_VP8(r, rc_, seq_, ts_, bits_, pic_, tl0_) do { \
    res rv_ = (r); \
    EXPECT_FWD(rv_, rc_, seq_, ts_); \
    CHECK_EQ_INT(rv_.pic_bits, bits_); \
    CHECK_EQ_INT(rv_.pic, pic_); \
    CHECK_EQ_INT(rv_.tl0, tl0_); \
} while (0)

#define EXPECT_DROP(r, rc_) do { \
    res rd_ = (r); \
    CHECK_EQ_INT(rd_.rc, rc_); \
    CHECK(rd_.unchanged); \
} while (0)

enum { FWD = STREAM_REWRITE_FORWARD, SWITCHED = STREAM_REWRITE_SWITCHED,
       UNSELECTED = STREAM_REWRITE_DROP_UNSELECTED, WAITING = STREAM_REWRITE_DROP_WAITING,
       STALE = STREAM_REWRITE_DROP_STALE, MALFORMED = STREAM_REWRITE_DROP_MALFORMED };

static void test_first_source(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    uint32_t ssrc = 0;
    CHECK(!stream_rewrite_current(&s, &ssrc));
    CHECK(!stream_rewrite_pending(&s, &ssrc));
    EXPECT_DROP(feed(&s, P15(A, 100, 9000, 300, 7, true), 0), UNSELECTED);

    CHECK_EQ_INT(stream_rewrite_switch(&s, A), 0);
    CHECK(stream_rewrite_pending(&s, &ssrc));
    CHECK_EQ_INT(ssrc, A);
    CHECK(!stream_rewrite_current(&s, NULL));
    EXPECT_DROP(feed(&s, P15(A, 100, 6000, 299, 6, false), 0), WAITING);
    /* The first source is passed through, apart from the SSRC. */
    EXPECT_VP8(feed(&s, P15(A, 101, 9000, 300, 7, true), 10), SWITCHED, 101, 9000, 15, 300, 7);
    CHECK(!stream_rewrite_pending(&s, NULL));
    CHECK(stream_rewrite_current(&s, &ssrc));
    CHECK_EQ_INT(ssrc, A);
    EXPECT_VP8(feed(&s, P15(A, 102, 12000, 301, 8, false), 43), FWD, 102, 12000, 15, 301, 8);
    /* A later key frame of the current source is just a packet. */
    EXPECT_VP8(feed(&s, P15(A, 103, 15000, 302, 9, true), 76), FWD, 103, 15000, 15, 302, 9);
    /* Older than the switch point. */
    EXPECT_DROP(feed(&s, P15(A, 100, 6000, 299, 6, false), 80), STALE);
    CHECK_EQ_INT(stream_rewrite_switch(&s, A), 1);
    CHECK(!stream_rewrite_pending(&s, NULL));
}

/* A -> B -> C (7-bit PictureID) -> A, each switch continuing seq, ts, PictureID, TL0PICIDX. */
static void test_switch_continuity(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    CHECK_EQ_INT(stream_rewrite_switch(&s, A), 0);
    EXPECT_VP8(feed(&s, P15(A, 1000, 1000000, 500, 20, true), 0), SWITCHED, 1000, 1000000, 15, 500, 20);
    EXPECT_VP8(feed(&s, P15(A, 1001, 1003000, 501, 21, false), 33), FWD, 1001, 1003000, 15, 501, 21);
    EXPECT_VP8(feed(&s, P15(A, 1002, 1006000, 502, 22, false), 66), FWD, 1002, 1006000, 15, 502, 22);

    CHECK_EQ_INT(stream_rewrite_switch(&s, B), 0);
    EXPECT_DROP(feed(&s, P15(B, 40000, 4997000, 8999, 199, false), 90), WAITING);
    /* Until B's key frame, A is still forwarded. */
    EXPECT_VP8(feed(&s, P15(A, 1003, 1009000, 503, 23, false), 100), FWD, 1003, 1009000, 15, 503, 23);
    /* B's key frame 20 ms after A's last frame: ts 1009000 + 20 * 90 = 1010800. */
    EXPECT_VP8(feed(&s, P15(B, 40001, 5000000, 9000, 200, true), 120), SWITCHED, 1004, 1010800, 15, 504, 24);
    EXPECT_DROP(feed(&s, P15(A, 1004, 1012000, 504, 24, false), 130), UNSELECTED);
    EXPECT_VP8(feed(&s, P15(B, 40002, 5003000, 9001, 201, false), 153), FWD, 1005, 1013800, 15, 505, 25);
    EXPECT_DROP(feed(&s, P15(B, 40000, 4997000, 8999, 199, false), 160), STALE);

    /* C uses 7-bit PictureIDs and its TL0PICIDX wraps 255 -> 0 inside the layer.
     * ts: 1013800 + (200 - 153) * 90 = 1018030. PictureID 506 -> 7 bits: 122. */
    CHECK_EQ_INT(stream_rewrite_switch(&s, C), 0);
    EXPECT_VP8(feed(&s, P7(C, 7, 77, 126, 255, true), 200), SWITCHED, 1006, 1018030, 7, 122, 26);
    EXPECT_VP8(feed(&s, P7(C, 8, 3077, 127, 0, false), 233), FWD, 1007, 1021030, 7, 123, 27);
    EXPECT_VP8(feed(&s, P7(C, 9, 6077, 0, 1, false), 266), FWD, 1008, 1024030, 7, 124, 28);
    EXPECT_DROP(feed(&s, P15(B, 40003, 5006000, 9002, 202, false), 270), UNSELECTED);

    /* Back to A (15-bit): the PictureID continues from 508 (124 seen in 7 bits) + 1.
     * ts: 1024030 + (300 - 266) * 90 = 1027090. */
    CHECK_EQ_INT(stream_rewrite_switch(&s, A), 0);
    EXPECT_VP8(feed(&s, P15(A, 1010, 1030000, 510, 30, true), 300), SWITCHED, 1009, 1027090, 15, 509, 29);
    EXPECT_VP8(feed(&s, P15(A, 1011, 1033000, 511, 31, false), 333), FWD, 1010, 1030090, 15, 510, 30);
    EXPECT_DROP(feed(&s, P15(A, 1009, 1027000, 509, 29, false), 340), STALE);
    EXPECT_DROP(feed(&s, P7(C, 10, 9077, 1, 2, false), 340), UNSELECTED);
}

/* A gap of n input sequence numbers is a gap of n output ones, in every layer. */
static void test_loss_gaps(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, P15(A, 10, 3000, 1, 1, true), 0), SWITCHED, 10, 3000);
    EXPECT_FWD(feed(&s, P15(A, 11, 6000, 2, 2, false), 33), FWD, 11, 6000);
    /* 12, 13 lost; PictureID and TL0PICIDX gaps are kept too. */
    EXPECT_VP8(feed(&s, P15(A, 14, 15000, 5, 5, false), 133), FWD, 14, 15000, 15, 5, 5);

    stream_rewrite_switch(&s, B);
    /* B key: seq 15, ts 15000 + 7 * 90 = 15630, pic 6, tl0 6. */
    EXPECT_VP8(feed(&s, P15(B, 500, 90000, 70, 40, true), 140), SWITCHED, 15, 15630, 15, 6, 6);
    /* 501, 502 lost. */
    EXPECT_VP8(feed(&s, P15(B, 503, 99000, 73, 43, false), 240), FWD, 18, 24630, 15, 9, 9);
    /* A lost packet that finally arrives fills its own hole. */
    EXPECT_VP8(feed(&s, P15(B, 501, 93000, 71, 41, false), 250), FWD, 16, 18630, 15, 7, 7);
    /* The next switch continues after the newest, 18, not after 16. */
    stream_rewrite_switch(&s, C);
    EXPECT_VP8(feed(&s, P15(C, 9, 1, 2, 3, true), 300), SWITCHED, 19, 24630 + 60 * 90, 15, 10, 10);
}

static void test_reorder_duplicates(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, P15(A, 5, 100, 1000, 10, true), 0), SWITCHED, 5, 100);
    stream_rewrite_switch(&s, B);
    /* B key at 20000 -> out 6, ts 100 + 10 * 90 = 1000, pic 1001, tl0 11. */
    EXPECT_VP8(feed(&s, P15(B, 20000, 50000, 7000, 70, true), 10), SWITCHED, 6, 1000, 15, 1001, 11);
    EXPECT_VP8(feed(&s, P15(B, 20002, 56000, 7002, 72, false), 76), FWD, 8, 7000, 15, 1003, 13);
    EXPECT_VP8(feed(&s, P15(B, 20001, 53000, 7001, 71, false), 80), FWD, 7, 4000, 15, 1002, 12);
    /* Duplicates map to the same numbers again. */
    EXPECT_VP8(feed(&s, P15(B, 20001, 53000, 7001, 71, false), 81), FWD, 7, 4000, 15, 1002, 12);
    EXPECT_VP8(feed(&s, P15(B, 20002, 56000, 7002, 72, false), 82), FWD, 8, 7000, 15, 1003, 13);
    EXPECT_VP8(feed(&s, P15(B, 20000, 50000, 7000, 70, true), 83), FWD, 6, 1000, 15, 1001, 11);
    /* The late and duplicate packets did not move the newest: the next switch
     * continues from seq 8, ts 7000 (first seen at 76), pic 1003, tl0 13. */
    stream_rewrite_switch(&s, C);
    EXPECT_VP8(feed(&s, P15(C, 1, 1, 1, 1, true), 100), SWITCHED, 9, 7000 + 24 * 90, 15, 1004, 14);
}

static void test_no_switch_before_keyframe(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_DROP(feed(&s, P15(A, 1, 0, 1, 1, false), 0), WAITING);
    EXPECT_FWD(feed(&s, P15(A, 2, 3000, 2, 2, true), 10), SWITCHED, 2, 3000);

    CHECK_EQ_INT(stream_rewrite_switch(&s, B), 0);
    EXPECT_DROP(feed(&s, P15(B, 70, 100, 50, 5, false), 20), WAITING);
    /* The caller says key frame, the VP8 payload says inter frame: refused. */
    EXPECT_DROP(feed_claim(&s, P15(B, 71, 3100, 51, 6, false), true, 30), WAITING);
    /* The payload is a key frame, but the caller did not say so. */
    EXPECT_DROP(feed_claim(&s, P15(B, 72, 6100, 52, 7, true), false, 40), WAITING);
    /* A key frame whose descriptor is cut short: malformed, still pending. */
    {
        uint8_t buf[64];
        size_t n = build(buf, P15(B, 73, 9100, 53, 8, true));
        rtp_header h;
        CHECK_EQ_INT(rtp_parse(buf, 12 + 3, &h), 0);   /* X, I, M, then the packet ends */
        CHECK_EQ_INT(stream_rewrite_packet(&s, buf, 12 + 3, &h, true, 45), MALFORMED);
        CHECK(n > 15);
        uint32_t p = 0;
        CHECK(stream_rewrite_pending(&s, &p));
        CHECK_EQ_INT(p, B);
    }
    /* A stays current throughout. */
    EXPECT_FWD(feed(&s, P15(A, 3, 6000, 3, 3, false), 50), FWD, 3, 6000);
    uint32_t cur = 0;
    CHECK(stream_rewrite_current(&s, &cur));
    CHECK_EQ_INT(cur, A);

    /* Switching back to the current source cancels the pending one. */
    CHECK_EQ_INT(stream_rewrite_switch(&s, A), 1);
    EXPECT_DROP(feed(&s, P15(B, 74, 12100, 54, 9, true), 60), UNSELECTED);
    EXPECT_FWD(feed(&s, P15(A, 4, 9000, 4, 4, false), 60), FWD, 4, 9000);

    /* A later switch replaces the pending one. */
    CHECK_EQ_INT(stream_rewrite_switch(&s, B), 0);
    CHECK_EQ_INT(stream_rewrite_switch(&s, C), 0);
    EXPECT_DROP(feed(&s, P15(B, 75, 15100, 55, 10, true), 70), UNSELECTED);
    EXPECT_FWD(feed(&s, P15(C, 300, 1, 1, 1, true), 70), SWITCHED, 5, 9000 + 10 * 90);

    /* Stop: nothing is forwarded; a new switch waits for a key frame again,
     * even to the source that was current, and continuity is kept. */
    stream_rewrite_stop(&s);
    CHECK(!stream_rewrite_current(&s, NULL));
    EXPECT_DROP(feed(&s, P15(C, 301, 3001, 2, 2, false), 103), UNSELECTED);
    CHECK_EQ_INT(stream_rewrite_switch(&s, C), 0);
    EXPECT_DROP(feed(&s, P15(C, 302, 6001, 3, 3, false), 136), WAITING);
    EXPECT_VP8(feed(&s, P15(C, 303, 9001, 4, 4, true), 170), SWITCHED, 6, 9900 + 100 * 90, 15, 6, 6);
    EXPECT_VP8(feed(&s, P15(C, 304, 12001, 5, 5, false), 203), FWD, 7, 18900 + 3000, 15, 7, 7);
}

/* Every combination of the last output seq and the new key frame's seq around
 * the 16-bit wrap: output continues at last + 1, input deltas (gaps, late
 * packets) survive the wrap on either side, and "before the switch point"
 * is judged across the wrap. */
static void test_seq_wrap(void)
{
    static const uint16_t edge[] = {65532, 65533, 65534, 65535, 0, 1, 2, 3};
    const size_t n = sizeof edge / sizeof edge[0];
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            uint16_t last = edge[i], k = edge[j];
            stream_rewrite s;
            stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
            stream_rewrite_switch(&s, A);
            res r = feedq(&s, PB(A, last, 0, true), 0, &bad);
            bad += r.rc != SWITCHED || r.seq != last;
            stream_rewrite_switch(&s, B);
            r = feedq(&s, PB(B, k, 0, true), 10, &bad);
            bad += r.rc != SWITCHED || r.seq != (uint16_t)(last + 1);
            static const int step[] = {1, 2, 4, 3, -1, 4, 40000 - 65536};
            static const int want[] = {2, 3, 5, 4, -1, 5, -1};
            for (size_t t = 0; t < sizeof step / sizeof step[0]; t++) {
                r = feedq(&s, PB(B, (uint16_t)(k + step[t]), 0, false), 20, &bad);
                if (want[t] < 0)
                    bad += r.rc != STALE || !r.unchanged;
                else
                    bad += r.rc != FWD || r.seq != (uint16_t)(last + want[t]);
            }
            /* The next switch continues after the newest (k + 4 -> last + 5). */
            stream_rewrite_switch(&s, C);
            r = feedq(&s, PB(C, (uint16_t)(k + 100), 0, true), 30, &bad);
            bad += r.rc != SWITCHED || r.seq != (uint16_t)(last + 6);
        }
    }
    CHECK_EQ_INT(bad, 0);

    /* Spelled out once: last output 65535, B's key frame at 65534. */
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_OTHER);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, PB(A, 65534, 0, true), 0), SWITCHED, 65534, 0);
    EXPECT_FWD(feed(&s, PB(A, 65535, 0, false), 0), FWD, 65535, 0);
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, PB(B, 65534, 0, true), 0), SWITCHED, 0, 1);
    EXPECT_FWD(feed(&s, PB(B, 0, 0, false), 0), FWD, 2, 1);
    EXPECT_FWD(feed(&s, PB(B, 65535, 0, false), 0), FWD, 1, 1);
    EXPECT_DROP(feed(&s, PB(B, 65533, 0, false), 0), STALE);
}

/* Timestamps: output wrap at a switch, input wrap inside a layer, both edges swept. */
static void test_ts_wrap(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, PB(A, 1, 0xFFFFFF00u, true), 0), SWITCHED, 1, 0xFFFFFF00u);
    stream_rewrite_switch(&s, B);
    /* 0xFFFFFF00 + 10 * 90 = 0x1_0000_0284. */
    EXPECT_FWD(feed(&s, PB(B, 1, 0xFFFFFFF0u, true), 10), SWITCHED, 2, 0x284);
    /* B's own timestamps wrap: +0x20 and +0x1020. */
    EXPECT_FWD(feed(&s, PB(B, 2, 0x10, false), 20), FWD, 3, 0x2A4);
    EXPECT_FWD(feed(&s, PB(B, 3, 0x1010, false), 30), FWD, 4, 0x12A4);
    /* A late packet of the previous frame keeps its older timestamp. */
    EXPECT_FWD(feed(&s, PB(B, 1, 0xFFFFFFF0u, true), 31), FWD, 2, 0x284);

    static const uint32_t edge[] = {0xFFFFFFFEu, 0xFFFFFFFFu, 0, 1, 0x7FFFFFFFu, 0x80000000u};
    const size_t n = sizeof edge / sizeof edge[0];
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            stream_rewrite t;
            stream_rewrite_init(&t, OUT, STREAM_REWRITE_OTHER);
            stream_rewrite_switch(&t, A);
            res r = feedq(&t, PB(A, 7, edge[i], true), 1000, &bad);
            bad += r.rc != SWITCHED || r.ts != edge[i];
            stream_rewrite_switch(&t, B);
            r = feedq(&t, PB(B, 9, edge[j], true), 1001, &bad);   /* 1 ms: +90 */
            bad += r.rc != SWITCHED || r.ts != edge[i] + 90u;
            r = feedq(&t, PB(B, 10, edge[j] + 3u, false), 1002, &bad);
            bad += r.rc != FWD || r.ts != edge[i] + 93u;
            r = feedq(&t, PB(B, 11, edge[j] + 0x90000000u, false), 1003, &bad);
            bad += r.rc != FWD || r.ts != edge[i] + 90u + 0x90000000u;
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* PictureID (15 and 7 bits) and TL0PICIDX across their wraps. */
static void test_picture_id_wrap(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_VP8(feed(&s, P15(A, 1, 0, 32766, 254, true), 0), SWITCHED, 1, 0, 15, 32766, 254);
    EXPECT_VP8(feed(&s, P15(A, 2, 0, 32767, 255, false), 0), FWD, 2, 0, 15, 32767, 255);
    stream_rewrite_switch(&s, B);
    /* Output wraps at the switch: 32767 + 1 = 0, 255 + 1 = 0. */
    EXPECT_VP8(feed(&s, P15(B, 50, 0, 1234, 17, true), 0), SWITCHED, 3, 1, 15, 0, 0);
    EXPECT_VP8(feed(&s, P15(B, 51, 0, 1235, 18, false), 0), FWD, 4, 1, 15, 1, 1);
    stream_rewrite_switch(&s, C);
    /* Input wraps inside C (15-bit 32767 -> 0, TL0PICIDX 255 -> 0). */
    EXPECT_VP8(feed(&s, P15(C, 80, 0, 32766, 254, true), 0), SWITCHED, 5, 2, 15, 2, 2);
    EXPECT_VP8(feed(&s, P15(C, 81, 0, 32767, 255, false), 0), FWD, 6, 2, 15, 3, 3);
    EXPECT_VP8(feed(&s, P15(C, 82, 0, 0, 0, false), 0), FWD, 7, 2, 15, 4, 4);
    EXPECT_VP8(feed(&s, P15(C, 83, 0, 1, 1, false), 0), FWD, 8, 2, 15, 5, 5);

    /* 7 bits: a layer whose ids wrap 127 -> 0, then the output's 7-bit view wrapping. */
    stream_rewrite_switch(&s, D);
    EXPECT_VP8(feed(&s, P7(D, 1, 0, 126, 9, true), 0), SWITCHED, 9, 3, 7, 6, 6);
    EXPECT_VP8(feed(&s, P7(D, 2, 0, 127, 10, false), 0), FWD, 10, 3, 7, 7, 7);
    EXPECT_VP8(feed(&s, P7(D, 3, 0, 0, 11, false), 0), FWD, 11, 3, 7, 8, 8);

    stream_rewrite t;
    stream_rewrite_init(&t, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&t, A);
    EXPECT_VP8(feed(&t, P15(A, 1, 0, 0x7FFF, 0, true), 0), SWITCHED, 1, 0, 15, 0x7FFF, 0);
    stream_rewrite_switch(&t, B);
    EXPECT_VP8(feed(&t, P7(B, 1, 0, 5, 0, true), 0), SWITCHED, 2, 1, 7, 0, 1);      /* 0x8000 -> 0 */
    stream_rewrite_switch(&t, C);
    EXPECT_VP8(feed(&t, P7(C, 1, 0, 99, 0, true), 0), SWITCHED, 3, 2, 7, 1, 2);
    /* 7-bit output wrap 127 -> 0 at a switch, then back to 15 bits. */
    stream_rewrite_switch(&t, D);
    EXPECT_VP8(feed(&t, P7(D, 1, 0, 100, 0, true), 0), SWITCHED, 4, 3, 7, 2, 3);
    int bad7 = 0;
    for (uint16_t i = 1; i <= 125; i++) {
        res q = feedq(&t, P7(D, (uint16_t)(1 + i), 0, (uint16_t)((100 + i) & 0x7F), 0, false), 0, &bad7);
        bad7 += q.rc != FWD || q.pic != ((2 + i) & 0x7F);
    }
    CHECK_EQ_INT(bad7, 0);
    EXPECT_VP8(feed(&t, P7(D, 127, 0, (100 + 126) & 0x7F, 0, false), 0), FWD, 130, 3, 7, 0, 3);
    /* D's output ids went 2 .. 127, 0 in 7 bits; the 15-bit record followed
     * them forward to 128, so the next source continues at 129 (low bits 1). */
    stream_rewrite_switch(&t, A);
    EXPECT_VP8(feed(&t, P15(A, 9, 0, 3, 1, true), 0), SWITCHED, 131, 4, 15, 0x81, 4);
    /* 7 bits after a loss of 100 pictures (more than half the 7-bit circle):
     * still forward, so the next 15-bit source continues at 0x81 + 101 + 1. */
    stream_rewrite_switch(&t, B);
    EXPECT_VP8(feed(&t, P7(B, 20, 0, 10, 0, true), 0), SWITCHED, 132, 5, 7, 0x82 & 0x7F, 5);
    EXPECT_VP8(feed(&t, P7(B, 25, 0, 110, 5, false), 0), FWD, 137, 5, 7, (0x82 + 100) & 0x7F, 10);
    stream_rewrite_switch(&t, C);
    EXPECT_VP8(feed(&t, P15(C, 1, 0, 4000, 1, true), 0), SWITCHED, 138, 6, 15, 0x82 + 101, 11);

    /* Sweep 15-bit: last output id and new input id at the edges. */
    static const uint16_t edge[] = {32765, 32766, 32767, 0, 1, 2};
    const size_t n = sizeof edge / sizeof edge[0];
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            stream_rewrite u;
            stream_rewrite_init(&u, OUT, STREAM_REWRITE_VP8);
            stream_rewrite_switch(&u, A);
            res r = feedq(&u, P15(A, 1, 0, edge[i], (int)(edge[i] & 0xFF), true), 0, &bad);
            bad += r.rc != SWITCHED || r.pic != edge[i];
            stream_rewrite_switch(&u, B);
            r = feedq(&u, P15(B, 1, 0, edge[j], (int)(edge[j] & 0xFF), true), 0, &bad);
            bad += r.rc != SWITCHED || r.pic != ((edge[i] + 1) & 0x7FFF) ||
                   r.tl0 != ((edge[i] + 1) & 0xFF);
            r = feedq(&u, P15(B, 3, 0, (uint16_t)((edge[j] + 2) & 0x7FFF), (int)((edge[j] + 2) & 0xFF),
                             false), 0, &bad);
            bad += r.rc != FWD || r.pic != ((edge[i] + 3) & 0x7FFF) || r.tl0 != ((edge[i] + 3) & 0xFF);
            r = feedq(&u, P15(B, 2, 0, (uint16_t)((edge[j] + 1) & 0x7FFF), (int)((edge[j] + 1) & 0xFF),
                             false), 0, &bad);
            bad += r.rc != FWD || r.pic != ((edge[i] + 2) & 0x7FFF) || r.tl0 != ((edge[i] + 2) & 0xFF);
            stream_rewrite_switch(&u, C);
            r = feedq(&u, P15(C, 1, 0, 77, 77, true), 0, &bad);
            bad += r.rc != SWITCHED || r.pic != ((edge[i] + 4) & 0x7FFF) || r.tl0 != ((edge[i] + 4) & 0xFF);
        }
    }
    CHECK_EQ_INT(bad, 0);
}

/* The timestamp advance at a switch: wall time since the newest output
 * timestamp was first forwarded, at least 1, at most 2^30. */
static void test_ts_advance(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_OTHER);
    stream_rewrite_switch(&s, A);
    /* One frame in three packets at 100, 105, 110 ms. */
    EXPECT_FWD(feed(&s, PB(A, 1, 5000, true), 100), SWITCHED, 1, 5000);
    EXPECT_FWD(feed(&s, PB(A, 2, 5000, false), 105), FWD, 2, 5000);
    EXPECT_FWD(feed(&s, PB(A, 3, 5000, false), 110), FWD, 3, 5000);
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, PB(B, 1, 1, true), 140), SWITCHED, 4, 5000 + 40 * 90);
    /* Same millisecond: +1. */
    stream_rewrite_switch(&s, C);
    EXPECT_FWD(feed(&s, PB(C, 1, 1, true), 140), SWITCHED, 5, 8601);
    /* A clock that went backwards: +1. */
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, PB(A, 50, 1, true), 90), SWITCHED, 6, 8602);
    /* A very long pause: capped at 2^30 ticks. */
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, PB(B, 2, 1, true), 90 + 1000000000LL), SWITCHED, 7, 8602u + (1u << 30));
    /* Exactly at the cap: 11930464 ms * 90 = 1073741760 < 2^30. */
    stream_rewrite_switch(&s, C);
    EXPECT_FWD(feed(&s, PB(C, 2, 1, true), 90 + 1000000000LL + 11930464LL), SWITCHED, 8,
               8602u + (1u << 30) + 1073741760u);
    /* One millisecond beyond: capped. */
    stream_rewrite_switch(&s, D);
    EXPECT_FWD(feed(&s, PB(D, 2, 1, true), 90 + 1000000000LL + 11930464LL + 11930465LL), SWITCHED, 9,
               8602u + (1u << 30) + 1073741760u + (1u << 30));
    /* Extreme clock values do not overflow. */
    stream_rewrite_switch(&s, A);
    res r = feed(&s, PB(A, 51, 1, true), INT64_MAX);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.seq, 10);
    CHECK_EQ_INT(r.ts, (uint32_t)(8602u + (1u << 30) + 1073741760u + (2u << 30)));
    stream_rewrite_switch(&s, B);
    r = feed(&s, PB(B, 3, 1, true), INT64_MIN);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.ts, (uint32_t)(8602u + (1u << 30) + 1073741760u + (2u << 30) + 1u));
}

static void test_source_seq(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    uint32_t ssrc = 0;
    uint16_t seq = 0;
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 1, &ssrc, &seq), -1);
    stream_rewrite_switch(&s, A);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 1, &ssrc, &seq), -1);
    EXPECT_FWD(feed(&s, PB(A, 100, 0, true), 0), SWITCHED, 100, 0);
    EXPECT_FWD(feed(&s, PB(A, 101, 0, false), 0), FWD, 101, 0);
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, PB(B, 65534, 0, true), 0), SWITCHED, 102, 1);
    EXPECT_FWD(feed(&s, PB(B, 65535, 0, false), 0), FWD, 103, 1);
    EXPECT_FWD(feed(&s, PB(B, 2, 0, false), 0), FWD, 106, 1);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 106, &ssrc, &seq), 0);
    CHECK_EQ_INT(ssrc, B);
    CHECK_EQ_INT(seq, 2);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 105, &ssrc, &seq), 0);   /* lost: 1 */
    CHECK_EQ_INT(seq, 1);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 104, &ssrc, &seq), 0);
    CHECK_EQ_INT(seq, 0);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 102, &ssrc, &seq), 0);
    CHECK_EQ_INT(seq, 65534);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 101, &ssrc, &seq), -1);  /* A's */
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 107, &ssrc, &seq), -1);  /* not sent yet */
    /* The mapping answers a NACK: the resent packet gets the NACKed number. */
    EXPECT_FWD(feed(&s, PB(B, 1, 0, false), 0), FWD, 105, 1);
    stream_rewrite_stop(&s);
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, 106, &ssrc, &seq), -1);
    CHECK_EQ_INT(stream_rewrite_source_seq(NULL, 106, &ssrc, &seq), -1);
}

/* Beyond 32768 packets since the switch, the back limit is half the circle. */
static void test_long_run(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_OTHER);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, PB(A, 9, 0, true), 0), SWITCHED, 9, 0);
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, PB(B, 40000, 0, true), 0), SWITCHED, 10, 1);
    int bad = 0;
    /* 140000 more packets, one in 1000 lost; out = 10 + (in - 40000). */
    for (uint32_t i = 1; i <= 140000; i++) {
        if (i % 1000 == 500)
            continue;
        res r = feedq(&s, PB(B, (uint16_t)(40000 + i), i * 90, false), i, &bad);
        bad += r.rc != FWD || r.seq != (uint16_t)(10 + i) || r.ts != 1 + i * 90;
    }
    CHECK_EQ_INT(bad, 0);
    /* A packet 32767 behind the newest is still mapped; the lost 139500 too. */
    res r = feed(&s, PB(B, (uint16_t)(40000 + 140000 - 32767), 0, false), 0);
    CHECK_EQ_INT(r.rc, FWD);
    CHECK_EQ_INT(r.seq, (uint16_t)(10 + 140000 - 32767));
    uint32_t ssrc;
    uint16_t seq;
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, (uint16_t)(10 + 139500), &ssrc, &seq), 0);
    CHECK_EQ_INT(seq, (uint16_t)(40000 + 139500));
    CHECK_EQ_INT(stream_rewrite_source_seq(&s, (uint16_t)(10 + 140000 - 32768), &ssrc, &seq), -1);
    stream_rewrite_switch(&s, C);
    EXPECT_FWD(feed(&s, PB(C, 5, 0, true), 140010), SWITCHED, (uint16_t)(10 + 140001),
               1 + 140000 * 90 + 10 * 90);
}

/* PictureID/TL0PICIDX missing in a layer, or on its key frame packet only. */
static void test_fields_absent(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    res r = feed(&s, PB(A, 1, 0, true), 0);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.pic_bits, 0);
    CHECK_EQ_INT(r.tl0, -1);
    /* Nothing to continue from: B's ids pass through. */
    stream_rewrite_switch(&s, B);
    EXPECT_VP8(feed(&s, P15(B, 1, 0, 777, 9, true), 0), SWITCHED, 2, 1, 15, 777, 9);
    /* C's key frame has none; its first id continues the output. */
    stream_rewrite_switch(&s, C);
    r = feed(&s, PB(C, 40, 0, true), 0);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.pic_bits, 0);
    EXPECT_VP8(feed(&s, P15(C, 41, 0, 20000, 100, false), 0), FWD, 4, 2, 15, 778, 10);
    EXPECT_VP8(feed(&s, P15(C, 42, 0, 20001, 101, false), 0), FWD, 5, 2, 15, 779, 11);
}

/* Padding-only packets carry sequence numbers of the stream: mapped, never a switch point. */
static void test_padding_only(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    uint8_t pad[16] = {0xA0, 96, 0, 5, 0, 0, 0, 9, 0x0A, 0x0A, 0x0A, 0x0A, 0, 0, 0, 4};
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(pad, sizeof pad, &h), 0);
    CHECK_EQ_INT(h.payload_len, 0);
    CHECK_EQ_INT(stream_rewrite_packet(&s, pad, sizeof pad, &h, true, 0), WAITING);
    EXPECT_FWD(feed(&s, P15(A, 4, 9, 1, 1, true), 0), SWITCHED, 4, 9);
    stream_rewrite_switch(&s, B);
    EXPECT_FWD(feed(&s, P15(B, 10, 1000, 1, 1, true), 10), SWITCHED, 5, 9 + 900);
    put16(pad + 2, 11);
    put32(pad + 4, 1000);
    put32(pad + 8, B);
    CHECK_EQ_INT(rtp_parse(pad, sizeof pad, &h), 0);
    CHECK_EQ_INT(stream_rewrite_packet(&s, pad, sizeof pad, &h, false, 20), FWD);
    res r = {0};
    read_back(pad, sizeof pad, &r);
    CHECK_EQ_INT(r.seq, 6);
    CHECK_EQ_INT(r.ts, 909);
    CHECK_EQ_INT(r.ssrc, OUT);
    CHECK_EQ_INT(pad[15], 4);
    /* Padding of the old source after the switch: not ours. */
    put32(pad + 8, A);
    CHECK_EQ_INT(rtp_parse(pad, sizeof pad, &h), 0);
    CHECK_EQ_INT(stream_rewrite_packet(&s, pad, sizeof pad, &h, false, 20), UNSELECTED);
}

/* A non-VP8 stream (e.g. H.264): payload untouched, the caller's flag decides. */
static void test_other_codec(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_OTHER);
    stream_rewrite_switch(&s, A);
    res r = feed_claim(&s, P15(A, 10, 0, 500, 50, false), true, 0);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.pic, 500);
    CHECK_EQ_INT(r.tl0, 50);
    stream_rewrite_switch(&s, B);
    r = feed_claim(&s, P15(B, 20, 0, 900, 90, false), true, 0);
    CHECK_EQ_INT(r.rc, SWITCHED);
    CHECK_EQ_INT(r.seq, 11);
    CHECK_EQ_INT(r.pic, 900);   /* not rewritten */
    CHECK_EQ_INT(r.tl0, 90);
    /* Any bytes are accepted as payload. */
    uint8_t raw[14] = {0x80, 96, 0, 21, 0, 0, 0, 0, 0x0B, 0x0B, 0x0B, 0x0B, 0xFF, 0x80};
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(raw, sizeof raw, &h), 0);
    CHECK_EQ_INT(stream_rewrite_packet(&s, raw, sizeof raw, &h, false, 0), FWD);
    CHECK_EQ_INT(raw[3], 12);
    CHECK_EQ_INT(raw[12], 0xFF);
    CHECK_EQ_INT(raw[13], 0x80);
}

/* A VP8 stream whose sender turns to H.264: read as VP8, an IDR is no key
 * frame and the switch would wait for ever; from set_codec on it is taken
 * as the key frame it is and passes untouched. */
static void test_codec_change(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, 0x0B0B0B0Bu);
    uint8_t raw[14] = {0x80, 102, 0, 21, 0, 0, 0, 0, 0x0B, 0x0B, 0x0B, 0x0B, 0x65, 0x88};   /* an IDR NAL unit */
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(raw, sizeof raw, &h), 0);
    uint8_t copy[14];
    memcpy(copy, raw, sizeof raw);
    CHECK_EQ_INT(stream_rewrite_packet(&s, copy, sizeof copy, &h, true, 0), STREAM_REWRITE_DROP_WAITING);
    stream_rewrite_set_codec(&s, STREAM_REWRITE_OTHER);
    CHECK_EQ_INT(stream_rewrite_packet(&s, raw, sizeof raw, &h, true, 0), SWITCHED);
    CHECK_EQ_INT(raw[12], 0x65);
    CHECK_EQ_INT(raw[13], 0x88);
}

static void test_malformed(void)
{
    stream_rewrite s;
    stream_rewrite_init(&s, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_switch(&s, A);
    EXPECT_FWD(feed(&s, P15(A, 1, 0, 1, 1, true), 0), SWITCHED, 1, 0);
    uint8_t buf[64], orig[64];
    size_t n = build(buf, P15(A, 2, 0, 2, 2, false));
    memcpy(orig, buf, n);
    rtp_header h;
    CHECK_EQ_INT(rtp_parse(buf, n, &h), 0);
    CHECK_EQ_INT(stream_rewrite_packet(&s, buf, 11, &h, false, 0), MALFORMED);
    CHECK_EQ_INT(stream_rewrite_packet(&s, NULL, n, &h, false, 0), MALFORMED);
    CHECK_EQ_INT(stream_rewrite_packet(&s, buf, n, NULL, false, 0), MALFORMED);
    CHECK_EQ_INT(stream_rewrite_packet(NULL, buf, n, &h, false, 0), MALFORMED);
    rtp_header bad = h;
    bad.header_len = n + 1;
    CHECK_EQ_INT(stream_rewrite_packet(&s, buf, n, &bad, false, 0), MALFORMED);
    bad = h;
    bad.payload_len = n - 11;
    CHECK_EQ_INT(stream_rewrite_packet(&s, buf, n, &bad, false, 0), MALFORMED);
    bad = h;
    bad.header_len = 4;
    CHECK_EQ_INT(stream_rewrite_packet(&s, buf, n, &bad, false, 0), MALFORMED);
    /* Every truncation of the VP8 payload that vp8_parse refuses is refused here. */
    int mismatch = 0;
    for (size_t len = 12; len < n; len++) {
        rtp_header t;
        if (rtp_parse(buf, len, &t) != 0)
            continue;
        vp8_descriptor d;
        int want = t.payload_len == 0 || vp8_parse(buf + 12, t.payload_len, &d) == 0 ? FWD : MALFORMED;
        int got = stream_rewrite_packet(&s, buf, len, &t, false, 0);
        mismatch += got != want;
        if (got == MALFORMED)
            mismatch += memcmp(buf, orig, n) != 0;
        memcpy(buf, orig, n);
    }
    CHECK_EQ_INT(mismatch, 0);
    CHECK_MEM(buf, orig, n);
    /* NULL-safe helpers. */
    stream_rewrite_init(NULL, OUT, STREAM_REWRITE_VP8);
    stream_rewrite_stop(NULL);
    CHECK_EQ_INT(stream_rewrite_switch(NULL, A), -1);
    CHECK(!stream_rewrite_pending(NULL, NULL));
    CHECK(!stream_rewrite_current(NULL, NULL));
}

int main(void)
{
    test_first_source();
    test_switch_continuity();
    test_loss_gaps();
    test_reorder_duplicates();
    test_no_switch_before_keyframe();
    test_seq_wrap();
    test_ts_wrap();
    test_picture_id_wrap();
    test_ts_advance();
    test_source_seq();
    test_long_run();
    test_fields_absent();
    test_padding_only();
    test_other_codec();
    test_codec_change();
    test_malformed();
    return check_report("stream_rewrite");
}
