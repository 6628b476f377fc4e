/* One continuous outgoing RTP stream made from several source streams (the
 * simulcast layers of one sender, each with its own SSRC, sequence numbers,
 * timestamps, VP8 PictureID and TL0PICIDX), for one receiver.
 *
 * The output has one fixed SSRC. A switch to another source is only ever
 * made at the first packet of a key frame of that source. Within a source the
 * mapping is a fixed offset per field (out = in + offset, modulo the field's
 * width), so gaps from loss, reordering and duplicates reach the receiver
 * exactly as they left the sender, and its NACKs name the right packets. At
 * a switch the offsets are chosen so that:
 *   sequence number   = last output + 1
 *   timestamp         = last output + wall-clock time since that timestamp
 *                       was first forwarded, in 90 kHz units, at least 1
 *                       (and at most 2^30, so it always reads as forward)
 *   PictureID         = last output + 1 (15-bit space; a 7-bit field gets the
 *                       low 7 bits, so it continues modulo 128)
 *   TL0PICIDX         = last output + 1
 * The first source ever selected is passed through unchanged apart from the
 * SSRC. "Last output" is the packet with the highest output sequence number.
 *
 * Single-threaded: one instance belongs to the thread that forwards to the
 * receiver. No allocation. Video only (the 90 kHz RTP clock). */
#ifndef STOA_BRIDGE_STREAM_REWRITE_H
#define STOA_BRIDGE_STREAM_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/rtp.h"

#define STREAM_REWRITE_CLOCK_RATE 90000
#define STREAM_REWRITE_MAX_TS_ADVANCE (1u << 30)

/* What the payload holds: VP8 payloads also get PictureID and TL0PICIDX
 * rewritten; any other payload (e.g. H.264) is left untouched. */
enum stream_rewrite_codec {
    STREAM_REWRITE_OTHER = 0,
    STREAM_REWRITE_VP8,
};

/* Results of stream_rewrite_packet: >= 0 means send the rewritten packet. */
enum stream_rewrite_result {
    STREAM_REWRITE_FORWARD = 0,          /* rewritten in place */
    STREAM_REWRITE_SWITCHED = 1,         /* rewritten; this key frame made the pending source current */
    STREAM_REWRITE_DROP_UNSELECTED = -1, /* from a source neither current nor pending */
    STREAM_REWRITE_DROP_WAITING = -2,    /* from the pending source, which has not sent a key frame yet */
    STREAM_REWRITE_DROP_STALE = -3,      /* from the current source, older than its switch point */
    STREAM_REWRITE_DROP_MALFORMED = -4,  /* inconsistent header, or a VP8 payload that does not parse */
};

/* All fields are private to stream_rewrite.c. */
typedef struct stream_rewrite {
    uint32_t out_ssrc;
    enum stream_rewrite_codec codec;

    bool has_current;            /* a source is current: its switch point was reached */
    uint32_t current_ssrc;
    bool has_pending;            /* a switch waits for a key frame of pending_ssrc */
    uint32_t pending_ssrc;

    /* The output so far (kept across switches and stops). */
    bool started;                /* something was forwarded */
    uint16_t last_seq;           /* highest output sequence number */
    uint32_t last_ts;            /* output timestamp of the packet with last_seq */
    int64_t last_ts_ms;          /* when last_ts was first forwarded */
    bool has_picture_id;
    uint16_t last_picture_id;    /* 15-bit space */
    bool has_tl0picidx;
    uint8_t last_tl0picidx;

    /* The current source, from its switch point on. */
    uint16_t base_in_seq;        /* input sequence number of the switch key frame */
    uint16_t base_out_seq;       /* and its output sequence number */
    uint64_t newest;             /* newest input seq is base_in_seq + newest, unwrapped */
    uint32_t ts_offset;
    bool picture_id_mapped;      /* picture_id_offset is set (at the first PictureID seen) */
    uint16_t picture_id_offset;  /* 15-bit space */
    bool tl0picidx_mapped;
    uint8_t tl0picidx_offset;
} stream_rewrite;

/* Starts with no source selected: everything is dropped until a switch. */
void stream_rewrite_init(stream_rewrite *s, uint32_t out_ssrc, enum stream_rewrite_codec codec);

/* What the next packets' payloads are (a sender may change codec on
 * renegotiation; the caller knows it from the payload type). */
void stream_rewrite_set_codec(stream_rewrite *s, enum stream_rewrite_codec codec);

/* Asks for source_ssrc to become current. It does only at that source's next
 * key frame (see stream_rewrite_packet); until then the current source, if
 * any, is still forwarded. Returns 0 when the switch is now pending (the
 * caller should ask that source's sender for a key frame), 1 when that source
 * is already current (a pending switch elsewhere is cancelled), -1 when s is
 * NULL. A later call replaces the pending switch. */
int stream_rewrite_switch(stream_rewrite *s, uint32_t source_ssrc);

/* Stops forwarding: no source is current or pending. The output's continuity
 * (sequence number, timestamp, PictureID, TL0PICIDX) is kept for the next
 * switch, which again waits for a key frame. */
void stream_rewrite_stop(stream_rewrite *s);

/* True while a switch waits for a key frame; *source_ssrc gets its source. */
bool stream_rewrite_pending(const stream_rewrite *s, uint32_t *source_ssrc);

/* The current source, if any. */
bool stream_rewrite_current(const stream_rewrite *s, uint32_t *source_ssrc);

/* Maps one packet of a source onto the output. pkt/len is the whole RTP
 * packet (decrypted; an RTX packet must first be turned back into the
 * original), h its parse by rtp_parse. keyframe: the packet is the first of a
 * key frame (vp8_descriptor.keyframe, h264_is_keyframe); for VP8 the payload
 * must confirm it too. now_ms: a monotonic wall clock.
 *
 * A packet of the pending source that starts a key frame makes it current
 * (STREAM_REWRITE_SWITCHED): from then on, packets of the previous source are
 * dropped, as are those of the new source older than the key frame.
 * Packets of the current source (late, reordered, duplicated, or resent to
 * answer a NACK) get the output sequence number at the same distance from
 * the switch point as in the input; a duplicate is forwarded again under the
 * same number. Padding-only packets (no payload) are mapped as well.
 *
 * On forward, the SSRC, sequence number and timestamp in pkt and, for VP8,
 * PictureID and TL0PICIDX where present, are rewritten in place; h is not
 * updated, header extensions and the marker are untouched. On a drop, pkt
 * and the state are unchanged. */
int stream_rewrite_packet(stream_rewrite *s, uint8_t *pkt, size_t len, const rtp_header *h,
                          bool keyframe, int64_t now_ms);

/* For a NACK from the receiver: the source packet that output sequence number
 * out_seq was (or would be) made from. Only the current source, from its
 * switch point to its newest packet and at most 32767 back, can be answered:
 * frames of an earlier source are superseded by the key frame that ended it.
 * Returns 0 and sets *source_ssrc and *source_seq, or -1. */
int stream_rewrite_source_seq(const stream_rewrite *s, uint16_t out_seq, uint32_t *source_ssrc,
                              uint16_t *source_seq);

/* The output timestamp for a timestamp ts of source_ssrc (e.g. an RTCP
 * sender report's), when that source is current. Returns false otherwise. */
bool stream_rewrite_map_timestamp(const stream_rewrite *s, uint32_t source_ssrc, uint32_t ts, uint32_t *out);

#endif
