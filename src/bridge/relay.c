/* Relays between bridges: the channel table, the input path of relayed
 * packets, the subscription and the layer reports (bridge/relay.h). */
#include "bridge/relay.h"

#include <stdlib.h>
#include <string.h>

#include "bridge/simulcast.h"
#include "bridge/worker.h"
#include "webrtc/twcc.h"
#include "webrtc/sdp.h"

#define APP_HEADER 12              /* common header, SSRC, name */
#define LAYER_ENTRY 20             /* ssrc, rtx, bps, width, height, flags + pad */
#define CAMERA_HEADER 8            /* group ssrc, layer count + pad */
#define CAMERAS_PER_REPORT 14      /* 14 * 68 + 12 bytes: within one RTCP_BUF */
#define LAYER_ACTIVE 1

static uint32_t read32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void write32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static unsigned index_slot(uint32_t ssrc)
{
    return (ssrc * 2654435761u) >> 24;   /* 8 bits: RELAY_INDEX slots */
}
_Static_assert(RELAY_INDEX == 256, "index_slot takes 8 bits");

static endpoint *index_find(const endpoint *relay, uint32_t ssrc)
{
    if (ssrc == 0)
        return NULL;
    for (unsigned i = 0, s = index_slot(ssrc); i < RELAY_INDEX; i++, s = (s + 1) & (RELAY_INDEX - 1)) {
        if (relay->relay_index[s].ssrc == ssrc)
            return relay->relay_index[s].proxy;
        if (relay->relay_index[s].ssrc == 0)
            return NULL;
    }
    return NULL;
}

static void index_put(endpoint *relay, uint32_t ssrc, endpoint *proxy)
{
    if (ssrc == 0 || index_find(relay, ssrc))
        return;
    for (unsigned i = 0, s = index_slot(ssrc); i < RELAY_INDEX; i++, s = (s + 1) & (RELAY_INDEX - 1)) {
        if (relay->relay_index[s].ssrc == 0) {
            relay->relay_index[s].ssrc = ssrc;
            relay->relay_index[s].proxy = proxy;
            return;
        }
    }
}

void relay_index_rebuild(endpoint *relay)
{
    memset(relay->relay_index, 0, sizeof relay->relay_index);
    if (!relay->conf)
        return;
    /* Proxies of up to 8 sources with their RTX: within 256 slots only
     * while a relay carries no more than a few dozen senders; past that
     * the later SSRCs are simply not found (dropped as unknown). */
    for (endpoint *p = relay->conf->endpoints; p; p = p->next) {
        if (p->kind != ENDPOINT_PROXY || p->via != relay)
            continue;
        for (int i = 0; i < p->n_sources; i++) {
            const source *s = &p->sources[i];
            if (!s->bound || s->n_layers > 0)
                continue;
            index_put(relay, s->ssrc, p);
            index_put(relay, s->rtx_ssrc, p);
        }
    }
}

int relay_register(worker *w, endpoint *relay)
{
    if (w->n_relays == WORKER_MAX_RELAYS)
        return -1;
    w->relays[w->n_relays++] = relay;
    return 0;
}

void relay_unregister(worker *w, endpoint *relay)
{
    for (int i = 0; i < w->n_relays; i++) {
        if (w->relays[i] == relay) {
            w->relays[i] = w->relays[--w->n_relays];
            return;
        }
    }
}

size_t relay_frame(const endpoint *relay, uint8_t *buf, size_t len, size_t cap)
{
    /* The receiving worker drops datagrams over its MTU unread. */
    if (cap > WORKER_MTU)
        cap = WORKER_MTU;
    if (len + RELAY_HEADER > cap)
        return 0;
    memmove(buf + RELAY_HEADER, buf, len);
    buf[0] = RELAY_MARK;
    buf[1] = (uint8_t)(relay->peer_channel >> 16);
    buf[2] = (uint8_t)(relay->peer_channel >> 8);
    buf[3] = (uint8_t)relay->peer_channel;
    return len + RELAY_HEADER;
}

/* ---- input ---- */

static bool known_rtcp_ssrc(const endpoint *relay, uint32_t ssrc)
{
    for (int i = 0; i < relay->n_rtcp_ssrcs; i++)
        if (relay->rtcp_ssrcs[i] == ssrc)
            return true;
    return index_find(relay, ssrc) != NULL;
}

