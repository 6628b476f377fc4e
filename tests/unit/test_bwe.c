/* Unit tests for the send-side bandwidth estimator (src/bridge/bwe.c): API
 * contracts, then synthetic traces from a small deterministic network
 * simulator: a sender pacing packets at the estimate through a bottleneck
 * (capacity, drop-tail queue, base delay, optional random loss and jitter)
 * to a receiver that records arrivals with a twcc_recorder and sends
 * transport-cc feedback every 100 ms, parsed with twcc_parse. */
#include "bridge/bwe.h"

#include <stdlib.h>

#include "check.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- API contracts ------------------------------------------------------------ */

static void fb_one(bwe *b, twcc_entry *e, size_t n, uint32_t ref, int64_t now)
{
    twcc_feedback fb = { .base_seq = e[0].seq, .status_count = (uint16_t)n, .ref_time = ref,
                         .n = n, .entries = e };
    bwe_on_feedback(b, &fb, now);
}

static void test_api(void)
{
    CHECK(bwe_new(300000, 0, 1000000) == NULL);
    CHECK(bwe_new(300000, 2000000, 1000000) == NULL);
    bwe *b = bwe_new(10, 50000, 1000000);
    CHECK(b != NULL);
    CHECK_EQ_INT(bwe_estimate(b), 50000);
    bwe_free(b);
    b = bwe_new(5000000, 50000, 1000000);
    CHECK_EQ_INT(bwe_estimate(b), 1000000);
    bwe_free(b);
    bwe_free(NULL);

    b = bwe_new(300000, 50000, 5000000);
    CHECK_EQ_INT(bwe_estimate(b), 300000);
    bwe_stats st;
    /* Statuses about packets never sent are counted and ignored. */
    twcc_entry e[8];
    for (int i = 0; i < 8; i++)
        e[i] = (twcc_entry){ .seq = (uint16_t)(100 + i), .received = true, .arrival_us = 1000 * i };
    fb_one(b, e, 8, 0, 100000);
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.unknown_feedback, 8);
    CHECK_EQ_INT(st.packets_acked, 0);

    /* Lost, then received after all: counted once, not lost any more. */
    for (int i = 0; i < 8; i++)
        bwe_on_sent(b, (uint16_t)(100 + i), 1000, 200000 + 1000 * i, false);
    e[3].received = false;
    fb_one(b, e, 8, 0, 300000);
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.packets_acked, 7);
    CHECK_EQ_INT(st.packets_lost, 1);
    e[3].received = true;
    fb_one(b, e, 8, 0, 310000);   /* repeated report: the 7 others are not counted again */
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.packets_acked, 8);
    CHECK_EQ_INT(st.packets_lost, 0);
    CHECK_EQ_INT(st.unknown_feedback, 8);
    /* A seq reused BWE_HISTORY packets later replaces the old packet. */
    bwe_on_sent(b, (uint16_t)(100 + BWE_HISTORY), 1000, 400000, false);
    e[0].seq = (uint16_t)(100 + BWE_HISTORY);
    e[1].seq = 101;   /* already acknowledged */
    fb_one(b, e, 2, 0, 500000);
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.packets_acked, 9);
    bwe_on_feedback(b, NULL, 0);
    bwe_on_sent(NULL, 1, 1, 1, false);

    /* Probe clusters: one open at a time; an empty one gives no result. */
    CHECK(!bwe_probe_last(b, NULL));
    uint32_t id = bwe_probe_begin(b);
    CHECK(id != 0);
    CHECK_EQ_INT(bwe_probe_begin(b), 0);
    bwe_probe_end(b, 600000);
    CHECK(!bwe_probe_last(b, NULL));
    CHECK(bwe_probe_begin(b) != id);
    bwe_probe_end(b, 600000);
    bwe_set_rtt(b, 80000);
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.rtt_us, 80000);
    CHECK(bwe_estimate(b) >= 50000 && bwe_estimate(b) <= 5000000);
    bwe_free(b);
}

/* A probe measured from arrivals: 10 packets of 1000 bytes sent 1 ms apart
 * (8 Mbit/s) arrive 4 ms apart (2 Mbit/s): the result is 2 Mbit/s and the
 * estimate jumps to it. The reference time wraps between the feedbacks. */
