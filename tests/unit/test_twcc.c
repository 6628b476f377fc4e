/* Unit tests for transport-wide congestion control feedback (src/webrtc/twcc.c):
 * the sequence number extension, the feedback builder and parser. The known
 * packet is written out byte by byte from the chunk examples of
 * draft-holmer-rmcat-transport-wide-cc-extensions-01, not computed. */
#include "webrtc/twcc.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Names the case when a check inside it fails. */
#define CASE_BEGIN() int case_failed_ = check_failed
#define CASE_END(fmt, ...) do { if (check_failed != case_failed_) \
    fprintf(stderr, "  in case " fmt "\n", __VA_ARGS__); } while (0)

/* Base seq 65530, 238 statuses, reference time 1000 (64 s), feedback 1:
 *  - status vector chunk, 1-bit symbols, the draft's example
 *    |1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0|: 1 not received, 5 received,
 *    3 not received, 3 received, 2 not received (seqs 65530..7);
 *  - run length chunk, the draft's example |0|0 0|0 0 0 0 0 1 1 0 1 1 1 0 1|:
 *    221 not received (seqs 8..228);
 *  - status vector chunk, 2-bit symbols, |1|1|1 0|0 1|0 1|0 0|0 0|0 0|0 0|:
 *    large delta, small, small; the last four symbols are beyond the count;
 *  - receive deltas: 8 small, one large (-0.5 ms), 2 small; 2 bytes of zero padding. */
static const uint8_t known[] = {
    0x8F, 0xCD, 0x00, 0x09,
    0xFA, 0x17, 0xFA, 0x17,             /* sender SSRC */
    0x6F, 0x2D, 0x0E, 0x41,             /* media SSRC */
    0xFF, 0xFA, 0x00, 0xEE,             /* base 65530, count 238 */
    0x00, 0x03, 0xE8, 0x01,             /* reference time 1000, fb pkt count 1 */
    0x9F, 0x1C, 0x00, 0xDD, 0xE5, 0x00, /* three chunks */
    0x04, 0x08, 0x00, 0xFF, 0x01, 0x14, 0x0C, 0x28,   /* small deltas */
    0xFF, 0xFE,                         /* large delta: -2 x 250 us */
    0x10, 0x05,                         /* small deltas */
    0x00, 0x00,                         /* padding */
};

/* The received packets of known[] and their arrival times (µs). */
static const struct { uint16_t seq; int32_t delta_us; int64_t arrival_us; } known_rx[] = {
    { 65531, 1000, 64001000 }, { 65532, 2000, 64003000 }, { 65533, 0, 64003000 },
    { 65534, 63750, 64066750 }, { 65535, 250, 64067000 }, { 3, 5000, 64072000 },
    { 4, 3000, 64075000 }, { 5, 10000, 64085000 }, { 229, -500, 64084500 },
    { 230, 4000, 64088500 }, { 231, 1250, 64089750 },
};

static rtcp_packet packet_of(const uint8_t *buf, size_t len)
{
    return (rtcp_packet){ .type = len > 1 ? buf[1] : 0, .count = len ? buf[0] & 0x1F : 0,
                          .data = buf, .len = len };
}

static int parse_buf(const uint8_t *buf, size_t len, twcc_feedback *fb, twcc_entry *e, size_t cap)
{
    rtcp_packet p = packet_of(buf, len);
    return twcc_parse(&p, fb, e, cap);
}

static int known_rx_index(uint16_t seq)
{
    for (size_t k = 0; k < N(known_rx); k++)
        if (known_rx[k].seq == seq)
            return (int)k;
    return -1;
}

static void check_known_entries(const twcc_feedback *fb)
{
    CHECK_EQ_INT(fb->n, 238);
    size_t rx = 0;
    for (size_t i = 0; i < fb->n; i++) {
        const twcc_entry *e = &fb->entries[i];
        int k = known_rx_index(e->seq);
        CHECK_EQ_INT(e->seq, (uint16_t)(65530 + i));
        CHECK_EQ_INT(e->received, k >= 0);
        if (k < 0) {
            CHECK_EQ_INT(e->delta_us, 0);
            continue;
        }
        rx++;
        CHECK_EQ_INT(e->delta_us, known_rx[k].delta_us);
        CHECK_EQ_INT(e->arrival_us, known_rx[k].arrival_us);
    }
    CHECK_EQ_INT(rx, N(known_rx));
}

