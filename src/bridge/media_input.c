/* SRTP and SRTCP from a connected endpoint: what may be opened (the SSRC
 * budget), unprotecting, simulcast learning, RTX restoring, receive
 * statistics, and the hand-over to forwarding or RTCP termination. */
#include <stdlib.h>

#include "bridge/simulcast.h"
#include "bridge/worker.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"
#include "webrtc/rtx.h"
#include "webrtc/sdp.h"
#include "webrtc/twcc.h"

/* About 1.3 s of video at 200 packets/s: enough for NACKs a round trip late. */
#ifndef WORKER_VIDEO_CACHE_PACKETS
#define WORKER_VIDEO_CACHE_PACKETS 256
#endif

static size_t cache_packets(const source *src)
{
    /* Lower simulcast layers send fewer packets: a smaller cache covers the
     * same time. */
    if (src->group >= 0 && src->layer == 0)
        return WORKER_VIDEO_CACHE_PACKETS / 4;
    if (src->group >= 0 && src->layer == 1)
        return WORKER_VIDEO_CACHE_PACKETS / 2;
    return WORKER_VIDEO_CACHE_PACKETS;
}

static uint32_t read32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool has_simulcast(const endpoint *ep)
{
    for (int i = 0; i < ep->n_sources; i++)
        if (ep->sources[i].n_layers > 0)
            return true;
    return false;
}

/* libsrtp keeps state for every SSRC it authenticates a packet of, so an
 * SSRC ep never declared costs memory before it is known to be useless:
 * such packets are taken only from an endpoint with simulcast layers to
 * learn (the others' are dropped unopened), within a budget per second. */
static bool admit_unknown_ssrc(worker *w, endpoint *ep, int64_t now)
{
    if (!has_simulcast(ep)) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return false;
    }
    if (!budget_take(&ep->new_ssrcs, ENDPOINT_NEW_SSRCS_PER_S, ENDPOINT_NEW_SSRCS_BURST, now)) {
        worker_refuse(w, MEDIA_DROP_SSRC_BUDGET, ep, "RTP under too many undeclared SSRCs");
        return false;
    }
    return true;
}

static bool known_rtcp_ssrc(endpoint *ep, uint32_t ssrc)
{
    for (int i = 0; i < ep->n_rtcp_ssrcs; i++)
        if (ep->rtcp_ssrcs[i] == ssrc)
            return true;
    return endpoint_source(ep, ssrc) || endpoint_source_by_rtx(ep, ssrc);
}

static void handle_srtcp(worker *w, endpoint *ep, uint8_t *buf, size_t len, int64_t now)
{
    if (len < 8) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    /* Each sender SSRC of SRTCP is a libsrtp stream: a few are kept. */
    uint32_t ssrc = read32(buf + 4);
    bool known = known_rtcp_ssrc(ep, ssrc);
    if (!known && !budget_take(&ep->new_ssrcs, ENDPOINT_NEW_SSRCS_PER_S, ENDPOINT_NEW_SSRCS_BURST, now)) {
        worker_refuse(w, MEDIA_DROP_SSRC_BUDGET, ep, "RTCP under too many SSRCs");
        return;
    }
    if (stoa_srtp_unprotect_rtcp(&ep->srtp, buf, &len) < 0) {
        w->counters.dropped[MEDIA_DROP_AUTH]++;
        return;
    }
    if (!known) {
        if (ep->n_rtcp_ssrcs < ENDPOINT_MAX_RTCP_SSRCS)
            ep->rtcp_ssrcs[ep->n_rtcp_ssrcs++] = ssrc;
        else
            stoa_srtp_forget_inbound(&ep->srtp, ssrc);
    }
    if (!rtcp_is_valid_compound(buf, len)) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    conference_handle_rtcp(ep->conf, ep, buf, len, now);
}

