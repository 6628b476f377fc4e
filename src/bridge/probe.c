/* Probing a receiver's path for more bandwidth (see probe.h). */
#include "bridge/probe.h"

#include <string.h>

#include "bridge/bwe.h"
#include "bridge/simulcast.h"
#include "bridge/worker.h"
#include "webrtc/rtp.h"
#include "webrtc/sdp.h"

#define PROBE_INTERVAL_MS 1500
#define PROBE_MAX_INTERVAL_MS 4000
#define PROBE_FACTOR_PCT 200           /* probe rate in all, % of the estimate */
#define PROBE_MS 100                   /* a probe cluster lasts this long, a chunk per tick */
#define PROBE_MIN_BPS 300000

/* An RTX SSRC receiver knows (of a video it is sent), or 0. */
static uint32_t known_rtx_ssrc(conference *conf, endpoint *r)
{
    for (endpoint *s = conf->endpoints; s; s = s->next) {
        if (s == r || s->state != ENDPOINT_CONNECTED)
            continue;
        for (int i = 0; i < s->n_sources; i++) {
            source *src = &s->sources[i];
            if (!src->video || !src->rtx_ssrc || src->group >= 0 || src->paused ||
                !endpoint_announced(r, src->rtx_ssrc))
                continue;
            if (src->n_layers > 0 ? simulcast_stream(r, src->ssrc) != NULL
                                  : src->screen || endpoint_receives_camera(r, s))
                return src->rtx_ssrc;
        }
    }
    return 0;
}

static size_t send_padding(conference *conf, endpoint *r, size_t bytes)
{
    /* Padding-only packets on an RTX stream the receiver knows: it counts
     * them in its transport-wide feedback and throws them away (RFC 4588
     * streams carry padding as browsers' own probes do). */
    uint32_t rtx = known_rtx_ssrc(conf, r);
    size_t sent = 0;
    while (rtx && sent < bytes) {
        worker_out *out = worker_out_reserve(conf->worker);
        uint8_t *p = out->buf;
        p[0] = 0xB0;                                  /* V=2, P=1, X=1 */
        p[1] = SDP_PT_VP8_RTX;
        uint16_t seq = endpoint_next_rtx_seq(r, rtx);
        p[2] = (uint8_t)(seq >> 8);
        p[3] = (uint8_t)seq;
        memset(p + 4, 0, 4);                          /* timestamp: padding has none of its own */
        p[8] = (uint8_t)(rtx >> 24);
        p[9] = (uint8_t)(rtx >> 16);
        p[10] = (uint8_t)(rtx >> 8);
        p[11] = (uint8_t)rtx;
        static const uint8_t ext[8] = { 0xBE, 0xDE, 0x00, 0x01, (SDP_EXT_TRANSPORT_CC << 4) | 1, 0, 0, 0 };
        memcpy(p + 12, ext, sizeof ext);
        memset(p + 20, 0, 254);
        p[20 + 254] = 255;                            /* RFC 3550: the last octet counts the padding */
        size_t len = 20 + 255;
        rtp_header h;
        if (rtp_parse(p, len, &h) < 0)
            break;
        conference_send_media(conf, r, out, len, &h);
        conf->worker->counters.probe_packets++;
        sent += len;
    }
    return sent;
}

/* A receiver held on a lower layer than it wants looks for more room now
 * and then: its estimate cannot grow much past what it is sent otherwise.
 * A probe cluster is media and padding paced over a few ticks at 2 x the
 * estimate in all (3 x after a probe that found room),
 * so that its arrival rate measures the path up to that rate. */
void probe_tick(endpoint *ep, int tick_ms, int64_t now)
{
    if (ep->probing) {
        if (now >= ep->probe_end_ms) {
            ep->probing = false;
            bwe_probe_end(ep->bwe, ep->worker->batch_us);
        } else {
            send_padding(ep->conf, ep, ep->probe_bytes_per_tick);
        }
        return;
    }
    if (!ep->layers_limited) {
        ep->probe_interval_ms = PROBE_INTERVAL_MS;
        return;
    }
    if (now < ep->next_probe_ms || bwe_probe_begin(ep->bwe) == 0)
        return;
    /* The last probe found room (the estimate grew by a fifth): go on at
     * the base pace. */
    bool found_room = (uint64_t)bwe_estimate(ep->bwe) * 5 > (uint64_t)ep->estimate_at_probe * 6;
    if (found_room)
        ep->probe_interval_ms = PROBE_INTERVAL_MS;
    ep->estimate_at_probe = bwe_estimate(ep->bwe);
    /* Still held back since the last probe: the path is likely full, and
     * each probe costs it a burst; wait longer each time (up to a limit,
     * so that room that opens up later is still found within seconds). */
    if (ep->probe_interval_ms < PROBE_INTERVAL_MS)
        ep->probe_interval_ms = PROBE_INTERVAL_MS;
    ep->next_probe_ms = now + ep->probe_interval_ms;
    if (ep->probe_interval_ms < PROBE_MAX_INTERVAL_MS)
        ep->probe_interval_ms *= 2;
    /* After a probe that found room, a bolder one: ramps up in few steps. */
    uint64_t target = (uint64_t)bwe_estimate(ep->bwe) * (found_room ? 2 * PROBE_FACTOR_PCT - 100
                                                                    : PROBE_FACTOR_PCT) / 100;
    if (target < PROBE_MIN_BPS)
        target = PROBE_MIN_BPS;
    /* The cluster is what the receiver is sent in all, media and padding:
     * padding at the whole target on top of the media would fill a thin
     * link's queue and drop the media. */
    uint64_t sending = rate_meter_bps(&ep->sent, now);
    if (sending * 10 >= target * 9) {
        bwe_probe_end(ep->bwe, ep->worker->batch_us);   /* the media alone nearly reaches it */
        return;
    }
    ep->probe_bytes_per_tick = (uint32_t)((target - sending) * (uint64_t)tick_ms / 8000);
    ep->probe_end_ms = now + PROBE_MS;
    ep->probing = true;
    if (send_padding(ep->conf, ep, ep->probe_bytes_per_tick) == 0) {
        ep->probing = false;   /* nothing to pad with */
        bwe_probe_end(ep->bwe, ep->worker->batch_us);
    }
}
