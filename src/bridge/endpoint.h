/* One participant's transport in a media worker: ICE-lite state, DTLS,
 * SRTP, the sources it sends and their receive statistics. Owned by one
 * worker; no other thread touches it after the handover. */
#ifndef STOA_ENDPOINT_H
#define STOA_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bridge/budget.h"
#include "bridge/packet_cache.h"
#include "bridge/rate_meter.h"
#include "bridge/stream_rewrite.h"
#include "webrtc/dtls.h"
#include "webrtc/rtp.h"
#include "webrtc/srtp.h"
#include "webrtc/twcc.h"

#define ENDPOINT_ID_MAX 64
#define ENDPOINT_MAX_SOURCES 8
#define ENDPOINT_MAX_PATHS 4
#define ENDPOINT_MAX_SELECTED 8
/* The bridge refuses endpoints beyond this in one worker's part of a
 * conference (control.c, control_shards.c: a conference may span workers),
 * so every per-receiver table below can hold every other endpoint. */
#define CONFERENCE_MAX_ENDPOINTS 100
#define ENDPOINT_MAX_FORWARDED CONFERENCE_MAX_ENDPOINTS
#define ENDPOINT_MAX_RTX_STREAMS 16
/* Simulcast cameras one receiver gets at once: one per other endpoint
 * (configure accepts one simulcast source per endpoint). */
#define ENDPOINT_MAX_OUT_STREAMS (CONFERENCE_MAX_ENDPOINTS - 1)
#define ENDPOINT_OUT_INDEX 256         /* a power of two, at least twice the streams */
#define SOURCE_MAX_LAYERS 3
#define ENDPOINT_SR_MEMORY 8           /* sender reports relayed to a receiver, kept for its RTT */
#define SOURCE_RID_MAX 17
#define ENDPOINT_MAX_RTCP_SSRCS 8      /* SSRCs an endpoint's RTCP may come from */
#define ENDPOINT_KEYFRAME_SLOTS 32     /* sources whose key-frame requests are timed per receiver */
/* SSRCs one receiver may be told of: the focus offers at most 128 m=
 * sections, each sending one stream and its RTX stream. */
#define ENDPOINT_MAX_ANNOUNCED 256
/* Budgets (docs/security.md): SSRCs an endpoint does not yet know it may
 * send (simulcast layers learn theirs from the first packet), per second
 * and at once; retransmission bytes per byte forwarded to a receiver (in
 * halves) and at most; key-frame requests per receiver and source. */
#define ENDPOINT_NEW_SSRCS_PER_S 10
#define ENDPOINT_NEW_SSRCS_BURST 16
#define ENDPOINT_RTX_CREDIT_MAX (256 * 1024)
#define ENDPOINT_NACKS_PASSED_ON_PER_S 100     /* NACKed packets the bridge lacks, asked of senders */
#define ENDPOINT_NACKS_PASSED_ON_BURST 128
#define ENDPOINT_KEYFRAME_INTERVAL_MS 1000

struct worker;
struct conference;
struct tcp_conn;
struct bwe;

/* Receive statistics of one incoming SSRC (RFC 3550 appendix A.1, A.3, A.8). */
typedef struct source_stats {
    bool started;
    uint16_t max_seq;
    uint32_t cycles;               /* count of sequence wraps, shifted by 16 */
    uint32_t base_seq;
    uint32_t received;
    uint32_t expected_prior;
    uint32_t received_prior;
    int64_t transit;               /* previous relative transit, in RTP units */
    double jitter;                 /* RTP units */
    uint32_t last_sr;              /* middle 32 bits of the last SR's NTP time */
    int64_t last_sr_at_ms;         /* when it arrived */
} source_stats;

