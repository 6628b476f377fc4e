/* One continuous outgoing RTP stream from several source streams: fixed
 * offsets within a source, continuity at key-frame switches (RFC 3550
 * sequence and timestamp arithmetic, RFC 7741 PictureID and TL0PICIDX). */
#include "bridge/stream_rewrite.h"

#include <string.h>

#include "webrtc/vp8.h"
#include "core/bytes.h"

/* a - b as a signed distance in -32768..32767 (half the circle each way;
 * exactly half counts as behind). */
static int32_t seq_distance(uint16_t a, uint16_t b)
{
    uint16_t d = (uint16_t)(a - b);
    return d < 0x8000 ? (int32_t)d : (int32_t)d - 0x10000;
}

void stream_rewrite_init(stream_rewrite *s, uint32_t out_ssrc, enum stream_rewrite_codec codec)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    s->out_ssrc = out_ssrc;
    s->codec = codec;
}

int stream_rewrite_switch(stream_rewrite *s, uint32_t source_ssrc)
{
    if (!s)
        return -1;
    if (s->has_current && s->current_ssrc == source_ssrc) {
        s->has_pending = false;
        return 1;
    }
    s->has_pending = true;
    s->pending_ssrc = source_ssrc;
    return 0;
}

void stream_rewrite_stop(stream_rewrite *s)
{
    if (!s)
        return;
    s->has_current = false;
    s->has_pending = false;
}

bool stream_rewrite_pending(const stream_rewrite *s, uint32_t *source_ssrc)
{
    if (!s || !s->has_pending)
        return false;
    if (source_ssrc)
        *source_ssrc = s->pending_ssrc;
    return true;
}

bool stream_rewrite_current(const stream_rewrite *s, uint32_t *source_ssrc)
{
    if (!s || !s->has_current)
        return false;
    if (source_ssrc)
        *source_ssrc = s->current_ssrc;
    return true;
}

/* The output timestamp advance at a switch: the wall-clock time since the
 * last output timestamp was first forwarded, in [1, MAX_TS_ADVANCE] ticks. */
static uint32_t ts_advance(const stream_rewrite *s, int64_t now_ms)
{
    const int64_t max_ms = STREAM_REWRITE_MAX_TS_ADVANCE / (STREAM_REWRITE_CLOCK_RATE / 1000);
    if (now_ms <= s->last_ts_ms)
        return 1;
    uint64_t ms = (uint64_t)now_ms - (uint64_t)s->last_ts_ms;   /* no signed overflow */
    if (ms > (uint64_t)max_ms)
        return STREAM_REWRITE_MAX_TS_ADVANCE;
    return (uint32_t)(ms * (STREAM_REWRITE_CLOCK_RATE / 1000));
}

/* Makes the pending source current at its key frame h. */
static void begin_source(stream_rewrite *s, const rtp_header *h, int64_t now_ms)
{
    uint32_t out_ts;
    if (s->started) {
        s->base_out_seq = (uint16_t)(s->last_seq + 1);
        out_ts = s->last_ts + ts_advance(s, now_ms);
    } else {
        s->base_out_seq = h->seq;
        out_ts = h->timestamp;
    }
    s->base_in_seq = h->seq;
    s->newest = 0;
    s->ts_offset = out_ts - h->timestamp;
    s->picture_id_mapped = false;
    s->tl0picidx_mapped = false;
    s->has_current = true;
    s->current_ssrc = h->ssrc;
    s->has_pending = false;
}

/* The packet's place after the switch point (0 = the key frame), or -1 when
 * it is older than the switch point. */
static int64_t source_index(const stream_rewrite *s, uint16_t seq)
{
    uint16_t newest_seq = (uint16_t)(s->base_in_seq + s->newest);
    int32_t d = seq_distance(seq, newest_seq);
    if (d >= 0)
        return (int64_t)(s->newest + (uint64_t)d);
    if ((uint64_t)-(int64_t)d > s->newest)
        return -1;
    return (int64_t)(s->newest - (uint64_t)-(int64_t)d);
}

static bool header_consistent(const uint8_t *pkt, size_t len, const rtp_header *h)
{
    return pkt && h && len >= RTP_HEADER_MIN && h->header_len >= RTP_HEADER_MIN &&
           h->header_len <= len && h->payload_len <= len - h->header_len;
}

/* Records the newest output PictureID. A 7-bit field only shows the low
 * bits; as it comes from the packet with the highest sequence number, the
 * picture can only have moved forward, by 0..127: the 15-bit record moves
 * by that much, so it stays monotonic across the 7-bit wrap, and a later
 * 15-bit source continues from a value whose low 7 bits are what the
 * receiver last saw, plus 1. */
static void note_picture_id(stream_rewrite *s, uint16_t out, uint8_t bits)
{
    if (bits == 15 || !s->has_picture_id) {
        s->last_picture_id = out & VP8_PICTURE_ID_15;
    } else {
        uint16_t forward = (uint16_t)(out - s->last_picture_id) & VP8_PICTURE_ID_7;
        s->last_picture_id = (uint16_t)(s->last_picture_id + forward) & VP8_PICTURE_ID_15;
    }
    s->has_picture_id = true;
}

