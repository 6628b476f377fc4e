/* Unit tests of stoa-load's loss and latency accounting (tools/load/stats.c). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "stats.h"

static void test_in_order(void)
{
    seq_tracker t;
    seq_tracker_init(&t);
    CHECK_EQ_INT(seq_tracker_lost(&t, 10), 0);
    for (uint32_t s = 100; s < 200; s++)
        CHECK_EQ_INT(seq_tracker_add(&t, s), SEQ_NEW);
    CHECK_EQ_INT(t.received, 100);
    CHECK_EQ_INT(seq_tracker_lost(&t, 199), 0);
    /* The publisher sent 5 more that never arrived: tail loss. */
    CHECK_EQ_INT(seq_tracker_lost(&t, 204), 5);
    /* A stale last_sent never makes loss negative. */
    CHECK_EQ_INT(seq_tracker_lost(&t, 150), 0);
}

static void test_gaps(void)
{
    seq_tracker t;
    seq_tracker_init(&t);
    for (uint32_t s = 0; s < 1000; s++)
        if (s % 10 != 3)
            seq_tracker_add(&t, s);
    CHECK_EQ_INT(t.received, 900);
    CHECK_EQ_INT(seq_tracker_lost(&t, 999), 100);
    CHECK_EQ_INT(t.duplicates, 0);
}

static void test_wraparound(void)
{
    seq_tracker t;
    seq_tracker_init(&t);
    uint32_t s = 0xFFFFFF00u;
    for (int i = 0; i < 512; i++, s++)
        if (i != 300)
            CHECK_EQ_INT(seq_tracker_add(&t, s), SEQ_NEW);
    /* s wrapped past zero. */
    CHECK(s == 0x100);
    CHECK_EQ_INT(t.received, 511);
    CHECK_EQ_INT(seq_tracker_lost(&t, s - 1), 1);
    CHECK_EQ_INT(seq_tracker_lost(&t, s + 9), 11);
    /* A late packet from before the wrap is reordering, not a jump. */
    seq_tracker u;
    seq_tracker_init(&u);
    seq_tracker_add(&u, 2);
    seq_tracker_add(&u, 3);
    CHECK_EQ_INT(seq_tracker_add(&u, 0xFFFFFFFFu), SEQ_REORDERED);
    CHECK_EQ_INT(seq_tracker_add(&u, 0), SEQ_REORDERED);
    CHECK_EQ_INT(seq_tracker_add(&u, 1), SEQ_REORDERED);
    CHECK_EQ_INT(u.received, 5);
    CHECK_EQ_INT(seq_tracker_lost(&u, 3), 0);
    CHECK_EQ_INT(u.reordered, 3);
}

static void test_reorder_and_duplicates(void)
{
    seq_tracker t;
    seq_tracker_init(&t);
    static const uint32_t order[] = { 10, 12, 11, 15, 13, 14, 12, 15, 10, 16 };
    int dup = 0, reo = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        enum seq_result r = seq_tracker_add(&t, order[i]);
        dup += r == SEQ_DUPLICATE;
        reo += r == SEQ_REORDERED;
    }
    CHECK_EQ_INT(t.received, 7);
    CHECK_EQ_INT(dup, 3);
    CHECK_EQ_INT(t.duplicates, 3);
    CHECK_EQ_INT(reo, 3);
    CHECK_EQ_INT(seq_tracker_lost(&t, 16), 0);
    /* The first packet seen was not the lowest: a late one extends the range. */
    CHECK_EQ_INT(seq_tracker_add(&t, 8), SEQ_REORDERED);
    CHECK_EQ_INT(seq_tracker_lost(&t, 16), 1);     /* 9 is missing */
    /* A duplicate far behind the window is counted as too old, not as new loss. */
    for (uint32_t s = 17; s < 17 + SEQ_WINDOW + 10; s++)
        seq_tracker_add(&t, s);
    CHECK_EQ_INT(seq_tracker_add(&t, 20), SEQ_TOO_OLD);
    CHECK_EQ_INT(t.too_old, 1);
    /* A jump larger than the window clears it; numbers in the gap are lost. */
    seq_tracker u;
    seq_tracker_init(&u);
    seq_tracker_add(&u, 0);
    seq_tracker_add(&u, 5 * SEQ_WINDOW);
    CHECK_EQ_INT(seq_tracker_lost(&u, 5 * SEQ_WINDOW), 5 * SEQ_WINDOW - 1);
    CHECK_EQ_INT(seq_tracker_add(&u, 5 * SEQ_WINDOW), SEQ_DUPLICATE);
    CHECK_EQ_INT(seq_tracker_add(&u, 5 * SEQ_WINDOW - 1), SEQ_REORDERED);
}

