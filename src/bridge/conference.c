/* Forwarding and RTCP between the endpoints of one conference: every
 * source goes to every other connected endpoint; RTCP is terminated here. */
#include "bridge/conference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bwe.h"
#include "bridge/relay.h"
#include "bridge/simulcast.h"
#include "bridge/worker.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtx.h"
#include "webrtc/sdp.h"

#define KEYFRAME_MIN_INTERVAL_MS 300
#define RTCP_BUF 1200
#define SPEAKER_TICK_MS 100
#define TWCC_FEEDBACK_MAX 1024     /* statuses read from one feedback packet */

conference *conference_new(const char *name, struct worker *w)
{
    conference *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->speakers = speaker_detector_new();
    if (!c->speakers) {
        free(c);
        return NULL;
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    c->worker = w;
    return c;
}

void conference_free(conference *conf)
{
    if (!conf)
        return;
    speaker_detector_free(conf->speakers);
    free(conf);
}

void conference_audio_level(conference *conf, endpoint *sender, const uint8_t *buf, const rtp_header *h,
                            int64_t now_ms)
{
    bool voice;
    int level = rtp_audio_level(buf, h, SDP_EXT_AUDIO_LEVEL, &voice);
    if (level >= 0)
        speaker_level(conf->speakers, endpoint_speaker_key(sender), (uint8_t)level, voice, now_ms);
}

endpoint *conference_tick_speakers(conference *conf, int64_t now_ms)
{
    if (now_ms < conf->next_speaker_tick_ms)
        return NULL;
    conf->next_speaker_tick_ms = now_ms + SPEAKER_TICK_MS;
    uint32_t key;
    if (!speaker_tick(conf->speakers, now_ms, NULL) || !speaker_dominant(conf->speakers, &key))
        return NULL;
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
        if (endpoint_speaker_key(ep) == key)
            return ep;
    return NULL;
}

void conference_send_media(conference *conf, endpoint *r, worker_out *out, size_t len, const rtp_header *h)
{
    worker *w = conf->worker;
    if (r->kind == ENDPOINT_PROXY)
        return;   /* receives nothing: its media flows the other way */
    bool numbered = r->bwe && twcc_ext_write(out->buf, h, SDP_EXT_TRANSPORT_CC, r->tw_seq_out) == 0;
    size_t plain_len = len;
    if (stoa_srtp_protect_rtp(&r->srtp, out->buf, &len, WORKER_BUF) < 0)
        return;
    if (r->kind == ENDPOINT_RELAY && (len = relay_frame(r, out->buf, len, WORKER_BUF)) == 0)
        return;
    /* Noted before the commit: an ICE-TCP commit sends at once. */
    if (numbered)
        worker_note_tw_sent(w, r, r->tw_seq_out++, plain_len, r->probing);
    int64_t now_ms = w->batch_us / 1000;
    rate_meter_add(&r->sent, len, now_ms);
    if (r->probing || h->payload_type == SDP_PT_VP8_RTX || h->payload_type == SDP_PT_H264_RTX)
        rate_meter_add(&r->sent_extra, len, now_ms);
    worker_out_commit_to(w, r, len);
    if (r->kind == ENDPOINT_RELAY && r->internal)
        w->counters.worker_relay_bytes_out += len;
    else if (r->kind == ENDPOINT_RELAY)
        w->counters.relay_bytes_out += len;
    w->counters.rtp_forwarded++;
    w->counters.rtp_forwarded_bytes += len;
}

void conference_forward_rtp(conference *conf, endpoint *sender, source *src,
                            uint8_t *buf, size_t len, const rtp_header *h)
{
    worker *w = conf->worker;
    int64_t now = w->batch_us / 1000;
    /* The mid and rid name the sender's m= section and layer; each receiver
     * gets the stream on a section of its own, known to it by SSRC. */
    rtp_ext_blank(buf, h, SDP_EXT_MID);
    if (src->group >= 0) {
        rtp_ext_blank(buf, h, SDP_EXT_RID);
        rtp_ext_blank(buf, h, SDP_EXT_REPAIRED_RID);
    }
    if (src->cache)
        packet_cache_store(src->cache, h->seq, buf, len, now);
    if (src->group >= 0) {
        bool keyframe = simulcast_inspect(src, buf, len, h);
        relay_forward_layer(conf, sender, src, buf, len, h);
        simulcast_forward(conf, sender, src, buf, len, h, keyframe, now);
        return;
    }
    bool camera = src->video && !src->screen;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (r == sender || r->state != ENDPOINT_CONNECTED || !relay_may_send(sender, r))
            continue;
        if ((camera && !endpoint_receives_camera(r, sender)) || !endpoint_announced(r, src->ssrc))
            continue;
        worker_out *out = worker_out_reserve(w);
        memcpy(out->buf, buf, len);
        credit_earn(&r->rtx_credit, (uint32_t)len / 2, ENDPOINT_RTX_CREDIT_MAX);
        conference_send_media(conf, r, out, len, h);
    }
}

