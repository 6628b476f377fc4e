/* stoa-load: shared types of the load generator (see docs/benchmarks.md).
 *
 * Threads: the main thread runs the signalling (libwebsockets client, one
 * WebSocket per simulated participant) and the run's phases; one or more
 * media threads each run an epoll loop over the UDP sockets of their peer
 * connections (ICE, DTLS, SRTP, publishing, receiving). A peer connection is
 * built by the signalling side and handed to a media thread through its
 * queue; from then on only that thread touches it. Counters the main thread
 * reads while the run goes on are atomics; everything else is read after the
 * media threads have stopped. */
#ifndef STOA_LOAD_H
#define STOA_LOAD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "stamp.h"
#include "stats.h"
#include "webrtc/dtls.h"
#include "webrtc/srtp.h"
#include "webrtc/twcc.h"

#define LOAD_MAX_PARTICIPANTS 4096
#define LOAD_MAX_PCS 64                  /* peer connections per participant (Janus: 1 + subscriptions) */

typedef struct load_config {
    char url[256];
    char host[128];
    int port;
    char path[128];
    bool janus;
    int rooms;
    int participants;                    /* per room */
    int publishers;                      /* per room; the first ones to join publish */
    int seconds;
    int video_kbps;
    int fps;
    bool audio_only;
    bool simulcast;                      /* publish video as three layers (Stoa only) */
    int server_pid;
    bool json;
    bool expect_complete;
    int join_interval_ms;
    int join_timeout_s;
    int media_threads;
    int janus_room_base;
    bool verbose;
    char bind_ip[64];
    char room_prefix[48];                /* rooms are "<prefix>-<n>"; default "load-<pid>" */
    char regions[128];                   /* "a,b": participant i asks for region i mod 2 ("" none) */
    bool ice_tcp;                        /* media over ICE-TCP (RFC 6544, RFC 4571 framing) */
    int audio_ptime_ms;                  /* Opus packet interval (20 ms; 60 for big rooms) */
    int source_addresses;                /* >0: participant i signals from 127.0.1.(1 + i % N) */
    int view_height;                     /* >0: Stoa: shows every camera this tall (receiver-constraints) */
} load_config;

struct participant;
struct lws_context;
struct lws_protocols;
struct pc;
struct media_worker;
struct sig_conn;
struct lsdp;
struct lsdp_local;
struct rtp_header;

/* What a client built on these modules (tools/hostile) may change or watch;
 * stoa-load sets none. Every hook is optional. */
typedef struct load_hooks {
    /* Signalling: the answer to offer is about to be written from l (its SSRCs may be changed). */
    void (*before_answer)(struct participant *p, const struct lsdp *offer, struct lsdp_local *l);
    /* Signalling: the server sent an error. */
    void (*on_server_error)(struct sig_conn *s, const char *code, const char *re);
    /* Media thread, about every millisecond once SRTP is up, after publishing. */
    void (*on_media_tick)(struct media_worker *w, struct pc *c, int64_t now);
    /* Media thread: every RTP packet received, unprotected and parsed; h is
     * NULL for one that failed to unprotect (SRTP's replay check refuses a
     * packet resent under the same sequence number). */
    void (*on_rtp)(struct pc *c, const uint8_t *buf, size_t len, const struct rtp_header *h, int64_t now);
} load_hooks;

/* One ICE/DTLS/SRTP transport. */
typedef struct pc {
    struct participant *p;
    int fd;                              /* UDP, or with ice_tcp a connected TCP socket */
    bool tcp;
    uint8_t *tcp_rx;                     /* RFC 4571 reassembly: 2 + 65535 bytes */
    size_t tcp_rx_len;
    struct sockaddr_in local;
    struct sockaddr_in remote;
    bool have_remote;
    char local_ufrag[9], local_pwd[25];
    char remote_ufrag[257], remote_pwd[257];
    uint8_t remote_fp[32];
    bool controlling;                    /* we nominate (remote is ICE-lite, or we offered) */
    bool dtls_server;                    /* remote said setup:active */
    bool send;                           /* publishes on this transport */
    bool mid_ext;                        /* write the sdes:mid extension (id 4) */
    bool twcc_ext;                       /* and a transport-wide sequence number (id 3), as browsers do */
    uint16_t tw_seq;                     /* the next one (media thread) */
    bool simulcast;                      /* video goes out as three layers named by rid (id 5) */
    bool key_due[3];                     /* a layer's next frame is a key frame (asked for by PLI) */
    int64_t next_key_ns;                 /* key frames of every layer at the latest then */
    twcc_recorder *twcc;                 /* arrivals of what we receive, for transport-cc feedback */
    int64_t next_twcc_ns;
    uint8_t audio_pt, video_pt;
    uint8_t remote_video_pt;             /* received video payload type (stamp behind a VP8 descriptor) */
    /* media-thread state */
    bool ice_ok;
    bool connected;
    bool failed;
    dtls_conn *dtls;
    stoa_srtp srtp;
    bool srtp_ready;
    int64_t next_check_ns;
    int64_t next_audio_ns, next_video_ns;
    uint16_t rtp_seq[STAMP_STREAMS];
    uint32_t rtp_ts[STAMP_STREAMS];
    uint64_t tiebreaker;
    struct pc *next_in_worker;
} pc;

