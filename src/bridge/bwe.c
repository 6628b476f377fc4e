/* Send-side bandwidth estimation in the manner of Google Congestion Control
 * (draft-ietf-rmcat-gcc-02) from transport-wide feedback: delay-based
 * (trendline, adaptive threshold, AIMD) and loss-based parts, probing. */
#include "bridge/bwe.h"

#include <stdlib.h>
#include <string.h>

#define HMASK (BWE_HISTORY - 1)

/* Pre-filtering (gcc-02 5.2): packets sent within a burst form a group. */
#define BURST_US 5000
/* Trendline over the smoothed accumulated delay variation. */
#define TREND_WINDOW 20
#define TREND_SMOOTHING 0.9
/* Over-use detector and adaptive threshold (gcc-02 5.4). */
#define THRESH_INIT_MS 12.5
#define THRESH_MIN_MS 6.0
#define THRESH_MAX_MS 600.0
#define K_UP 0.01
#define K_DOWN 0.00018
#define THRESH_MAX_DT_MS 100.0
#define THRESH_SKIP_MS 15.0      /* no adaptation on spikes this far above */
#define OVERUSE_TIME_MS 10.0
/* Rate controller (gcc-02 5.5). */
#define BETA 0.85
#define LN_ETA 0.0769610411361284   /* ln(1.08): at most 8 % per second */
#define MAX_INCOMING_FACTOR 1.5
#define RATE_WINDOW_US 500000       /* incoming rate measured over 0.5 s */
#define RATE_MIN_SPAN_US 100000     /* ... or what there is, once 0.1 s */
#define CONVERGENCE_SIGMAS 3.0
#define MAX_EWMA 0.95               /* average of the rates at congestion */
#define MIN_REL_SIGMA 0.07          /* floor of their deviation, relative */
#define FRAME_RATE 30.0
#define MTU_BITS (1200.0 * 8)
#define MIN_ADD_BITS 1000.0
#define RESPONSE_BASE_MS 100.0
#define DEFAULT_RTT_US 200000
/* Loss-based control (gcc-02 6). */
#define LOSS_PERIOD_US 500000
#define LOSS_MIN_PACKETS 20
#define LOSS_HIGH 0.10
#define LOSS_LOW 0.02
#define LOSS_GROWTH 1.05
/* Probing. */
#define PROBE_SLOTS 4
#define PROBE_TIMEOUT_US 1000000
#define PROBE_MIN_RECEIVED 3

enum pkt_state { PKT_FREE, PKT_SENT, PKT_LOST, PKT_ACKED };

typedef struct sent_pkt {
    int64_t send_us;
    uint32_t bytes;
    uint32_t probe_id;
    uint16_t seq;
    uint8_t state;
    bool counted;            /* in the current loss period */
} sent_pkt;

typedef struct ack {
    int64_t arrival_us;
    uint32_t bytes;
} ack;

typedef struct group {
    int64_t first_send, last_send, last_arrival;
    bool valid;
} group;

typedef struct probe_cluster {
    uint32_t id;                 /* 0: slot unused */
    bool open, done;
    int64_t end_us;
    uint32_t sent, reported, received, lost;
    uint64_t sent_bytes, recv_bytes;
    int64_t first_send, last_send;
    uint32_t last_send_bytes;
    int64_t first_arrival, last_arrival;
    uint32_t first_arrival_bytes;
} probe_cluster;

struct bwe {
    double min_bps, max_bps;
    double delay_bps, loss_bps;

    sent_pkt hist[BWE_HISTORY];

    /* reference time unwrapping */
    bool have_ref;
    uint32_t last_ref;
    int64_t ref_unwrapped;

    /* delay-based: groups, trendline, detector */
    group cur, prev;
    bool have_t0;
    int64_t t0_us;
    double acc_ms, smooth_ms;
    double tx[TREND_WINDOW], ty[TREND_WINDOW];
    size_t tn, tpos;
    double trend, prev_trend;
    double threshold;
    bool have_thresh_t;
    double thresh_t_ms;
    bool over_timer;
    double over_start_ms;
    enum bwe_usage usage;

    /* rate controller */
    enum bwe_rate_state state;
    bool have_update;
    int64_t last_update_us;
    bool avg_known;
    double avg_max_bps, var_max;