endpoint *conference_ssrc_user(conference *conf, uint32_t ssrc, const endpoint *except)
{
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
        if (ep != except && (endpoint_source(ep, ssrc) || endpoint_source_by_rtx(ep, ssrc) ||
                             endpoint_declares_layer_ssrc(ep, ssrc)))
            return ep;
    return NULL;
}

static endpoint *owner_of(conference *conf, uint32_t ssrc, source **src)
{
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next) {
        *src = endpoint_source(ep, ssrc);
        if (*src)
            return ep->state == ENDPOINT_CONNECTED ? ep : NULL;
    }
    return NULL;
}

static void send_pli(conference *conf, endpoint *owner, source *src, int64_t now)
{
    uint8_t pkt[64];
    size_t n = rtcp_build_pli(pkt, sizeof pkt, owner->bridge_ssrc, src->ssrc);
    if (n)
        worker_send_rtcp(conf->worker, owner, pkt, n);
    src->last_keyframe_request_ms = now;
    src->keyframe_pending = false;
}

/* Keyframes cost the sender a burst of bits: at most one request per
 * interval per source, the rest folded into one pending request. */
void conference_request_source_keyframe(conference *conf, endpoint *owner, source *src, int64_t now)
{
    if (now - src->last_keyframe_request_ms >= KEYFRAME_MIN_INTERVAL_MS)
        send_pli(conf, owner, src, now);
    else
        src->keyframe_pending = true;
}

/* Whether receiver may make the sender of ssrc send a key frame now: at
 * most one request per ENDPOINT_KEYFRAME_INTERVAL_MS per source and
 * receiver (sources sharing a slot share it), so that no receiver can keep
 * senders sending key frames. A refused request is counted and deferred:
 * any number of them inside one interval cost one request at its end. */
static bool keyframe_allowed(conference *conf, endpoint *receiver, uint32_t ssrc, int64_t now)
{
    /* A relay speaks for many receivers, each held to this budget on its
     * own bridge; the source's own rate limit still applies. */
    if (receiver->kind == ENDPOINT_RELAY)
        return true;
    unsigned slot = (ssrc * 2654435761u) >> 27;   /* 32 slots */
    _Static_assert(ENDPOINT_KEYFRAME_SLOTS == 32, "slot hash takes 5 bits");
    if (receiver->keyframe_asked[slot].ssrc == ssrc &&
        now - receiver->keyframe_asked[slot].at_ms < ENDPOINT_KEYFRAME_INTERVAL_MS) {
        worker_refuse(conf->worker, MEDIA_DROP_KEYFRAME_BUDGET, receiver, "key-frame requests too often");
        receiver->keyframe_asked[slot].deferred = true;
        return false;
    }
    receiver->keyframe_asked[slot].ssrc = ssrc;
    receiver->keyframe_asked[slot].at_ms = now;
    receiver->keyframe_asked[slot].deferred = false;
    return true;
}

void conference_request_keyframe_for(conference *conf, endpoint *receiver, endpoint *owner, source *src,
                                     int64_t now)
{
    if (keyframe_allowed(conf, receiver, src->ssrc, now))
        conference_request_source_keyframe(conf, owner, src, now);
}

