/* Simulcast layers in, one stream per receiver out (see simulcast.h). */
#include "bridge/simulcast.h"

#include <string.h>

#include "bridge/bwe.h"
#include "bridge/worker.h"
#include "core/log.h"
#include "webrtc/sdp.h"
#include "webrtc/vp8.h"

source *simulcast_learn(endpoint *ep, const uint8_t *buf, const rtp_header *h, bool *rtx, uint32_t *replaced)
{
    size_t off;
    uint8_t n;
    *rtx = false;
    *replaced = 0;
    if (rtp_ext_find(buf, h, SDP_EXT_RID, &off, &n) < 0) {
        if (rtp_ext_find(buf, h, SDP_EXT_REPAIRED_RID, &off, &n) < 0)
            return NULL;
        *rtx = true;
    }
    if (n == 0 || n >= SOURCE_RID_MAX)
        return NULL;
    for (int i = 0; i < ep->n_sources; i++) {
        source *s = &ep->sources[i];
        if (s->group < 0 || strlen(s->rid) != n || memcmp(s->rid, buf + off, n) != 0)
            continue;
        if (conference_ssrc_user(ep->conf, h->ssrc, ep)) {
            worker_refuse(ep->worker, MEDIA_DROP_FOREIGN_SSRC, ep, "a simulcast layer under another endpoint's SSRC");
            return NULL;
        }
        if (*rtx) {
            *replaced = s->rtx_ssrc;
            s->rtx_ssrc = h->ssrc;
        } else {
            *replaced = s->bound ? s->ssrc : 0;
            /* A new SSRC for a known rid (the sender restarted the layer):
             * its sequence numbers start afresh. */
            s->ssrc = h->ssrc;
            s->bound = true;
            uint32_t declared_rtx = endpoint_declared_layer_rtx(ep, h->ssrc);
            if (declared_rtx)
                s->rtx_ssrc = declared_rtx;
            memset(&s->stats, 0, sizeof s->stats);
            if (s->cache)
                packet_cache_clear(s->cache);
        }
        return s;
    }
    return NULL;
}

enum stream_rewrite_codec simulcast_codec(const rtp_header *h)
{
    return h->payload_type == SDP_PT_H264 ? STREAM_REWRITE_OTHER : STREAM_REWRITE_VP8;
}

bool simulcast_inspect(source *layer, const uint8_t *buf, size_t len, const rtp_header *h)
{
    (void)len;
    size_t plen = h->payload_len;
    const uint8_t *payload = buf + h->header_len;
    if ((buf[1] & 0x7F) == SDP_PT_H264)
        return h264_is_keyframe(payload, plen);
    vp8_descriptor d;
    if (vp8_parse(payload, plen, &d) < 0 || !d.keyframe)
        return false;
    if (d.has_size) {
        layer->width = d.width;
        layer->height = d.height;
    }
    return true;
}

_Static_assert(ENDPOINT_OUT_INDEX == 256 && ENDPOINT_OUT_INDEX >= 2 * ENDPOINT_MAX_OUT_STREAMS,
               "the index hash takes 8 bits and stays at most half full");

static unsigned out_slot(uint32_t group_ssrc)
{
    return (group_ssrc * 2654435761u) >> 24;
}

/* Rebuilds r->out_index from its open streams. */
static void index_streams(endpoint *r)
{
    memset(r->out_index, 0, sizeof r->out_index);
    for (int i = 0; i < ENDPOINT_MAX_OUT_STREAMS; i++) {
        if (r->out_streams[i].group_ssrc == 0)
            continue;
        unsigned k = out_slot(r->out_streams[i].group_ssrc);
        while (r->out_index[k])
            k = (k + 1) % ENDPOINT_OUT_INDEX;
        r->out_index[k] = (uint8_t)(i + 1);
    }
}

out_stream *simulcast_stream(endpoint *receiver, uint32_t group_ssrc)
{
    for (unsigned k = out_slot(group_ssrc), n = 0; n < ENDPOINT_OUT_INDEX; k = (k + 1) % ENDPOINT_OUT_INDEX, n++) {
        uint8_t v = receiver->out_index[k];
        if (v == 0)
            return NULL;
        if (receiver->out_streams[v - 1].group_ssrc == group_ssrc)
            return &receiver->out_streams[v - 1];
    }
    return NULL;
}