typedef struct source {
    uint32_t ssrc;
    bool video;
    bool paused;                   /* not forwarded (e.g. muted by a moderator) */
    bool screen;                   /* a screen share: never held back by Last-N */
    uint32_t rtx_ssrc;             /* video: its RFC 4588 retransmission SSRC, 0: none */
    uint32_t clock_rate;
    source_stats stats;
    int64_t last_keyframe_request_ms;
    bool keyframe_pending;         /* a request waits for the rate limit */
    uint8_t fir_seq;
    packet_cache *cache;           /* video: recent packets, to answer receivers' NACKs */

    /* Simulcast (RFC 8853): a camera sent as up to three layers, each a
     * source of its own, named by rid until its first packet tells its
     * SSRC. The group source (n_layers > 0) has the SSRCs receivers know
     * (made up by the focus) and never carries packets itself. */
    bool bound;                    /* ssrc is known (false: a layer not yet seen) */
    int n_layers;                  /* group: how many layers */
    int8_t layers[SOURCE_MAX_LAYERS];  /* group: indices of its layers in the endpoint's sources */
    int8_t group;                  /* layer: index of its group source; -1 for other sources */
    int8_t layer;                  /* layer: position in the simulcast list, 0 = lowest resolution */
    char rid[SOURCE_RID_MAX];      /* layer */
    uint16_t width, height;        /* video: size of the latest VP8 key frame, 0 when unknown */
    /* A proxy's layer: the bitrate its own bridge measures it at (most
     * layers never cross the relay, so this one cannot measure them), and
     * when that bridge last said it is sending (0: not a proxy's). */
    uint32_t remote_bps;
    int64_t remote_ms;

    rate_meter received;           /* its bitrate arriving */
} source;

/* One simulcast camera as one receiver gets it: the layer it is sent and
 * the rewriting that makes the layers one continuous stream. */
typedef struct out_stream {
    uint32_t group_ssrc;           /* 0: slot free */
    uint64_t sender_serial;
    int target_layer;              /* chosen by simulcast_allocate; -1: none yet */
    stream_rewrite rewrite;
    int64_t last_up_ms;            /* last switch to a higher layer */
    int64_t last_down_ms;          /* last switch down for lack of bandwidth */
    int64_t down_hold_ms;          /* wait after it before going up (0: the base) */
} out_stream;

typedef enum endpoint_state {
    ENDPOINT_NEW,                  /* no valid check yet */
    ENDPOINT_CHECKED,              /* ICE check seen: DTLS may start */
    ENDPOINT_CONNECTED,            /* DTLS done, fingerprint verified, SRTP ready */
    ENDPOINT_DEAD,                 /* expired; waiting to be freed */
} endpoint_state;

/* What an endpoint stands for. A relay and a proxy carry a conference
 * across bridges (bridge/relay.h): they have no ICE and no DTLS. */
typedef enum endpoint_kind {
    ENDPOINT_PARTICIPANT,          /* a browser (or other WebRTC peer) on this bridge */
    ENDPOINT_RELAY,                /* another bridge: receives what its receivers subscribe to */
    ENDPOINT_PROXY,                /* a participant on another bridge: sends over its relay, receives nothing */
} endpoint_kind;

#define RELAY_INDEX 256            /* a power of two: proxied SSRCs a relay finds by hash */