    /* incoming rate: acknowledged packets by arrival, oldest first */
    ack acks[BWE_HISTORY];
    size_t ack_head, ack_len;
    uint64_t ack_bytes;
    bool have_acks;
    int64_t first_ack_us, newest_ack_us;

    int64_t rtt_us;
    bool rtt_external, have_rtt;

    /* loss-based: only packets sent after the last decrease count, so that
     * one congestion event is not reacted to twice */
    int64_t reacted_us;
    bool period_started;
    int64_t period_start_us;
    uint32_t period_total, period_lost;   /* this period */
    uint32_t prev_total, prev_lost;       /* the one before: p is over both */
    double last_loss;

    /* probing */
    probe_cluster probes[PROBE_SLOTS];
    uint32_t next_probe_id;
    probe_cluster *open_probe;
    bool have_probe_result;
    bwe_probe_result probe_result;

    uint64_t packets_acked, packets_lost, unknown_feedback;
};

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double absd(double v)
{
    return v < 0 ? -v : v;
}

/* e^x for the small |x| (< 0.1) used here. */
static double exp_small(double x)
{
    return 1 + x * (1 + x / 2 * (1 + x / 3 * (1 + x / 4)));
}

bwe *bwe_new(uint32_t start_bps, uint32_t min_bps, uint32_t max_bps)
{
    if (min_bps == 0 || min_bps > max_bps)
        return NULL;
    bwe *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->min_bps = min_bps;
    b->max_bps = max_bps;
    b->delay_bps = clampd(start_bps, min_bps, max_bps);
    b->loss_bps = b->delay_bps;
    b->threshold = THRESH_INIT_MS;
    b->usage = BWE_NORMAL;
    b->state = BWE_INCREASE;
    b->rtt_us = DEFAULT_RTT_US;
    b->reacted_us = INT64_MIN;
    return b;
}

void bwe_free(bwe *b)
{
    free(b);
}

uint32_t bwe_estimate(const bwe *b)
{
    double e = b->delay_bps < b->loss_bps ? b->delay_bps : b->loss_bps;
    return (uint32_t)clampd(e, b->min_bps, b->max_bps);
}

void bwe_set_rtt(bwe *b, int64_t rtt_us)
{
    if (!b || rtt_us <= 0)
        return;
    b->rtt_us = rtt_us;
    b->rtt_external = true;
}

/* ---- sending and probes ------------------------------------------------------ */

static probe_cluster *cluster_of(bwe *b, uint32_t id)
{
    if (id == 0)
        return NULL;
    probe_cluster *c = &b->probes[id % PROBE_SLOTS];
    return c->id == id && !c->done ? c : NULL;
}

void bwe_on_sent(bwe *b, uint16_t tw_seq, size_t bytes, int64_t send_us, bool probe)
{
    if (!b)
        return;
    sent_pkt *s = &b->hist[tw_seq & HMASK];
    s->seq = tw_seq;
    s->send_us = send_us;
    s->bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
    s->state = PKT_SENT;
    s->counted = false;
    s->probe_id = 0;
    probe_cluster *c = b->open_probe;
    if (probe && c) {
        s->probe_id = c->id;
        if (c->sent == 0)
            c->first_send = send_us;
        c->sent++;
        c->sent_bytes += s->bytes;
        c->last_send = send_us;
        c->last_send_bytes = s->bytes;
    }
}

uint32_t bwe_probe_begin(bwe *b)
{
    if (!b || b->open_probe)
        return 0;
    if (++b->next_probe_id == 0)
        b->next_probe_id = 1;
    probe_cluster *c = &b->probes[b->next_probe_id % PROBE_SLOTS];
    memset(c, 0, sizeof *c);
    c->id = b->next_probe_id;
    c->open = true;
    b->open_probe = c;
    return c->id;
}

void bwe_probe_end(bwe *b, int64_t now_us)
{
    if (!b || !b->open_probe)
        return;
    probe_cluster *c = b->open_probe;
    c->open = false;
    c->end_us = now_us;
    if (c->sent == 0)
        c->done = true;
    b->open_probe = NULL;
}

bool bwe_probe_last(const bwe *b, bwe_probe_result *r)
{
    if (!b || !b->have_probe_result)
        return false;
    if (r)
        *r = b->probe_result;
    return true;
}

