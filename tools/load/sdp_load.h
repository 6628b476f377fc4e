/* The SDP that stoa-load needs as a client: parsing offers (and answers) from
 * a server into their m= sections, and writing answers (and, for Janus
 * publishers, offers) for a peer that sends synthetic Opus and VP8.
 *
 * The answer is generic: it has one m= section per offered one, in order,
 * each given a role by the caller (reject, inactive, receive, send audio,
 * send video), so offers that grow new kinds of sections are still answered. */
#ifndef STOA_LOAD_SDP_H
#define STOA_LOAD_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/sdp.h"

#define LSDP_MAX_MEDIA SDP_MAX_MEDIA

typedef struct lsdp_media {
    char kind[16];                 /* "audio", "video", "application", ... */
    char proto[48];
    char fmts[128];                /* the format list of the m= line as written */
    uint16_t port;                 /* 0: disabled */
    char mid[SDP_MID_MAX];
    sdp_dir dir;                   /* as its writer wrote it; SENDRECV when absent */
    int pt_opus;                   /* payload type of opus/48000/2, or -1 */
    int pt_vp8;                    /* payload type of VP8/90000, or -1 */
    uint32_t ssrc;                 /* first a=ssrc, or 0 */
    char msid_stream[SDP_ID_MAX];  /* first word of a=msid (or of the ssrc msid attribute) */
    /* a=simulcast:recv of the offer: the layers asked for, in order (the
     * first alternative of each, at most SDP_MAX_RIDS). */
    char rids[SDP_MAX_RIDS][SDP_RID_MAX];
    size_t n_rids;
} lsdp_media;

typedef struct lsdp {
    char ice_ufrag[257];           /* session level, or the first section's */
    char ice_pwd[257];
    char fingerprint[128];         /* "sha-256 AB:CD:..." */
    char setup[16];
    bool ice_lite;
    sdp_candidate candidates[SDP_MAX_CANDIDATES];   /* UDP, component 1, IPv4 only */
    size_t n_candidates;
    lsdp_media media[LSDP_MAX_MEDIA];
    size_t n_media;
} lsdp;

/* Parses an SDP. Returns 0, or -1 with a reason in err when malformed or
 * when it lacks ICE credentials or a sha-256 fingerprint. */
int lsdp_parse(const char *text, size_t len, lsdp *out, char *err, size_t err_cap);

enum lsdp_role {
    LSDP_REJECT,                   /* port 0 */
    LSDP_INACTIVE,
    LSDP_RECVONLY,
    LSDP_SEND_AUDIO,               /* sendonly, our audio SSRC */
    LSDP_SEND_VIDEO,               /* sendonly, our video SSRC */
};

typedef struct lsdp_local {
    const char *ufrag, *pwd;
    const char *fingerprint;       /* "sha-256 AB:CD:..." */
    const char *setup;             /* "active" in answers, "actpass" in offers */
    uint32_t audio_ssrc, video_ssrc;
    bool simulcast;                /* answer a video section that asks for layers with a=simulcast:send */
    const char *cname;
    const char *stream_id;         /* msid stream id */
    const char *candidate_ip;      /* optional host candidate (NULL: none) */
    uint16_t candidate_port;
    uint64_t session_id;
} lsdp_local;

/* Writes the answer to offer, section i answered as roles[i]. A disabled
 * offered section is always rejected; a section of a kind other than audio
 * and video is rejected whatever its role. Returns the length (NUL written
 * after it), or -1 when cap is too small. */
int lsdp_write_answer(const lsdp *offer, const enum lsdp_role *roles, const lsdp_local *l, char *out, size_t cap);

/* Writes a publisher's offer: mid "0" audio (opus 111) sendonly and, when
 * video, mid "1" video (VP8 96) sendonly, BUNDLEd, rtcp-mux, setup as given. */
int lsdp_write_offer(const lsdp_local *l, bool video, char *out, size_t cap);

/* Index of the section with that mid, or -1. */
int lsdp_find_mid(const lsdp *s, const char *mid);

#endif