/* The estimate counts as measured once arrivals over half a second were
 * reported, not at the first feedback. */
static void test_measured(void)
{
    bwe *b = bwe_new(1000000, 50000, 5000000);
    CHECK(!bwe_measured(b));
    twcc_entry e[8];
    for (int i = 0; i < 8; i++) {
        bwe_on_sent(b, (uint16_t)i, 1000, 1000 * i, false);
        e[i] = (twcc_entry){ .seq = (uint16_t)i, .received = true, .arrival_us = 1000 * i };
    }
    fb_one(b, e, 8, 0, 50000);
    CHECK(!bwe_measured(b));
    /* Packets lost are no arrivals. */
    for (int i = 0; i < 8; i++) {
        bwe_on_sent(b, (uint16_t)(8 + i), 1000, 600000 + 1000 * i, false);
        e[i] = (twcc_entry){ .seq = (uint16_t)(8 + i), .received = false };
    }
    fb_one(b, e, 8, 0, 700000);
    CHECK(!bwe_measured(b));
    for (int i = 0; i < 8; i++) {
        bwe_on_sent(b, (uint16_t)(16 + i), 1000, 700000 + 1000 * i, false);
        e[i] = (twcc_entry){ .seq = (uint16_t)(16 + i), .received = true, .arrival_us = 700000 + 1000 * i };
    }
    fb_one(b, e, 8, 0, 800000);
    CHECK(bwe_measured(b));
    bwe_free(b);
}

static void test_probe_unit(void)
{
    bwe *b = bwe_new(300000, 50000, 10000000);
    twcc_entry e[10];
    for (int i = 0; i < 10; i++)
        bwe_on_sent(b, (uint16_t)(65530 + i), 1000, 1000000 + 40000 * i, false);
    for (int i = 0; i < 10; i++)
        e[i] = (twcc_entry){ .seq = (uint16_t)(65530 + i), .received = true,
                             .arrival_us = (int64_t)0xFFFFFF * 64000 + 40000 * i };
    fb_one(b, e, 10, 0xFFFFFF, 1500000);
    uint32_t before = bwe_estimate(b);

    uint32_t id = bwe_probe_begin(b);
    for (int i = 0; i < 10; i++)
        bwe_on_sent(b, (uint16_t)(4 + i), 1000, 1400000 + 1000 * i, true);
    bwe_on_sent(b, 14, 1000, 1500000, false);   /* after the cluster */
    bwe_probe_end(b, 1410000);
    /* Arrivals 64 ms after the wrap: reference time 1. */
    for (int i = 0; i < 10; i++)
        e[i] = (twcc_entry){ .seq = (uint16_t)(4 + i), .received = true,
                             .arrival_us = 64000 + 400000 + 4000 * i };
    fb_one(b, e, 5, 1, 1600000);
    CHECK(!bwe_probe_last(b, NULL));   /* half the cluster reported */
    fb_one(b, e + 5, 5, 1, 1700000);
    bwe_probe_result pr;
    CHECK(bwe_probe_last(b, &pr));
    CHECK_EQ_INT(pr.id, id);
    CHECK_EQ_INT(pr.packets_sent, 10);
    CHECK_EQ_INT(pr.packets_received, 10);
    CHECK_EQ_INT(pr.send_bps, 8000000);
    CHECK_EQ_INT(pr.recv_bps, 2000000);
    CHECK_EQ_INT(pr.bps, 2000000);
    CHECK(before < 1000000);
    CHECK_EQ_INT(bwe_estimate(b), 2000000);
    bwe_stats st;
    bwe_get_stats(b, &st);
    CHECK_EQ_INT(st.unknown_feedback, 0);
    /* A feedback whose reference time is one step back (it starts with a
     * late packet) is placed just before, not 12 days ahead. */
    uint32_t incoming = st.incoming_bps;
    e[0] = (twcc_entry){ .seq = 14, .received = true, .arrival_us = 64000 + 400000 + 40000 + 1000 };
    fb_one(b, e, 1, 0, 1800000);
    bwe_get_stats(b, &st);
    CHECK(incoming > 200000);
    CHECK(st.incoming_bps >= incoming);
    bwe_free(b);

    /* Too many losses: no result, no jump. */
    b = bwe_new(300000, 50000, 10000000);
    bwe_probe_begin(b);
    for (int i = 0; i < 10; i++)
        bwe_on_sent(b, (uint16_t)i, 1000, 1000 * i, true);
    bwe_probe_end(b, 10000);
    for (int i = 0; i < 10; i++)
        e[i] = (twcc_entry){ .seq = (uint16_t)i, .received = i < 5, .arrival_us = 50000 + 1000 * i };
    fb_one(b, e, 10, 0, 100000);
    CHECK(!bwe_probe_last(b, NULL));
    CHECK(bwe_estimate(b) < 400000);
    bwe_free(b);
}