static void probe_finish(bwe *b, probe_cluster *c)
{
    c->done = true;
    if (c->received < PROBE_MIN_RECEIVED || 2 * c->received <= c->sent ||
        c->last_arrival <= c->first_arrival)
        return;
    double recv = (double)(c->recv_bytes - c->first_arrival_bytes) * 8e6 /
                  (double)(c->last_arrival - c->first_arrival);
    double send = c->last_send > c->first_send
        ? (double)(c->sent_bytes - c->last_send_bytes) * 8e6 / (double)(c->last_send - c->first_send)
        : recv;   /* sent in one go: only the arrivals tell */
    double rate = recv < send ? recv : send;
    rate = clampd(rate, 0, UINT32_MAX);
    b->probe_result = (bwe_probe_result){
        .id = c->id,
        .bps = (uint32_t)rate,
        .send_bps = (uint32_t)clampd(send, 0, UINT32_MAX),
        .recv_bps = (uint32_t)clampd(recv, 0, UINT32_MAX),
        .packets_sent = c->sent,
        .packets_received = c->received,
    };
    b->have_probe_result = true;
    if (rate > b->delay_bps)
        b->delay_bps = clampd(rate, b->min_bps, b->max_bps);
    if (10 * c->lost <= c->sent && rate > b->loss_bps)
        b->loss_bps = clampd(rate, b->min_bps, b->max_bps);
}

static void probes_check(bwe *b, int64_t now_us)
{
    for (size_t i = 0; i < PROBE_SLOTS; i++) {
        probe_cluster *c = &b->probes[i];
        if (c->id && !c->open && !c->done &&
            (c->reported >= c->sent || now_us - c->end_us >= PROBE_TIMEOUT_US))
            probe_finish(b, c);
    }
}

static void probe_on_status(bwe *b, const sent_pkt *s, bool first_report, bool received,
                            int64_t arrival_us)
{
    probe_cluster *c = cluster_of(b, s->probe_id);
    if (!c)
        return;
    if (first_report)
        c->reported++;
    if (!received) {
        c->lost++;
        return;
    }
    if (!first_report && c->lost > 0)
        c->lost--;   /* reported lost before, received after all */
    if (c->received == 0 || arrival_us < c->first_arrival) {
        c->first_arrival = arrival_us;
        c->first_arrival_bytes = s->bytes;
    }
    if (c->received == 0 || arrival_us > c->last_arrival)
        c->last_arrival = arrival_us;
    c->received++;
    c->recv_bytes += s->bytes;
}

/* ---- incoming rate -------------------------------------------------------------- */

static void acks_push(bwe *b, int64_t arrival_us, uint32_t bytes)
{
    if (!b->have_acks) {
        b->have_acks = true;
        b->first_ack_us = arrival_us;
        b->newest_ack_us = arrival_us;
    }
    if (arrival_us > b->newest_ack_us)
        b->newest_ack_us = arrival_us;
    if (b->ack_len == BWE_HISTORY) {
        b->ack_bytes -= b->acks[b->ack_head].bytes;
        b->ack_head = (b->ack_head + 1) & HMASK;
        b->ack_len--;
    }
    b->acks[(b->ack_head + b->ack_len) & HMASK] = (ack){ arrival_us, bytes };
    b->ack_len++;
    b->ack_bytes += bytes;
    while (b->ack_len > 0 && b->acks[b->ack_head].arrival_us <= b->newest_ack_us - RATE_WINDOW_US) {
        b->ack_bytes -= b->acks[b->ack_head].bytes;
        b->ack_head = (b->ack_head + 1) & HMASK;
        b->ack_len--;
    }
}

/* Bits per second received over the last RATE_WINDOW_US of arrivals; 0 while
 * less than RATE_MIN_SPAN_US of arrivals have been seen. */
static double incoming_bps(const bwe *b)
{
    if (!b->have_acks)
        return 0;
    int64_t span = b->newest_ack_us - b->first_ack_us;
    if (span < RATE_MIN_SPAN_US)
        return 0;
    if (span > RATE_WINDOW_US)
        span = RATE_WINDOW_US;
    return (double)b->ack_bytes * 8e6 / (double)span;
}

bool bwe_measured(const bwe *b)
{
    return b->have_acks && b->newest_ack_us - b->first_ack_us >= RATE_WINDOW_US;
}

