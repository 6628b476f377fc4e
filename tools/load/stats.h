/* Loss and latency accounting of stoa-load, kept apart from the network code
 * so that it can be tested alone.
 *
 * seq_tracker follows one received stream (one publisher's audio or video as
 * one subscriber sees it) by the 32-bit per-stream sequence numbers of the
 * payload stamps: it unwraps them, counts each number once (a window of the
 * latest SEQ_WINDOW numbers catches duplicates and accepts reordering), and
 * gives the loss against the publisher's own count of what it sent.
 *
 * lat_hist is a log-linear histogram of delays in microseconds: exact below
 * 64 us, then 32 buckets per power of two (relative error under 3.2%). */
#ifndef STOA_LOAD_STATS_H
#define STOA_LOAD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEQ_WINDOW 2048                  /* bits; a multiple of 64 */

typedef struct seq_tracker {
    bool started;
    int64_t lowest;                      /* unwrapped sequence numbers */
    int64_t highest;
    uint64_t received;                   /* distinct numbers */
    uint64_t duplicates;
    uint64_t reordered;                  /* arrived after a higher number */
    uint64_t too_old;                    /* older than the window: counted, not checked for duplicates */
    uint64_t window[SEQ_WINDOW / 64];    /* bit (n % SEQ_WINDOW) for n in (highest - SEQ_WINDOW, highest] */
} seq_tracker;

enum seq_result { SEQ_NEW, SEQ_REORDERED, SEQ_DUPLICATE, SEQ_TOO_OLD };

void seq_tracker_init(seq_tracker *t);
/* Records sequence number seq (32-bit, wrapping). */
enum seq_result seq_tracker_add(seq_tracker *t, uint32_t seq);
/* The unwrapped value of a 32-bit number near the tracker's highest. */
int64_t seq_tracker_unwrap(const seq_tracker *t, uint32_t seq);
/* Packets missing between the first one seen and last_sent (the
 * publisher's last sequence number; pass the tracker's own highest, truncated,
 * when unknown). 0 before anything was received. */
uint64_t seq_tracker_lost(const seq_tracker *t, uint32_t last_sent);

#define LAT_EXACT 64
#define LAT_SUB 32
#define LAT_OCTAVES 36                   /* up to 2^42 us */
#define LAT_BUCKETS (LAT_EXACT + LAT_OCTAVES * LAT_SUB)

typedef struct lat_hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t sum_us;
    uint32_t buckets[LAT_BUCKETS];
} lat_hist;

void lat_hist_init(lat_hist *h);
void lat_hist_add(lat_hist *h, uint64_t us);
void lat_hist_merge(lat_hist *into, const lat_hist *from);
/* The value at quantile q in [0, 1]: the upper bound of the bucket holding
 * the ceil(q*count)-th smallest value (at least 1), never above the maximum.
 * 0 when empty. */
uint64_t lat_hist_quantile(const lat_hist *h, double q);
/* Bucket of a value and the largest value in a bucket (exposed for tests). */
size_t lat_bucket(uint64_t us);
uint64_t lat_bucket_upper(size_t bucket);

#endif