/* Loss-based part on a hand-made trace: 100 packets/s of which every 5th of
 * seqs 0..69 is lost; feedback at 150 ms, 250 ms... reporting what was sent
 * 50 ms before or earlier. The first update (>= 500 ms and 20 packets since
 * 150 ms) sees 12 of 60 lost and cuts the estimate to x 0.9; the next only
 * counts packets sent after that cut (65..109: 1 lost of 45, in the 2..10 %
 * band: hold); the third sees that period and a clean one (1 of 95 < 2 %)
 * and adds 5 %. */
static void test_loss_unit(void)
{
    bwe *b = bwe_new(1000000, 50000, 10000000);
    twcc_entry e[16];
    bwe_stats st, prev;
    uint16_t next_report = 0;
    int updates = 0;
    double seen[3] = { -1, -1, -1 };
    uint32_t est_before[3] = { 0 }, loss_before[3] = { 0 }, loss_after[3] = { 0 };
    for (int64_t now = 0; now <= 2000000; now += 10000) {
        bwe_on_sent(b, (uint16_t)(now / 10000), 1000, now, false);
        if (now % 100000 != 50000 || now < 150000)
            continue;
        size_t n = 0;
        for (; (int64_t)next_report * 10000 < now - 50000; next_report++, n++) {
            bool lost = next_report < 70 && next_report % 5 == 0;
            e[n] = (twcc_entry){ .seq = next_report, .received = !lost,
                                 .arrival_us = lost ? 0 : 50000 + 10000 * (int64_t)next_report };
        }
        bwe_get_stats(b, &prev);
        fb_one(b, e, n, 0, now);
        bwe_get_stats(b, &st);
        if (st.loss != prev.loss && updates < 3) {
            seen[updates] = st.loss;
            est_before[updates] = prev.estimate_bps;
            loss_before[updates] = prev.loss_bps;
            loss_after[updates] = st.loss_bps;
            updates++;
        }
    }
    printf("loss-based on a hand-made trace: loss %.3f: %u -> %u kbit/s; %.3f: %u -> %u; %.3f: %u -> %u\n",
           seen[0], est_before[0] / 1000, loss_after[0] / 1000, seen[1], loss_before[1] / 1000,
           loss_after[1] / 1000, seen[2], est_before[2] / 1000, loss_after[2] / 1000);
    CHECK_EQ_INT(updates, 3);
    CHECK(seen[0] > 0.2 - 1e-9 && seen[0] < 0.2 + 1e-9);
    /* current = min(delay, loss), which may have grown 1 % in the same call */
    CHECK(loss_after[0] >= 0.9 * est_before[0] && loss_after[0] <= 0.9 * 1.01 * est_before[0]);
    /* counting the packets sent before the cut too would give 2 of 50 */
    CHECK(seen[1] > 1.0 / 45 - 1e-9 && seen[1] < 1.0 / 45 + 1e-9);
    CHECK_EQ_INT(loss_after[1], loss_before[1]);
    CHECK(seen[2] > 1.0 / 95 - 1e-9 && seen[2] < 1.0 / 95 + 1e-9);
    CHECK(loss_after[2] >= 1.05 * est_before[2] && loss_after[2] <= 1.05 * 1.01 * est_before[2]);
    bwe_free(b);
}