/* Sends receiver's deferred key-frame requests whose interval is over. */
static void flush_deferred_requests(conference *conf, endpoint *receiver, int64_t now)
{
    for (int i = 0; i < ENDPOINT_KEYFRAME_SLOTS; i++) {
        if (!receiver->keyframe_asked[i].deferred ||
            now - receiver->keyframe_asked[i].at_ms < ENDPOINT_KEYFRAME_INTERVAL_MS)
            continue;
        source *src;
        endpoint *owner = owner_of(conf, receiver->keyframe_asked[i].ssrc, &src);
        receiver->keyframe_asked[i].deferred = false;
        if (owner && owner != receiver) {
            receiver->keyframe_asked[i].at_ms = now;
            conference_request_source_keyframe(conf, owner, src, now);
        }
    }
}

void conference_request_keyframes(conference *conf, endpoint *receiver, int64_t now)
{
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next) {
        if (ep == receiver || ep->state != ENDPOINT_CONNECTED)
            continue;
        for (int i = 0; i < ep->n_sources; i++)
            /* Simulcast layers: each receiver's switch asks for the one it needs. */
            if (ep->sources[i].video && ep->sources[i].n_layers == 0 && ep->sources[i].group < 0 &&
                ep->sources[i].bound)
                conference_request_source_keyframe(conf, ep, &ep->sources[i], now);
    }
}

static bool in_list(const uint64_t *list, int n, uint64_t v)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

static void admit(uint64_t *set, int *n, int limit, const endpoint *receiver, const endpoint *ep)
{
    if (ep && ep != receiver && ep->kind != ENDPOINT_RELAY && *n < limit && *n < ENDPOINT_MAX_FORWARDED && !in_list(set, *n, ep->serial))
        set[(*n)++] = ep->serial;
}

bool conference_update_forwarded(conference *conf, endpoint *receiver, int64_t now)
{
    if (receiver->last_n < 0)
        return false;
    uint64_t next[ENDPOINT_MAX_FORWARDED];
    int n = 0;
    for (int i = 0; i < receiver->n_selected; i++)
        for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
            if (strcmp(ep->id, receiver->selected[i]) == 0)
                admit(next, &n, receiver->last_n, receiver, ep);
    uint32_t recent[ENDPOINT_MAX_FORWARDED];
    size_t n_recent = speaker_recent(conf->speakers, recent, ENDPOINT_MAX_FORWARDED);
    for (size_t i = 0; i < n_recent; i++)
        for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
            if (endpoint_speaker_key(ep) == recent[i])
                admit(next, &n, receiver->last_n, receiver, ep);
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
        admit(next, &n, receiver->last_n, receiver, ep);
    bool changed = n != receiver->n_forwarded;
    for (int i = 0; i < n; i++) {
        if (in_list(receiver->forwarded, receiver->n_forwarded, next[i]))
            continue;
        changed = true;
        /* A newly forwarded camera starts with a keyframe for this receiver. */
        for (endpoint *ep = conf->endpoints; ep; ep = ep->next)
            for (int k = 0; ep->serial == next[i] && k < ep->n_sources; k++)
                if (ep->sources[k].video && !ep->sources[k].screen && ep->sources[k].n_layers == 0 &&
                    ep->sources[k].group < 0 && ep->sources[k].bound && ep->state == ENDPOINT_CONNECTED)
                    conference_request_source_keyframe(conf, ep, &ep->sources[k], now);
    }
    memcpy(receiver->forwarded, next, sizeof next[0] * (size_t)n);
    receiver->n_forwarded = n;
    return changed;
}

void conference_flush_keyframe_requests(conference *conf, int64_t now)
{
    for (endpoint *ep = conf->endpoints; ep; ep = ep->next) {
        if (ep->state != ENDPOINT_CONNECTED)
            continue;
        flush_deferred_requests(conf, ep, now);
        for (int i = 0; i < ep->n_sources; i++) {
            source *src = &ep->sources[i];
            if (src->keyframe_pending && now - src->last_keyframe_request_ms >= KEYFRAME_MIN_INTERVAL_MS)
                send_pli(conf, ep, src, now);
        }
    }
}

