/* A media worker: one thread, one epoll loop, one UDP socket, and the whole
 * conferences it owns. The control thread talks to it only through its
 * command queue; it answers only through the shared event queue. */
#ifndef STOA_WORKER_H
#define STOA_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bridge/addr_map.h"
#include "bridge/bwe.h"
#include "bridge/conference.h"
#include "bridge/endpoint.h"
#include "bridge/forward_delay.h"
#include "bridge/media_drop.h"
#include "bridge/tcp_transport.h"
#include "core/log.h"
#include "core/queue.h"
#include "webrtc/dtls.h"

#define WORKER_BATCH 32            /* datagrams per recvmmsg */
/* Datagrams queued before a sendmmsg: room for the fan-out of several
 * received packets, so that packets to one receiver can be coalesced
 * into one UDP GSO send (tools/bench: +14 to +24 % forwarded packets per
 * CPU-second, docs/benchmarks.md). */
#define WORKER_OUT_BATCH 128
#define WORKER_GSO_MAX_SEGS 64
#define WORKER_MTU 1500
#define WORKER_BUF (WORKER_MTU + 64)
#define WORKER_UFRAG_BUCKETS 1024      /* endpoints by local ICE ufrag */
/* Each receiver's bandwidth estimate starts here and stays in this range. */
#define WORKER_BWE_START_BPS 1000000
#define WORKER_BWE_MIN_BPS 100000
#define WORKER_BWE_MAX_BPS 20000000
#define WORKER_MAX_RELAYS 64           /* relays (conference x other bridge) per worker */

enum worker_cmd_type {
    WORKER_ADD_ENDPOINT,           /* takes ownership of cmd->ep */
    WORKER_CONFIGURE,
    WORKER_PAUSE,                  /* ssrcs[] get paused = cmd->paused */
    WORKER_CONSTRAINTS,            /* last_n and selected[] */
    WORKER_EXPIRE,
    WORKER_RELAY_PEER,             /* a relay learns where its peer listens */
};

typedef struct worker_cmd {
    enum worker_cmd_type type;
    char conference[CONFERENCE_NAME_MAX];
    char endpoint[ENDPOINT_ID_MAX];
    endpoint *ep;                  /* WORKER_ADD_ENDPOINT */
    struct sockaddr_storage peer_addr;   /* WORKER_RELAY_PEER */
    socklen_t peer_addr_len;
    uint32_t peer_channel;
    /* WORKER_CONFIGURE */
    char remote_ufrag[257];
    char remote_pwd[257];
    uint8_t remote_fingerprint[32];
    uint32_t ssrcs[ENDPOINT_MAX_SOURCES];
    bool video[ENDPOINT_MAX_SOURCES];
    bool source_paused[ENDPOINT_MAX_SOURCES];
    bool source_screen[ENDPOINT_MAX_SOURCES];
    uint32_t source_rtx[ENDPOINT_MAX_SOURCES];
    char source_rids[ENDPOINT_MAX_SOURCES][SOURCE_MAX_LAYERS][SOURCE_RID_MAX];  /* simulcast layers, lowest first */
    int source_n_rids[ENDPOINT_MAX_SOURCES];
    int n_sources;
    struct { uint32_t ssrc, rtx; } layer_rtx[SOURCE_MAX_LAYERS];   /* of the simulcast source */
    int n_layer_rtx;
    uint32_t receives[ENDPOINT_MAX_ANNOUNCED];   /* sorted, distinct */
    int n_receives;                /* -1: not given */
    bool paused;                   /* WORKER_PAUSE */
    int last_n;                    /* WORKER_CONSTRAINTS */
    char selected[ENDPOINT_MAX_SELECTED][ENDPOINT_ID_MAX];
    int n_selected;
    struct { char id[ENDPOINT_ID_MAX]; uint16_t height; } view_heights[ENDPOINT_MAX_FORWARDED];
    int n_view_heights;
} worker_cmd;

enum worker_event_type {
    WORKER_EVENT_CONNECTED,
    WORKER_EVENT_EXPIRED,          /* the worker dropped the endpoint by itself */
    WORKER_EVENT_DOMINANT_SPEAKER, /* the endpoint became the conference's dominant speaker */
    WORKER_EVENT_FORWARDED,        /* the endpoint's Last-N set changed: see forwarded */
};

typedef struct worker_event {
    enum worker_event_type type;
    int worker;                    /* the index of the worker it comes from */
    char conference[CONFERENCE_NAME_MAX];
    char endpoint[ENDPOINT_ID_MAX];
    uint64_t serial;               /* of the endpoint, see endpoint.h */
    const char *reason;            /* static string */
    /* WORKER_EVENT_FORWARDED: the endpoint ids (malloc'd array): the
     * n_forwarded whose camera it receives, then the n_bandwidth in its
     * Last-N set held back for its bandwidth. */
    char (*forwarded)[ENDPOINT_ID_MAX];
    int n_forwarded;
    int n_bandwidth;
} worker_event;