/* Delay-based part on a hand-made trace: 1000-byte packets sent every 10 ms
 * (800 kbit/s) arrive every 12 ms (a 667 kbit/s bottleneck whose queue grows
 * 2 ms a packet). The detector must say over-use and the estimate go to
 * 0.85 x the incoming rate; then, with arrivals back to every 10 ms (queue
 * steady), it must increase again. */
static void test_delay_unit(void)
{
    bwe *b = bwe_new(800000, 50000, 10000000);
    twcc_entry e[16];
    bwe_stats st;
    uint16_t next_report = 0;
    bool overuse = false;
    uint32_t at_decrease = 0, incoming = 0;
    int64_t arrival = 30000, detected_us = -1;
    for (int64_t now = 0; now <= 4000000; now += 10000) {
        bwe_on_sent(b, (uint16_t)(now / 10000), 1000, now, false);
        if (now % 100000 != 50000 || now < 150000)
            continue;
        size_t n = 0;
        for (; (int64_t)next_report * 10000 < now - 50000; next_report++, n++) {
            arrival += next_report < 200 ? 12000 : 10000;
            e[n] = (twcc_entry){ .seq = next_report, .received = true, .arrival_us = arrival };
        }
        fb_one(b, e, n, 0, now);
        bwe_get_stats(b, &st);
        if (st.usage == BWE_OVERUSE && !overuse) {
            overuse = true;
            detected_us = now;
            at_decrease = st.delay_bps;
            incoming = st.incoming_bps;
        }
    }
    bwe_get_stats(b, &st);
    printf("delay-based on a hand-made trace: over-use seen %.1f s after the queue began to grow, "
           "estimate %u kbit/s = %.3f x incoming %u kbit/s; %u kbit/s at 4 s\n",
           detected_us / 1e6, at_decrease / 1000, (double)at_decrease / incoming, incoming / 1000,
           st.delay_bps / 1000);
    CHECK(overuse);
    CHECK(detected_us > 0 && detected_us <= 1000000);
    CHECK(incoming > 640000 && incoming < 700000);
    CHECK(at_decrease > 0.84 * incoming && at_decrease < 0.86 * incoming);
    CHECK(st.usage != BWE_OVERUSE);
    CHECK(st.delay_bps > at_decrease);
    bwe_free(b);
}

/* ---- network simulator -------------------------------------------------------- */

#define MAX_FLIGHT 4096
#define MAX_FB 64
#define FB_INTERVAL_US 100000
#define STEP_US 1000

typedef struct flight {
    int64_t arrival_us;
    uint16_t seq;
} flight;

typedef struct fb_msg {
    int64_t deliver_us;
    size_t len;
    uint8_t bytes[1200];
} fb_msg;

typedef struct sim {
    bwe *b;
    twcc_recorder rec;
    uint64_t rng;
    int64_t now;
    /* link */
    double capacity_bps;
    int64_t base_delay_us;
    int64_t fb_delay_us;
    int64_t queue_limit_us;
    int64_t jitter_us;
    double loss;
    int64_t link_free_us;
    int64_t rx_clock_offset_us;
    /* sender */
    double media_cap_bps;    /* the media there is to send; 0: as much as the estimate */
    uint16_t seq;
    int64_t next_send_us;
    int probe_left;
    int64_t probe_interval_us, next_probe_us;
    uint64_t sent_bytes, dropped_queue, dropped_random, sent_packets;
    /* in flight */
    flight fl[MAX_FLIGHT];
    size_t nfl;
    fb_msg fb[MAX_FB];
    size_t nfb;
    int64_t next_fb_us;
    uint64_t fb_packets;
} sim;

static double sim_rand(sim *s)
{
    s->rng = s->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(s->rng >> 11) / 9007199254740992.0;
}

static sim *sim_new(uint32_t start_bps, double capacity_bps, uint64_t seed)
{
    sim *s = calloc(1, sizeof *s);
    s->b = bwe_new(start_bps, 50000, 20000000);
    twcc_recorder_init(&s->rec);
    s->rng = seed;
    s->capacity_bps = capacity_bps;
    s->base_delay_us = 40000;
    s->fb_delay_us = 40000;
    s->queue_limit_us = 500000;
    s->jitter_us = 1000;
    /* The receiver's clock crosses the 24-bit reference time wrap at 20 s. */
    s->rx_clock_offset_us = TWCC_REF_WRAP_US - 20000000 + 12345;
    s->seq = 65000;
    s->next_fb_us = FB_INTERVAL_US;
    return s;
}

