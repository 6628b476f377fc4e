/* Creation and teardown of a bridge endpoint (one participant's transport). */
#include "bridge/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bwe.h"
#include "core/random.h"

endpoint *endpoint_new(const char *id)
{
    endpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return NULL;
    snprintf(ep->id, sizeof ep->id, "%s", id);
    /* RFC 8839: ufrag >= 4 and pwd >= 22 characters of ice-char. */
    random_ice_chars(ep->local_ufrag, 8);
    random_ice_chars(ep->local_pwd, 32);
    ep->bridge_ssrc = random_u32();
    ep->last_n = -1;
    ep->n_announced = -1;
    ep->state = ENDPOINT_NEW;
    ep->tw_seq_out = (uint16_t)random_u32();
    return ep;
}

void source_release(source *src)
{
    packet_cache_free(src->cache);
    src->cache = NULL;
}

void endpoint_free(endpoint *ep)
{
    if (!ep)
        return;
    for (int i = 0; i < ep->n_sources; i++)
        source_release(&ep->sources[i]);
    free(ep->twcc);
    bwe_free(ep->bwe);
    if (ep->dtls)
        dtls_conn_free(ep->dtls);
    if (ep->srtp_ready)
        stoa_srtp_free(&ep->srtp);
    free(ep);
}

bool endpoint_in_last_n(const endpoint *receiver, const endpoint *sender)
{
    if (receiver->last_n < 0)
        return true;
    for (int i = 0; i < receiver->n_forwarded; i++)
        if (receiver->forwarded[i] == sender->serial)
            return true;
    return false;
}

bool endpoint_announced(const endpoint *receiver, uint32_t ssrc)
{
    if (receiver->n_announced < 0)
        return true;
    int lo = 0, hi = receiver->n_announced;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (receiver->announced[mid] < ssrc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < receiver->n_announced && receiver->announced[lo] == ssrc;
}

bool endpoint_receives_camera(const endpoint *receiver, const endpoint *sender)
{
    for (int i = 0; i < receiver->n_starved; i++)
        if (receiver->starved[i] == sender->serial)
            return false;
    return endpoint_in_last_n(receiver, sender);
}

uint16_t endpoint_next_rtx_seq(endpoint *ep, uint32_t rtx_ssrc)
{
    for (int i = 0; i < ep->n_rtx_out; i++)
        if (ep->rtx_out[i].ssrc == rtx_ssrc)
            return ep->rtx_out[i].seq++;
    /* A new stream starts at a random number (RFC 3550); when the table is
     * full the oldest stream's slot is reused. */
    int i = ep->n_rtx_out < ENDPOINT_MAX_RTX_STREAMS ? ep->n_rtx_out++ : 0;
    ep->rtx_out[i].ssrc = rtx_ssrc;
    ep->rtx_out[i].seq = (uint16_t)random_u32();
    return ep->rtx_out[i].seq++;
}

source *endpoint_source_by_rtx(endpoint *ep, uint32_t rtx_ssrc)
{
    for (int i = 0; rtx_ssrc && i < ep->n_sources; i++)
        if (ep->sources[i].rtx_ssrc == rtx_ssrc)
            return &ep->sources[i];
    return NULL;
}

uint32_t endpoint_declared_layer_rtx(const endpoint *ep, uint32_t ssrc)
{
    for (int i = 0; i < ep->n_layer_rtx; i++)
        if (ep->layer_rtx[i].ssrc == ssrc)
            return ep->layer_rtx[i].rtx;
    return 0;
}

bool endpoint_declares_layer_ssrc(const endpoint *ep, uint32_t ssrc)
{
    for (int i = 0; i < ep->n_layer_rtx; i++)
        if (ep->layer_rtx[i].ssrc == ssrc || ep->layer_rtx[i].rtx == ssrc)
            return true;
    return false;
}

source *endpoint_source(endpoint *ep, uint32_t ssrc)
{
    for (int i = 0; i < ep->n_sources; i++)
        if (ep->sources[i].ssrc == ssrc && ep->sources[i].bound)
            return &ep->sources[i];
    return NULL;
}

uint32_t source_bitrate(const source *src, int64_t now)
{
    if (src->remote_ms)
        return now - src->remote_ms < 1500 ? src->remote_bps : 0;
    return rate_meter_bps(&src->received, now);
}

bool source_active(const source *src, int64_t now, int64_t timeout_ms)
{
    if (!src->bound)
        return false;
    int64_t last = src->remote_ms ? src->remote_ms : src->received.last_ms;
    return now - last < timeout_ms;
}

/* RFC 3550 A.1 (sequence tracking) and A.8 (jitter), in RTP clock units. */
void source_update_stats(source *src, const rtp_header *h, size_t len, int64_t now)
{
    rate_meter_add(&src->received, len, now);
    source_stats *s = &src->stats;
    if (!s->started) {
        s->started = true;
        s->base_seq = h->seq;
        s->max_seq = h->seq;
        s->received = 1;
        s->transit = (int64_t)(now * (int64_t)src->clock_rate / 1000) - h->timestamp;
        return;
    }
    uint16_t delta = (uint16_t)(h->seq - s->max_seq);
    if (delta < 0x8000) {
        if (h->seq < s->max_seq)
            s->cycles += 1u << 16;
        s->max_seq = h->seq;
    }
    s->received++;
    int64_t transit = (int64_t)(now * (int64_t)src->clock_rate / 1000) - h->timestamp;
    int64_t d = transit - s->transit;
    s->transit = transit;
    if (d < 0)
        d = -d;
    /* Ignore absurd jumps (timestamp discontinuities), RFC 3550 A.8 style. */
    if (d < (int64_t)src->clock_rate * 10)
        s->jitter += ((double)d - s->jitter) / 16.0;
}