static void test_parse_known(void)
{
    twcc_entry e[300];
    twcc_feedback fb;
    CHECK(rtcp_is_valid_compound(known, sizeof known));
    CHECK_EQ_INT(parse_buf(known, sizeof known, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.sender_ssrc, 0xFA17FA17);
    CHECK_EQ_INT(fb.media_ssrc, 0x6F2D0E41);
    CHECK_EQ_INT(fb.base_seq, 65530);
    CHECK_EQ_INT(fb.status_count, 238);
    CHECK_EQ_INT(fb.ref_time, 1000);
    CHECK_EQ_INT(fb.fb_count, 1);
    CHECK_EQ_INT(fb.received, 11);
    CHECK(fb.entries == e);
    check_known_entries(&fb);

    /* The same with RTCP padding (P bit, count in the last byte) instead. */
    uint8_t padded[sizeof known];
    memcpy(padded, known, sizeof known);
    padded[0] |= 0x20;
    padded[sizeof padded - 1] = 2;
    CHECK(rtcp_is_valid_compound(padded, sizeof padded));
    CHECK_EQ_INT(parse_buf(padded, sizeof padded, &fb, e, N(e)), 0);
    check_known_entries(&fb);

    /* A smaller array gets the first statuses; the packet is still validated. */
    CHECK_EQ_INT(parse_buf(known, sizeof known, &fb, e, 6), 0);
    CHECK_EQ_INT(fb.n, 6);
    CHECK_EQ_INT(fb.status_count, 238);
    CHECK_EQ_INT(fb.received, 11);
    CHECK(!e[0].received);
    CHECK(e[5].received);
    CHECK_EQ_INT(e[5].seq, 65535);
    CHECK_EQ_INT(e[5].arrival_us, 64067000);
    CHECK_EQ_INT(parse_buf(known, sizeof known, &fb, NULL, 0), 0);
    CHECK_EQ_INT(fb.n, 0);

    /* test_rtcp's packet: run of 5 "received, small delta", reference time -2
     * read as the unsigned 24-bit 0xFFFFFE. */
    static const uint8_t rle[] = {
        0xAF, 0xCD, 0x00, 0x06, 0, 0, 0, 1, 0x6F, 0x2D, 0x0E, 0x41,
        0x01, 0x00, 0x00, 0x05, 0xFF, 0xFF, 0xFE, 0x07,
        0x20, 0x05, 0x04, 0x08, 0x00, 0x14, 0x02, 0x01,
    };
    CHECK_EQ_INT(parse_buf(rle, sizeof rle, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.n, 5);
    CHECK_EQ_INT(fb.ref_time, 0xFFFFFE);
    static const int32_t rle_deltas[] = { 1000, 2000, 0, 5000, 500 };
    int64_t t = (int64_t)0xFFFFFE * 64000;
    for (size_t i = 0; i < 5; i++) {
        t += rle_deltas[i];
        CHECK_EQ_INT(e[i].seq, 256 + i);
        CHECK(e[i].received);
        CHECK_EQ_INT(e[i].delta_us, rle_deltas[i]);
        CHECK_EQ_INT(e[i].arrival_us, t);
    }
}

/* The builder writes exactly known[] from the arrivals it describes. */
static void test_build_known(void)
{
    static twcc_recorder r;
    uint8_t out[1500];
    twcc_entry e[300];
    twcc_feedback fb;
    twcc_recorder_init(&r);
    CHECK(!twcc_recorder_pending(&r));
    CHECK_EQ_INT(twcc_recorder_build(&r, 1, 2, out, sizeof out), 0);
    /* A first feedback for 65529 alone, so that the next starts at 65530. */
    twcc_recorder_on_packet(&r, 65529, 63990000);
    CHECK(twcc_recorder_pending(&r));
    size_t n = twcc_recorder_build(&r, 0xFA17FA17, 0x6F2D0E41, out, sizeof out);
    CHECK_EQ_INT(n, 24);
    CHECK(!twcc_recorder_pending(&r));
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 65529);
    CHECK_EQ_INT(fb.status_count, 1);
    CHECK_EQ_INT(fb.ref_time, 999);
    CHECK_EQ_INT(fb.fb_count, 0);
    CHECK_EQ_INT(e[0].arrival_us, 63990000);

    /* Arrival order differs from seq order: 229 arrived before 5. */
    static const int order[] = { 0, 1, 2, 3, 4, 5, 6, 8, 7, 9, 10 };
    for (size_t i = 0; i < N(order); i++)
        twcc_recorder_on_packet(&r, known_rx[order[i]].seq, known_rx[order[i]].arrival_us + 100);
    n = twcc_recorder_build(&r, 0xFA17FA17, 0x6F2D0E41, out, sizeof out);
    CHECK_EQ_INT(n, sizeof known);
    CHECK_MEM(out, known, sizeof known);
    CHECK(!twcc_recorder_pending(&r));
    CHECK_EQ_INT(twcc_recorder_build(&r, 1, 2, out, sizeof out), 0);
}

static void test_ext(void)
{
    /* One-byte form: audio level (id 1, 1 byte), transport-wide seq (id 3),
     * padding; then 4 bytes of payload. */
    uint8_t pkt[] = {
        0x90, 0x6F, 0x12, 0x34, 0, 0, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD,
        0xBE, 0xDE, 0x00, 0x02,
        0x10, 0x85, 0x31, 0xAB, 0xCD, 0x00, 0x00, 0x00,
        1, 2, 3, 4,
    };
    rtp_header h;
    uint16_t seq = 0;
    CHECK_EQ_INT(rtp_parse(pkt, sizeof pkt, &h), 0);
    CHECK_EQ_INT(twcc_ext_read(pkt, &h, 3, &seq), 0);
    CHECK_EQ_INT(seq, 0xABCD);
    CHECK_EQ_INT(twcc_ext_read(pkt, &h, 3, NULL), 0);
    CHECK_EQ_INT(twcc_ext_read(pkt, &h, 1, &seq), -1);     /* 1 byte long */
    CHECK_EQ_INT(twcc_ext_read(pkt, &h, 4, &seq), -1);     /* absent */
    CHECK_EQ_INT(twcc_ext_read(pkt, NULL, 3, &seq), -1);

    uint8_t before[sizeof pkt];
    memcpy(before, pkt, sizeof pkt);
    CHECK_EQ_INT(twcc_ext_write(pkt, &h, 3, 0x0102), 0);
    CHECK_EQ_INT(pkt[19], 0x01);
    CHECK_EQ_INT(pkt[20], 0x02);
    for (size_t i = 0; i < sizeof pkt; i++)
        if (i != 19 && i != 20)
            CHECK_EQ_INT(pkt[i], before[i]);
    CHECK_EQ_INT(twcc_ext_read(pkt, &h, 3, &seq), 0);
    CHECK_EQ_INT(seq, 0x0102);
    memcpy(before, pkt, sizeof pkt);
    CHECK_EQ_INT(twcc_ext_write(pkt, &h, 4, 7), -1);
    CHECK_EQ_INT(twcc_ext_write(pkt, &h, 1, 7), -1);
    CHECK_MEM(pkt, before, sizeof pkt);

    /* Two-byte form (RFC 8285 0x100X): id 3, length 2. */
    uint8_t pkt2[] = {
        0x90, 0x6F, 0x12, 0x35, 0, 0, 0, 1, 0xAA, 0xBB, 0xCC, 0xDD,
        0x10, 0x00, 0x00, 0x01,
        0x03, 0x02, 0xFF, 0xFE,
        9,
    };
    CHECK_EQ_INT(rtp_parse(pkt2, sizeof pkt2, &h), 0);
    CHECK_EQ_INT(twcc_ext_read(pkt2, &h, 3, &seq), 0);
    CHECK_EQ_INT(seq, 0xFFFE);
    CHECK_EQ_INT(twcc_ext_write(pkt2, &h, 3, 0xFFFF), 0);
    CHECK_EQ_INT(twcc_ext_read(pkt2, &h, 3, &seq), 0);
    CHECK_EQ_INT(seq, 0xFFFF);

    /* No extension block at all. */
    uint8_t bare[] = { 0x80, 0x6F, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 5 };
    CHECK_EQ_INT(rtp_parse(bare, sizeof bare, &h), 0);
    CHECK_EQ_INT(twcc_ext_read(bare, &h, 3, &seq), -1);
    CHECK_EQ_INT(twcc_ext_write(bare, &h, 3, 1), -1);
}

static void test_malformed(void)
{
    twcc_entry e[300];
    twcc_feedback fb;
    uint8_t b[sizeof known];

    /* Every 4-byte shorter length cuts chunks or deltas. */
    for (size_t len = 4; len < sizeof known; len += 4) {
        memcpy(b, known, sizeof known);
        b[3] = (uint8_t)(len / 4 - 1);
        CASE_BEGIN();
        CHECK_EQ_INT(parse_buf(b, len, &fb, e, N(e)), -1);
        CASE_END("length %zu", len);
    }
    /* Not transport-cc: NACK FMT, PSFB type, short FCI. */
    memcpy(b, known, sizeof known);
    b[0] = 0x81;
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    memcpy(b, known, sizeof known);
    b[1] = 0xCE;
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    CHECK_EQ_INT(parse_buf(known, 16, &fb, e, N(e)), -1);
    CHECK_EQ_INT(twcc_parse(NULL, &fb, e, N(e)), -1);
    rtcp_packet p = packet_of(known, sizeof known);
    CHECK_EQ_INT(twcc_parse(&p, NULL, e, N(e)), -1);

    /* A reserved symbol among the counted statuses: 2-bit 11 in the last chunk. */
    memcpy(b, known, sizeof known);
    b[24] = 0xF5;   /* |1|1|1 1|0 1|0 1|... */
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    /* ... but beyond the count it is ignored. */
    memcpy(b, known, sizeof known);
    b[25] = 0x03;   /* last symbol 11, status 7 of a chunk that counts 3 */
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), 0);
    /* Run length chunk of the reserved symbol. */
    memcpy(b, known, sizeof known);
    b[22] = 0x60;
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    /* One more status: the 4th symbol of the last chunk, "not received". */
    memcpy(b, known, sizeof known);
    b[15] = 0xEF;
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.n, 239);
    CHECK(!e[238].received);
    CHECK_EQ_INT(e[238].seq, 232);
    /* Far more statuses than the chunks describe: deltas read as chunks. */
    memcpy(b, known, sizeof known);
    b[14] = 0xFF;
    b[15] = 0xFF;
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    /* Fewer statuses than described: the deltas then leave > 3 bytes over. */
    memcpy(b, known, sizeof known);
    b[15] = 0xEC;   /* 236: drops the two small deltas at the end */
    CHECK_EQ_INT(parse_buf(b, sizeof b, &fb, e, N(e)), -1);
    /* A status count of zero, no chunks: fine, nothing reported. */
    static const uint8_t empty[] = {
        0x8F, 0xCD, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x10, 0x00, 0x00, 0, 0, 1, 9,
    };
    CHECK_EQ_INT(parse_buf(empty, sizeof empty, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.n, 0);
    CHECK_EQ_INT(fb.fb_count, 9);
    /* One status announced, no chunk for it. */
    uint8_t one[sizeof empty];
    memcpy(one, empty, sizeof empty);
    one[15] = 1;
    CHECK_EQ_INT(parse_buf(one, sizeof one, &fb, e, N(e)), -1);
    /* Empty runs before the real chunk are skipped. */
    static const uint8_t empty_runs[] = {
        0x8F, 0xCD, 0x00, 0x06, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x10, 0x00, 0x02, 0, 0, 1, 9,
        0x00, 0x00, 0x20, 0x00, 0x20, 0x02, 0x01, 0x02,
    };
    CHECK_EQ_INT(parse_buf(empty_runs, sizeof empty_runs, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.n, 2);
    CHECK_EQ_INT(e[1].arrival_us, 64000 + 750);

    /* Random bytes after a valid header never crash nor overrun. */
    srand(7);
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 20 + 4 * (size_t)(rand() % 12);
        uint8_t buf[68];
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rand();
        buf[0] = 0x8F;
        buf[1] = 0xCD;
        buf[2] = 0;
        buf[3] = (uint8_t)(len / 4 - 1);
        buf[14] = 0;
        buf[15] = (uint8_t)(rand() % 64);
        twcc_entry small[16];
        if (parse_buf(buf, len, &fb, small, N(small)) == 0) {
            CHECK(fb.n <= N(small));
            CHECK(fb.n == (fb.status_count < N(small) ? fb.status_count : N(small)));
        }
    }
}