/* Rewrites the VP8 fields of a payload already parsed into d, and records
 * them as the newest output when newest. */
static void rewrite_vp8(stream_rewrite *s, uint8_t *payload, size_t len, const vp8_descriptor *d,
                        bool newest)
{
    if (d->has_picture_id) {
        if (!s->picture_id_mapped) {
            uint16_t first = s->has_picture_id ? (uint16_t)(s->last_picture_id + 1) : d->picture_id;
            s->picture_id_offset = (uint16_t)(first - d->picture_id) & VP8_PICTURE_ID_15;
            s->picture_id_mapped = true;
        }
        uint16_t out = (uint16_t)(d->picture_id + s->picture_id_offset) & VP8_PICTURE_ID_15;
        (void)vp8_set_picture_id(payload, len, out);   /* keeps the field's width */
        if (newest)
            note_picture_id(s, out, d->picture_id_bits);
    }
    if (d->has_tl0picidx) {
        if (!s->tl0picidx_mapped) {
            uint8_t first = s->has_tl0picidx ? (uint8_t)(s->last_tl0picidx + 1) : d->tl0picidx;
            s->tl0picidx_offset = (uint8_t)(first - d->tl0picidx);
            s->tl0picidx_mapped = true;
        }
        uint8_t out = (uint8_t)(d->tl0picidx + s->tl0picidx_offset);
        (void)vp8_set_tl0picidx(payload, len, out);
        if (newest) {
            s->last_tl0picidx = out;
            s->has_tl0picidx = true;
        }
    }
}

int stream_rewrite_packet(stream_rewrite *s, uint8_t *pkt, size_t len, const rtp_header *h,
                          bool keyframe, int64_t now_ms)
{
    if (!s || !header_consistent(pkt, len, h))
        return STREAM_REWRITE_DROP_MALFORMED;
    bool from_current = s->has_current && h->ssrc == s->current_ssrc;
    bool from_pending = s->has_pending && h->ssrc == s->pending_ssrc;
    if (!from_current && !from_pending)
        return STREAM_REWRITE_DROP_UNSELECTED;

    uint8_t *payload = pkt + h->header_len;
    vp8_descriptor d;
    bool vp8 = s->codec == STREAM_REWRITE_VP8 && h->payload_len > 0;
    if (vp8 && vp8_parse(payload, h->payload_len, &d) < 0)
        return STREAM_REWRITE_DROP_MALFORMED;

    int result = STREAM_REWRITE_FORWARD;
    if (from_pending) {   /* never also current: stream_rewrite_switch cancels that */
        bool key = keyframe && h->payload_len > 0 && (!vp8 || d.keyframe);
        if (!key)
            return STREAM_REWRITE_DROP_WAITING;
        begin_source(s, h, now_ms);
        result = STREAM_REWRITE_SWITCHED;
    }

    int64_t index = source_index(s, h->seq);
    if (index < 0)
        return STREAM_REWRITE_DROP_STALE;
    bool newest = (uint64_t)index >= s->newest;
    uint16_t out_seq = (uint16_t)(s->base_out_seq + (uint64_t)index);
    uint32_t out_ts = h->timestamp + s->ts_offset;

    be16_write(pkt + 2, out_seq);
    be32_write(pkt + 4, out_ts);
    be32_write(pkt + 8, s->out_ssrc);
    if (vp8)
        rewrite_vp8(s, payload, h->payload_len, &d, newest);

    if (newest) {
        s->newest = (uint64_t)index;
        s->last_seq = out_seq;
        if (!s->started || out_ts != s->last_ts)
            s->last_ts_ms = now_ms;
        s->last_ts = out_ts;
        s->started = true;
    }
    return result;
}

int stream_rewrite_source_seq(const stream_rewrite *s, uint16_t out_seq, uint32_t *source_ssrc,
                              uint16_t *source_seq)
{
    if (!s || !s->has_current || !s->started)
        return -1;
    uint16_t newest_out = (uint16_t)(s->base_out_seq + s->newest);
    uint16_t back = (uint16_t)(newest_out - out_seq);
    if (back >= 0x8000 || back > s->newest)
        return -1;
    if (source_ssrc)
        *source_ssrc = s->current_ssrc;
    if (source_seq)
        *source_seq = (uint16_t)(s->base_in_seq + s->newest - back);
    return 0;
}

bool stream_rewrite_map_timestamp(const stream_rewrite *s, uint32_t source_ssrc, uint32_t ts, uint32_t *out)
{
    if (!s || !s->has_current || s->current_ssrc != source_ssrc)
        return false;
    *out = ts + s->ts_offset;
    return true;
}

void stream_rewrite_set_codec(stream_rewrite *s, enum stream_rewrite_codec codec)
{
    if (s)
        s->codec = codec;
}