static void relay_rtcp(worker *w, endpoint *relay, uint8_t *buf, size_t len, int64_t now)
{
    if (len < 8) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    uint32_t ssrc = read32(buf + 4);
    bool known = known_rtcp_ssrc(relay, ssrc);
    if (!known && !budget_take(&relay->new_ssrcs, ENDPOINT_NEW_SSRCS_PER_S, ENDPOINT_NEW_SSRCS_BURST, now)) {
        worker_refuse(w, MEDIA_DROP_SSRC_BUDGET, relay, "relay RTCP under too many SSRCs");
        return;
    }
    if (stoa_srtp_unprotect_rtcp(&relay->srtp, buf, &len) < 0) {
        w->counters.dropped[MEDIA_DROP_AUTH]++;
        return;
    }
    relay->relay_rx_ms = now;
    if (!known) {
        if (relay->n_rtcp_ssrcs < ENDPOINT_MAX_RTCP_SSRCS)
            relay->rtcp_ssrcs[relay->n_rtcp_ssrcs++] = ssrc;
        else
            stoa_srtp_forget_inbound(&relay->srtp, ssrc);
    }
    if (!rtcp_is_valid_compound(buf, len)) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    /* Sender reports about a participant over there come under its SSRC:
     * they are its proxy's (for lip sync at our receivers); the rest is
     * the far bridge's feedback about what we send it. */
    endpoint *proxy = index_find(relay, ssrc);
    conference_handle_rtcp(relay->conf, proxy ? proxy : relay, buf, len, now);
}

static void relay_rtp(worker *w, endpoint *relay, uint8_t *buf, size_t len, int64_t now)
{
    if (len < 12) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    /* Only SSRCs of our proxies are opened: libsrtp keeps state per SSRC. */
    endpoint *proxy = index_find(relay, read32(buf + 8));
    if (!proxy) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return;
    }
    if (stoa_srtp_unprotect_rtp(&relay->srtp, buf, &len) < 0) {
        w->counters.dropped[MEDIA_DROP_AUTH]++;
        return;
    }
    relay->relay_rx_ms = now;
    rtp_header h;
    if (rtp_parse(buf, len, &h) < 0) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    /* The relay's own bandwidth estimate: the far bridge numbers what it
     * sends us on the relay's transport-wide sequence. */
    uint16_t tw_seq;
    if (twcc_ext_read(buf, &h, SDP_EXT_TRANSPORT_CC, &tw_seq) == 0 &&
        (relay->twcc || (relay->twcc = calloc(1, sizeof *relay->twcc)) != NULL))
        twcc_recorder_on_packet(relay->twcc, tw_seq, w->batch_us);
    source *src = endpoint_source(proxy, h.ssrc);
    if (src && src->n_layers > 0) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return;
    }
    worker_take_media(w, proxy, src, buf, len, &h, now);
}

void relay_handle_datagram(worker *w, uint8_t *buf, size_t len, int64_t now)
{
    if (len < RELAY_HEADER + 8) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    uint32_t channel = ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
    endpoint *relay = NULL;
    for (int i = 0; i < w->n_relays && !relay; i++)
        if (w->relays[i]->channel == channel)
            relay = w->relays[i];
    if (!relay || !relay->srtp_ready) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return;
    }
    if (relay->internal)
        w->counters.worker_relay_bytes_in += len;
    else
        w->counters.relay_bytes_in += len;
    buf += RELAY_HEADER;
    len -= RELAY_HEADER;
    if (rtp_is_rtcp(buf, len))
        relay_rtcp(w, relay, buf, len, now);
    else
        relay_rtp(w, relay, buf, len, now);
}

/* ---- subscription: what our receivers need from the far side ---- */

typedef struct ssrc_set {
    uint32_t v[ENDPOINT_MAX_ANNOUNCED];
    int n;
} ssrc_set;

static void set_add(ssrc_set *s, uint32_t ssrc)
{
    if (ssrc == 0 || s->n == ENDPOINT_MAX_ANNOUNCED)
        return;
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == ssrc)
            return;
    s->v[s->n++] = ssrc;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static bool local_receiver(const endpoint *r)
{
    return r->kind == ENDPOINT_PARTICIPANT && r->state == ENDPOINT_CONNECTED;
}

static void add_layer(ssrc_set *set, const endpoint *proxy, uint32_t layer_ssrc)
{
    const source *l = endpoint_source((endpoint *)proxy, layer_ssrc);
    if (!l)
        return;
    set_add(set, l->ssrc);
    set_add(set, l->rtx_ssrc);
}

/* The layers of a proxy's camera our receivers are sent or switching to;
 * the lowest active one when some receiver gets the camera but has no
 * layer chosen yet (its first allocation needs the rate measured). */