enum resend { RESENT, NOT_CACHED, OVER_BUDGET };

/* Sends receiver again the cached packet seq of held (src itself, or the
 * layer of simulcast camera src that os rewrites) as RTX on src's RTX
 * stream. Spends r's retransmission credit. */
static enum resend resend_cached(conference *conf, endpoint *r, source *src, source *held, out_stream *os,
                                 uint16_t seq, int64_t now)
{
    /* Without an RTX stream the packet would go out under an index already
     * used, which SRTP refuses (srtp.h): the sender is asked instead. */
    if (!src->rtx_ssrc)
        return NOT_CACHED;
    size_t len;
    const uint8_t *pkt = held->cache ? packet_cache_get(held->cache, seq, now, 1000, &len) : NULL;
    if (!pkt)
        return NOT_CACHED;
    if (!credit_spend(&r->rtx_credit, (uint32_t)len))
        return OVER_BUDGET;
    worker_out *out = worker_out_reserve(conf->worker);
    memcpy(out->buf, pkt, len);
    rtp_header h;
    if (rtp_parse(out->buf, len, &h) < 0)
        return RESENT;
    if (os) {
        stream_rewrite_set_codec(&os->rewrite, simulcast_codec(&h));
        if (stream_rewrite_packet(&os->rewrite, out->buf, len, &h, false, now) < 0)
            return RESENT;
    }
    /* RFC 4588: on the source's RTX stream, numbered per receiver. */
    uint8_t pt = h.payload_type == SDP_PT_H264 ? SDP_PT_H264_RTX : SDP_PT_VP8_RTX;
    size_t rtx_len;
    if (rtx_build(out->buf, len, src->rtx_ssrc, pt, endpoint_next_rtx_seq(r, src->rtx_ssrc), out->buf,
                  WORKER_BUF - STOA_SRTP_MAX_TRAILER, &rtx_len) != RTX_OK ||
        rtp_parse(out->buf, rtx_len, &h) < 0)
        return RESENT;
    len = rtx_len;
    conference_send_media(conf, r, out, len, &h);
    return RESENT;
}

/* Answers a receiver's NACK from the sender's packet cache, as RTX
 * (RFC 4588) when the source has an RTX stream (every offer negotiates it). For a simulcast
 * camera the receiver's sequence numbers are mapped back to the layer it
 * is sent, and the resent packet rewritten the same way again. What the
 * cache no longer holds is asked of the sender (its retransmission then
 * reaches every receiver through normal forwarding). Resending is paid
 * from the receiver's retransmission credit, earned by what it is
 * forwarded, passing on from a budget per second (the sender's answer
 * reaches everyone): past them, what it asks for is refused. */
static void answer_nack(conference *conf, endpoint *from, const rtcp_packet *p, int64_t now)
{
    uint32_t media_ssrc, missing_ssrc = 0;
    uint16_t seqs[128], missing[128];
    size_t n, n_missing = 0;
    uint64_t refused = 0;
    source *src;
    worker *w = conf->worker;
    if (rtcp_parse_nack(p, &media_ssrc, seqs, 128, &n) < 0 || n == 0)
        return;
    endpoint *owner = owner_of(conf, media_ssrc, &src);
    if (!owner || owner == from || !relay_may_send(owner, from))
        return;
    out_stream *os = src->n_layers > 0 ? simulcast_stream(from, src->ssrc) : NULL;
    if (src->n_layers > 0 && !os)
        return;
    w->counters.nacks_received += n;
    for (size_t i = 0; i < n; i++) {
        source *held = src;
        uint16_t seq = seqs[i];
        uint32_t layer_ssrc;
        if (os && (stream_rewrite_source_seq(&os->rewrite, seqs[i], &layer_ssrc, &seq) < 0 ||
                   !(held = endpoint_source(owner, layer_ssrc))))
            continue;
        enum resend r = resend_cached(conf, from, src, held, os, seq, now);
        if (r == RESENT) {
            w->counters.retransmitted++;
        } else if (r == OVER_BUDGET || !budget_take(&from->nacks_passed_on, ENDPOINT_NACKS_PASSED_ON_PER_S,
                                                    ENDPOINT_NACKS_PASSED_ON_BURST, now)) {
            refused++;
        } else if (n_missing == 0 || missing_ssrc == held->ssrc) {
            missing_ssrc = held->ssrc;
            missing[n_missing++] = seq;
        }
    }
    if (refused) {
        w->counters.dropped[MEDIA_DROP_RTX_BUDGET] += refused;
        log_limited(&w->drop_log[MEDIA_DROP_RTX_BUDGET], LOG_WARN, "worker", "%s/%s: NACKs past its retransmission budget (%s)",
                    conf->name, from->id, media_drop_names[MEDIA_DROP_RTX_BUDGET]);
    }
    if (n_missing == 0)
        return;
    uint8_t pkt[RTCP_BUF];
    size_t len = rtcp_build_nack(pkt, sizeof pkt, owner->bridge_ssrc, missing_ssrc, missing, n_missing);
    if (len)
        worker_send_rtcp(w, owner, pkt, len);
}

