/* SDP offers as Stoa writes them (see sdp.h and docs/protocol.md, "The
 * offers Stoa makes"): always the offerer, BUNDLE, ICE-lite, DTLS server (setup actpass, answered active). */
#include "webrtc/sdp.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "webrtc/sdp_syntax.h"

/* ------------------------------------------------------------------ */
/* Offer writer                                                        */
/* ------------------------------------------------------------------ */

typedef struct outbuf {
    char *p;
    size_t cap;
    size_t len;
    bool overflow;
} outbuf;

__attribute__((format(printf, 2, 3)))
static void put(outbuf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    size_t room = b->cap - b->len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

static const char *dir_name(sdp_dir d)
{
    switch (d) {
    case SDP_SENDRECV: return "sendrecv";
    case SDP_SENDONLY: return "sendonly";
    case SDP_RECVONLY: return "recvonly";
    case SDP_INACTIVE: return "inactive";
    }
    return NULL;
}

static bool mid_ok(const char *mid)
{
    return field_is(mid, SDP_MID_MAX, is_token_char, 1, SDP_MID_MAX - 1);
}

static bool candidate_ok(const sdp_candidate *c)
{
    size_t n = field_len(c->ip, sizeof c->ip);
    if (n == (size_t)-1 || n == 0)
        return false;
    unsigned char addr[16];
    if (inet_pton(AF_INET, c->ip, addr) != 1 && inet_pton(AF_INET6, c->ip, addr) != 1)
        return false;
    if (c->port == 0)
        return false;
    /* RFC 8839: foundation = 1*32ice-char. */
    return field_is(c->foundation, sizeof c->foundation, is_ice_char, 1, 32);
}

/* The bridge sends on sections it offers sendonly (or sendrecv). */
static bool media_sends(const sdp_offer_media *m)
{
    return m->dir == SDP_SENDONLY || m->dir == SDP_SENDRECV;
}

bool sdp_rid_ok(const char *rid)
{
    size_t n = field_len(rid, SDP_RID_MAX);
    if (n == (size_t)-1 || n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)rid[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static bool media_ok(const sdp_offer_media *m)
{
    if (!mid_ok(m->mid))
        return false;
    if (m->kind != SDP_AUDIO && m->kind != SDP_VIDEO)
        return false;
    if (m->disabled)
        return true;
    if (!dir_name(m->dir))
        return false;
    if (m->n_rids > SDP_MAX_RIDS || (m->n_rids > 0 && (m->kind != SDP_VIDEO || m->dir != SDP_RECVONLY)))
        return false;
    for (size_t i = 0; i < m->n_rids; i++) {
        if (!sdp_rid_ok(m->rids[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->rids[i], m->rids[j]) == 0)
                return false;
    }
    if (media_sends(m)) {
        if (!field_is(m->cname, SDP_ID_MAX, is_vchar, 1, SDP_ID_MAX - 1) ||
            !field_is(m->stream_id, SDP_ID_MAX, is_token_char, 1, SDP_ID_MAX - 1) ||
            !field_is(m->track_id, SDP_ID_MAX, is_token_char, 1, SDP_ID_MAX - 1))
            return false;
    }
    return true;
}

static bool offer_ok(const sdp_offer *o)
{
    /* JSEP (RFC 8829 5.2.1): the session id is below 2^63. */
    if (o->session_id > (uint64_t)INT64_MAX)
        return false;
    /* RFC 8839: ufrag 4..256 ice-chars, password 22..256. */
    if (!field_is(o->ice_ufrag, sizeof o->ice_ufrag, is_ice_char, 4, 256) ||
        !field_is(o->ice_pwd, sizeof o->ice_pwd, is_ice_char, 22, 256))
        return false;
    size_t fl = field_len(o->fingerprint, sizeof o->fingerprint);
    if (fl == (size_t)-1 || !fingerprint_syntax_ok((span){ o->fingerprint, fl }))
        return false;
    if (o->n_candidates > SDP_MAX_CANDIDATES || o->n_media > SDP_MAX_MEDIA)
        return false;
    for (size_t i = 0; i < o->n_candidates; i++)
        if (!candidate_ok(&o->candidates[i]))
            return false;
    for (size_t i = 0; i < o->n_media; i++) {
        if (!media_ok(&o->media[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->media[i].mid, o->media[j].mid) == 0)
                return false;
    }
    return true;
}

static const char *const video_fb[] = { "nack", "nack pli", "ccm fir", "goog-remb" };

static void write_media(outbuf *b, const sdp_offer *o, const sdp_offer_media *m)
{
    bool audio = m->kind == SDP_AUDIO;
    const char *kind = audio ? "audio" : "video";

    if (m->disabled) {
        if (audio)
            put(b, "m=audio 0 UDP/TLS/RTP/SAVPF %d\r\n", SDP_PT_OPUS);
        else
            put(b, "m=video 0 UDP/TLS/RTP/SAVPF %d %d %d %d\r\n", SDP_PT_VP8, SDP_PT_VP8_RTX, SDP_PT_H264,
                SDP_PT_H264_RTX);
        put(b, "c=IN IP4 0.0.0.0\r\n");
        put(b, "a=mid:%s\r\n", m->mid);
        put(b, "a=inactive\r\n");
        return;
    }

    if (audio)
        put(b, "m=%s 9 UDP/TLS/RTP/SAVPF %d\r\n", kind, SDP_PT_OPUS);
    else
        put(b, "m=%s 9 UDP/TLS/RTP/SAVPF %d %d %d %d\r\n", kind, SDP_PT_VP8, SDP_PT_VP8_RTX, SDP_PT_H264,
            SDP_PT_H264_RTX);
    put(b, "c=IN IP4 0.0.0.0\r\n");
    put(b, "a=mid:%s\r\n", m->mid);
    put(b, "a=ice-ufrag:%s\r\n", o->ice_ufrag);
    put(b, "a=ice-pwd:%s\r\n", o->ice_pwd);
    put(b, "a=fingerprint:%s\r\n", o->fingerprint);
    /* RFC 5763 section 5 and JSEP: an offer says actpass; the answer must
     * then say active (the focus refuses anything else), so the bridge is
     * always the DTLS server. */
    put(b, "a=setup:actpass\r\n");
    for (size_t i = 0; i < o->n_candidates; i++) {
        const sdp_candidate *c = &o->candidates[i];
        put(b, "a=candidate:%s 1 %s %" PRIu32 " %s %u typ host%s\r\n", c->foundation,
            c->tcp ? "tcp" : "udp", c->priority, c->ip, (unsigned)c->port,
            c->tcp ? " tcptype passive" : "");
    }
    put(b, "a=end-of-candidates\r\n");
    put(b, "a=%s\r\n", dir_name(m->dir));
    put(b, "a=rtcp-mux\r\n");
    put(b, "a=rtcp-rsize\r\n");
    /* Transport-wide feedback both ways: the bridge gives it to a browser
     * about what it sends (own sections), and gets it about what it
     * forwards (the others), to estimate that receiver's bandwidth. */
    bool twcc = true;
    if (audio) {
        put(b, "a=rtpmap:%d opus/48000/2\r\n", SDP_PT_OPUS);
        if (twcc)
            put(b, "a=rtcp-fb:%d transport-cc\r\n", SDP_PT_OPUS);
        put(b, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", SDP_PT_OPUS);
    } else {
        put(b, "a=rtpmap:%d VP8/90000\r\n", SDP_PT_VP8);
        for (size_t i = 0; i < sizeof video_fb / sizeof video_fb[0]; i++)
            put(b, "a=rtcp-fb:%d %s\r\n", SDP_PT_VP8, video_fb[i]);
        if (twcc)
            put(b, "a=rtcp-fb:%d transport-cc\r\n", SDP_PT_VP8);
        put(b, "a=rtpmap:%d rtx/90000\r\n", SDP_PT_VP8_RTX);
        put(b, "a=fmtp:%d apt=%d\r\n", SDP_PT_VP8_RTX, SDP_PT_VP8);
        put(b, "a=rtpmap:%d H264/90000\r\n", SDP_PT_H264);
        for (size_t i = 0; i < sizeof video_fb / sizeof video_fb[0]; i++)
            put(b, "a=rtcp-fb:%d %s\r\n", SDP_PT_H264, video_fb[i]);
        if (twcc)
            put(b, "a=rtcp-fb:%d transport-cc\r\n", SDP_PT_H264);
        put(b, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n",
            SDP_PT_H264);
        put(b, "a=rtpmap:%d rtx/90000\r\n", SDP_PT_H264_RTX);
        put(b, "a=fmtp:%d apt=%d\r\n", SDP_PT_H264_RTX, SDP_PT_H264);
    }
    if (audio)
        put(b, "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", SDP_EXT_AUDIO_LEVEL);
    put(b, "a=extmap:%d http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n",
        SDP_EXT_TRANSPORT_CC);
    put(b, "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:mid\r\n", SDP_EXT_MID);
    if (m->n_rids > 0) {
        put(b, "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", SDP_EXT_RID);
        put(b, "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n", SDP_EXT_REPAIRED_RID);
        for (size_t i = 0; i < m->n_rids; i++)
            put(b, "a=rid:%s recv\r\n", m->rids[i]);
        put(b, "a=simulcast:recv ");
        for (size_t i = 0; i < m->n_rids; i++)
            put(b, "%s%s", i ? ";" : "", m->rids[i]);
        put(b, "\r\n");
    }
    if (media_sends(m)) {
        put(b, "a=msid:%s %s\r\n", m->stream_id, m->track_id);
        if (!audio && m->rtx_ssrc)
            put(b, "a=ssrc-group:FID %" PRIu32 " %" PRIu32 "\r\n", m->ssrc, m->rtx_ssrc);
        put(b, "a=ssrc:%" PRIu32 " cname:%s\r\n", m->ssrc, m->cname);
        put(b, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", m->ssrc, m->stream_id, m->track_id);
        if (!audio && m->rtx_ssrc) {
            put(b, "a=ssrc:%" PRIu32 " cname:%s\r\n", m->rtx_ssrc, m->cname);
            put(b, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", m->rtx_ssrc, m->stream_id, m->track_id);
        }
    }
}

int sdp_write_offer(const sdp_offer *offer, char *out, size_t cap)
{
    if (!out || cap == 0)
        return -1;
    out[0] = '\0';
    if (!offer || !offer_ok(offer))
        return -1;
    if (cap > (size_t)INT32_MAX)
        cap = (size_t)INT32_MAX;    /* the length must fit the int returned */

    outbuf b = { out, cap, 0, false };
    put(&b, "v=0\r\n");
    put(&b, "o=- %" PRIu64 " %" PRIu32 " IN IP4 0.0.0.0\r\n", offer->session_id,
        offer->session_version);
    put(&b, "s=-\r\n");
    put(&b, "t=0 0\r\n");
    bool any = false;
    for (size_t i = 0; i < offer->n_media; i++) {
        if (offer->media[i].disabled)
            continue;
        put(&b, "%s %s", any ? "" : "a=group:BUNDLE", offer->media[i].mid);
        any = true;
    }
    if (any)
        put(&b, "\r\n");
    put(&b, "a=ice-lite\r\n");
    put(&b, "a=msid-semantic: WMS *\r\n");
    for (size_t i = 0; i < offer->n_media; i++)
        write_media(&b, offer, &offer->media[i]);

    if (b.overflow) {
        out[0] = '\0';
        return -1;
    }
    return (int)b.len;
}