typedef struct endpoint {
    char id[ENDPOINT_ID_MAX];
    endpoint_kind kind;
    /* A proxy: the relay its media arrives on and its feedback leaves by. */
    struct endpoint *via;
    char via_id[ENDPOINT_ID_MAX];
    /* A relay: the channel ids the packets to us and to the peer carry (0:
     * the peer's not known yet), and the SSRCs of its proxies by hash
     * (rebuilt when they change, never per packet; RTX SSRCs marked). */
    uint32_t channel, peer_channel;
    /* A relay between two media workers of this bridge (a conference
     * spread over workers, bridge/control_shards.c), not to another bridge. */
    bool internal;
    struct { uint32_t ssrc; struct endpoint *proxy; } relay_index[RELAY_INDEX];
    int64_t next_subscription_ms, next_layer_report_ms, last_subscription_ms;
    uint32_t subscription_hash;    /* of the last subscription sent */
    int64_t relay_rx_ms;           /* the last authenticated packet from the peer */
    uint64_t serial;               /* unique per allocation: ids may be reused */
    struct worker *worker;
    struct conference *conf;
    struct endpoint *next;         /* in the conference */
    struct endpoint *ufrag_next;   /* in the worker's table by local ufrag */
    endpoint_state state;

    char local_ufrag[9];
    char local_pwd[33];
    char remote_ufrag[257];
    char remote_pwd[257];
    bool configured;               /* remote credentials and fingerprint known */
    uint8_t remote_fingerprint[32];

    struct sockaddr_storage paths[ENDPOINT_MAX_PATHS];  /* addresses that passed a check */
    int n_paths;
    struct sockaddr_storage addr;  /* where we send: the nominated path */
    socklen_t addr_len;
    struct in_addr local_ip;       /* our address the nominated path reached */
    struct tcp_conn *tcp;          /* the nominated path is this ICE-TCP connection (else UDP) */
    bool has_addr;
    uint64_t path_priority;        /* the pair priority of that path, 0: not nominated */
    int64_t path_check_ms;         /* the last valid check on it */

    dtls_conn *dtls;
    bool dtls_done;                /* handshake finished (fingerprint may still be pending) */
    stoa_srtp srtp;
    bool srtp_ready;

    uint32_t bridge_ssrc;          /* our SSRC in RTCP towards this endpoint */
    source sources[ENDPOINT_MAX_SOURCES];
    int n_sources;
    /* SSRCs its simulcast layers were declared under, each with its RTX
     * SSRC (FID groups; Firefox declares them, Chromium does not): a layer
     * learned under one gets that RTX stream even if its retransmissions
     * carry no repaired-rid. */
    struct { uint32_t ssrc, rtx; } layer_rtx[SOURCE_MAX_LAYERS];
    int n_layer_rtx;

    /* The SSRCs its last answered offer told it it receives (configure
     * "receives"), sorted; n_announced -1: not limited (no configure named
     * them). It is sent media under no other SSRC: a browser may give a
     * stream it was not told about to the wrong track, and keep it there. */
    uint32_t announced[ENDPOINT_MAX_ANNOUNCED];
    int n_announced;

    /* Last-N: the receiver wants camera video of at most last_n others
     * (-1: all), the selected ones first, then the recent speakers. */
    int last_n;
    char selected[ENDPOINT_MAX_SELECTED][ENDPOINT_ID_MAX];
    int n_selected;
    uint64_t forwarded[ENDPOINT_MAX_FORWARDED];   /* serials whose camera it gets */
    int n_forwarded;
    /* Simulcast cameras held back because not even their lowest layer fits
     * what is left of its bandwidth estimate (sender serials): Last-N set
     * by the bandwidth, the least relevant cameras first. */
    uint64_t starved[ENDPOINT_MAX_FORWARDED];
    int64_t starved_ms[ENDPOINT_MAX_FORWARDED];   /* since when */
    int64_t starved_fits_ms[ENDPOINT_MAX_FORWARDED];   /* it has fitted since then (0: it does not) */
    int n_starved;
    bool forwarded_changed;        /* the cameras it gets changed outside Last-N: tell the focus */

    /* Transport-wide feedback about what this endpoint sends us, so that
     * its own congestion control sees the path to the bridge. Allocated at
     * the first packet carrying a transport-wide sequence number. */
    twcc_recorder *twcc;
    int64_t next_twcc_ms;

    /* Sequence numbers of the RTX streams the bridge sends this receiver,
     * one per forwarded source it retransmitted. */
    struct { uint32_t ssrc; uint16_t seq; } rtx_out[ENDPOINT_MAX_RTX_STREAMS];
    int n_rtx_out;

    /* Simulcast cameras forwarded to this receiver, and the largest height
     * it shows each sender's camera at (per selected endpoint id; 0: no
     * limit known), from its receiver constraints. */
    out_stream out_streams[ENDPOINT_MAX_OUT_STREAMS];
    /* out_streams by group SSRC, for every forwarded packet: open
     * addressing, slot + 1 (0: empty), rebuilt when a stream opens or
     * closes (never per packet). */
    uint8_t out_index[ENDPOINT_OUT_INDEX];
    /* The bandwidth towards this receiver, estimated from its
     * transport-wide feedback about what the bridge sends it (every packet
     * gets a transport-wide sequence number of this transport). */
    struct bwe *bwe;
    uint16_t tw_seq_out;
    /* Sender reports the bridge relayed to this receiver (their NTP time's
     * middle 32 bits, and when): its report blocks' LSR/DLSR about them
     * give the round trip to it (RFC 3550 6.4.1). */
    struct { uint32_t lsr; int64_t at_ms; } srs_sent[ENDPOINT_SR_MEMORY];
    int next_sr_sent;
    int64_t rtt_ms;                /* 0: not measured yet */
    bool probing;                  /* packets sent now belong to a probe cluster */
    rate_meter sent;               /* everything the bridge sends it */
    rate_meter sent_extra;         /* of which retransmissions and probe padding */
    bool layers_limited;           /* the last allocation held a camera below the layer it wanted */
    int64_t starve_hold_ms;        /* how long a camera held back stays so (0: the base) */
    int64_t last_unstarve_ms;      /* a camera held back last came back then */
    uint64_t last_unstarved;       /* its sender's serial */
    int64_t last_flap_ms;          /* one came back and was held back again soon after */
    int64_t next_probe_ms;
    int probe_interval_ms;         /* grows while probes find no room */
    uint32_t estimate_at_probe;    /* the estimate when the last probe began */
    int64_t probe_end_ms;          /* the open probe cluster ends then */
    uint32_t probe_bytes_per_tick;
    struct { char id[ENDPOINT_ID_MAX]; uint16_t height; } view_heights[ENDPOINT_MAX_FORWARDED];
    int n_view_heights;
    int64_t next_allocation_ms;

    /* What this endpoint may make the bridge spend (see the budgets above). */
    budget new_ssrcs;              /* packets under SSRCs it has not declared */
    uint32_t rtcp_ssrcs[ENDPOINT_MAX_RTCP_SSRCS];   /* its RTCP's sender SSRCs seen so far */
    int n_rtcp_ssrcs;
    credit rtx_credit;             /* retransmission bytes it may still be sent */
    budget nacks_passed_on;        /* its NACKs the bridge passes on to senders */
    /* Its last key-frame request per source; one refused inside the
     * interval is deferred to the interval's end, not lost (a decoder that
     * asked still needs the frame). */
    struct { uint32_t ssrc; int64_t at_ms; bool deferred; } keyframe_asked[ENDPOINT_KEYFRAME_SLOTS];

    int64_t created_ms;
    int64_t last_check_ms;         /* last valid ICE check: consent (RFC 7675) */
    int64_t next_report_ms;
} endpoint;