void conference_nack_sender(conference *conf, endpoint *sender, source *src, uint16_t first_seq, uint16_t count)
{
    uint16_t seqs[64];
    size_t n = 0;
    for (uint16_t i = 0; i < count && n < 64; i++)
        seqs[n++] = (uint16_t)(first_seq + i);
    uint8_t pkt[RTCP_BUF];
    size_t len = rtcp_build_nack(pkt, sizeof pkt, sender->bridge_ssrc, src->ssrc, seqs, n);
    if (!len)
        return;
    worker_send_rtcp(conf->worker, sender, pkt, len);
    conf->worker->counters.nacks_sent += n;
}

/* A receiver asks for a key frame of what it gets: of a simulcast camera,
 * that is the layer it is sent (or about to be). */
static void request_for(conference *conf, endpoint *from, uint32_t media_ssrc, int64_t now)
{
    source *src;
    endpoint *owner = owner_of(conf, media_ssrc, &src);
    if (!owner || owner == from || !src->video || !relay_may_send(owner, from))
        return;
    if (src->n_layers > 0) {
        out_stream *os = simulcast_stream(from, src->ssrc);
        uint32_t layer_ssrc;
        if (!os || (!stream_rewrite_pending(&os->rewrite, &layer_ssrc) &&
                    !stream_rewrite_current(&os->rewrite, &layer_ssrc)) ||
            !(src = endpoint_source(owner, layer_ssrc)))
            return;
    }
    conference_request_keyframe_for(conf, from, owner, src, now);
}

static void handle_keyframe_request(conference *conf, endpoint *from, const rtcp_packet *p, int64_t now)
{
    if (p->count == RTCP_FMT_PLI) {
        rtcp_fb fb;
        if (rtcp_parse_fb(p, &fb) == 0)
            request_for(conf, from, fb.media_ssrc, now);
    } else if (p->count == RTCP_FMT_FIR) {
        rtcp_fir_entry entries[8];
        size_t n;
        if (rtcp_parse_fir(p, entries, 8, &n) < 0)
            return;
        for (size_t i = 0; i < n; i++)
            request_for(conf, from, entries[i].ssrc, now);
    }
}

/* Appends an SR without its report blocks (they describe what the sender
 * receives from the bridge, meaningless to other receivers). */
static size_t append_sender_report(uint8_t *out, size_t cap, const rtcp_sr *sr)
{
    rtcp_sr bare = *sr;
    bare.n_blocks = 0;
    return rtcp_build_sr(out, cap, &bare);
}

static void note_sr_sent(endpoint *r, const rtcp_sr *sr, int64_t now)
{
    r->srs_sent[r->next_sr_sent].lsr = (sr->ntp_sec << 16) | (sr->ntp_frac >> 16);
    r->srs_sent[r->next_sr_sent].at_ms = now;
    r->next_sr_sent = (r->next_sr_sent + 1) % ENDPOINT_SR_MEMORY;
}

/* A receiver's report block about a sender report the bridge relayed to
 * it: the round trip between bridge and receiver. */