static void sim_free(sim *s)
{
    bwe_free(s->b);
    free(s);
}

static void send_packet(sim *s, int64_t t, size_t bytes, bool probe)
{
    uint16_t seq = s->seq++;
    bwe_on_sent(s->b, seq, bytes, t, probe);
    s->sent_bytes += bytes;
    s->sent_packets++;
    if (s->loss > 0 && sim_rand(s) < s->loss) {
        s->dropped_random++;
        return;
    }
    int64_t start = s->link_free_us > t ? s->link_free_us : t;
    if (start - t > s->queue_limit_us) {
        s->dropped_queue++;
        return;
    }
    int64_t finish = start + (int64_t)((double)bytes * 8e6 / s->capacity_bps);
    s->link_free_us = finish;
    int64_t arrival = finish + s->base_delay_us + (int64_t)(sim_rand(s) * (double)s->jitter_us);
    if (s->nfl < MAX_FLIGHT)
        s->fl[s->nfl++] = (flight){ arrival, seq };
}

/* Sends a probe cluster from now: n padding packets of 1200 bytes at
 * padding_bps on top of the media, which is part of the cluster meanwhile
 * (the cluster's rate is the total a sender puts on the wire). */
static void sim_probe(sim *s, double padding_bps, int n)
{
    bwe_probe_begin(s->b);
    s->probe_left = n;
    s->probe_interval_us = (int64_t)(1200 * 8e6 / padding_bps);
    s->next_probe_us = s->now;
}

static void sim_step(sim *s)
{
    s->now += STEP_US;
    int64_t now = s->now;
    /* Media, paced at the estimate, 500..1200 bytes a packet. */
    while (s->next_send_us <= now) {
        size_t bytes = 500 + (size_t)(sim_rand(s) * 700);
        send_packet(s, s->next_send_us, bytes, s->probe_left > 0);
        double rate = bwe_estimate(s->b);
        if (s->media_cap_bps > 0 && s->media_cap_bps < rate)
            rate = s->media_cap_bps;
        s->next_send_us += (int64_t)((double)bytes * 8e6 / rate);
    }
    while (s->probe_left > 0 && s->next_probe_us <= now) {
        send_packet(s, s->next_probe_us, 1200, true);
        s->next_probe_us += s->probe_interval_us;
        if (--s->probe_left == 0)
            bwe_probe_end(s->b, now);
    }
    /* Arrivals at the receiver. */
    for (size_t i = 0; i < s->nfl;) {
        if (s->fl[i].arrival_us <= now) {
            twcc_recorder_on_packet(&s->rec, s->fl[i].seq, s->fl[i].arrival_us + s->rx_clock_offset_us);
            s->fl[i] = s->fl[--s->nfl];
        } else {
            i++;
        }
    }
    /* Feedback every 100 ms. */
    if (now >= s->next_fb_us) {
        s->next_fb_us += FB_INTERVAL_US;
        while (twcc_recorder_pending(&s->rec) && s->nfb < MAX_FB) {
            fb_msg *m = &s->fb[s->nfb];
            m->len = twcc_recorder_build(&s->rec, 1, 2, m->bytes, sizeof m->bytes);
            if (m->len == 0)
                break;
            m->deliver_us = now + s->fb_delay_us;
            s->nfb++;
            s->fb_packets++;
        }
    }
    /* Feedback at the sender, in order. */
    size_t done = 0;
    while (done < s->nfb && s->fb[done].deliver_us <= now) {
        static twcc_entry e[65536];
        twcc_feedback fb;
        rtcp_iter it;
        rtcp_packet p;
        rtcp_iter_init(&it, s->fb[done].bytes, s->fb[done].len);
        if (rtcp_next(&it, &p) == 1 && twcc_parse(&p, &fb, e, N(e)) == 0) {
            bwe_on_feedback(s->b, &fb, now);
        } else {
            check_failed++;
            fprintf(stderr, "simulator: unparsable feedback\n");
        }
        done++;
    }
    if (done) {
        memmove(s->fb, s->fb + done, (s->nfb - done) * sizeof s->fb[0]);
        s->nfb -= done;
    }
}