typedef struct participant {
    int index;                           /* global: the publisher number in stamps */
    int room;
    int in_room;                         /* order of creation within the room */
    bool publishes;
    uint32_t audio_ssrc, video_ssrc;
    uint32_t layer_ssrc[3];              /* with --simulcast: the video layers, lowest first */
    char name[32];
    char id[64];                         /* given by the server */
    /* signalling (main thread) */
    void *sig;                           /* signalling module state */
    int64_t ws_open_ns;
    bool joined;
    bool failed;
    char error[160];
    pc *pcs[LOAD_MAX_PCS];
    int n_pcs;
    /* media (media thread; read by main after the threads stopped, except atomics) */
    seq_tracker *rx;                     /* [n_total * STAMP_STREAMS]: publisher * STAMP_STREAMS + stream */
    _Atomic int64_t first_media_ns;
    atomic_int connected_pcs;
    uint32_t sent_seq[STAMP_STREAMS];    /* next stamp sequence number per stream */
    uint64_t sent_packets;
    uint64_t rx_packets;
    uint64_t rx_foreign;                 /* RTP without a valid stamp, or from unknown publishers */
    uint64_t undecryptable;
    uint64_t rtcp_packets;
    _Atomic uint64_t keyframe_requests;  /* PLI and FIR naming one of our SSRCs */
} participant;

typedef struct media_worker {
    pthread_t thread;
    int epfd, evfd;
    pthread_mutex_t lock;
    pc *incoming;                        /* handed over, not yet taken (under lock) */
    pc *pcs;                             /* owned by the thread */
    atomic_bool quit;
    lat_hist lat;
    _Atomic uint64_t rx_rtp, tx_rtp;
} media_worker;

typedef struct load_run {
    load_config cfg;
    dtls_ctx *dtls;
    participant *parts;
    int n_total;
    media_worker *workers;
    int n_workers;
    atomic_bool publishing;
    int64_t start_ns;
    const load_hooks *hooks;             /* NULL in stoa-load */
} load_run;

extern load_run *g_run;

int64_t mono_ns(void);

/* media.c */
int media_start(load_run *run);
void media_stop(load_run *run);
/* Creates a transport for p: a non-blocking UDP socket bound on bind_ip
 * (port 0), fresh ICE credentials. The caller fills in the remote side and
 * then calls pc_start, which hands it to a media thread. */
pc *pc_new(participant *p, const char *bind_ip);
void pc_start(load_run *run, pc *c);
void pc_free(pc *c);
/* Replaces c's UDP socket by a TCP connection to c->remote (ICE-TCP, the
 * server's passive candidate: the same address and port). Before pc_start.
 * Returns 0 or -1. */
int pc_use_tcp(pc *c, const char *bind_ip);
/* Sends one packet as it is (STUN, DTLS, or already protected SRTP): a
 * datagram, or an RFC 4571 frame on ICE-TCP. Media thread only. */
void pc_send_packet(pc *c, const void *data, size_t len);
/* Several packets: on ICE-TCP their frames go out in one write (so the
 * server reads them together), at most 64. */
struct iovec;
void pc_send_packets(pc *c, const struct iovec *pkts, size_t n);

/* procstat.c */
typedef struct proc_sample {
    bool ok;
    double cpu_s;                        /* utime + stime */
    long hwm_kb;                         /* VmHWM */
    long rss_kb;
} proc_sample;
proc_sample proc_read(int pid);
/* CPU seconds all cores spent busy since boot (/proc/stat, not idle or
 * iowait), or a negative value. Over the window, busy time beyond the
 * server's and the generator's own is someone else's: the run was not alone. */
double machine_busy_s(void);

/* sig.c, signal_stoa.c, signal_janus.c: see sig.h. */

#endif