/* ---- random round trips ----------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static uint32_t rnd_below(uint32_t n)
{
    return rnd() % n;
}

#define MAX_TRIAL 3000

typedef struct sent {
    int64_t arrival_us;       /* first arrival */
    bool arrives;
    bool reported_rx;         /* the last report said received */
    bool reported;
    int64_t reported_arrival_us;
} sent;

typedef struct arrival_ev {
    int64_t t;
    uint32_t idx;
} arrival_ev;

static int cmp_ev(const void *a, const void *b)
{
    const arrival_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Parses one built packet and folds its statuses into s[]. */
static int fold(const uint8_t *out, size_t len, size_t cap, uint16_t start_seq, size_t count,
                sent *s, int *lost_after_rx)
{
    static twcc_entry e[65536];
    twcc_feedback fb;
    if (len == 0 || len % 4 || len > cap || !rtcp_is_valid_compound(out, len))
        return -1;
    if (parse_buf(out, len, &fb, e, N(e)) != 0 || fb.n != fb.status_count || fb.n == 0)
        return -1;
    for (size_t i = 0; i < fb.n; i++) {
        size_t idx = (uint16_t)(e[i].seq - start_seq);
        if (idx >= count)
            return -1;
        if (!e[i].received) {
            if (s[idx].reported_rx)
                (*lost_after_rx)++;
            s[idx].reported = true;
            continue;
        }
        s[idx].reported = true;
        s[idx].reported_rx = true;
        s[idx].reported_arrival_us = e[i].arrival_us;
    }
    return 0;
}

static int64_t mod_wrap(int64_t v)
{
    v %= TWCC_REF_WRAP_US;
    return v < 0 ? v + TWCC_REF_WRAP_US : v;
}

/* floor to the 250 µs unit */
static int64_t to_unit(int64_t us)
{
    int64_t q = us / 250;
    if (us % 250 != 0 && us < 0)
        q--;
    return q * 250;
}

static void round_trip_trial(uint32_t seed)
{
    static twcc_recorder r;
    static sent s[MAX_TRIAL];
    static arrival_ev ev[MAX_TRIAL + 64];
    uint8_t out[1500];

    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t count = 50 + rnd_below(MAX_TRIAL - 50);
    uint16_t start_seq = (uint16_t)(rnd_below(4) == 0 ? 65536 - rnd_below(200) : rnd());
    uint32_t loss_pct = rnd_below(4) == 0 ? 0 : rnd_below(60);
    uint32_t burst_loss = rnd_below(3) == 0 ? 1 + rnd_below(800) : 0;
    uint32_t reorder_pct = rnd_below(3) == 0 ? 0 : rnd_below(30);
    uint32_t gap_per_mille = rnd_below(3) == 0 ? rnd_below(10) : 0;
    uint32_t interval_us = 100 + rnd_below(40000);
    /* Arrival clock: sometimes negative, sometimes just before the 24-bit wrap. */
    int64_t t = rnd_below(3) == 0 ? TWCC_REF_WRAP_US - 2000000 - rnd_below(1000000)
              : rnd_below(2) ? -(int64_t)rnd_below(100000000) : (int64_t)rnd_below(100000000);
    size_t cap = rnd_below(3) == 0 ? TWCC_MIN_PACKET + 4 * rnd_below(30) : 1200;
    size_t nev = 0;
    uint32_t burst_at = burst_loss ? rnd_below((uint32_t)count) : UINT32_MAX;

    for (size_t i = 0; i < count; i++) {
        t += rnd_below(interval_us);
        if (gap_per_mille && rnd_below(1000) < gap_per_mille)
            t += 8000000 + rnd_below(4000000);   /* around and past 8.19 s */
        bool lost = (loss_pct && rnd_below(100) < loss_pct) ||
                    (i >= burst_at && i < burst_at + burst_loss);
        if (i == 0 || i == count - 1)
            lost = false;
        int64_t at = t;
        if (reorder_pct && rnd_below(100) < reorder_pct)
            at += rnd_below(3) == 0 ? -(int64_t)rnd_below(50000) : (int64_t)rnd_below(80000);
        s[i] = (sent){ .arrival_us = at, .arrives = !lost };
        if (!lost)
            ev[nev++] = (arrival_ev){ at, (uint32_t)i };
        if (!lost && rnd_below(50) == 0 && nev < N(ev))
            ev[nev++] = (arrival_ev){ at + 1 + rnd_below(30000), (uint32_t)i };  /* duplicate */
    }
    qsort(ev, nev, sizeof ev[0], cmp_ev);
    /* A duplicate that sorted before its original counts as the first arrival. */
    for (size_t k = 0; k < nev; k++) {
        sent *x = &s[ev[k].idx];
        if (ev[k].t < x->arrival_us)
            x->arrival_us = ev[k].t;
    }

    twcc_recorder_init(&r);
    int bad = 0, packets = 0, lost_after_rx = 0;
    uint32_t build_every = 1 + rnd_below(200);
    for (size_t k = 0; k < nev; k++) {
        twcc_recorder_on_packet(&r, (uint16_t)(start_seq + ev[k].idx), ev[k].t);
        if (k % build_every == build_every - 1 || k == nev - 1) {
            size_t n;
            int guard = 0;
            while ((n = twcc_recorder_build(&r, 1, 2, out, cap)) > 0 && guard++ < 100000) {
                packets++;
                if (fold(out, n, cap, start_seq, count, s, &lost_after_rx) != 0)
                    bad++;
            }
            if (twcc_recorder_pending(&r))
                bad++;
        }
    }

    int wrong = 0;
    for (size_t i = 0; i < count; i++) {
        if (!s[i].reported) {
            wrong++;
            continue;
        }
        if (s[i].reported_rx != s[i].arrives) {
            wrong++;
            continue;
        }
        if (s[i].arrives && mod_wrap(s[i].reported_arrival_us - to_unit(s[i].arrival_us)) != 0)
            wrong++;
    }
    CASE_BEGIN();
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(wrong, 0);
    /* A lost report after a received one would mean the builder went backwards. */
    CHECK_EQ_INT(lost_after_rx, 0);
    CHECK(packets > 0);
    CHECK_EQ_INT(r.too_old + r.overflowed, 0);
    CASE_END("seed %u: %zu packets from seq %u, loss %u%%, reorder %u%%, gaps %u/1000, cap %zu",
             seed, count, start_seq, loss_pct, reorder_pct, gap_per_mille, cap);
}

static void test_round_trips(void)
{
    for (uint32_t seed = 1; seed <= 400; seed++)
        round_trip_trial(seed);
}

/* Deltas at the 16-bit limits stay in one packet; one unit more splits. */
static void test_large_gaps(void)
{
    static twcc_recorder r;
    uint8_t out[200];
    twcc_entry e[16];
    twcc_feedback fb;
    static const struct { int64_t second_us; int packets; } cases[] = {
        { 8191750, 1 },                /* largest positive delta */
        { 8192000, 2 },                /* one unit more */
        { 10000000, 2 },
        { -8192000, 1 },               /* most negative: seq 1 arrived first */
        { -8192250, 2 },
    };
    for (size_t c = 0; c < N(cases); c++) {
        CASE_BEGIN();
        twcc_recorder_init(&r);
        /* The first packet's time is a multiple of 64 ms: its delta is 0. */
        int64_t t0 = 640000000;
        int64_t t1 = t0 + cases[c].second_us;
        twcc_recorder_on_packet(&r, 65535, t0);
        twcc_recorder_on_packet(&r, 0, t1);
        int packets = 0;
        int64_t got[2] = { 0, 0 };
        int seen = 0;
        size_t n;
        while ((n = twcc_recorder_build(&r, 1, 2, out, sizeof out)) > 0) {
            packets++;
            CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
            for (size_t i = 0; i < fb.n; i++) {
                if (e[i].received && seen < 2)
                    got[seen++] = e[i].arrival_us;
            }
        }
        CHECK_EQ_INT(packets, cases[c].packets);
        CHECK_EQ_INT(seen, 2);
        CHECK_EQ_INT(got[0], t0);
        CHECK_EQ_INT(got[1], t1);
        CASE_END("second packet at %+lld us", (long long)cases[c].second_us);
    }

    /* A gap inside a run of losses: the packet after it starts a new one with
     * its own reference time, the losses stay in the first. */
    size_t n;
    twcc_recorder_init(&r);
    twcc_recorder_on_packet(&r, 10, 1000000);
    twcc_recorder_on_packet(&r, 14, 1000000 + 9000000);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 10);
    CHECK_EQ_INT(fb.status_count, 4);
    CHECK(e[0].received && !e[1].received && !e[3].received);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 14);
    CHECK_EQ_INT(fb.status_count, 1);
    CHECK_EQ_INT(fb.ref_time, 10000000 / 64000);
    CHECK_EQ_INT(e[0].arrival_us, 10000000);
    CHECK_EQ_INT(twcc_recorder_build(&r, 1, 2, out, sizeof out), 0);
}