/* Runs until t_us; records the estimate every 100 ms into trace from index. */
#define TRACE_MAX 2000
static uint32_t trace[TRACE_MAX];

static void sim_run(sim *s, int64_t until_us)
{
    while (s->now < until_us) {
        sim_step(s);
        if (s->now % 100000 == 0 && s->now / 100000 < TRACE_MAX)
            trace[s->now / 100000] = bwe_estimate(s->b);
    }
}

/* Trace index of a time in seconds. */
static size_t ti(double t_s)
{
    return (size_t)(t_s * 10 + 0.5);
}

static double trace_mean(double from_s, double to_s)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = ti(from_s); i <= ti(to_s); i++, n++)
        sum += trace[i];
    return n ? sum / (double)n : 0;
}

static uint32_t trace_min(double from_s, double to_s)
{
    uint32_t m = UINT32_MAX;
    for (size_t i = ti(from_s); i <= ti(to_s); i++)
        if (trace[i] < m)
            m = trace[i];
    return m;
}

static uint32_t trace_max(double from_s, double to_s)
{
    uint32_t m = 0;
    for (size_t i = ti(from_s); i <= ti(to_s); i++)
        if (trace[i] > m)
            m = trace[i];
    return m;
}

/* First time in [from, to] the estimate is at least lo; -1 when never. */
static double first_at_least(double from_s, double to_s, double lo)
{
    for (size_t i = ti(from_s); i <= ti(to_s); i++)
        if (trace[i] >= lo)
            return (double)i / 10;
    return -1;
}

static double first_below(double from_s, double to_s, double hi)
{
    for (size_t i = ti(from_s); i <= ti(to_s); i++)
        if (trace[i] < hi)
            return (double)i / 10;
    return -1;
}

/* Start of the last stretch in [from, to] during which the estimate stays in [lo, hi]. */
static double settled_since(double from_s, double to_s, double lo, double hi)
{
    size_t start = ti(from_s);
    for (size_t i = ti(from_s); i <= ti(to_s); i++)
        if (trace[i] < lo || trace[i] > hi)
            start = i + 1;
    return start > ti(to_s) ? -1 : (double)start / 10;
}

static void print_trace(const char *name, double from_s, double to_s, double step_s)
{
    if (!getenv("BWE_TRACE"))
        return;
    printf("  %s:", name);
    for (double t = from_s; t <= to_s + 1e-9; t += step_s)
        printf(" %.0f", trace[ti(t)] / 1000.0);
    printf(" (kbit/s every %.1f s)\n", step_s);
}

/* ---- scenarios ---------------------------------------------------------------- */

/* 1 Mbit/s bottleneck, 300 kbit/s start, no probing: delay-based AIMD alone. */
static void test_converge(void)
{
    sim *s = sim_new(300000, 1000000, 1);
    sim_run(s, 60000000);
    print_trace("converge", 0, 60, 1);
    double reach = first_at_least(0, 60, 800000);
    double settled = settled_since(0, 60, 800000, 1100000);
    double ratio = trace_mean(20, 60) / 1000000;
    uint32_t lo = trace_min(20, 60), hi = trace_max(20, 60);
    bwe_stats st;
    bwe_get_stats(s->b, &st);
    printf("converge 300k -> 1M, no probe: 80%% reached at %.1f s, within 80..110%% from %.1f s; "
           "20-60 s: mean %.1f%%, min %.1f%%, max %.1f%%; queue drops %llu of %llu; threshold %.1f ms\n",
           reach, settled, ratio * 100, lo / 1e4, hi / 1e4,
           (unsigned long long)s->dropped_queue, (unsigned long long)s->sent_packets, st.threshold_ms);
    /* multiplicative increase: at most 8 % per second (gcc-02 5.5) */
    double growth = (double)trace[ti(8)] / trace[ti(3)];
    printf("  multiplicative increase: x%.3f from 3 to 8 s (8 %%/s would be x1.469)\n", growth);
    CHECK(trace[ti(8)] > 1.07 * 1.07 * 1.07 * 1.07 * 1.07 * trace[ti(3)]);
    CHECK(trace[ti(8)] <= 1.08 * 1.08 * 1.08 * 1.08 * 1.08 * trace[ti(3)]);
    CHECK(reach >= 0 && reach <= 15);
    CHECK(ratio >= 0.8 && ratio <= 1.0);
    CHECK(lo >= 700000);
    CHECK(hi <= 1100000);
    sim_free(s);
}