static void want_camera(conference *conf, const endpoint *proxy, const source *group, ssrc_set *set, int64_t now)
{
    bool wanted = false;
    int before = set->n;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (!local_receiver(r) || !endpoint_receives_camera(r, proxy) || !endpoint_announced(r, group->ssrc))
            continue;
        wanted = true;
        out_stream *os = simulcast_stream(r, group->ssrc);
        if (!os)
            continue;
        uint32_t ssrc;
        if (os->target_layer >= 0 && os->target_layer < group->n_layers)
            add_layer(set, proxy, proxy->sources[group->layers[os->target_layer]].ssrc);
        if (stream_rewrite_current(&os->rewrite, &ssrc))
            add_layer(set, proxy, ssrc);
        if (stream_rewrite_pending(&os->rewrite, &ssrc))
            add_layer(set, proxy, ssrc);
    }
    if (!wanted || set->n > before)
        return;
    for (int k = 0; k < group->n_layers; k++) {
        const source *l = &proxy->sources[group->layers[k]];
        if (source_active(l, now, SIMULCAST_LAYER_TIMEOUT_MS)) {
            add_layer(set, proxy, l->ssrc);
            return;
        }
    }
}

static bool wanted_plain(conference *conf, const endpoint *proxy, const source *s)
{
    for (endpoint *r = conf->endpoints; r; r = r->next)
        if (local_receiver(r) && endpoint_announced(r, s->ssrc) && (s->screen || endpoint_receives_camera(r, proxy)))
            return true;
    return false;
}

/* What the relays this one's media is passed on to ask of proxy p: its
 * streams they were told of (they name layers and RTX streams exactly). */
static void wanted_onward(conference *conf, const endpoint *relay, const endpoint *p, ssrc_set *set)
{
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (r->kind != ENDPOINT_RELAY || !relay_passes_on(relay, r) || r->n_announced <= 0)
            continue;
        for (int i = 0; i < p->n_sources; i++) {
            const source *s = &p->sources[i];
            if (!s->bound)
                continue;
            if (endpoint_announced(r, s->ssrc))
                set_add(set, s->ssrc);
            if (s->rtx_ssrc && endpoint_announced(r, s->rtx_ssrc))
                set_add(set, s->rtx_ssrc);
        }
    }
}

static void build_subscription(conference *conf, const endpoint *relay, ssrc_set *set, int64_t now)
{
    set->n = 0;
    for (endpoint *p = conf->endpoints; p; p = p->next) {
        if (p->kind != ENDPOINT_PROXY || p->via != relay)
            continue;
        wanted_onward(conf, relay, p, set);
        for (int i = 0; i < p->n_sources; i++) {
            const source *s = &p->sources[i];
            if (s->group >= 0 || !s->bound)
                continue;
            if (!s->video) {
                set_add(set, s->ssrc);   /* audio always: every bridge detects the speaker */
            } else if (s->n_layers > 0) {
                want_camera(conf, p, s, set, now);
            } else if (wanted_plain(conf, p, s)) {
                set_add(set, s->ssrc);
                set_add(set, s->rtx_ssrc);
            }
        }
    }
    qsort(set->v, (size_t)set->n, sizeof set->v[0], compare_u32);
}

static uint32_t set_hash(const ssrc_set *set)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < set->n; i++)
        h = (h ^ set->v[i]) * 16777619u;
    return h ^ (uint32_t)set->n;
}

static size_t app_header(uint8_t *pkt, uint32_t ssrc, const char name[4], size_t body)
{
    size_t len = APP_HEADER + body;
    pkt[0] = 0x80;
    pkt[1] = RTCP_APP;
    pkt[2] = (uint8_t)((len / 4 - 1) >> 8);
    pkt[3] = (uint8_t)(len / 4 - 1);
    write32(pkt + 4, ssrc);
    memcpy(pkt + 8, name, 4);
    return len;
}

static void send_subscription(conference *conf, endpoint *relay, int64_t now)
{
    ssrc_set set;
    build_subscription(conf, relay, &set, now);
    uint32_t hash = set_hash(&set);
    if (hash == relay->subscription_hash && now - relay->last_subscription_ms < RELAY_SUBSCRIPTION_REPEAT_MS)
        return;
    uint8_t pkt[APP_HEADER + 4 * ENDPOINT_MAX_ANNOUNCED];
    for (int i = 0; i < set.n; i++)
        write32(pkt + APP_HEADER + 4 * i, set.v[i]);
    size_t len = app_header(pkt, relay->bridge_ssrc, "STSU", 4 * (size_t)set.n);
    worker_send_rtcp(conf->worker, relay, pkt, len);
    relay->subscription_hash = hash;
    relay->last_subscription_ms = now;
}

