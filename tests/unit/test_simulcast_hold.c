/* simulcast_allocate's waits before a switch up: one sender with three
 * layers (150, 330 and 1200 kbit/s), one receiver whose bandwidth estimate
 * the test sets (a bwe with min = max). Time is simulated in 100 ms steps:
 * each layer's rate meter is fed what its bitrate brings in 100 ms, the
 * allocation runs every 200 ms as the worker's tick does, and a pending
 * switch completes at once, as if the sender's key frame had arrived. No
 * worker: the sender's layers are marked as just asked for a key frame, so
 * the allocation's requests stay pending instead of being sent. */
#include "bridge/simulcast.h"

#include <stdint.h>
#include <stdlib.h>

#include "bridge/bwe.h"
#include "bridge/conference.h"
#include "bridge/stream_rewrite.h"
#include "check.h"
#include "webrtc/rtp.h"

#define GROUP_SSRC 0x100u
static const uint32_t layer_ssrc[3] = { 0x11, 0x12, 0x13 };
static const uint32_t layer_bps[3] = { 150000, 330000, 1200000 };
static const uint16_t layer_h[3] = { 135, 270, 540 };

typedef struct world {
    conference *conf;
    endpoint *s, *r;
    int64_t now;
    uint16_t seq[3];
    uint32_t ts;
    int64_t keyframe_delay_ms;     /* how long a pending switch waits for its key frame */
    uint32_t pending_ssrc;
    int64_t pending_since;
} world;

static void set_estimate(world *w, uint32_t bps)
{
    bwe_free(w->r->bwe);
    w->r->bwe = bwe_new(bps, bps, bps);
}

static void setup(world *w, uint32_t estimate)
{
    memset(w, 0, sizeof *w);
    w->now = 1000000;
    w->conf = conference_new("c", NULL);
    w->s = endpoint_new("sender");
    w->r = endpoint_new("receiver");
    if (!w->conf || !w->s || !w->r)
        abort();
    w->s->serial = 1;
    w->r->serial = 2;
    for (endpoint *ep = w->s; ep; ep = ep == w->s ? w->r : NULL) {
        ep->state = ENDPOINT_CONNECTED;
        ep->conf = w->conf;
    }
    w->conf->endpoints = w->s;
    w->s->next = w->r;
    source *g = &w->s->sources[0];
    g->ssrc = GROUP_SSRC;
    g->video = g->bound = true;
    g->group = -1;
    g->n_layers = 3;
    for (int k = 0; k < 3; k++) {
        source *l = &w->s->sources[1 + k];
        g->layers[k] = (int8_t)(1 + k);
        l->ssrc = layer_ssrc[k];
        l->video = l->bound = true;
        l->group = 0;
        l->layer = (int8_t)k;
        l->height = layer_h[k];
        l->width = (uint16_t)(layer_h[k] * 16 / 9);
        l->last_keyframe_request_ms = INT64_MAX / 2;
    }
    w->s->n_sources = 4;
    set_estimate(w, estimate);
}

static void teardown(world *w)
{
    endpoint_free(w->s);
    endpoint_free(w->r);
    conference_free(w->conf);
}

/* A VP8 key frame start of layer k (RFC 7741 descriptor with a PictureID). */
static size_t keyframe(world *w, int k, uint8_t *buf)
{
    static const uint8_t vp8[] = { 0x90, 0x80, 0x80, 0x01, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01 };
    uint16_t seq = w->seq[k]++;
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(w->ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(layer_ssrc[k] >> (24 - 8 * i));
    }
    memcpy(buf + 12, vp8, sizeof vp8);
    return 12 + sizeof vp8;
}

/* The layer the receiver is sent now (0-2), -1 for none. */
static int layer(world *w)
{
    out_stream *os = simulcast_stream(w->r, GROUP_SSRC);
    source *cur = os ? simulcast_current_layer(w->s, os) : NULL;
    return cur ? cur->layer : -1;
}

/* Runs ms of simulated time; returns when the layer first changed, as ms
 * from the start (-1 if it did not). */
static int64_t run(world *w, int64_t ms)
{
    int64_t start = w->now, changed = -1;
    int before = layer(w);
    for (int64_t t = 0; t < ms; t += 100) {
        w->now += 100;
        w->ts += 9000;
        for (int k = 0; k < 3; k++)
            rate_meter_add(&w->s->sources[1 + k].received, layer_bps[k] / 80, w->now);
        if ((w->now / 100) % 2 == 0)
            simulcast_allocate(w->conf, w->r, w->now);
        out_stream *os = simulcast_stream(w->r, GROUP_SSRC);
        uint32_t pending;
        if (!os || !stream_rewrite_pending(&os->rewrite, &pending))
            w->pending_ssrc = 0;   /* a switch called off: the next one waits anew */
        if (os && stream_rewrite_pending(&os->rewrite, &pending)) {
            if (pending != w->pending_ssrc) {
                w->pending_ssrc = pending;
                w->pending_since = w->now;
            }
            for (int k = 0; k < 3 && w->now - w->pending_since >= w->keyframe_delay_ms; k++) {
                if (layer_ssrc[k] != pending)
                    continue;
                uint8_t buf[64];
                size_t len = keyframe(w, k, buf);
                rtp_header h;
                if (rtp_parse(buf, len, &h) == 0)
                    stream_rewrite_packet(&os->rewrite, buf, len, &h, true, w->now);
            }
        }
        if (changed < 0 && layer(w) != before)
            changed = w->now - start;
    }
    return changed;
}