/* Creates an endpoint with fresh ICE credentials, not yet in any worker.
 * Returns NULL when out of memory. */
endpoint *endpoint_new(const char *id);
/* Whether src arrived within timeout_ms (for a proxy's layer: its own
 * bridge says so). */
bool source_active(const source *src, int64_t now, int64_t timeout_ms);
/* Counts one received packet of src into its statistics (len: its bytes). */
void source_update_stats(source *src, const rtp_header *h, size_t len, int64_t now);
/* The bitrate src arrives at, 0 when it has been silent for a second. */
uint32_t source_bitrate(const source *src, int64_t now);
/* Frees a source's resources (its packet cache). */
void source_release(source *src);
/* Frees the endpoint, its DTLS connection and SRTP contexts. The caller has
 * already unlinked it from its conference and the worker's address map. */
void endpoint_free(endpoint *ep);
/* The endpoint's key in its conference's speaker detector. */
static inline uint32_t endpoint_speaker_key(const endpoint *ep) { return (uint32_t)ep->serial; }
/* Whether receiver was told it receives ssrc (see announced). */
bool endpoint_announced(const endpoint *receiver, uint32_t ssrc);
/* Whether sender is in receiver's Last-N set (always without a limit). */
bool endpoint_in_last_n(const endpoint *receiver, const endpoint *sender);
/* Whether receiver gets sender's camera video: in its Last-N set and not
 * held back for lack of bandwidth. */
bool endpoint_receives_camera(const endpoint *receiver, const endpoint *sender);
/* The next RTX sequence number for the RTX stream rtx_ssrc towards ep. */
uint16_t endpoint_next_rtx_seq(endpoint *ep, uint32_t rtx_ssrc);
/* Finds the source whose RTX SSRC this is, or NULL. */
source *endpoint_source_by_rtx(endpoint *ep, uint32_t rtx_ssrc);
/* Finds the source with this SSRC, or NULL (layers whose SSRC is not yet
 * known are never found). Linear: an endpoint has few. */
source *endpoint_source(endpoint *ep, uint32_t ssrc);
/* The RTX SSRC ep declared for a simulcast layer under ssrc (layer_rtx),
 * 0 when none. */
uint32_t endpoint_declared_layer_rtx(const endpoint *ep, uint32_t ssrc);
/* Whether ep declared ssrc for a simulcast layer or its RTX. */
bool endpoint_declares_layer_ssrc(const endpoint *ep, uint32_t ssrc);

#endif
