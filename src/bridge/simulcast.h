/* Simulcast forwarding: a camera arrives as up to three layers (RFC 8853,
 * named by rid) and each receiver gets one of them as one continuous
 * stream under the SSRC the focus made up for that camera. Which layer is
 * decided per receiver (simulcast_allocate) from its bandwidth estimate
 * and the height it shows the camera at; a switch happens at a key frame
 * of the new layer (stream_rewrite.h). Runs on the conference's worker. */
#ifndef STOA_BRIDGE_SIMULCAST_H
#define STOA_BRIDGE_SIMULCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/conference.h"
#include "bridge/endpoint.h"
#include "webrtc/rtp.h"

/* How often each receiver's layers are chosen again. */
#define SIMULCAST_ALLOCATE_INTERVAL_MS 200
/* A layer silent for this long is not chosen (the sender stopped it,
 * e.g. because its own uplink estimate fell). */
#define SIMULCAST_LAYER_TIMEOUT_MS 1500
/* A switch up needs this much headroom above the layer's bitrate (%),
 * and waits this long after the previous switch up. */
#define SIMULCAST_UP_HEADROOM_PCT 20
#define SIMULCAST_UP_HOLD_MS 2000
/* ...and this long after a switch down for lack of bandwidth. A switch
 * down within SIMULCAST_UP_FAILED_MS of a switch up means that layer did
 * not fit after all (on a thin link its key frame alone congests it):
 * the wait doubles, up to SIMULCAST_DOWN_HOLD_MAX_MS, so a link at the
 * edge of a layer does not pay two key frames (two freezes) every few
 * seconds. SIMULCAST_DOWN_CALM_MS without a switch down brings it back
 * to the base. */
#define SIMULCAST_DOWN_HOLD_MS 5000
#define SIMULCAST_DOWN_HOLD_MAX_MS 20000
#define SIMULCAST_UP_FAILED_MS 10000
#define SIMULCAST_DOWN_CALM_MS 60000
/* A camera held back for lack of bandwidth stays so at least this long,
 * and comes back only with headroom for its lowest layer (%). The camera
 * that came back last, held back again within SIMULCAST_STARVE_FLAP_MS,
 * doubles the receiver's hold (up to SIMULCAST_STARVE_HOLD_MAX_MS): a
 * camera that comes back only to congest the link again costs everyone a
 * burst of loss and a key frame. SIMULCAST_STARVE_CALM_MS without such an
 * event brings the hold back to its base. */
#define SIMULCAST_STARVE_HOLD_MS 5000
#define SIMULCAST_STARVE_HOLD_MAX_MS 40000
#define SIMULCAST_STARVE_FLAP_MS 15000
#define SIMULCAST_STARVE_CALM_MS 60000
#define SIMULCAST_STARVE_HEADROOM_PCT 30
/* ...and only once it has fitted that long without a break: an estimate
 * a probe lifted for a moment (a shaper's bucket lets a burst through) is
 * no room. A layer whose rate is not measured (0) never fits. */
#define SIMULCAST_STARVE_FIT_MS 3000
/* Cameras share this much of the estimate (%) once everything else a
 * receiver is sent (audio, screens, retransmissions, probes) is taken
 * off: a key frame is a burst above a layer's average rate, and a link
 * filled to its estimate drops it. */
#define SIMULCAST_BUDGET_PCT 85

/* A packet whose SSRC ep does not know: when its rid (or repaired-rid)
 * extension names one of ep's layers, that layer learns the SSRC (or its
 * RTX SSRC) and is returned, *rtx telling which, *replaced the SSRC it
 * had before (0: none). NULL otherwise, and when another endpoint of the
 * conference has that SSRC (counted as foreign-ssrc). */
source *simulcast_learn(endpoint *ep, const uint8_t *buf, const rtp_header *h, bool *rtx, uint32_t *replaced);

/* How stream_rewrite treats a packet's payload: VP8 gets its PictureID and
 * TL0PICIDX rewritten, H.264 nothing. */
enum stream_rewrite_codec simulcast_codec(const rtp_header *h);

/* Notes a layer packet's key frame size (VP8) and says whether it starts a
 * key frame. */
bool simulcast_inspect(source *layer, const uint8_t *buf, size_t len, const rtp_header *h);

/* Forwards one decrypted packet of a layer to every receiver that is sent
 * this layer (or switches to it at this key frame). */
void simulcast_forward(conference *conf, endpoint *sender, source *layer, uint8_t *buf, size_t len,
                       const rtp_header *h, bool keyframe, int64_t now_ms);

/* Chooses the layer of every simulcast camera receiver gets, within its
 * bandwidth estimate (when it has one) and its view heights, and starts
 * the switches (asking senders for key frames). */
void simulcast_allocate(conference *conf, endpoint *receiver, int64_t now_ms);

/* The stream of the camera with this group SSRC towards receiver, or NULL. */
out_stream *simulcast_stream(endpoint *receiver, uint32_t group_ssrc);

/* The layer of sender currently forwarded on os, or NULL. */
source *simulcast_current_layer(endpoint *sender, const out_stream *os);

#endif
