/* SDP (RFC 8866) as Stoa uses it under JSEP (RFC 8829): Stoa is always the
 * offerer. Writes offers from a plain description and parses browsers'
 * answers. BUNDLE, rtcp-mux, Unified Plan, ICE-lite, DTLS passive. */
#ifndef STOA_SDP_H
#define STOA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Payload types and header extension ids are fixed by Stoa's offers, so every
 * participant uses the same numbers and the bridge forwards without rewriting. */
#define SDP_PT_OPUS 111
#define SDP_PT_VP8 96
#define SDP_PT_H264 102
#define SDP_PT_VP8_RTX 97         /* RFC 4588 retransmissions, apt=96 */
#define SDP_PT_H264_RTX 103       /* apt=102 */
#define SDP_EXT_AUDIO_LEVEL 1     /* urn:ietf:params:rtp-hdrext:ssrc-audio-level */
#define SDP_EXT_TRANSPORT_CC 3    /* http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01 */
#define SDP_EXT_MID 4             /* urn:ietf:params:rtp-hdrext:sdes:mid */
#define SDP_EXT_RID 5             /* urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id (simulcast sections only) */
#define SDP_EXT_REPAIRED_RID 6    /* urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id */

#define SDP_MAX_MEDIA 128
#define SDP_MAX_CANDIDATES 8
/* Per section: a stream and its RTX, or (Firefox) each simulcast layer and its RTX. */
#define SDP_MAX_SSRCS (2 * SDP_MAX_RIDS + 2)
#define SDP_MAX_FIDS (SDP_MAX_RIDS + 1)
#define SDP_MAX_PTS 16
#define SDP_MID_MAX 16            /* bytes including NUL */
#define SDP_ID_MAX 64             /* msid / cname strings, bytes including NUL */
#define SDP_MAX_RIDS 3            /* simulcast layers of one section */
#define SDP_RID_MAX 17            /* rid bytes including NUL: 16 fit a one-byte header extension */

/* RFC 8851 rid-id: alphanumerics, '-' and '_'. */
bool sdp_rid_ok(const char *rid);

typedef enum sdp_kind { SDP_AUDIO, SDP_VIDEO } sdp_kind;

/* Direction as written in the SDP of the side that wrote it. */
typedef enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE } sdp_dir;

typedef struct sdp_candidate {
    char ip[64];               /* IPv4 or IPv6 literal */
    uint16_t port;
    uint32_t priority;
    char foundation[33];
    bool tcp;                  /* passive TCP candidate (RFC 6544); false: UDP */
} sdp_candidate;

/* One m= section of an offer. */
typedef struct sdp_offer_media {
    char mid[SDP_MID_MAX];
    sdp_kind kind;
    sdp_dir dir;               /* from the bridge's point of view */
    bool disabled;             /* port 0, left out of BUNDLE: a removed source */
    /* For SDP_SENDONLY sections: the forwarded source. */
    uint32_t ssrc;
    uint32_t rtx_ssrc;            /* video: its retransmission SSRC (FID group), 0: none */
    char cname[SDP_ID_MAX];
    char stream_id[SDP_ID_MAX];   /* msid stream: the participant id that sends it */
    char track_id[SDP_ID_MAX];    /* msid track */
    /* For SDP_RECVONLY video sections: the simulcast layers asked for, in
     * a=simulcast:recv order (RFC 8853). Chromium sends them lowest
     * resolution first in this order. None: one stream. */
    char rids[SDP_MAX_RIDS][SDP_RID_MAX];
    size_t n_rids;
} sdp_offer_media;

typedef struct sdp_offer {
    uint64_t session_id;
    uint32_t session_version;
    char ice_ufrag[257];
    char ice_pwd[257];
    char fingerprint[128];        /* "sha-256 AB:CD:..." */
    sdp_candidate candidates[SDP_MAX_CANDIDATES];
    size_t n_candidates;
    sdp_offer_media media[SDP_MAX_MEDIA];
    size_t n_media;
} sdp_offer;

/* Writes the offer: Opus (111) for audio; VP8 (96) then H264 (102,
 * constrained baseline, packetization-mode 1) for video; rtcp-fb nack,
 * nack pli, ccm fir, goog-remb on video; extmaps audio-level, mid and
 * transport-wide-cc with the ids above (transport-cc feedback asked for on
 * every section: the bridge estimates each receiver's bandwidth too);
 * a recvonly video section with rids asks for simulcast (a=rid recv lines,
 * a=simulcast:recv, the rid and repaired-rid extmaps); a=ice-lite; a=setup:passive (the
 * bridge is always the DTLS server, so the browser must answer
 * setup:active; JSEP's actpass would leave the role open for no gain);
 * rtcp-mux, rtcp-rsize; candidates then a=end-of-candidates. Returns the length (NUL written after it), or -1
 * when cap is too small or the description is invalid. */
int sdp_write_offer(const sdp_offer *offer, char *out, size_t cap);

typedef struct sdp_answer_media {
    char mid[SDP_MID_MAX];
    sdp_kind kind;
    sdp_dir dir;                  /* as the browser wrote it */
    bool rejected;                /* port 0 */
    uint32_t ssrcs[SDP_MAX_SSRCS];/* a=ssrc values in order of first appearance (the first is the media SSRC) */
    uint32_t rtx_ssrc;            /* the second SSRC of the first a=ssrc-group:FID, 0 when none */
    size_t n_ssrcs;
    /* Every a=ssrc-group:FID, in order: a stream and its retransmissions.
     * Firefox lists one per simulcast layer (Chromium none). */
    struct { uint32_t primary, repair; } fids[SDP_MAX_FIDS];
    size_t n_fids;
    char cname[SDP_ID_MAX];
    uint8_t pts[SDP_MAX_PTS];     /* payload types on the m= line */
    size_t n_pts;
    /* a=simulcast:send: the layers the browser sends, in its order (first
     * alternative of each; a paused '~' one included). Their SSRCs are not
     * in the SDP: RTP names them with the rid header extension. */
    char rids[SDP_MAX_RIDS][SDP_RID_MAX];
    size_t n_rids;
} sdp_answer_media;

typedef struct sdp_answer {
    char ice_ufrag[257];
    char ice_pwd[257];
    char fingerprint[128];        /* "sha-256 AB:CD:..." as written (algorithm lower-cased) */
    char setup[16];               /* "active", "passive" or "actpass" */
    sdp_answer_media media[SDP_MAX_MEDIA];
    size_t n_media;
} sdp_answer;

/* Parses an answer. Session-level ICE and fingerprint attributes apply to
 * every section; media-level ones override. Returns 0, or -1 with a short
 * human-readable reason in err (NUL-terminated) when the text is malformed
 * or lacks what Stoa needs (ICE credentials, a sha-256 fingerprint). */
int sdp_parse_answer(const char *text, size_t len, sdp_answer *answer, char *err, size_t err_cap);

/* Converts "sha-256 AB:CD:..." into 32 bytes. Returns 0, or -1 when the
 * algorithm is not sha-256 or the hex is malformed. */
int sdp_fingerprint_decode(const char *fingerprint, uint8_t out[32]);

#endif