/* The far side's subscription: what may be sent to it. A stream it newly
 * asks for starts with a key frame. */
static void take_subscription(conference *conf, endpoint *relay, const uint8_t *body, size_t len, int64_t now)
{
    ssrc_set set = { .n = 0 };
    size_t n = len / 4;
    if (n > ENDPOINT_MAX_ANNOUNCED)
        n = ENDPOINT_MAX_ANNOUNCED;
    for (size_t i = 0; i < n; i++) {
        uint32_t ssrc = read32(body + 4 * i);
        if (ssrc)
            set.v[set.n++] = ssrc;
    }
    qsort(set.v, (size_t)set.n, sizeof set.v[0], compare_u32);
    int kept = 0;
    for (int i = 0; i < set.n; i++)
        if (kept == 0 || set.v[kept - 1] != set.v[i])
            set.v[kept++] = set.v[i];
    set.n = kept;
    for (int i = 0; i < set.n; i++) {
        if (relay->n_announced >= 0 && endpoint_announced(relay, set.v[i]))
            continue;
        for (endpoint *o = conf->endpoints; o; o = o->next) {
            source *src = o->kind == ENDPOINT_PARTICIPANT || (o->kind == ENDPOINT_PROXY && relay_passes_on(o->via, relay))
                              ? endpoint_source(o, set.v[i])
                              : NULL;
            if (src && src->video && src->n_layers == 0 && src->bound && o->state == ENDPOINT_CONNECTED)
                conference_request_source_keyframe(conf, o, src, now);
        }
    }
    memcpy(relay->announced, set.v, sizeof set.v[0] * (size_t)set.n);
    relay->n_announced = set.n;
}

/* ---- layer reports: what our simulcast cameras send, for the far side ---- */

static size_t put_camera(uint8_t *p, const endpoint *ep, const source *group, int64_t now)
{
    write32(p, group->ssrc);
    p[4] = (uint8_t)group->n_layers;
    p[5] = p[6] = p[7] = 0;
    uint8_t *e = p + CAMERA_HEADER;
    for (int k = 0; k < group->n_layers; k++, e += LAYER_ENTRY) {
        const source *l = &ep->sources[group->layers[k]];
        memset(e, 0, LAYER_ENTRY);
        if (!l->bound)
            continue;
        write32(e, l->ssrc);
        write32(e + 4, l->rtx_ssrc);
        write32(e + 8, source_bitrate(l, now));
        e[12] = (uint8_t)(l->width >> 8);
        e[13] = (uint8_t)l->width;
        e[14] = (uint8_t)(l->height >> 8);
        e[15] = (uint8_t)l->height;
        e[16] = source_active(l, now, SIMULCAST_LAYER_TIMEOUT_MS) ? LAYER_ACTIVE : 0;
    }
    return CAMERA_HEADER + LAYER_ENTRY * (size_t)group->n_layers;
}

static void send_layer_reports(conference *conf, endpoint *relay, int64_t now)
{
    uint8_t pkt[APP_HEADER + CAMERAS_PER_REPORT * (CAMERA_HEADER + LAYER_ENTRY * SOURCE_MAX_LAYERS)];
    size_t body = 0;
    int cameras = 0;
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next) {
        if (ep->kind != ENDPOINT_PARTICIPANT && !(ep->kind == ENDPOINT_PROXY && relay_passes_on(ep->via, relay)))
            continue;
        for (int i = 0; i < ep->n_sources; i++) {
            if (ep->sources[i].n_layers == 0)
                continue;
            body += put_camera(pkt + APP_HEADER + body, ep, &ep->sources[i], now);
            if (++cameras == CAMERAS_PER_REPORT) {
                worker_send_rtcp(conf->worker, relay, pkt, app_header(pkt, relay->bridge_ssrc, "STLY", body));
                body = 0;
                cameras = 0;
            }
        }
    }
    if (cameras)
        worker_send_rtcp(conf->worker, relay, pkt, app_header(pkt, relay->bridge_ssrc, "STLY", body));
}

/* A layer report names cameras of our proxies by their group SSRC: each
 * layer learns its SSRC (never one another endpoint has), RTX SSRC, the
 * rate its own bridge measures and whether it is sending. */