typedef struct worker_counters {
    uint64_t rx_datagrams;
    uint64_t rtp_forwarded;
    uint64_t rx_bytes;             /* of the datagrams and frames received */
    uint64_t rtp_forwarded_bytes;  /* of the RTP sent to receivers, SRTP included */
    uint64_t dropped[MEDIA_DROP_REASONS];
    uint64_t nacks_received;       /* sequence numbers receivers asked for */
    uint64_t retransmitted;        /* of those, answered from the packet cache */
    uint64_t nacks_sent;           /* sequence numbers the bridge asked senders for */
    uint64_t twcc_feedback_sent;   /* transport-cc feedback packets to senders */
    uint64_t probe_packets;        /* packets sent to probe receivers' bandwidth */
    uint64_t relay_bytes_in;       /* relay datagrams from other bridges */
    uint64_t relay_bytes_out;      /* and to them */
    uint64_t worker_relay_bytes_in;   /* the same from and to the other workers of a conference */
    uint64_t worker_relay_bytes_out;
    uint64_t relays;               /* to other bridges, open now (a gauge) */
    uint64_t relay_rtt_ms_sum;     /* of their round trips (a gauge; 0 for those not measured) */
    uint64_t forward_delay_us_sum; /* see forward_delay.h */
    uint64_t forward_delay[FORWARD_DELAY_BUCKETS];
} worker_counters;

#define WORKER_COUNTERS (sizeof(worker_counters) / sizeof(uint64_t))

/* An outgoing datagram waiting in the send batch. */
typedef struct worker_out {
    uint8_t buf[WORKER_BUF];
    struct sockaddr_storage addr;
    /* IP_PKTINFO naming our source address: replies must come from the
     * address the peer sent to, or ICE sees a different candidate. */
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } control;
} worker_out;

/* A transport-wide numbered packet waiting in the send batch. Its send time
 * for the bandwidth estimate is taken when the batch is handed to the
 * kernel: the time spent handling the rest of the batch (longer when the
 * thread is preempted on a busy machine) is not the network's delay, and
 * the delay-based estimate must not take it for congestion. */
typedef struct worker_tw_sent {
    bwe *bwe;
    uint32_t bytes;
    uint16_t seq;
    bool probe;
} worker_tw_sent;

typedef struct worker {
    int index;
    pthread_t thread;
    int epoll_fd;
    int udp_fd;
    uint16_t port;
    atomic_bool stop;
    bool started;
    queue commands;                /* control → worker, eventfd-signalled */
    queue *events;                 /* worker → control, shared by all workers */
    void (*wake_control)(void *);
    void *wake_user;
    dtls_ctx *dtls;                /* shared, configured before the threads start */
    int consent_timeout_ms;
    uint64_t remb_bitrate;

    conference *conferences;
    addr_map by_addr;
    /* Endpoints by local ufrag: a STUN check finds its endpoint without a
     * scan (an unauthenticated check must cost next to nothing). */
    endpoint *by_ufrag[WORKER_UFRAG_BUCKETS];
    tcp_transport tcp;             /* ICE-TCP on the same port number */
    /* Relay endpoints by the channel id their packets carry (bridge/relay.h). */
    endpoint *relays[WORKER_MAX_RELAYS];
    int n_relays;
    worker_counters counters;      /* the worker's own, plain */
    log_limit drop_log[MEDIA_DROP_REASONS];   /* refusals a client can repeat: rate-limited lines */
    uint64_t oversize;             /* datagrams over WORKER_MTU (ICE-TCP counts its own frames) */
    int64_t batch_us;              /* when the datagrams being handled arrived (one clock read per batch) */
    int64_t in_rx_ns[WORKER_BATCH];    /* kernel receive times (CLOCK_REALTIME), 0: none */
    bool in_forwarded[WORKER_BATCH];   /* the datagram was forwarded to someone */
    /* A copy for other threads, refreshed every tick: relaxed atomic stores
     * keep the media path free of atomic read-modify-writes. */
    _Atomic uint64_t published[WORKER_COUNTERS];

    /* Batched I/O: buffers reused for every packet. */
    struct mmsghdr in_msgs[WORKER_BATCH];
    struct iovec in_iov[WORKER_BATCH];
    struct sockaddr_storage in_addrs[WORKER_BATCH];
    uint8_t in_bufs[WORKER_BATCH][WORKER_BUF];
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
    } in_control[WORKER_BATCH];
    struct mmsghdr out_msgs[WORKER_OUT_BATCH];
    struct iovec out_iov[WORKER_OUT_BATCH];
    worker_out out[WORKER_OUT_BATCH];
    int out_count;
    worker_tw_sent tw_sent[WORKER_OUT_BATCH];
    int tw_count;
    /* UDP GSO: queued datagrams regrouped by destination; runs of equal
     * size (the last may be shorter) go out as one message with UDP_SEGMENT. */
    bool gso;                      /* off after the first refusal, or with STOA_GSO=0 */
    struct mmsghdr gso_msgs[WORKER_OUT_BATCH];
    struct iovec gso_iov[WORKER_OUT_BATCH];
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint16_t))];
    } gso_control[WORKER_OUT_BATCH];
    uint64_t gso_sends, gso_datagrams;
} worker;