source *simulcast_current_layer(endpoint *sender, const out_stream *os)
{
    uint32_t ssrc;
    if (!stream_rewrite_current(&os->rewrite, &ssrc))
        return NULL;
    source *s = endpoint_source(sender, ssrc);
    return s && s->group >= 0 ? s : NULL;
}

void simulcast_forward(conference *conf, endpoint *sender, source *layer, uint8_t *buf, size_t len,
                       const rtp_header *h, bool keyframe, int64_t now_ms)
{
    worker *w = conf->worker;
    uint32_t group_ssrc = sender->sources[layer->group].ssrc;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (r == sender || r->state != ENDPOINT_CONNECTED || !endpoint_receives_camera(r, sender))
            continue;
        out_stream *os = simulcast_stream(r, group_ssrc);
        if (!os) {
            /* A camera new to this receiver: its layer is chosen at the next
             * tick rather than the next round, so its first frame comes
             * soon; not here, where it would run again for every packet of
             * a camera that gets no stream (hidden, held back). */
            if (r->next_allocation_ms > now_ms)
                r->next_allocation_ms = now_ms;
            continue;
        }
        uint32_t cur, pending;
        bool is_cur = stream_rewrite_current(&os->rewrite, &cur) && cur == layer->ssrc;
        bool is_pending = stream_rewrite_pending(&os->rewrite, &pending) && pending == layer->ssrc;
        if (!is_cur && !is_pending)
            continue;
        worker_out *out = worker_out_reserve(w);
        memcpy(out->buf, buf, len);
        stream_rewrite_set_codec(&os->rewrite, simulcast_codec(h));
        if (stream_rewrite_packet(&os->rewrite, out->buf, len, h, keyframe, now_ms) < 0)
            continue;
        credit_earn(&r->rtx_credit, (uint32_t)len / 2, ENDPOINT_RTX_CREDIT_MAX);
        conference_send_media(conf, r, out, len, h);
    }
}