void worker_handle_srtp(worker *w, endpoint *ep, uint8_t *buf, size_t len, int64_t now)
{
    if (ep->state != ENDPOINT_CONNECTED) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return;
    }
    if (rtp_is_rtcp(buf, len)) {
        handle_srtcp(w, ep, buf, len, now);
        return;
    }
    if (len < 12) {   /* an RTP header */
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        return;
    }
    uint32_t wire_ssrc = read32(buf + 8);
    source *src = endpoint_source(ep, wire_ssrc);   /* the SSRC is in clear: one lookup serves both */
    bool declared = src || endpoint_source_by_rtx(ep, wire_ssrc);
    if (!declared && !admit_unknown_ssrc(w, ep, now))
        return;
    if (stoa_srtp_unprotect_rtp(&ep->srtp, buf, &len) < 0) {
        w->counters.dropped[MEDIA_DROP_AUTH]++;
        return;
    }
    rtp_header h;
    if (rtp_parse(buf, len, &h) < 0) {
        w->counters.dropped[MEDIA_DROP_MALFORMED]++;
        if (!declared)
            stoa_srtp_forget_inbound(&ep->srtp, wire_ssrc);
        return;
    }
    /* Every packet counts for the sender's congestion control, padding
     * probes and packets of streams not yet known included. */
    uint16_t tw_seq;
    if (twcc_ext_read(buf, &h, SDP_EXT_TRANSPORT_CC, &tw_seq) == 0 &&
        (ep->twcc || (ep->twcc = calloc(1, sizeof *ep->twcc)) != NULL))
        twcc_recorder_on_packet(ep->twcc, tw_seq, w->batch_us);
    if (!declared) {
        bool learned_rtx = false;
        uint32_t replaced = 0;
        src = simulcast_learn(ep, buf, &h, &learned_rtx, &replaced);
        if (replaced)
            stoa_srtp_forget_inbound(&ep->srtp, replaced);
        if (!src) {
            stoa_srtp_forget_inbound(&ep->srtp, wire_ssrc);
            w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
            return;
        }
        if (learned_rtx)
            src = NULL;   /* now known as the layer's RTX SSRC: restored below */
    }
    if (src && src->n_layers > 0) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;   /* the made-up SSRC never carries packets */
        return;
    }
    worker_take_media(w, ep, src, buf, len, &h, now);
}

/* From the RTX restoring on: shared by packets from a participant and from
 * a relay (bridge/relay.c). src NULL: an RTX stream or unknown. */
void worker_take_media(worker *w, endpoint *ep, source *src, uint8_t *buf, size_t len, rtp_header *hp, int64_t now)
{
    rtp_header h = *hp;
    if (!src && (src = endpoint_source_by_rtx(ep, h.ssrc)) != NULL) {
        /* A retransmission the bridge asked for: back to the original
         * packet, then on like any other (receivers missed it too). */
        size_t orig_len;
        uint8_t pt = h.payload_type == SDP_PT_H264_RTX ? SDP_PT_H264 : SDP_PT_VP8;
        if (rtx_restore(buf, len, pt, src->ssrc, buf, len, &orig_len) != RTX_OK ||
            rtp_parse(buf, orig_len, &h) < 0)
            return;   /* padding-only probes and the malformed */
        len = orig_len;
    }
    if (!src) {
        w->counters.dropped[MEDIA_DROP_UNKNOWN]++;
        return;
    }
    /* The packet cache costs memory: only a source that sends gets one
     * (without it, NACKs for it are passed on to the sender). */
    if (src->video && !src->cache)
        src->cache = packet_cache_new(cache_packets(src));
    /* Ask the sender again for what never reached the bridge: then every
     * receiver gets it, not only the ones who would NACK it. */
    uint16_t ahead = (uint16_t)(h.seq - src->stats.max_seq);
    if (src->video && src->stats.started && ahead > 1 && ahead <= 64)
        conference_nack_sender(ep->conf, ep, src, (uint16_t)(src->stats.max_seq + 1), (uint16_t)(ahead - 1));
    source_update_stats(src, &h, len, now);
    if (src->paused)
        return;
    if (!src->video)
        conference_audio_level(ep->conf, ep, buf, &h, now);
    conference_forward_rtp(ep->conf, ep, src, buf, len, &h);
}