/* ---- delay-based: trendline and over-use detector --------------------------- */

static void detect(bwe *b, double m, double t_ms)
{
    double dt = b->have_thresh_t ? t_ms - b->thresh_t_ms : 0;
    dt = clampd(dt, 0, THRESH_MAX_DT_MS);
    b->have_thresh_t = true;
    b->thresh_t_ms = t_ms;

    if (m > b->threshold) {
        if (!b->over_timer) {
            b->over_timer = true;
            b->over_start_ms = t_ms;
        }
        if (t_ms - b->over_start_ms >= OVERUSE_TIME_MS && m >= b->prev_trend)
            b->usage = BWE_OVERUSE;
        else if (b->usage == BWE_UNDERUSE)
            b->usage = BWE_NORMAL;
    } else if (m < -b->threshold) {
        b->over_timer = false;
        b->usage = BWE_UNDERUSE;
    } else {
        b->over_timer = false;
        b->usage = BWE_NORMAL;
    }
    b->prev_trend = m;

    double am = absd(m);
    if (am - b->threshold <= THRESH_SKIP_MS) {
        double k = am < b->threshold ? K_DOWN : K_UP;
        b->threshold = clampd(b->threshold + dt * k * (am - b->threshold), THRESH_MIN_MS, THRESH_MAX_MS);
    }
}

/* One inter-group delay variation d_ms, measured when the group ending at
 * arrival_us completed. */
static void trend_add(bwe *b, double d_ms, int64_t arrival_us)
{
    if (!b->have_t0) {
        b->have_t0 = true;
        b->t0_us = arrival_us;
    }
    double x = (double)(arrival_us - b->t0_us) / 1000.0;
    b->acc_ms += d_ms;
    b->smooth_ms = TREND_SMOOTHING * b->smooth_ms + (1 - TREND_SMOOTHING) * b->acc_ms;
    b->tx[b->tpos] = x;
    b->ty[b->tpos] = b->smooth_ms;
    b->tpos = (b->tpos + 1) % TREND_WINDOW;
    if (b->tn < TREND_WINDOW)
        b->tn++;
    if (b->tn < TREND_WINDOW)
        return;
    double mx = 0, my = 0;
    for (size_t i = 0; i < TREND_WINDOW; i++) {
        mx += b->tx[i];
        my += b->ty[i];
    }
    mx /= TREND_WINDOW;
    my /= TREND_WINDOW;
    double num = 0, den = 0;
    for (size_t i = 0; i < TREND_WINDOW; i++) {
        num += (b->tx[i] - mx) * (b->ty[i] - my);
        den += (b->tx[i] - mx) * (b->tx[i] - mx);
    }
    double slope = den > 0 ? num / den : 0;
    /* Oldest sample is at tpos now. */
    double span = x - b->tx[b->tpos];
    b->trend = slope * span;
    detect(b, b->trend, x);
}

/* A packet sent at send_us arrived at arrival_us (receiver clock, unwrapped).
 * Returns true when it completed a group and the detector then said over-use. */
static bool on_arrival(bwe *b, int64_t send_us, int64_t arrival_us)
{
    group *g = &b->cur;
    if (!g->valid) {
        *g = (group){ send_us, send_us, arrival_us, true };
        return false;
    }
    if (send_us < g->first_send)
        return false;   /* reordered behind the current group: left out */
    int64_t since_arrival = arrival_us - g->last_arrival;
    bool burst = since_arrival < BURST_US && since_arrival - (send_us - g->last_send) < 0;
    if (send_us - g->first_send <= BURST_US || burst) {
        if (send_us > g->last_send)
            g->last_send = send_us;
        if (arrival_us > g->last_arrival)
            g->last_arrival = arrival_us;
        return false;
    }
    bool over = false;
    if (b->prev.valid) {
        double d = (double)((g->last_arrival - b->prev.last_arrival) - (g->last_send - b->prev.last_send));
        trend_add(b, d / 1000.0, g->last_arrival);
        over = b->usage == BWE_OVERUSE;
    }
    b->prev = *g;
    *g = (group){ send_us, send_us, arrival_us, true };
    return over;
}