static void note_report_block(endpoint *from, const rtcp_report_block *b, int64_t now)
{
    if (b->lsr == 0)
        return;
    for (int i = 0; i < ENDPOINT_SR_MEMORY; i++) {
        if (from->srs_sent[i].lsr != b->lsr || from->srs_sent[i].at_ms == 0)
            continue;
        int64_t rtt = now - from->srs_sent[i].at_ms - (int64_t)b->dlsr * 1000 / 65536;
        if (rtt < 0 || rtt > 10000)
            return;
        from->rtt_ms = from->rtt_ms ? (7 * from->rtt_ms + rtt) / 8 : (rtt > 0 ? rtt : 1);
        if (from->bwe)
            bwe_set_rtt(from->bwe, from->rtt_ms * 1000);
        return;
    }
}

/* A layer's sender report goes to the receivers sent that layer, as a
 * report of the stream they know (its SSRC and timestamps), for lip sync. */
static void relay_layer_report(conference *conf, endpoint *sender, const source *layer, const rtcp_sr *sr,
                               int64_t now)
{
    uint32_t group_ssrc = sender->sources[layer->group].ssrc;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (r == sender || r->state != ENDPOINT_CONNECTED)
            continue;
        out_stream *os = simulcast_stream(r, group_ssrc);
        rtcp_sr mapped = *sr;
        if (!os || !stream_rewrite_map_timestamp(&os->rewrite, layer->ssrc, sr->rtp_timestamp, &mapped.rtp_timestamp))
            continue;
        mapped.ssrc = group_ssrc;
        uint8_t pkt[RTCP_BUF];
        size_t n = append_sender_report(pkt, sizeof pkt, &mapped);
        if (n) {
            worker_send_rtcp(conf->worker, r, pkt, n);
            note_sr_sent(r, &mapped, now);
        }
    }
}

void conference_handle_rtcp(conference *conf, endpoint *from, const uint8_t *buf, size_t len, int64_t now)
{
    uint8_t relay[RTCP_BUF];
    size_t relay_len = 0;
    rtcp_sr relayed[4];
    int n_relayed = 0;
    uint32_t relayed_ssrcs[ENDPOINT_MAX_SOURCES];
    int n_relayed_ssrcs = 0;
    rtcp_iter it;
    rtcp_packet p;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_next(&it, &p) == 1) {
        if (p.type == RTCP_SR) {
            rtcp_sr sr;
            source *src;
            if (rtcp_parse_sr(&p, &sr) < 0 || !(src = endpoint_source(from, sr.ssrc)))
                continue;
            src->stats.last_sr = (sr.ntp_sec << 16) | (sr.ntp_frac >> 16);
            src->stats.last_sr_at_ms = now;
            for (int i = 0; i < sr.n_blocks; i++)
                note_report_block(from, &sr.blocks[i], now);
            if (src->group >= 0) {
                relay_layer_report(conf, from, src, &sr, now);
                uint8_t bare[RTCP_BUF];
                size_t n = append_sender_report(bare, sizeof bare, &sr);
                if (n)
                    relay_forward_layer_report(conf, from, src, bare, n);
            } else {
                size_t n = append_sender_report(relay + relay_len, sizeof relay - relay_len, &sr);
                relay_len += n;
                if (n && n_relayed < 4)
                    relayed[n_relayed++] = sr;
                if (n && n_relayed_ssrcs < ENDPOINT_MAX_SOURCES)
                    relayed_ssrcs[n_relayed_ssrcs++] = sr.ssrc;
            }
        } else if (p.type == RTCP_SDES && relay_len > 0 && relay_len + p.len <= sizeof relay) {
            /* Receivers want the CNAME next to the SR for lip sync. */
            memcpy(relay + relay_len, p.data, p.len);
            relay_len += p.len;
        } else if (from->kind == ENDPOINT_PROXY) {
            /* A proxy sends; feedback about its streams is not its to give. */
        } else if (p.type == RTCP_APP && from->kind == ENDPOINT_RELAY) {
            relay_handle_app(conf, from, &p, now);
        } else if (p.type == RTCP_PSFB) {
            handle_keyframe_request(conf, from, &p, now);
        } else if (p.type == RTCP_RTPFB && p.count == RTCP_FMT_NACK) {
            answer_nack(conf, from, &p, now);
        } else if (p.type == RTCP_RTPFB && p.count == RTCP_FMT_TWCC && from->bwe) {
            twcc_entry entries[TWCC_FEEDBACK_MAX];
            twcc_feedback fb;
            if (twcc_parse(&p, &fb, entries, TWCC_FEEDBACK_MAX) == 0)
                bwe_on_feedback(from->bwe, &fb, conf->worker->batch_us);
        } else if (p.type == RTCP_RR) {
            rtcp_rr rr;
            if (rtcp_parse_rr(&p, &rr) == 0)
                for (int i = 0; i < rr.n_blocks; i++)
                    note_report_block(from, &rr.blocks[i], now);
        }
        /* REMB, BYE, APP: consumed here. */
    }
    if (relay_len == 0)
        return;
    for (endpoint *r = conf->endpoints; r; r = r->next) {
        if (r == from || r->state != ENDPOINT_CONNECTED || !relay_may_send(from, r))
            continue;
        /* Reports about streams it was not told of wait for its next
         * answer: they come every few seconds. */
        bool announced = true;
        for (int i = 0; i < n_relayed_ssrcs && announced; i++)
            announced = endpoint_announced(r, relayed_ssrcs[i]);
        if (!announced)
            continue;
        worker_send_rtcp(conf->worker, r, relay, relay_len);
        for (int i = 0; i < n_relayed; i++)
            note_sr_sent(r, &relayed[i], now);
    }
}

