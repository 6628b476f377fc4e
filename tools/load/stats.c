/* Loss and latency accounting of stoa-load: see stats.h. */
#include "stats.h"

#include <math.h>
#include <string.h>

void seq_tracker_init(seq_tracker *t)
{
    memset(t, 0, sizeof *t);
}

int64_t seq_tracker_unwrap(const seq_tracker *t, uint32_t seq)
{
    if (!t->started)
        return seq;
    int32_t delta = (int32_t)(seq - (uint32_t)t->highest);
    return t->highest + delta;
}

static bool bit_get(const seq_tracker *t, int64_t n)
{
    uint64_t i = (uint64_t)n % SEQ_WINDOW;
    return (t->window[i / 64] >> (i % 64)) & 1;
}

static void bit_set(seq_tracker *t, int64_t n)
{
    uint64_t i = (uint64_t)n % SEQ_WINDOW;
    t->window[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(seq_tracker *t, int64_t n)
{
    uint64_t i = (uint64_t)n % SEQ_WINDOW;
    t->window[i / 64] &= ~((uint64_t)1 << (i % 64));
}

enum seq_result seq_tracker_add(seq_tracker *t, uint32_t seq)
{
    if (!t->started) {
        t->started = true;
        /* Keep unwrapped numbers positive so that % works as expected. */
        t->highest = t->lowest = (int64_t)seq + ((int64_t)1 << 32);
        memset(t->window, 0, sizeof t->window);
        bit_set(t, t->highest);
        t->received = 1;
        return SEQ_NEW;
    }
    int64_t n = seq_tracker_unwrap(t, seq);
    if (n > t->highest) {
        if (n - t->highest >= SEQ_WINDOW) {
            memset(t->window, 0, sizeof t->window);
        } else {
            for (int64_t k = t->highest + 1; k <= n; k++)
                bit_clear(t, k);
        }
        t->highest = n;
        bit_set(t, n);
        t->received++;
        return SEQ_NEW;
    }
    if (t->highest - n >= SEQ_WINDOW) {
        t->too_old++;
        t->received++;
        if (n < t->lowest)
            t->lowest = n;
        return SEQ_TOO_OLD;
    }
    if (bit_get(t, n)) {
        t->duplicates++;
        return SEQ_DUPLICATE;
    }
    bit_set(t, n);
    t->received++;
    t->reordered++;
    if (n < t->lowest)
        t->lowest = n;
    return SEQ_REORDERED;
}

uint64_t seq_tracker_lost(const seq_tracker *t, uint32_t last_sent)
{
    if (!t->started)
        return 0;
    int64_t last = seq_tracker_unwrap(t, last_sent);
    if (last < t->highest)
        last = t->highest;
    int64_t expected = last - t->lowest + 1;
    return expected > (int64_t)t->received ? (uint64_t)(expected - (int64_t)t->received) : 0;
}

void lat_hist_init(lat_hist *h)
{
    memset(h, 0, sizeof *h);
}

size_t lat_bucket(uint64_t us)
{
    if (us < LAT_EXACT)
        return (size_t)us;
    int e = 63 - __builtin_clzll(us);               /* >= 6 */
    size_t b = LAT_EXACT + (size_t)(e - 6) * LAT_SUB + ((us >> (e - 5)) & (LAT_SUB - 1));
    return b < LAT_BUCKETS ? b : LAT_BUCKETS - 1;
}

uint64_t lat_bucket_upper(size_t b)
{
    if (b < LAT_EXACT)
        return b;
    size_t k = b - LAT_EXACT;
    int e = (int)(k / LAT_SUB) + 6;
    uint64_t sub = k % LAT_SUB;
    uint64_t width = (uint64_t)1 << (e - 5);
    return ((uint64_t)1 << e) + (sub + 1) * width - 1;
}

void lat_hist_add(lat_hist *h, uint64_t us)
{
    h->count++;
    h->sum_us += us;
    if (us > h->max_us)
        h->max_us = us;
    h->buckets[lat_bucket(us)]++;
}

void lat_hist_merge(lat_hist *into, const lat_hist *from)
{
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (size_t i = 0; i < LAT_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
}

uint64_t lat_hist_quantile(const lat_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* The epsilon keeps 0.99 * 100 (99.000000000000014) at rank 99. */
    uint64_t rank = (uint64_t)ceil(q * (double)h->count - 1e-9);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < LAT_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t v = lat_bucket_upper(i);
            return v < h->max_us ? v : h->max_us;
        }
    }
    return h->max_us;
}