/* The same with the start-up probes a sender is expected to send: clusters
 * of about 3 and then 6 times the start rate in total. */
static void test_converge_probe(void)
{
    sim *s = sim_new(300000, 1000000, 2);
    sim_run(s, 200000);
    sim_probe(s, 600000, 10);
    sim_run(s, 800000);
    sim_probe(s, 1500000, 15);
    sim_run(s, 30000000);
    print_trace("converge with probes", 0, 30, 0.5);
    double reach = first_at_least(0, 30, 800000);
    double settled = settled_since(0, 30, 800000, 1100000);
    double ratio = trace_mean(10, 30) / 1000000;
    bwe_probe_result pr = { 0 };
    CHECK(bwe_probe_last(s->b, &pr));
    printf("converge 300k -> 1M, start-up probes: 80%% reached at %.1f s, within 80..110%% from %.1f s; "
           "10-30 s mean %.1f%%; last probe %u kbit/s (sent %u, received %u kbit/s)\n",
           reach, settled, ratio * 100, pr.bps / 1000, pr.send_bps / 1000, pr.recv_bps / 1000);
    CHECK(reach >= 0 && reach <= 3);
    CHECK(settled >= 0 && settled <= 10);
    CHECK(ratio >= 0.8 && ratio <= 1.0);
    CHECK(pr.bps >= 850000 && pr.bps <= 1150000);
    sim_free(s);
}

/* 2 Mbit/s, dropping to 500 kbit/s at 30 s, back to 2 Mbit/s at 45 s. */
static void test_capacity_drop(void)
{
    sim *s = sim_new(1000000, 2000000, 3);
    sim_run(s, 30000000);
    double before = trace_mean(20, 30);
    s->capacity_bps = 500000;
    sim_run(s, 45000000);
    double react = first_below(30, 45, 600000);
    uint32_t lo = trace_min(30, 45);
    double low_mean = trace_mean(35, 45);
    s->capacity_bps = 2000000;
    sim_run(s, 90000000);
    print_trace("capacity drop", 0, 90, 1);
    double back = first_at_least(45, 90, 1600000);
    printf("capacity 2M -> 500k at 30 s -> 2M at 45 s: before %.0f kbit/s; below 600k after %.1f s; "
           "min %u kbit/s, 35-45 s mean %.0f kbit/s; back at 80%% of 2M after %.1f s; 80-90 s mean %.0f kbit/s\n",
           before / 1000, react < 0 ? -1 : react - 30, lo / 1000, low_mean / 1000,
           back < 0 ? -1 : back - 45, trace_mean(80, 90) / 1000);
    CHECK(before >= 1600000 && before <= 2000000);
    CHECK(react >= 30 && react <= 32);
    CHECK(lo >= 250000);
    CHECK(low_mean >= 350000 && low_mean <= 550000);
    CHECK(back >= 0 && back - 45 <= 30);
    sim_free(s);
}

/* The same drop with a sender that probes every 2 s with padding at the
 * estimate (clusters of twice the estimate in total). */
