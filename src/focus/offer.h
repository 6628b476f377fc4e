/* The m= sections of one participant's peer connection and the SDP offers
 * made from them. Sections are only ever added or disabled, never moved:
 * Unified Plan matches them by position. */
#ifndef STOA_OFFER_H
#define STOA_OFFER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "webrtc/sdp.h"

#define PARTICIPANT_ID_MAX 17

/* What a section carries. A participant's own sections are the first three,
 * with mids "0", "1" and "2" in this order. */
typedef enum media_source { SOURCE_MIC, SOURCE_CAMERA, SOURCE_SCREEN, SOURCE_COUNT } media_source;

/* "mic", "camera", "screen" */
const char *media_source_name(media_source source);
sdp_kind media_source_kind(media_source source);
/* The mid of the participant's own section for source: "0", "1", "2". */
const char *media_source_own_mid(media_source source);

typedef struct media_slot {
    char mid[SDP_MID_MAX];
    media_source source;
    bool own;                          /* the participant's own sending section */
    bool disabled;                     /* its source left: port 0 */
    char participant[PARTICIPANT_ID_MAX];  /* whose media the section carries */
    uint32_t ssrc;                     /* forwarded source (not for own sections) */
    uint32_t rtx_ssrc;                 /* its retransmissions (RFC 4588), 0: none */
} media_slot;

typedef struct slot_list {
    bool simulcast;                    /* the own camera section asks for three layers */
    media_slot slots[SDP_MAX_MEDIA];
    size_t n;
    unsigned next_mid;
} slot_list;

/* The transport parameters the bridge gave for this participant. */
typedef struct offer_transport {
    char ice_ufrag[257];
    char ice_pwd[257];
    char fingerprint[128];
    sdp_candidate candidates[SDP_MAX_CANDIDATES];
    size_t n_candidates;
} offer_transport;

/* Starts with the participant's own sections (mids 0, 1, 2). */
void slots_init(slot_list *l, const char *self);
/* Makes sure a section carries participant's source with this SSRC: adds
 * one, or replaces one whose SSRC changed (the old section is disabled, as
 * browsers bind a receiver to its first SSRC). When all SDP_MAX_MEDIA
 * sections are used, a disabled one is recycled under a new mid. Returns 1
 * when the sections changed, 0 when already so, -1 when no section is free. */
int slots_set_source(slot_list *l, const char *participant, media_source source, uint32_t ssrc);
/* Sets the retransmission SSRC of the enabled section carrying
 * participant's source. Returns 1 when it changed, else 0. */
int slots_set_rtx(slot_list *l, const char *participant, media_source source, uint32_t rtx_ssrc);
/* Disables the section of participant's source. Returns how many changed. */
int slots_remove_source(slot_list *l, const char *participant, media_source source);
/* Disables every section of participant's. Returns how many changed. */
int slots_remove_participant(slot_list *l, const char *participant);
/* Fills an offer from the sections and transport. */
void slots_build_offer(const slot_list *l, const offer_transport *t, uint64_t session_id,
                       uint32_t version, sdp_offer *out);
/* {"<mid>": {"participant": id, "kind": "audio"|"video", "source": "mic"|...}}
 * for enabled sections. */
json_t *slots_mids_json(const slot_list *l);

#endif