/* Also starts the next reporting interval (fraction lost is per interval). */
static void fill_report_block(source *src, rtcp_report_block *b, int64_t now)
{
    source_stats *s = &src->stats;
    uint32_t extended_max = s->cycles + s->max_seq;
    uint32_t expected = extended_max - s->base_seq + 1;
    int64_t lost = (int64_t)expected - s->received;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    uint32_t expected_interval = expected - s->expected_prior;
    uint32_t received_interval = s->received - s->received_prior;
    s->expected_prior = expected;
    s->received_prior = s->received;
    int64_t lost_interval = (int64_t)expected_interval - received_interval;
    b->ssrc = src->ssrc;
    b->fraction_lost = expected_interval == 0 || lost_interval <= 0
                           ? 0 : (uint8_t)((lost_interval << 8) / expected_interval);
    b->cumulative_lost = (int32_t)lost;
    b->highest_seq = extended_max;
    b->jitter = (uint32_t)s->jitter;
    b->lsr = s->last_sr;
    b->dlsr = s->last_sr_at_ms ? (uint32_t)((now - s->last_sr_at_ms) * 65536 / 1000) : 0;
}

void conference_send_reports(conference *conf, endpoint *ep, int64_t now)
{
    rtcp_report_block blocks[ENDPOINT_MAX_SOURCES] = { 0 };
    uint32_t ssrcs[ENDPOINT_MAX_SOURCES] = { 0 };
    int n = 0;
    for (int i = 0; i < ep->n_sources; i++) {
        if (!ep->sources[i].stats.started)
            continue;
        fill_report_block(&ep->sources[i], &blocks[n], now);
        ssrcs[n++] = ep->sources[i].ssrc;
    }
    uint8_t pkt[RTCP_BUF];
    size_t len = rtcp_build_rr(pkt, sizeof pkt, ep->bridge_ssrc, blocks, (size_t)n);
    if (len == 0)
        return;
    len += rtcp_build_sdes_cname(pkt + len, sizeof pkt - len, ep->bridge_ssrc, "stoa-bridge");
    /* A fixed REMB until the bridge estimates bandwidth itself: without any
     * feedback a browser stays at its start bitrate. */
    if (n > 0)
        len += rtcp_build_remb(pkt + len, sizeof pkt - len, ep->bridge_ssrc,
                               conf->worker->remb_bitrate, ssrcs, (size_t)n);
    worker_send_rtcp(conf->worker, ep, pkt, len);
}