static void test_capacity_drop_probing(void)
{
    sim *s = sim_new(1000000, 2000000, 3);
    int64_t phase_end[] = { 30000000, 45000000, 90000000 };
    double capacity[] = { 2000000, 500000, 2000000 };
    for (size_t p = 0; p < N(phase_end); p++) {
        s->capacity_bps = capacity[p];
        while (s->now < phase_end[p]) {
            if (s->now % 2000000 == 0 && s->probe_left == 0)
                sim_probe(s, bwe_estimate(s->b), 10);
            sim_run(s, s->now + STEP_US);
        }
    }
    print_trace("capacity drop, periodic probes", 0, 90, 1);
    double before = trace_mean(20, 30);
    double react = first_below(30, 45, 600000);
    uint32_t lo = trace_min(30, 45);
    double back = first_at_least(45, 90, 1600000);
    double after = trace_mean(60, 90);
    printf("same with a probe every 2 s: before %.0f kbit/s; below 600k after %.1f s; min %u kbit/s; "
           "back at 80%% after %.1f s; 60-90 s mean %.0f kbit/s\n",
           before / 1000, react < 0 ? -1 : react - 30, lo / 1000, back < 0 ? -1 : back - 45, after / 1000);
    CHECK(before >= 1600000 && before <= 2000000);
    CHECK(react >= 30 && react <= 32);
    CHECK(lo >= 250000);
    CHECK(back >= 0 && back - 45 <= 8);
    CHECK(after >= 1600000 && after <= 2000000);
    sim_free(s);
}

/* Random loss on a 1 Mbit/s link, from 25 s on. */
static void test_random_loss(double loss, bool expect_drop)
{
    sim *s = sim_new(300000, 1000000, 4);
    sim_run(s, 25000000);
    double before = trace_mean(15, 25);
    s->loss = loss;
    sim_run(s, 55000000);
    print_trace(expect_drop ? "20% loss" : "5% loss", 0, 55, 1);
    double after = trace_mean(45, 55);
    uint32_t lo = trace_min(25, 55);
    bwe_stats st;
    bwe_get_stats(s->b, &st);
    printf("random loss %.0f%% from 25 s: estimate 15-25 s %.0f kbit/s, 45-55 s mean %.0f kbit/s (%.0f%%), "
           "min %u kbit/s; loss at the last loss-based update %.1f%%\n",
           loss * 100, before / 1000, after / 1000, after / before * 100, lo / 1000, st.loss * 100);
    if (expect_drop) {
        CHECK(after <= 0.5 * before);
    } else {
        CHECK(lo >= 0.7 * before);
        CHECK(after >= 0.8 * before);
    }
    sim_free(s);
}

/* A sender with only 200 kbit/s of media on a 5 Mbit/s link: the estimate
 * must not run away from what the receiver has shown it can take. */
static void test_app_limited(void)
{
    sim *s = sim_new(300000, 5000000, 6);
    s->media_cap_bps = 200000;
    sim_run(s, 30000000);
    uint32_t hi = trace_max(0, 30);
    printf("application-limited at 200 kbit/s on 5 Mbit/s: estimate at most %u kbit/s, %u at 30 s\n",
           hi / 1000, trace[ti(30)] / 1000);
    CHECK(hi <= 1.5 * 200000 * 1.1);
    CHECK(trace[ti(30)] >= 250000);
    sim_free(s);
}

/* A probe far above the capacity measures the capacity, not its own rate. */
static void test_probe_over_capacity(void)
{
    sim *s = sim_new(300000, 1000000, 5);
    sim_run(s, 2000000);
    sim_probe(s, 4000000, 20);
    sim_run(s, 3000000);
    bwe_probe_result pr = { 0 };
    CHECK(bwe_probe_last(s->b, &pr));
    printf("probe at 4 Mbit/s over a 1 Mbit/s link: result %u kbit/s (sent %u, received %u kbit/s), "
           "estimate %u kbit/s\n", pr.bps / 1000, pr.send_bps / 1000, pr.recv_bps / 1000,
           bwe_estimate(s->b) / 1000);
    CHECK(pr.bps >= 850000 && pr.bps <= 1150000);
    CHECK(pr.send_bps >= 3500000);
    CHECK(bwe_estimate(s->b) <= 1150000);
    sim_free(s);
}

int main(void)
{
    test_api();
    test_measured();
    test_probe_unit();
    test_loss_unit();
    test_delay_unit();
    test_converge();
    test_converge_probe();
    test_capacity_drop();
    test_capacity_drop_probing();
    test_random_loss(0.05, false);
    test_random_loss(0.20, true);
    test_app_limited();
    test_probe_over_capacity();
    return check_report("bwe");
}