/* Starts counting losses afresh with the packets sent from now on. */
static void new_loss_period(bwe *b, int64_t now_us)
{
    b->period_started = true;
    b->period_start_us = now_us;
    b->period_total = 0;
    b->period_lost = 0;
    b->prev_total = 0;
    b->prev_lost = 0;
    b->reacted_us = now_us;
}

/* ---- rate controller -------------------------------------------------------------- */

static void congestion_rate(bwe *b, double r)
{
    if (r <= 0)
        return;
    double dev = r - b->avg_max_bps;
    if (!b->avg_known || dev * dev > CONVERGENCE_SIGMAS * CONVERGENCE_SIGMAS * b->var_max) {
        b->avg_known = true;
        b->avg_max_bps = r;
        b->var_max = 0;
    } else {
        b->avg_max_bps = MAX_EWMA * b->avg_max_bps + (1 - MAX_EWMA) * r;
        b->var_max = MAX_EWMA * b->var_max + (1 - MAX_EWMA) * dev * dev;
    }
    double floor = MIN_REL_SIGMA * b->avg_max_bps;
    if (b->var_max < floor * floor)
        b->var_max = floor * floor;
}

static void rate_update(bwe *b, enum bwe_usage signal, int64_t now_us)
{
    double dt_ms = b->have_update ? (double)(now_us - b->last_update_us) / 1000.0 : 0;
    dt_ms = clampd(dt_ms, 0, 1000);
    b->have_update = true;
    b->last_update_us = now_us;

    enum bwe_rate_state old = b->state;
    switch (signal) {
    case BWE_OVERUSE:
        b->state = BWE_DECREASE;
        break;
    case BWE_UNDERUSE:
        b->state = BWE_HOLD;
        break;
    case BWE_NORMAL:
        if (b->state == BWE_HOLD)
            b->state = BWE_INCREASE;
        else if (b->state == BWE_DECREASE)
            b->state = BWE_HOLD;
        break;
    }

    double r = incoming_bps(b);
    double a = b->delay_bps;
    if (b->state == BWE_DECREASE) {
        if (old != BWE_DECREASE) {
            congestion_rate(b, r);
            new_loss_period(b, now_us);
        }
        double target = r > 0 ? BETA * r : BETA * a;
        if (target < a)
            a = target;
    } else if (b->state == BWE_INCREASE) {
        if (b->avg_known && r > b->avg_max_bps &&
            (r - b->avg_max_bps) * (r - b->avg_max_bps) > CONVERGENCE_SIGMAS * CONVERGENCE_SIGMAS * b->var_max)
            b->avg_known = false;   /* the bottleneck moved: search again */
        double dev = r - b->avg_max_bps;
        bool near = b->avg_known &&
                    dev * dev <= CONVERGENCE_SIGMAS * CONVERGENCE_SIGMAS * b->var_max;
        double next;
        if (near) {
            double response_ms = RESPONSE_BASE_MS + (double)b->rtt_us / 1000.0;
            double alpha = 0.5 * clampd(dt_ms / response_ms, 0, 1);
            double bits_per_frame = a / FRAME_RATE;
            double packets_per_frame = (double)(int64_t)(bits_per_frame / MTU_BITS) + 1;
            double packet_bits = bits_per_frame / packets_per_frame;
            double add = alpha * packet_bits;
            next = a + (add > MIN_ADD_BITS ? add : MIN_ADD_BITS);
        } else {
            next = a * exp_small(LN_ETA * clampd(dt_ms / 1000.0, 0, 1));
        }
        /* Never increase past what the receiver shows it can take. */
        if (r > 0 && next > MAX_INCOMING_FACTOR * r)
            next = a > MAX_INCOMING_FACTOR * r ? a : MAX_INCOMING_FACTOR * r;
        a = next;
    }
    b->delay_bps = clampd(a, b->min_bps, b->max_bps);
}

/* ---- loss-based ------------------------------------------------------------------- */