/* Recorder bookkeeping: duplicates, late packets, the window, fb count wrap,
 * splitting by cap and the chunk kinds chosen. */
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A feedback counting 65535 statuses in run-length chunks: the length of
 * the packet built into buf. */
static size_t long_run_feedback(uint8_t *buf)
{
    memset(buf, 0, 64);
    buf[0] = 0x80 | RTCP_FMT_TWCC;
    buf[1] = RTCP_RTPFB;
    buf[7] = 1;                               /* sender SSRC 1, media SSRC 2 */
    buf[11] = 2;
    put16(buf + 12, 100);                     /* base sequence */
    put16(buf + 14, 65535);                   /* status count; reference time 0 */
    size_t len = 20, left = 65535;
    for (int chunk = 0; left > 0; chunk++, len += 2) {
        /* All lost but for one run of two received with small deltas. */
        uint16_t run = chunk == 3 ? 2 : left > 8191 ? 8191 : (uint16_t)left;
        left -= run;
        put16(buf + len, (uint16_t)((chunk == 3 ? 1 : 0) << 13 | run));
    }
    buf[len++] = 4;                           /* the two deltas: 1 ms each */
    buf[len++] = 4;
    len = (len + 3) / 4 * 4;
    put16(buf + 2, (uint16_t)(len / 4 - 1));
    return len;
}

