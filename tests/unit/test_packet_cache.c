/* Unit tests for the per-stream RTP packet cache (src/bridge/packet_cache.c). */
#include "bridge/packet_cache.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Names the table row when a check inside it fails. */
#define CASE_BEGIN() int case_failed_ = check_failed
#define CASE_END(fmt, ...) do { if (check_failed != case_failed_) \
    fprintf(stderr, "  in case " fmt "\n", __VA_ARGS__); } while (0)

/* A recognisable packet for seq: its bytes depend on seq, a tag and the
 * position, so a packet returned for the wrong seq or store never matches. */
static size_t make_pkt(uint8_t *buf, uint16_t seq, uint8_t tag, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq * 7u + tag * 13u + i);
    return len;
}

static int store(packet_cache *c, uint16_t seq, uint8_t tag, size_t len, int64_t now)
{
    uint8_t buf[PACKET_CACHE_MAX_PACKET + 16];
    make_pkt(buf, seq, tag, len);
    return packet_cache_store(c, seq, buf, len, now);
}

/* True when seq is cached, unexpired, with exactly the bytes of (seq, tag, len). */
static bool holds(const packet_cache *c, uint16_t seq, uint8_t tag, size_t len,
                  int64_t now, int64_t max_age)
{
    uint8_t want[PACKET_CACHE_MAX_PACKET + 16];
    size_t got_len = 0;
    const uint8_t *got = packet_cache_get(c, seq, now, max_age, &got_len);
    make_pkt(want, seq, tag, len);
    return got && got_len == len && memcmp(got, want, len) == 0;
}

static bool misses(const packet_cache *c, uint16_t seq, int64_t now, int64_t max_age)
{
    size_t len = 12345;
    return packet_cache_get(c, seq, now, max_age, &len) == NULL && len == 12345;
}

static void test_new(void)
{
    static const struct { size_t capacity; bool ok; } cases[] = {
        {0, false}, {1, true}, {2, true}, {3, false}, {6, false}, {64, true},
        {512, true}, {1000, false}, {32768, true}, {32769, false}, {65536, false},
        {(size_t)1 << 40, false}, {SIZE_MAX, false},
    };
    for (size_t i = 0; i < N(cases); i++) {
        CASE_BEGIN();
        packet_cache *c = packet_cache_new(cases[i].capacity);
        CHECK_EQ_INT(c != NULL, cases[i].ok);
        CHECK_EQ_INT(packet_cache_bytes(cases[i].capacity) != 0, cases[i].ok);
        if (c) {
            CHECK_EQ_INT(packet_cache_capacity(c), cases[i].capacity);
            CHECK(packet_cache_bytes(cases[i].capacity) >=
                  cases[i].capacity * PACKET_CACHE_MAX_PACKET);
            CHECK(misses(c, 0, 0, PACKET_CACHE_NO_AGE_LIMIT));  /* empty */
        }
        packet_cache_free(c);
        CASE_END("capacity %zu", cases[i].capacity);
    }
    packet_cache_free(NULL);
    CHECK_EQ_INT(packet_cache_capacity(NULL), 0);
}