/* The layers of group that are arriving now, lowest first. */
static int active_layers(endpoint *sender, const source *group, source **out, int64_t now)
{
    int n = 0;
    for (int i = 0; i < group->n_layers; i++) {
        source *l = &sender->sources[group->layers[i]];
        if (source_active(l, now, SIMULCAST_LAYER_TIMEOUT_MS))
            out[n++] = l;
    }
    /* Rank by measured size when every layer has one; the list order
     * otherwise (the offer asks for lowest first). */
    bool sized = true;
    for (int i = 0; i < n; i++)
        sized &= out[i]->height > 0;
    for (int i = 1; sized && i < n; i++)
        for (int j = i; j > 0 && out[j]->height < out[j - 1]->height; j--) {
            source *t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

/* The height receiver shows sender's camera at: 0 when not shown, -1
 * when it did not say. */
static int view_height(const endpoint *receiver, const endpoint *sender)
{
    for (int i = 0; i < receiver->n_view_heights; i++)
        if (strcmp(receiver->view_heights[i].id, sender->id) == 0)
            return receiver->view_heights[i].height;
    return -1;
}

static out_stream *open_stream(endpoint *r, const endpoint *sender, const source *group)
{
    out_stream *os = simulcast_stream(r, group->ssrc);
    if (os)
        return os;
    for (int i = 0; i < ENDPOINT_MAX_OUT_STREAMS; i++) {
        os = &r->out_streams[i];
        if (os->group_ssrc != 0)
            continue;
        memset(os, 0, sizeof *os);
        os->group_ssrc = group->ssrc;
        os->sender_serial = sender->serial;
        os->target_layer = -1;
        stream_rewrite_init(&os->rewrite, group->ssrc, STREAM_REWRITE_VP8);
        index_streams(r);
        return os;
    }
    return NULL;
}

/* Frees the streams of senders that left or stopped their camera. */
static void close_stale_streams(conference *conf, endpoint *r)
{
    bool closed = false;
    for (int i = 0; i < ENDPOINT_MAX_OUT_STREAMS; i++) {
        out_stream *os = &r->out_streams[i];
        if (os->group_ssrc == 0)
            continue;
        bool alive = false;
        for (endpoint *s = conf->endpoints; s && !alive; s = s->next) {
            if (s->serial != os->sender_serial)
                continue;
            source *g = endpoint_source(s, os->group_ssrc);
            alive = g && g->n_layers > 0;
        }
        if (!alive) {
            os->group_ssrc = 0;
            closed = true;
        }
    }
    if (closed)
        index_streams(r);
}

/* What receiver is sent besides simulcast cameras (audio, screens, cameras
 * without layers): it comes off the budget first. */
static uint64_t fixed_rate(conference *conf, endpoint *r, int64_t now)
{
    uint64_t sum = 0;
    for (endpoint *s = conf->endpoints; s; s = s->next) {
        if (s == r || s->state != ENDPOINT_CONNECTED)
            continue;
        for (int i = 0; i < s->n_sources; i++) {
            const source *src = &s->sources[i];
            if (src->group >= 0 || src->n_layers > 0 || src->paused)
                continue;
            if ((src->video && !src->screen && !endpoint_receives_camera(r, s)) || !endpoint_announced(r, src->ssrc))
                continue;
            sum += source_bitrate(src, now);
        }
    }
    return sum;
}

/* Picks among active layers (lowest first): the smallest at least as tall
 * as the view (the tallest when none is), then lower while it does not fit
 * the budget; a switch up needs headroom. Returns an index into layers. */
static int choose_layer(source **layers, int n, int height, uint64_t budget, int current, int64_t now,
                        int *wanted_out)
{
    int pick = n - 1;
    if (height > 0)
        for (int i = 0; i < n; i++)
            if (layers[i]->height >= height) {
                pick = i;
                break;
            }
    int wanted = pick;
    while (pick > 0) {
        uint64_t need = source_bitrate(layers[pick], now);
        /* A layer that has only just started has no measured rate yet: it
         * looks free but is not. Go up to it once it is measured. */
        bool unknown = need == 0 && pick > (current > 0 ? current : 0);
        if (pick > current)
            need = need * (100 + SIMULCAST_UP_HEADROOM_PCT) / 100;
        if (need <= budget && !unknown)
            break;
        pick--;
    }
    *wanted_out = wanted;
    return pick;
}

static int starved_index(const endpoint *r, uint64_t serial)
{
    for (int i = 0; i < r->n_starved; i++)
        if (r->starved[i] == serial)
            return i;
    return -1;
}

/* Whether sender's camera (its lowest layer arriving at lowest_bps) is to
 * be held back from r: never the first camera r gets, else when the lowest
 * layer does not fit the budget left. Once held back it stays so for a
 * while and comes back only with headroom: an estimate that wavers must
 * not make cameras come and go. Keeps r->starved and the stream in step. */
static bool starve(endpoint *r, endpoint *sender, source *group, uint32_t lowest_bps, uint64_t budget, int rank,
                   int64_t now)
{
    if (r->starve_hold_ms == 0 || now - r->last_flap_ms > SIMULCAST_STARVE_CALM_MS)
        r->starve_hold_ms = SIMULCAST_STARVE_HOLD_MS;
    int at = starved_index(r, sender->serial);
    uint64_t need = at >= 0 ? (uint64_t)lowest_bps * (100 + SIMULCAST_STARVE_HEADROOM_PCT) / 100 : lowest_bps;
    bool fits = need <= budget && !(at >= 0 && lowest_bps == 0);
    if (at >= 0) {
        if (!fits)
            r->starved_fits_ms[at] = 0;
        else if (r->starved_fits_ms[at] == 0)
            r->starved_fits_ms[at] = now;
    }
    bool hold = rank > 0 && (!fits || (at >= 0 && (now - r->starved_ms[at] < r->starve_hold_ms ||
                                                   now - r->starved_fits_ms[at] < SIMULCAST_STARVE_FIT_MS)));
    if (hold && at < 0 && r->n_starved < ENDPOINT_MAX_FORWARDED) {
        if (r->last_unstarved == sender->serial && now - r->last_unstarve_ms < SIMULCAST_STARVE_FLAP_MS) {
            r->last_flap_ms = now;
            r->starve_hold_ms = r->starve_hold_ms * 2 > SIMULCAST_STARVE_HOLD_MAX_MS ? SIMULCAST_STARVE_HOLD_MAX_MS
                                                                                    : r->starve_hold_ms * 2;
        }
        log_debug("simulcast", "%s: %s's camera held back (needs %u kbit/s, %u left of estimate %u), for %lld ms",
                  r->id, sender->id, lowest_bps / 1000, (unsigned)(budget / 1000),
                  r->bwe ? bwe_estimate(r->bwe) / 1000 : 0, (long long)r->starve_hold_ms);
        r->starved_ms[r->n_starved] = now;
        r->starved_fits_ms[r->n_starved] = 0;
        r->starved[r->n_starved++] = sender->serial;
        r->forwarded_changed = true;
        out_stream *os = simulcast_stream(r, group->ssrc);
        if (os)
            stream_rewrite_stop(&os->rewrite);
    } else if (!hold && at >= 0) {
        log_debug("simulcast", "%s: %s's camera back (needs %u kbit/s, %u left of estimate %u)", r->id, sender->id,
                  lowest_bps / 1000, (unsigned)(budget / 1000), r->bwe ? bwe_estimate(r->bwe) / 1000 : 0);
        --r->n_starved;
        r->starved[at] = r->starved[r->n_starved];
        r->starved_ms[at] = r->starved_ms[r->n_starved];
        r->starved_fits_ms[at] = r->starved_fits_ms[r->n_starved];
        r->forwarded_changed = true;
        r->last_unstarve_ms = now;
        r->last_unstarved = sender->serial;
    }
    return hold && starved_index(r, sender->serial) >= 0;
}

/* A simulcast camera r gets, with what allocation needs to know of it. */
typedef struct camera {
    endpoint *sender;
    source *group;
    source *layers[SOURCE_MAX_LAYERS];   /* arriving now, lowest first */
    int n;
    int height;                          /* r's view height, -1: not said */
    uint32_t lowest_bps;
} camera;

/* r's simulcast cameras that are shown and arriving, most relevant first
 * (the dominant speaker's, then the others); stops the streams of those
 * out of r's Last-N set or not shown. */
static int list_cameras(conference *conf, endpoint *r, camera *cams, int cap, int64_t now)
{
    int n = 0;
    uint32_t dominant_key = 0;
    bool has_dominant = speaker_dominant(conf->speakers, &dominant_key);
    for (int pass = 0; pass < 2; pass++) {
        for (endpoint *s = conf->endpoints; s; s = s->next) {
            if (s == r || s->state != ENDPOINT_CONNECTED)
                continue;
            bool dominant = has_dominant && endpoint_speaker_key(s) == dominant_key;
            if ((pass == 0) != dominant)
                continue;
            /* Out of r's Last-N, or not shown (hidden tile, page in the
             * background): not sent, and no competitor for the bandwidth;
             * when it comes back, it starts again at a key frame. */
            bool out = !endpoint_in_last_n(r, s);
            int height = view_height(r, s);
            for (int i = 0; i < s->n_sources; i++) {
                source *group = &s->sources[i];
                if (group->n_layers == 0 || group->paused)
                    continue;
                /* Not yet in an offer it answered: not sent either. */
                if (out || height == 0 || !endpoint_announced(r, group->ssrc)) {
                    out_stream *os = simulcast_stream(r, group->ssrc);
                    if (os)
                        stream_rewrite_stop(&os->rewrite);
                    continue;
                }
                if (n == cap)
                    continue;   /* cannot happen: cap is one per other endpoint */
                camera *c = &cams[n];
                c->n = active_layers(s, group, c->layers, now);
                if (c->n == 0)
                    continue;
                c->sender = s;
                c->group = group;
                c->height = height;
                c->lowest_bps = source_bitrate(c->layers[0], now);
                n++;
            }
        }
    }
    return n;
}

/* Chooses c's layer within avail bit/s and starts the switch; returns the
 * chosen layer's rate, and sets *limited when it is below what r wants. */
static uint32_t assign_layer(conference *conf, endpoint *r, camera *c, uint64_t avail, int64_t now,
                             bool *limited)
{
    out_stream *os = open_stream(r, c->sender, c->group);
    if (!os)
        return 0;
    source **layers = c->layers;
    int current = -1;
    source *cur = simulcast_current_layer(c->sender, os);
    for (int k = 0; k < c->n; k++)
        if (layers[k] == cur)
            current = k;
    uint32_t pending;
    bool switching = stream_rewrite_pending(&os->rewrite, &pending);
    int pending_at = -1;
    for (int k = 0; switching && k < c->n; k++)
        if (layers[k]->ssrc == pending)
            pending_at = k;
    int wanted;
    int pick = choose_layer(layers, c->n, c->height, avail, current, now, &wanted);
    *limited |= pick < wanted;
    /* Up again only a while after the last switch up, and longer after one
     * down for lack of bandwidth: a path that just congested would
     * congest again (a key frame is a burst). A switch up under way (its
     * key frame not there yet: across a relay, or with many receivers
     * asking, it takes longer than one allocation) goes on while its
     * layer still fits: called off, it would be tried again only after
     * the hold, and called off again, for as long as key frames are slow. */
    int64_t down_hold = os->down_hold_ms ? os->down_hold_ms : SIMULCAST_DOWN_HOLD_MS;
    if (pick > current && current >= 0 &&
        (now - os->last_up_ms < SIMULCAST_UP_HOLD_MS || now - os->last_down_ms < down_hold))
        pick = pending_at > current && pending_at <= pick ? pending_at : current;
    if (pick < current && pick < wanted) {
        if (os->last_up_ms > os->last_down_ms && now - os->last_up_ms < SIMULCAST_UP_FAILED_MS)
            down_hold = down_hold * 2 > SIMULCAST_DOWN_HOLD_MAX_MS ? SIMULCAST_DOWN_HOLD_MAX_MS : down_hold * 2;
        else if (now - os->last_down_ms >= SIMULCAST_DOWN_CALM_MS)
            down_hold = SIMULCAST_DOWN_HOLD_MS;
        os->down_hold_ms = down_hold;
        os->last_down_ms = now;
    }
    uint32_t rate = source_bitrate(layers[pick], now);
    if (layers[pick] == cur && !switching)
        return rate;
    if (switching && pending == layers[pick]->ssrc) {
        /* Still waiting for its key frame: ask again (rate-limited). */
        conference_request_source_keyframe(conf, c->sender, layers[pick], now);
        return rate;
    }
    if (pick > current && current >= 0)
        os->last_up_ms = now;   /* the first choice is no switch up */
    log_debug("simulcast", "%s: %s's camera -> layer %s (%ux%u, %u kbit/s), estimate %u kbit/s, up again after %lld ms",
              r->id, c->sender->id, layers[pick]->rid, layers[pick]->width, layers[pick]->height, rate / 1000,
              r->bwe ? bwe_estimate(r->bwe) / 1000 : 0, (long long)down_hold);
    os->target_layer = layers[pick]->layer;
    if (stream_rewrite_switch(&os->rewrite, layers[pick]->ssrc) == 0)
        conference_request_source_keyframe(conf, c->sender, layers[pick], now);
    return rate;
}

void simulcast_allocate(conference *conf, endpoint *r, int64_t now)
{
    close_stale_streams(conf, r);
    uint64_t budget = UINT64_MAX / 2;
    if (r->bwe) {
        uint64_t taken = fixed_rate(conf, r, now) + rate_meter_bps(&r->sent_extra, now);
        uint64_t estimate = bwe_estimate(r->bwe);
        budget = estimate > taken ? (estimate - taken) * SIMULCAST_BUDGET_PCT / 100 : 0;
    }
    bool limited = false;
    camera cams[ENDPOINT_MAX_OUT_STREAMS];
    bool kept[ENDPOINT_MAX_OUT_STREAMS];
    int n = list_cameras(conf, r, cams, ENDPOINT_MAX_OUT_STREAMS, now);
    /* First every camera, most relevant first, gets its lowest layer or is
     * held back: upgrading the first cameras must not starve the others. */
    uint64_t left = budget, reserved = 0;
    /* The estimate of a receiver that just connected is the start value,
     * not a measurement: a camera held back on it would stay away for the
     * whole hold time (a late joiner saw a camera 5 s late). Until feedback
     * measured the path every camera gets its lowest layer. */
    bool measured = !r->bwe || bwe_measured(r->bwe);
    for (int i = 0; i < n; i++) {
        kept[i] = !starve(r, cams[i].sender, cams[i].group, cams[i].lowest_bps, measured ? left : UINT64_MAX / 2, i,
                          now);
        limited |= !kept[i];
        if (!kept[i])
            continue;
        left = left > cams[i].lowest_bps ? left - cams[i].lowest_bps : 0;
        reserved += cams[i].lowest_bps;
    }
    /* Then each, in the same order, the best layer that leaves the others'
     * lowest layers room. */
    for (int i = 0; i < n; i++) {
        if (!kept[i])
            continue;
        reserved -= cams[i].lowest_bps;
        uint64_t avail = budget > reserved ? budget - reserved : 0;
        uint32_t used = assign_layer(conf, r, &cams[i], avail, now, &limited);
        budget = budget > used ? budget - used : 0;
    }
    r->layers_limited = limited;
}