/* The most statuses a feedback can count, in run-length chunks: parsed run
 * by run (a receiver could send these to cost the bridge 65535 steps
 * each), counted right at the edges of the runs. */
static void test_long_runs(void)
{
    uint8_t buf[64];
    twcc_entry e[64];
    twcc_feedback fb;
    size_t len = long_run_feedback(buf);
    CHECK_EQ_INT(parse_buf(buf, len, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.status_count, 65535);
    CHECK_EQ_INT(fb.received, 2);
    CHECK_EQ_INT(fb.n, N(e));
    CHECK(!e[0].received && !e[N(e) - 1].received);
    /* Past the runs' end the deltas would be read as chunks: a count the
     * bytes cannot describe is refused. */
    buf[len - 4] = 0xFF;                      /* a reserved symbol where the deltas were */
    buf[len - 3] = 0xFF;
    put16(buf + 20, 8190);                    /* the first run one short: the next chunk is 0xFFFF */
    CHECK_EQ_INT(parse_buf(buf, len, &fb, e, N(e)), -1);
}

static void test_recorder(void)
{
    static twcc_recorder r;
    uint8_t out[1500];
    static twcc_entry e[8192];
    twcc_feedback fb;
    size_t n;

    /* A late packet after its loss was reported: reported again from it. */
    twcc_recorder_init(&r);
    twcc_recorder_on_packet(&r, 100, 1000);
    twcc_recorder_on_packet(&r, 102, 3000);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.status_count, 3);
    CHECK(!e[1].received);
    twcc_recorder_on_packet(&r, 101, 5000);
    twcc_recorder_on_packet(&r, 101, 6000);   /* duplicate: ignored */
    CHECK_EQ_INT(r.duplicates, 1);
    CHECK(twcc_recorder_pending(&r));
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 101);
    CHECK_EQ_INT(fb.status_count, 2);
    CHECK_EQ_INT(fb.fb_count, 1);
    CHECK(e[0].received && e[1].received);
    CHECK_EQ_INT(e[0].arrival_us, 5000);
    CHECK_EQ_INT(e[1].arrival_us, 3000);
    CHECK_EQ_INT(e[1].delta_us, -2000);

    /* Older than the window: ignored. */
    for (uint32_t i = 1; i <= TWCC_WINDOW; i++)
        twcc_recorder_on_packet(&r, (uint16_t)(102 + i), 10000 + 1000 * (int64_t)i);
    twcc_recorder_on_packet(&r, 102, 99999);
    CHECK_EQ_INT(r.too_old, 1);
    CHECK_EQ_INT(r.overflowed, 0);
    /* Many pending and a small cap: several packets, in order, each valid. */
    uint16_t expect = 103;
    int packets = 0;
    while ((n = twcc_recorder_build(&r, 1, 2, out, 64)) > 0) {
        packets++;
        CHECK(n <= 64);
        CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
        CHECK_EQ_INT(fb.base_seq, expect);
        CHECK_EQ_INT(fb.fb_count, (uint8_t)(packets + 1));
        expect = (uint16_t)(expect + fb.status_count);
    }
    CHECK_EQ_INT(expect, (uint16_t)(103 + TWCC_WINDOW));
    CHECK(packets > 4096 / 44);   /* at most 40 small deltas and 2 chunks per packet */
    printf("4096 packets 1 ms apart, 64-byte packets: %d feedback packets\n", packets);

    /* More pending than the window: the oldest are dropped unreported. */
    twcc_recorder_init(&r);
    for (uint32_t i = 0; i < TWCC_WINDOW + 10; i++)
        twcc_recorder_on_packet(&r, (uint16_t)i, 1000 * (int64_t)i);
    CHECK_EQ_INT(r.overflowed, 10);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 10);

    /* A cap too small for anything. */
    twcc_recorder_init(&r);
    twcc_recorder_on_packet(&r, 1, 0);
    CHECK_EQ_INT(twcc_recorder_build(&r, 1, 2, out, TWCC_MIN_PACKET - 1), 0);
    CHECK(twcc_recorder_pending(&r));
    CHECK_EQ_INT(twcc_recorder_build(&r, 1, 2, out, TWCC_MIN_PACKET), TWCC_MIN_PACKET);

    /* A long loss run is one run length chunk. */
    twcc_recorder_init(&r);
    twcc_recorder_on_packet(&r, 0, 0);
    twcc_recorder_build(&r, 1, 2, out, sizeof out);
    twcc_recorder_on_packet(&r, 3000, 1000);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(n, 28);   /* 20 + two chunks + one delta, padded */
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.status_count, 3000);
    CHECK_EQ_INT(out[20], 0x0B);   /* |0|00|0101110110111| = 2999 lost */
    CHECK_EQ_INT(out[21], 0xB7);
    CHECK_EQ_INT(out[22], 0x20);   /* run of 1 received, small delta */
    CHECK_EQ_INT(out[23], 0x01);

    /* Sequence wrap with losses on both sides and a 2-bit vector. */
    twcc_recorder_init(&r);
    twcc_recorder_on_packet(&r, 65533, 64000);
    twcc_recorder_on_packet(&r, 65535, 64000 + 100000);    /* large delta */
    twcc_recorder_on_packet(&r, 1, 64000 + 100250);
    n = twcc_recorder_build(&r, 1, 2, out, sizeof out);
    CHECK_EQ_INT(parse_buf(out, n, &fb, e, N(e)), 0);
    CHECK_EQ_INT(fb.base_seq, 65533);
    CHECK_EQ_INT(fb.status_count, 5);
    CHECK_EQ_INT(out[20], 0xD2);   /* |1|1|01|00|10|00|01|00|00| */
    CHECK_EQ_INT(out[21], 0x10);
    CHECK_EQ_INT(e[4].seq, 1);
    CHECK_EQ_INT(e[4].arrival_us, 164250);
    CHECK_EQ_INT(e[2].delta_us, 100000);
}

int main(void)
{
    test_parse_known();
    test_build_known();
    test_ext();
    test_malformed();
    test_round_trips();
    test_large_gaps();
    test_long_runs();
    test_recorder();
    return check_report("twcc");
}
