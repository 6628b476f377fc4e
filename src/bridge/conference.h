/* A conference in a media worker: the endpoints that exchange media, and
 * the forwarding and RTCP decisions between them. */
#ifndef STOA_CONFERENCE_H
#define STOA_CONFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/endpoint.h"
#include "bridge/speaker.h"
#include "webrtc/rtp.h"

#define CONFERENCE_NAME_MAX 129

struct worker;

typedef struct conference {
    char name[CONFERENCE_NAME_MAX];
    struct worker *worker;
    endpoint *endpoints;
    speaker_detector *speakers;    /* keyed by endpoint_speaker_key */
    int64_t next_speaker_tick_ms;
    bool forwarding_dirty;         /* endpoints came or went: Last-N sets to recompute */
    int n_relays;                  /* relay endpoints: none, and forwarding skips looking for them */
    struct conference *next;       /* in the worker */
} conference;

/* Creates an empty conference; NULL when out of memory. */
conference *conference_new(const char *name, struct worker *w);
void conference_free(conference *conf);
/* The endpoint of conf other than except that sends ssrc or was given it
 * (a source, a learned simulcast layer, an RTX stream), or NULL: an SSRC
 * belongs to one endpoint of a conference, or media could be attributed to
 * the wrong one. */
endpoint *conference_ssrc_user(conference *conf, uint32_t ssrc, const endpoint *except);
/* Feeds the audio level of a forwarded audio packet to the speaker detector. */
void conference_audio_level(conference *conf, endpoint *sender, const uint8_t *buf, const rtp_header *h,
                            int64_t now_ms);
/* Runs the speaker detector when due; returns the endpoint that became the
 * dominant speaker, or NULL when nothing changed. */
endpoint *conference_tick_speakers(conference *conf, int64_t now_ms);

/* Forwards one decrypted RTP packet from sender to every other connected
 * endpoint (re-encrypted for each). buf may be modified (extensions that
 * only mean something on the sender's transport are blanked). */
void conference_forward_rtp(conference *conf, endpoint *sender, source *src,
                            uint8_t *buf, size_t len, const rtp_header *h);
struct worker_out;
/* Sends the RTP packet in the reserved slot out (len bytes, h its header's
 * parse, offsets valid for it) to receiver: numbered on receiver's
 * transport-wide sequence when it carries that extension (and counted by
 * its bandwidth estimator), protected, committed. */
void conference_send_media(conference *conf, endpoint *receiver, struct worker_out *out, size_t len,
                           const rtp_header *h);
/* Handles one decrypted compound RTCP packet from an endpoint: relays
 * sender reports, keyframe requests and NACKs; consumes the rest. */
void conference_handle_rtcp(conference *conf, endpoint *from, const uint8_t *buf, size_t len, int64_t now_ms);
/* Receiver needs a key frame of every video source it gets (it connected,
 * renegotiated, or its Last-N limit was lifted): their senders are asked,
 * within each source's rate limit. */
void conference_request_keyframes(conference *conf, endpoint *receiver, int64_t now_ms);
/* Receiver asked (PLI, FIR) for a key frame of owner's src: passed on
 * within the receiver's key-frame budget (one per second per source) and
 * src's rate limit. The bridge's own requests (a receiver connected or
 * renegotiated, a Last-N admission, a simulcast switch) are not charged to
 * the receiver: they are driven by messages the focus rate-limits, and
 * charging them would hold back the receiver's first PLI. */
void conference_request_keyframe_for(conference *conf, endpoint *receiver, endpoint *owner, source *src,
                                     int64_t now);
/* Asks owner for a keyframe of src, within the rate limit. */
void conference_request_source_keyframe(conference *conf, endpoint *owner, source *src, int64_t now);
/* Asks sender for count packets from first_seq on that never arrived. */
void conference_nack_sender(conference *conf, endpoint *sender, source *src, uint16_t first_seq, uint16_t count);
/* Recomputes receiver's Last-N set (selected, then recent speakers, then
 * the others in join order). Asks newly admitted senders for a keyframe.
 * Returns true when the set changed. */
bool conference_update_forwarded(conference *conf, endpoint *receiver, int64_t now_ms);
/* Sends the pending rate-limited keyframe requests that are due. */
void conference_flush_keyframe_requests(conference *conf, int64_t now_ms);
/* Sends this endpoint's periodic receiver report and REMB. */
void conference_send_reports(conference *conf, endpoint *ep, int64_t now_ms);

#endif
