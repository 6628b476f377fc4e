/* Relays: one conference across bridges (docs/architecture.md, "Relays").
 *
 * On each bridge, the other bridge of a relay is a relay endpoint: a
 * receiver of this bridge's participants' media, sent unrewritten (every
 * simulcast layer under its own SSRC) but only what the other side
 * subscribes to; each participant on the other bridge is a proxy endpoint
 * whose media arrives over the relay, so Last-N, layer choice and
 * dominant-speaker detection treat it as a local sender.
 *
 * Wire: each datagram is a 4-byte header (RELAY_MARK, then the channel id
 * the receiving bridge gave the relay, 24 bits big-endian) and an SRTP or
 * SRTCP packet (AEAD_AES_128_GCM, keys from the focus over the control
 * link). Two RTCP APP packets of our own ride it: the subscription
 * ("STSU": the SSRCs the sender's receivers need) and the layer report
 * ("STLY": per simulcast camera, each layer's SSRC, RTX SSRC, bitrate and
 * size, so the far bridge chooses layers it does not receive). */
#ifndef STOA_BRIDGE_RELAY_H
#define STOA_BRIDGE_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/conference.h"
#include "bridge/endpoint.h"
#include "webrtc/rtcp.h"
#include "webrtc/rtp.h"

struct worker;

#define RELAY_MARK 0xF0            /* outside every RFC 7983 range */
#define RELAY_HEADER 4
#define RELAY_CHANNEL_MAX 0xFFFFFF
#define RELAY_SUBSCRIPTION_MS 200  /* how often the subscription is recomputed */
#define RELAY_SUBSCRIPTION_REPEAT_MS 1000   /* sent again unchanged (it may be lost) */
#define RELAY_LAYER_REPORT_MS 500

/* Whether a relay forwards what arrived as a proxy over `via`: only to a
 * relay of the other kind. A packet crosses at most one relay between
 * bridges and one between workers (every pair of a conference's bridges,
 * and of its workers on one bridge, is linked directly); a worker that
 * holds the conference's relays to other bridges passes their media on to
 * the conference's other workers, and theirs to the other bridges. */
static inline bool relay_passes_on(const endpoint *via, const endpoint *relay)
{
    return via && via->internal != relay->internal;
}

/* Whether ep's media may be sent to receiver: never anything to a proxy,
 * a proxy's to a relay only as relay_passes_on says. */
static inline bool relay_may_send(const endpoint *sender, const endpoint *receiver)
{
    if (receiver->kind == ENDPOINT_PROXY)
        return false;
    return receiver->kind != ENDPOINT_RELAY || sender->kind != ENDPOINT_PROXY || relay_passes_on(sender->via, receiver);
}

/* A datagram starting with RELAY_MARK. */
void relay_handle_datagram(struct worker *w, uint8_t *buf, size_t len, int64_t now);
/* Registers/unregisters a relay in its worker's channel table. Returns -1
 * when the table is full. */
int relay_register(struct worker *w, endpoint *relay);
void relay_unregister(struct worker *w, endpoint *relay);
/* Rebuilds relay's SSRC index from its proxies (after a proxy came, went or
 * was reconfigured, or a layer was bound). */
void relay_index_rebuild(endpoint *relay);
/* Moves the protected packet at buf (len bytes) behind the relay header;
 * returns the framed length, 0 when it would not fit cap. */
size_t relay_frame(const endpoint *relay, uint8_t *buf, size_t len, size_t cap);
/* The relay's timers: subscription and layer reports. */
void relay_tick(conference *conf, endpoint *relay, int64_t now);
/* An APP packet from a relay's peer. */
void relay_handle_app(conference *conf, endpoint *relay, const rtcp_packet *p, int64_t now);
/* Sends a simulcast layer's packet, as it is, to every relay subscribed to
 * it (the far bridge rewrites it for its own receivers). */
void relay_forward_layer(conference *conf, endpoint *sender, const source *layer, const uint8_t *buf, size_t len,
                         const rtp_header *h);
/* Sends a simulcast layer's sender report (bare, RTCP bytes in pkt) to the
 * relays subscribed to the layer. */
void relay_forward_layer_report(conference *conf, endpoint *sender, const source *layer, const uint8_t *pkt,
                                size_t len);

#endif