/* Binds the UDP socket on port (all addresses, IPv4 and IPv6 when
 * available) and prepares the loop. Returns 0, or -1 (logged). */
int worker_init(worker *w, int index, uint16_t port, dtls_ctx *dtls, queue *events,
                void (*wake_control)(void *), void *wake_user);
int worker_start(worker *w);
/* Asks the thread to stop, joins it and frees everything it owns. */
void worker_stop(worker *w);

/* Reads the counters the worker last published (any thread). */
void worker_read_counters(worker *w, worker_counters *out);

/* The calls below run on the worker's own thread only. */
int64_t worker_now_ms(void);
int64_t worker_now_us(void);
/* Reserves the next slot of the send batch, flushing first when full.
 * Fill out->buf, then commit with the length and destination. */
worker_out *worker_out_reserve(worker *w);
void worker_out_commit(worker *w, size_t len, const struct sockaddr_storage *to, socklen_t to_len,
                       struct in_addr local);
/* Commits the reserved slot towards ep's nominated path: queued in the UDP
 * batch, or written to its ICE-TCP connection at once. */
void worker_out_commit_to(worker *w, endpoint *ep, size_t len);
/* Sends the batch, then gives the bandwidth estimators its send time. */
void worker_flush(worker *w);
/* Registers a transport-wide numbered packet for ep's estimator, with the
 * send time of the batch it goes out in; call it just before committing the
 * packet's slot. */
void worker_note_tw_sent(worker *w, endpoint *ep, uint16_t seq, size_t bytes, bool probe);
/* Sends one packet now on ep's nominated path (UDP or its ICE-TCP connection). */
void worker_send_to_endpoint(worker *w, endpoint *ep, const uint8_t *buf, size_t len);
/* Sends one datagram now (DTLS, STUN: not batched). */
void worker_send_now(worker *w, const uint8_t *buf, size_t len, const struct sockaddr *to, socklen_t to_len,
                     struct in_addr local);
/* Copies an RTCP packet into the send batch, protects it for ep and
 * queues it. Dropped silently when ep has no SRTP yet. */
void worker_send_rtcp(worker *w, endpoint *ep, const uint8_t *rtcp, size_t len);
/* The first valid check arrived: start ep's DTLS server. Returns false
 * when that failed and ep was expired (freed). */
bool worker_begin_dtls(worker *w, endpoint *ep);
/* Applies the queued control commands now. */
void worker_drain_commands(worker *w);
/* Applies what a WORKER_CONFIGURE says the endpoint sends (its sources,
 * their layers and RTX streams; none under another endpoint's SSRC) and
 * may be sent (receives), keeping what it already had of each source
 * (configure_sources.c). */
void configure_sources(worker *w, endpoint *ep, const worker_cmd *cmd);
/* The live endpoint whose local ICE ufrag is ufrag[0..len), or NULL. */
endpoint *worker_endpoint_by_ufrag(worker *w, const uint8_t *ufrag, size_t len);
struct ice_origin;
/* Handles one received datagram or ICE-TCP frame (buf may be modified) as
 * the loop does; exposed for the stateful media fuzzer. */
void worker_handle_datagram(worker *w, uint8_t *buf, size_t len, const struct ice_origin *o, int64_t now);
/* Handles one SRTP or SRTCP packet (buf modified in place) from ep
 * (media_input.c). */
void worker_handle_srtp(worker *w, endpoint *ep, uint8_t *buf, size_t len, int64_t now);
/* A decrypted, parsed RTP packet of ep's src (NULL: maybe an RTX stream):
 * RTX restoring, packet cache, statistics, forwarding. */
void worker_take_media(worker *w, endpoint *ep, source *src, uint8_t *buf, size_t len, rtp_header *h, int64_t now);
#define WORKER_TICK_MS 20
#define WORKER_TWCC_INTERVAL_MS 50
#define WORKER_REPORT_INTERVAL_MS 1000

/* Runs the periodic work (reports, timeouts, allocation) as the loop does
 * every WORKER_TICK_MS (worker_tick.c). */
void worker_tick(worker *w, int64_t now);
/* Publishes the counters for worker_read_counters (each tick, and when stopping). */
void worker_publish_counters(worker *w);
/* Queues an event for the control thread (worker.c). */
void worker_emit_event(worker *w, enum worker_event_type type, endpoint *ep, const char *reason);
/* Tells the control thread which cameras ep now receives (worker.c). */
void worker_report_forwarded(worker *w, endpoint *ep);
/* An ICE-TCP connection closed: its endpoint loses the path (worker.c). */
void worker_tcp_closed(void *user, tcp_conn *c);
/* Counts a refusal for reason and logs it (rate-limited per reason) with
 * what was refused, naming ep when there is one. */
void worker_refuse(worker *w, enum media_drop reason, const endpoint *ep, const char *what);
/* Marks ep dead, tells the control thread why, and frees it. */
void worker_expire_endpoint(worker *w, endpoint *ep, const char *reason);

#endif
