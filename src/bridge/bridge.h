/* The bridge as the focus and main() see it: a selective forwarding unit
 * driven only by control messages (docs/protocol.md, "Bridge control").
 * bridge_new starts the media workers; bridge_handle takes requests on the
 * control thread; responses and events come back through the emit callback,
 * always on the control thread, during bridge_handle or bridge_poll. */
#ifndef STOA_BRIDGE_H
#define STOA_BRIDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bridge/forward_delay.h"
#include "bridge/media_drop.h"

typedef struct bridge bridge;

typedef struct bridge_config {
    int workers;                   /* media worker threads, >= 1 */
    uint16_t media_port;           /* worker i listens on media_port + i */
    const char *const *public_ips; /* addresses advertised in candidates */
    int n_public_ips;
    int consent_timeout_ms;        /* expire a transport silent this long */
    uint64_t remb_bitrate;         /* bit/s announced to every sender */
    int worker_participants;       /* past this many on one worker, a conference spreads (0: never) */
} bridge_config;

/* Called with each message for the focus; the callee takes the reference. */
typedef void (*bridge_emit_fn)(void *user, json_t *msg);
/* Called from any thread when bridge_poll has work; must only schedule a
 * call to bridge_poll on the control thread (e.g. lws_cancel_service). */
typedef void (*bridge_wake_fn)(void *user);

/* Binds the worker sockets and starts the workers. Returns NULL on failure
 * (logged), e.g. when a media port is taken. */
bridge *bridge_new(const bridge_config *cfg, bridge_emit_fn emit, bridge_wake_fn wake, void *user);
/* Handles one request (takes the reference). The response is emitted before
 * this returns. */
void bridge_handle(bridge *b, json_t *request);
/* Delivers pending worker events through emit. */
void bridge_poll(bridge *b);
/* Stops and joins the workers and frees everything, endpoints included. */
void bridge_free(bridge *b);

/* Counters summed over workers: what each published at its last tick (at
 * most 20 ms old), exact once the workers have stopped. Any thread. */
typedef struct bridge_counters {
    uint64_t rx_datagrams;
    uint64_t rtp_forwarded;        /* packets sent to receivers */
    uint64_t rx_bytes;
    uint64_t rtp_forwarded_bytes;
    uint64_t dropped[MEDIA_DROP_REASONS];   /* see media_drop.h */
    uint64_t nacks_received;       /* sequence numbers receivers asked for again */
    uint64_t retransmitted;        /* of those, resent from the bridge's packet cache */
    uint64_t nacks_sent;           /* sequence numbers the bridge asked senders for */
    uint64_t twcc_feedback_sent;   /* transport-cc feedback packets sent to senders */
    uint64_t probe_packets;
    uint64_t relay_bytes_in, relay_bytes_out;   /* see worker.h */
    uint64_t relays, relay_rtt_ms_sum;          /* gauges: relays open, their round trips summed */
    uint64_t forward_delay_us_sum;
    uint64_t forward_delay[FORWARD_DELAY_BUCKETS];   /* see forward_delay.h */
} bridge_counters;
void bridge_get_counters(bridge *b, bridge_counters *out);
/* RTP packets worker i forwarded (to receivers and relays), and bytes it
 * sent to the other workers of its conferences; false past the last worker. */
bool bridge_get_worker_forwarded(bridge *b, int i, uint64_t *forwarded, uint64_t *to_workers);
/* Endpoints and conferences the bridge holds; control thread only. */
void bridge_get_load(const bridge *b, int *endpoints, int *conferences);

#endif