static void test_refused(void)
{
    packet_cache *c = packet_cache_new(16);
    uint8_t pkt[PACKET_CACHE_MAX_PACKET + 1];
    make_pkt(pkt, 10, 0, sizeof pkt);

    CHECK_EQ_INT(store(c, 10, 1, 100, 0), 0);
    static const struct { const char *name; bool null_cache, null_pkt; size_t len; } cases[] = {
        {"zero length", false, false, 0},
        {"oversize", false, false, PACKET_CACHE_MAX_PACKET + 1},
        {"NULL packet", false, true, 100},
        {"NULL cache", true, false, 100},
    };
    for (size_t i = 0; i < N(cases); i++) {
        CASE_BEGIN();
        CHECK_EQ_INT(packet_cache_store(cases[i].null_cache ? NULL : c, 10,
                                        cases[i].null_pkt ? NULL : pkt, cases[i].len, 0), -1);
        CHECK(holds(c, 10, 1, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));  /* untouched */
        CASE_END("%s", cases[i].name);
    }
    CHECK(packet_cache_get(NULL, 10, 0, PACKET_CACHE_NO_AGE_LIMIT, NULL) == NULL);

    /* The limits themselves are accepted, and len may be NULL. */
    CHECK_EQ_INT(store(c, 11, 2, PACKET_CACHE_MAX_PACKET, 0), 0);
    CHECK(holds(c, 11, 2, PACKET_CACHE_MAX_PACKET, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 12, 3, 1, 0), 0);
    CHECK(holds(c, 12, 3, 1, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(packet_cache_get(c, 12, 0, PACKET_CACHE_NO_AGE_LIMIT, NULL) != NULL);
    packet_cache_free(c);
}

/* 65530..65535, 0..5 stored in order, looked up in two capacities. */
static void test_wraparound(void)
{
    static const struct {
        size_t capacity;
        struct { uint16_t seq; bool hit; } look[16];
        size_t n;
    } cases[] = {
        {16, {{65530, true}, {65533, true}, {65535, true}, {0, true}, {3, true}, {5, true},
              {65529, false}, {6, false}, {7, false}, {32768, false}, {65514, false},
              {32767, false}}, 12},
        /* Only the newest 8 fit: 65530..65533 share slots with 2..5. */
        {8, {{65530, false}, {65531, false}, {65533, false}, {65534, true}, {65535, true},
             {0, true}, {1, true}, {5, true}, {6, false}, {65529, false}}, 10},
    };
    for (size_t i = 0; i < N(cases); i++) {
        CASE_BEGIN();
        packet_cache *c = packet_cache_new(cases[i].capacity);
        for (uint16_t s = 65530; s != 6; s++)
            CHECK_EQ_INT(store(c, s, 0, 60 + s % 50, 0), 0);
        for (size_t j = 0; j < cases[i].n; j++) {
            uint16_t s = cases[i].look[j].seq;
            if (cases[i].look[j].hit)
                CHECK(holds(c, s, 0, 60 + s % 50, 0, PACKET_CACHE_NO_AGE_LIMIT));
            else
                CHECK(misses(c, s, 0, PACKET_CACHE_NO_AGE_LIMIT));
        }
        packet_cache_free(c);
        CASE_END("capacity %zu", cases[i].capacity);
    }
}

/* Many wraps of the sequence space in order: at every step exactly the
 * newest capacity packets are found. Failures are tallied, then checked once. */
static void test_long_run(void)
{
    const size_t cap = 64;
    packet_cache *c = packet_cache_new(cap);
    long bad = 0;
    uint16_t s = 65000;
    for (long i = 0; i < 200000; i++, s++) {
        if (store(c, s, 5, 20 + s % 100, i) != 0)
            bad++;
        uint16_t oldest = (uint16_t)(s - (cap - 1)), gone = (uint16_t)(s - cap);
        if (!holds(c, s, 5, 20 + s % 100, i, PACKET_CACHE_NO_AGE_LIMIT))
            bad++;
        if (i >= (long)cap && !holds(c, oldest, 5, 20 + oldest % 100, i, PACKET_CACHE_NO_AGE_LIMIT))
            bad++;
        if (!misses(c, gone, i, PACKET_CACHE_NO_AGE_LIMIT) ||
            !misses(c, (uint16_t)(s + 1), i, PACKET_CACHE_NO_AGE_LIMIT))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    packet_cache_free(c);
}

static void test_overwrite(void)
{
    packet_cache *c = packet_cache_new(16);
    for (uint16_t s = 0; s < 16; s++)
        CHECK_EQ_INT(store(c, s, 0, 100, 0), 0);
    CHECK(holds(c, 0, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    /* 16 takes 0's slot: 0 must miss, not return 16's bytes. */
    CHECK_EQ_INT(store(c, 16, 0, 100, 0), 0);
    CHECK(misses(c, 0, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 16, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 1, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));

    /* A duplicate replaces the cached packet. */
    CHECK_EQ_INT(store(c, 16, 9, 40, 0), 0);
    CHECK(holds(c, 16, 9, 40, 0, PACKET_CACHE_NO_AGE_LIMIT));

    /* Out of order inside the window is stored; a packet that would evict a
     * newer one is refused and evicts nothing. */
    CHECK_EQ_INT(store(c, 20, 0, 100, 0), 0);
    CHECK_EQ_INT(store(c, 18, 0, 100, 0), 0);
    CHECK(holds(c, 18, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 19, 0, PACKET_CACHE_NO_AGE_LIMIT));   /* never stored */
    CHECK(misses(c, 3, 0, PACKET_CACHE_NO_AGE_LIMIT));    /* window is now 5..20 */
    CHECK(misses(c, 4, 0, PACKET_CACHE_NO_AGE_LIMIT));    /* its slot went to 20 */
    CHECK(holds(c, 5, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 4, 0, 100, 0), -1);             /* 20 - 16 */
    CHECK(holds(c, 20, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 5, 7, 50, 0), 0);               /* 20 - 15: still inside */
    CHECK(holds(c, 5, 7, 50, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);
}

/* A packet whose slot was never reused is still not returned a full wrap
 * (65536 sequence numbers) later: 5 is stored, then the stream moves on by
 * jumps that only touch slot 8, round to 6 again. */
static void test_previous_wrap(void)
{
    packet_cache *c = packet_cache_new(16);
    CHECK_EQ_INT(store(c, 5, 1, 100, 0), 0);
    CHECK_EQ_INT(store(c, 8, 1, 100, 0), 0);
    CHECK(holds(c, 5, 1, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    long bad = 0;
    for (uint32_t s = 8 + 1008; s <= 65528; s += 1008)
        bad += store(c, (uint16_t)s, 1, 100, 0) != 0;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(store(c, 2, 1, 100, 0), 0);              /* 65538 */
    CHECK_EQ_INT(store(c, 6, 1, 100, 0), 0);              /* 65542 */
    CHECK(misses(c, 5, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 6, 1, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 2, 1, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);
}

static void test_age(void)
{
    packet_cache *c = packet_cache_new(16);
    CHECK_EQ_INT(store(c, 1, 0, 100, 1000), 0);
    CHECK_EQ_INT(store(c, 2, 0, 100, 1500), 0);
    static const struct { uint16_t seq; int64_t now, max_age; bool hit; } cases[] = {
        {1, 2000, 1000, true},                        /* age == limit */
        {1, 2000, 999, false},
        {2, 2000, 999, true},
        {2, 2000, 500, true},
        {2, 2000, 499, false},
        {1, 2000, 0, false},
        {1, 1000, 0, true},                           /* same millisecond */
        {1, 0, 0, true},                              /* clock behind the stamp */
        {1, INT64_MAX, PACKET_CACHE_NO_AGE_LIMIT, true},
        {1, INT64_MAX, -12345, true},
        {1, INT64_MAX, INT64_MAX, true},
        {1, INT64_MAX, 1000, false},
    };
    for (size_t i = 0; i < N(cases); i++) {
        CASE_BEGIN();
        if (cases[i].hit)
            CHECK(holds(c, cases[i].seq, 0, 100, cases[i].now, cases[i].max_age));
        else
            CHECK(misses(c, cases[i].seq, cases[i].now, cases[i].max_age));
        CASE_END("%zu", i);
    }
    /* Extreme stamps do not overflow. */
    CHECK_EQ_INT(store(c, 3, 0, 100, INT64_MIN), 0);
    CHECK(misses(c, 3, INT64_MAX, 1000));
    CHECK(holds(c, 3, 0, 100, INT64_MIN, 0));
    packet_cache_free(c);
}

static void test_capacity_edges(void)
{
    /* One slot: only the newest packet. */
    packet_cache *c = packet_cache_new(1);
    CHECK_EQ_INT(store(c, 7, 0, 100, 0), 0);
    CHECK(holds(c, 7, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 8, 0, 100, 0), 0);
    CHECK(misses(c, 7, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 8, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 7, 0, 100, 0), -1);
    CHECK(holds(c, 8, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);

    /* The largest: half the sequence space. */
    c = packet_cache_new(PACKET_CACHE_MAX_CAPACITY);
    CHECK_EQ_INT(store(c, 0, 0, 10, 0), 0);
    CHECK_EQ_INT(store(c, 32767, 0, 10, 0), 0);
    CHECK(holds(c, 0, 0, 10, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 32767, 0, 10, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 32768, 0, 10, 0), 0);
    CHECK(misses(c, 0, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 1, 0, PACKET_CACHE_NO_AGE_LIMIT));    /* never stored */
    CHECK(holds(c, 32768, 0, 10, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);
}

/* A sender that restarts its sequence numbers far away (behind, in 16-bit
 * terms) is followed after two consecutive packets; a lone stray is not. */
static void test_restart(void)
{
    packet_cache *c = packet_cache_new(16);
    for (uint16_t s = 1000; s <= 1010; s++)
        CHECK_EQ_INT(store(c, s, 0, 100, 0), 0);

    CHECK_EQ_INT(store(c, 60000, 0, 100, 0), -1);         /* stray */
    CHECK_EQ_INT(store(c, 1011, 0, 100, 0), 0);
    CHECK_EQ_INT(store(c, 60001, 0, 100, 0), -1);         /* not right after 60000's refusal */
    CHECK_EQ_INT(store(c, 60003, 0, 100, 0), -1);         /* not 60002 */
    CHECK(holds(c, 1011, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));

    CHECK_EQ_INT(store(c, 40000, 0, 100, 0), -1);
    CHECK_EQ_INT(store(c, 40001, 0, 100, 0), 0);          /* restart */
    CHECK(holds(c, 40001, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 40000, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 1010, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK_EQ_INT(store(c, 40002, 0, 100, 0), 0);
    CHECK(holds(c, 40002, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));

    /* A forward jump inside half the space is just newer: older packets leave. */
    CHECK_EQ_INT(store(c, 60000, 0, 100, 0), 0);
    CHECK(holds(c, 60000, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 40002, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);

    /* Restarting just past numbers still cached from before: 60000..60003
     * are stored, the stream moves on (20000 further, touching only slot 4),
     * then restarts at 60004, 60005. The old 60000..60003 must not come back
     * though they now lie inside the window again. */
    c = packet_cache_new(16);
    for (uint16_t s = 60000; s <= 60003; s++)
        CHECK_EQ_INT(store(c, s, 1, 100, 0), 0);
    for (uint32_t s = 60100; s < 65536 + 20000; s += 10000)
        CHECK_EQ_INT(store(c, (uint16_t)s, 1, 100, 0), 0);
    CHECK_EQ_INT(store(c, 60004, 2, 100, 0), -1);
    CHECK_EQ_INT(store(c, 60005, 2, 100, 0), 0);          /* restart */
    CHECK(holds(c, 60005, 2, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 60000, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 60001, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 60003, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);
}

static void test_clear(void)
{
    packet_cache *c = packet_cache_new(16);
    for (uint16_t s = 100; s < 110; s++)
        CHECK_EQ_INT(store(c, s, 0, 100, 0), 0);
    packet_cache_clear(c);
    packet_cache_clear(NULL);
    long bad = 0;
    for (uint32_t s = 0; s < 65536; s++)
        bad += !misses(c, (uint16_t)s, 0, PACKET_CACHE_NO_AGE_LIMIT);
    CHECK_EQ_INT(bad, 0);
    /* No reference survives: anything is accepted as the new start. */
    CHECK_EQ_INT(store(c, 50000, 0, 100, 0), 0);
    CHECK(holds(c, 50000, 0, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 105, 0, PACKET_CACHE_NO_AGE_LIMIT));

    /* Starting again on the very numbers cached before the clear: the old
     * packets must not come back. */
    packet_cache_clear(c);
    CHECK_EQ_INT(store(c, 100, 1, 100, 0), 0);
    CHECK_EQ_INT(store(c, 103, 1, 100, 0), 0);
    CHECK(misses(c, 101, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(misses(c, 102, 0, PACKET_CACHE_NO_AGE_LIMIT));
    CHECK(holds(c, 103, 1, 100, 0, PACKET_CACHE_NO_AGE_LIMIT));
    packet_cache_free(c);
}

int main(void)
{
    test_new();
    test_refused();
    test_wraparound();
    test_long_run();
    test_overwrite();
    test_previous_wrap();
    test_age();
    test_capacity_edges();
    test_restart();
    test_clear();
    return check_report("packet_cache");
}