static void loss_update(bwe *b, int64_t now_us)
{
    if (!b->period_started) {
        b->period_started = true;
        b->period_start_us = now_us;
        return;
    }
    uint32_t total = b->prev_total + b->period_total;
    if (now_us - b->period_start_us < LOSS_PERIOD_US || total < LOSS_MIN_PACKETS)
        return;
    double p = (double)(b->prev_lost + b->period_lost) / (double)total;
    double current = b->delay_bps < b->loss_bps ? b->delay_bps : b->loss_bps;
    b->last_loss = p;
    b->prev_total = b->period_total;
    b->prev_lost = b->period_lost;
    b->period_total = 0;
    b->period_lost = 0;
    b->period_start_us = now_us;
    if (p > LOSS_HIGH) {
        b->loss_bps = current * (1 - 0.5 * p);
        new_loss_period(b, now_us);
    } else if (p < LOSS_LOW) {
        b->loss_bps = current * LOSS_GROWTH;
    }
    b->loss_bps = clampd(b->loss_bps, b->min_bps, b->max_bps);
}

/* ---- feedback -------------------------------------------------------------------- */

void bwe_on_feedback(bwe *b, const twcc_feedback *fb, int64_t now_us)
{
    if (!b || !fb)
        return;
    /* The 24-bit reference time wraps; follow it by the shortest step. */
    if (!b->have_ref) {
        b->have_ref = true;
        b->ref_unwrapped = fb->ref_time & TWCC_REF_MASK;
    } else {
        int32_t step = (int32_t)((fb->ref_time - b->last_ref) & TWCC_REF_MASK);
        if (step >= 1 << 23)
            step -= 1 << 24;
        b->ref_unwrapped += step;
    }
    b->last_ref = fb->ref_time & TWCC_REF_MASK;
    int64_t base_us = (b->ref_unwrapped - (int64_t)(fb->ref_time & TWCC_REF_MASK)) * TWCC_REF_US;

    bool over = false, have_newest = false;
    int64_t newest_send = 0;
    for (size_t i = 0; i < fb->n && fb->entries; i++) {
        const twcc_entry *e = &fb->entries[i];
        sent_pkt *s = &b->hist[e->seq & HMASK];
        if (s->state == PKT_FREE || s->seq != e->seq) {
            b->unknown_feedback++;
            continue;
        }
        if (!e->received) {
            if (s->state == PKT_SENT) {
                s->state = PKT_LOST;
                s->counted = s->send_us >= b->reacted_us;
                b->period_total += s->counted;
                b->period_lost += s->counted;
                b->packets_lost++;
                probe_on_status(b, s, true, false, 0);
            }
            continue;
        }
        if (s->state == PKT_ACKED)
            continue;
        bool first = s->state == PKT_SENT;
        if (first) {
            s->counted = s->send_us >= b->reacted_us;
            b->period_total += s->counted;
        } else {
            if (s->counted && b->period_lost > 0)
                b->period_lost--;
            else if (s->counted && b->prev_lost > 0)
                b->prev_lost--;
            if (b->packets_lost > 0)
                b->packets_lost--;
        }
        s->state = PKT_ACKED;
        b->packets_acked++;
        int64_t arrival = base_us + e->arrival_us;
        acks_push(b, arrival, s->bytes);
        probe_on_status(b, s, first, true, arrival);
        if (!s->probe_id && on_arrival(b, s->send_us, arrival))
            over = true;
        if (!have_newest || s->send_us > newest_send) {
            have_newest = true;
            newest_send = s->send_us;
        }
    }
    if (have_newest && !b->rtt_external && now_us > newest_send) {
        int64_t sample = now_us - newest_send;
        b->rtt_us = b->have_rtt ? (7 * b->rtt_us + sample) / 8 : sample;
        b->have_rtt = true;
    }
    rate_update(b, over ? BWE_OVERUSE : b->usage, now_us);
    loss_update(b, now_us);
    probes_check(b, now_us);
}

void bwe_get_stats(const bwe *b, bwe_stats *s)
{
    if (!b || !s)
        return;
    *s = (bwe_stats){
        .estimate_bps = bwe_estimate(b),
        .delay_bps = (uint32_t)b->delay_bps,
        .loss_bps = (uint32_t)b->loss_bps,
        .incoming_bps = (uint32_t)clampd(incoming_bps(b), 0, UINT32_MAX),
        .trend_ms = b->trend,
        .threshold_ms = b->threshold,
        .loss = b->last_loss,
        .rtt_us = b->rtt_us,
        .usage = b->usage,
        .state = b->state,
        .packets_acked = b->packets_acked,
        .packets_lost = b->packets_lost,
        .unknown_feedback = b->unknown_feedback,
    };
}
