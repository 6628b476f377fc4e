/* Send-side bandwidth estimation towards one receiver, in the manner of
 * Google Congestion Control (draft-ietf-rmcat-gcc-02), fed by transport-wide
 * congestion control feedback (src/webrtc/twcc.h).
 *
 * Delay-based part: packets are grouped by send time (5 ms bursts); the
 * variation of the delay between consecutive groups is accumulated,
 * smoothed, and a trendline (least-squares slope over the last 20 groups,
 * times the time they span) estimates how fast the bottleneck queue grows.
 * An over-use detector compares it with an adaptive threshold (k_u 0.01,
 * k_d 0.00018, 6..600 ms, 10 ms over-use time) and drives an AIMD rate
 * controller: multiplicative increase (8 %/s) far from convergence, additive
 * (about half a packet per response time, 100 ms + RTT) when the incoming
 * rate is within 3 standard deviations (at least 7 % each) of its average
 * at past congestion events, decrease to 0.85 x the incoming rate on over-use;
 * increases never take it above 1.5 x the incoming rate (measured over the
 * last 500 ms of arrivals), so an application-limited sender's estimate
 * does not run away.
 * Loss-based part, updated every 500 ms (and 20 reported packets) with the
 * loss fraction p over the last two such periods: p > 10 % -> x (1 - 0.5 p),
 * p < 2 % -> x 1.05, both of the current estimate; in between unchanged.
 * After any decrease (delay- or loss-based) only packets sent afterwards
 * count, so one congestion event is not reacted to twice.
 * Estimate = min of both, clamped to [min, max].
 * Probing: packets sent inside a probe cluster are timed on arrival; the
 * cluster's rate (min of its send and receive rates) lifts the estimate.
 * They are left out of the delay filter: the queue a cluster builds on
 * purpose is not congestion.
 *
 * Times are µs; the sender's clock for send and feedback times, the
 * receiver's clock (as carried in the feedback) for arrivals. Allocates once
 * in bwe_new (a fixed ring of TWCC-numbered packets in flight), never per
 * packet. Not thread-safe: one worker owns it. */
#ifndef STOA_BWE_H
#define STOA_BWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/twcc.h"

#define BWE_HISTORY 4096          /* packets remembered after sending (power of two) */

typedef struct bwe bwe;

/* Signal of the over-use detector. */
enum bwe_usage { BWE_NORMAL, BWE_OVERUSE, BWE_UNDERUSE };
/* State of the rate controller. */
enum bwe_rate_state { BWE_HOLD, BWE_INCREASE, BWE_DECREASE };

typedef struct bwe_stats {
    uint32_t estimate_bps;    /* what bwe_estimate returns */
    uint32_t delay_bps;       /* delay-based estimate */
    uint32_t loss_bps;        /* loss-based estimate */
    uint32_t incoming_bps;    /* receive rate over the last 500 ms; 0 while unknown */
    double trend_ms;          /* modified trend: queue growth over the window, ms */
    double threshold_ms;      /* adaptive threshold */
    double loss;              /* loss fraction at the last loss-based update */
    int64_t rtt_us;
    enum bwe_usage usage;
    enum bwe_rate_state state;
    uint64_t packets_acked;   /* reported received (each packet once) */
    uint64_t packets_lost;    /* reported lost and not later received */
    uint64_t unknown_feedback;/* statuses about packets not (or no longer) in the history */
} bwe_stats;

typedef struct bwe_probe_result {
    uint32_t id;              /* from bwe_probe_begin */
    uint32_t bps;             /* min(send_bps, recv_bps) */
    uint32_t send_bps;
    uint32_t recv_bps;
    uint32_t packets_sent;
    uint32_t packets_received;
} bwe_probe_result;

/* min_bps >= 1 and min_bps <= max_bps; start_bps is clamped into range.
 * Returns NULL on bad arguments or when out of memory. */
bwe *bwe_new(uint32_t start_bps, uint32_t min_bps, uint32_t max_bps);
void bwe_free(bwe *b);

/* A packet carrying transport-wide seq tw_seq left at send_us with bytes on
 * the wire (what the bottleneck carries: RTP header and payload at least).
 * probe: it belongs to the open probe cluster (ignored when none is open).
 * Sequence numbers must be given in sending order; a seq reused after
 * BWE_HISTORY others replaces the old packet. */
void bwe_on_sent(bwe *b, uint16_t tw_seq, size_t bytes, int64_t send_us, bool probe);

/* Feedback from twcc_parse, received at now_us. Statuses about packets not in
 * the history are counted and ignored, as are repeated reports of a packet
 * already reported received. Feedback should come in order; a reordered one
 * is used for losses but its arrivals may be left out of the delay filter. */
void bwe_on_feedback(bwe *b, const twcc_feedback *fb, int64_t now_us);

/* Current target send rate, bit/s, within [min, max]. */
uint32_t bwe_estimate(const bwe *b);

/* Whether feedback has reported arrivals over a full rate window (0.5 s):
 * until then the estimate is the start value or a first guess, not a
 * measurement of the path. */
bool bwe_measured(const bwe *b);

/* Round-trip time from elsewhere (RTCP SR/RR), used for the additive increase
 * step; until then the time from sending to feedback stands in for it. */
void bwe_set_rtt(bwe *b, int64_t rtt_us);

/* Opens a probe cluster: packets sent with probe = true until bwe_probe_end
 * belong to it. Returns its id (never 0), or 0 when one is already open.
 * The caller sends the cluster faster than the estimate (for example 2 to 3
 * times it in total, 5 to 20 packets in a few tens of ms, padding or RTX on
 * top of the media) and marks every packet sent meanwhile, media included:
 * the cluster's rate is what is on the wire. */
uint32_t bwe_probe_begin(bwe *b);
/* Closes the open cluster. Its result is known once feedback has reported
 * all its packets (or, checked on feedback, 1 s after this call with what
 * was reported): valid
 * with at least 3 packets received and more than half of those sent; then,
 * when above the estimate, the delay-based estimate jumps to it (and the
 * loss-based one follows when the cluster lost 10 % or less). */
void bwe_probe_end(bwe *b, int64_t now_us);
/* The latest completed cluster with a valid result; false when none yet. */
bool bwe_probe_last(const bwe *b, bwe_probe_result *r);

void bwe_get_stats(const bwe *b, bwe_stats *s);

#endif