static void take_layer_report(conference *conf, endpoint *relay, const uint8_t *body, size_t len, int64_t now)
{
    bool bound_changed = false;
    size_t off = 0;
    while (off + CAMERA_HEADER <= len) {
        uint32_t group_ssrc = read32(body + off);
        int n = body[off + 4];
        if (n > SOURCE_MAX_LAYERS || off + CAMERA_HEADER + LAYER_ENTRY * (size_t)n > len)
            return;
        const uint8_t *e = body + off + CAMERA_HEADER;
        off += CAMERA_HEADER + LAYER_ENTRY * (size_t)n;
        endpoint *proxy = NULL;
        source *group = NULL;
        for (endpoint *p = conf->endpoints; p && !group; p = p->next) {
            if (p->kind != ENDPOINT_PROXY || p->via != relay)
                continue;
            source *g = endpoint_source(p, group_ssrc);
            if (g && g->n_layers > 0) {
                proxy = p;
                group = g;
            }
        }
        if (!group)
            continue;
        for (int k = 0; k < n && k < group->n_layers; k++, e += LAYER_ENTRY) {
            source *l = &proxy->sources[group->layers[k]];
            uint32_t ssrc = read32(e), rtx = read32(e + 4);
            if (ssrc == 0)
                continue;
            if (ssrc != l->ssrc || !l->bound) {
                source *mine = endpoint_source(proxy, ssrc);
                if ((mine && mine != l) || conference_ssrc_user(conf, ssrc, proxy))
                    continue;   /* another stream's SSRC: never two owners */
                l->ssrc = ssrc;
                l->bound = true;
                bound_changed = true;
            }
            if (rtx != l->rtx_ssrc && (!rtx || (!conference_ssrc_user(conf, rtx, proxy) && !endpoint_source(proxy, rtx)))) {
                l->rtx_ssrc = rtx;
                bound_changed = true;
            }
            l->remote_bps = read32(e + 8);
            uint16_t width = (uint16_t)((e[12] << 8) | e[13]), height = (uint16_t)((e[14] << 8) | e[15]);
            if (width && height) {
                l->width = width;
                l->height = height;
            }
            if (e[16] & LAYER_ACTIVE)
                l->remote_ms = now;
            else if (!l->remote_ms)
                l->remote_ms = 1;   /* a proxy's layer, not sending */
        }
    }
    if (bound_changed)
        relay_index_rebuild(relay);
}

void relay_handle_app(conference *conf, endpoint *relay, const rtcp_packet *p, int64_t now)
{
    if (p->len < APP_HEADER)
        return;
    const uint8_t *body = p->data + APP_HEADER;
    size_t len = p->len - APP_HEADER;
    if (memcmp(p->data + 8, "STSU", 4) == 0)
        take_subscription(conf, relay, body, len, now);
    else if (memcmp(p->data + 8, "STLY", 4) == 0)
        take_layer_report(conf, relay, body, len, now);
}

void relay_tick(conference *conf, endpoint *relay, int64_t now)
{
    if (!relay->has_addr || !relay->srtp_ready)
        return;
    if (now >= relay->next_subscription_ms) {
        relay->next_subscription_ms = now + RELAY_SUBSCRIPTION_MS;
        send_subscription(conf, relay, now);
    }
    if (now >= relay->next_layer_report_ms) {
        relay->next_layer_report_ms = now + RELAY_LAYER_REPORT_MS;
        send_layer_reports(conf, relay, now);
    }
}

/* ---- forwarding to relays ---- */

static bool relay_ready(const endpoint *r)
{
    return r->kind == ENDPOINT_RELAY && r->has_addr && r->srtp_ready;
}

void relay_forward_layer(conference *conf, endpoint *sender, const source *layer, const uint8_t *buf, size_t len,
                         const rtp_header *h)
{
    if (conf->n_relays == 0)
        return;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (!relay_ready(r) || !relay_may_send(sender, r) || !endpoint_announced(r, layer->ssrc))
            continue;
        worker_out *out = worker_out_reserve(conf->worker);
        memcpy(out->buf, buf, len);
        credit_earn(&r->rtx_credit, (uint32_t)len / 2, ENDPOINT_RTX_CREDIT_MAX);
        conference_send_media(conf, r, out, len, h);
    }
}

void relay_forward_layer_report(conference *conf, endpoint *sender, const source *layer, const uint8_t *pkt,
                                size_t len)
{
    if (conf->n_relays == 0)
        return;
    for (endpoint *r = conf->endpoints; r; r = r->next)
        if (relay_ready(r) && relay_may_send(sender, r) && endpoint_announced(r, layer->ssrc))
            worker_send_rtcp(conf->worker, r, pkt, len);
}