/* Runs until the layer changes (at most ms); returns the new layer, -1 when none. */
static int run_until_change(world *w, int64_t ms, int64_t *after)
{
    int before = layer(w);
    *after = -1;
    for (int64_t t = 0; t < ms; t += 100) {
        run(w, 100);
        if (layer(w) != before) {
            *after = t + 100;
            return layer(w);
        }
    }
    return layer(w);
}

/* The estimate falls (down to the lowest layer) and comes back: the
 * switch up comes after the base wait. */
static void check_down_then_base_wait(world *w)
{
    int64_t after;
    set_estimate(w, 300000);
    CHECK_EQ_INT(run_until_change(w, 1000, &after), 0);
    set_estimate(w, 600000);
    CHECK_EQ_INT(run_until_change(w, SIMULCAST_DOWN_HOLD_MAX_MS, &after), 1);
    CHECK(after >= SIMULCAST_DOWN_HOLD_MS - 200 && after <= SIMULCAST_DOWN_HOLD_MS + 400);
}

/* A switch up that fails (a switch down soon after) doubles the wait before
 * the next, up to the maximum; a minute without a switch down resets it. */
static void test_failed_ups_back_off(void)
{
    world w;
    setup(&w, 200000);   /* cameras' share 170 kbit/s: only the lowest layer */
    run(&w, 2000);
    CHECK_EQ_INT(layer(&w), 0);

    /* Room for the middle layer (need 330 * 1.2 = 396 <= 510): up at once. */
    set_estimate(&w, 600000);
    int64_t after;
    CHECK_EQ_INT(run_until_change(&w, 1000, &after), 1);

    int64_t expect_hold = SIMULCAST_DOWN_HOLD_MS;
    for (int round = 0; round < 3; round++) {
        /* The estimate falls within a second of the switch up: down again. */
        run(&w, 500);
        set_estimate(&w, 300000);
        CHECK_EQ_INT(run_until_change(&w, 1000, &after), 0);
        expect_hold = expect_hold * 2 > SIMULCAST_DOWN_HOLD_MAX_MS ? SIMULCAST_DOWN_HOLD_MAX_MS : expect_hold * 2;
        /* The estimate comes back at once: no switch up before the doubled
         * wait, then one within an allocation interval of it. */
        set_estimate(&w, 600000);
        int up = run_until_change(&w, expect_hold + 1000, &after);
        CHECK_EQ_INT(up, 1);
        CHECK(after >= expect_hold - 200 && after <= expect_hold + 400);
        if (after < expect_hold - 200 || after > expect_hold + 400)
            fprintf(stderr, "round %d: up again after %lld ms, wait %lld ms\n", round, (long long)after,
                    (long long)expect_hold);
    }
    CHECK_EQ_INT(expect_hold, SIMULCAST_DOWN_HOLD_MAX_MS);

    /* A minute on the middle layer, then a switch down that follows no
     * recent switch up: the wait is back to the base. */
    CHECK_EQ_INT(run(&w, SIMULCAST_DOWN_CALM_MS + 1000), -1);
    check_down_then_base_wait(&w);
    teardown(&w);
}

/* A switch down long after the switch up (the link changed, the layer had
 * fitted) does not double the wait. */
static void test_late_down_keeps_base(void)
{
    world w;
    setup(&w, 200000);
    run(&w, 2000);
    set_estimate(&w, 600000);
    int64_t after;
    CHECK_EQ_INT(run_until_change(&w, 1000, &after), 1);
    CHECK_EQ_INT(run(&w, SIMULCAST_UP_FAILED_MS + 1000), -1);
    check_down_then_base_wait(&w);
    teardown(&w);
}

/* A switch up whose key frame is slow (across a relay, or asked for by
 * many receivers at once) goes on until the key frame comes: called off at
 * the next allocation, it was tried again after the hold and called off
 * again, for as long as key frames took longer than 200 ms. */
static void test_slow_keyframe_switch_up(void)
{
    world w;
    setup(&w, 200000);
    run(&w, 2000);
    CHECK_EQ_INT(layer(&w), 0);
    w.keyframe_delay_ms = 1500;
    set_estimate(&w, 600000);
    int64_t after;
    CHECK_EQ_INT(run_until_change(&w, 6000, &after), 1);
    CHECK(after >= 1500 && after <= 1800);
    /* and it stays */
    CHECK_EQ_INT(run(&w, 5000), -1);
    teardown(&w);
}

int main(void)
{
    test_slow_keyframe_switch_up();
    test_failed_ups_back_off();
    test_late_down_keeps_base();
    return check_report("simulcast_hold");
}