static void test_hist_buckets(void)
{
    /* Exact region, then monotone buckets whose upper bounds contain the value. */
    for (uint64_t v = 0; v < 64; v++) {
        CHECK_EQ_INT(lat_bucket(v), v);
        CHECK_EQ_INT(lat_bucket_upper(lat_bucket(v)), v);
    }
    size_t prev = 0;
    int bad = 0;
    for (uint64_t v = 1; v < 50000000; v = v + 1 + v / 7) {
        size_t b = lat_bucket(v);
        uint64_t up = lat_bucket_upper(b);
        if (b < prev || up < v || (b > 0 && lat_bucket_upper(b - 1) >= v) || (double)(up - v) > 0.035 * (double)v)
            bad++;
        prev = b;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(lat_bucket(UINT64_MAX), LAT_BUCKETS - 1);
}

static void test_quantiles(void)
{
    lat_hist h;
    lat_hist_init(&h);
    CHECK_EQ_INT(lat_hist_quantile(&h, 0.5), 0);
    for (uint64_t v = 1; v <= 100; v++)
        lat_hist_add(&h, v);
    CHECK_EQ_INT(lat_hist_quantile(&h, 0.5), 50);
    CHECK_EQ_INT(lat_hist_quantile(&h, 0.99), 99);
    CHECK_EQ_INT(lat_hist_quantile(&h, 1.0), 100);
    CHECK_EQ_INT(lat_hist_quantile(&h, 0.0), 1);
    CHECK_EQ_INT(h.max_us, 100);
    CHECK_EQ_INT(h.count, 100);

    /* Shuffled input gives the same answer; large values stay within 3.2%. */
    lat_hist a, b;
    lat_hist_init(&a);
    lat_hist_init(&b);
    uint64_t vals[1000];
    for (int i = 0; i < 1000; i++)
        vals[i] = 1000 + (uint64_t)i * 1000;          /* 1 ms .. 1 s */
    srand(7);
    for (int i = 999; i > 0; i--) {
        int j = rand() % (i + 1);
        uint64_t x = vals[i];
        vals[i] = vals[j];
        vals[j] = x;
    }
    for (int i = 0; i < 1000; i++)
        lat_hist_add(i < 500 ? &a : &b, vals[i]);
    lat_hist_merge(&a, &b);
    CHECK_EQ_INT(a.count, 1000);
    uint64_t p50 = lat_hist_quantile(&a, 0.5), p99 = lat_hist_quantile(&a, 0.99);
    CHECK(p50 >= 500000 && p50 <= 500000 * 1.032);
    CHECK(p99 >= 990000 && p99 <= 990000 * 1.032);
    CHECK_EQ_INT(lat_hist_quantile(&a, 1.0), 1000000);
    CHECK_EQ_INT(a.max_us, 1000000);
    /* A single huge value: the maximum caps the bucket bound. */
    lat_hist_add(&h, 123456789);
    CHECK_EQ_INT(lat_hist_quantile(&h, 1.0), 123456789);
}

int main(void)
{
    test_in_order();
    test_gaps();
    test_wraparound();
    test_reorder_and_duplicates();
    test_hist_buckets();
    test_quantiles();
    return check_report("load_stats");
}
