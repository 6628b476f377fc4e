/* stoa-hostile: a participant that joins a Stoa room legitimately (the
 * signalling, ICE, DTLS and SRTP of tools/load) and then misbehaves, one
 * scenario per run, or floods the server's ports without joining. It reports
 * what it did and what came back as one line of key=value pairs, for the
 * tests of tests/hostile to hold against their budgets. Every attack is
 * bounded in count and time and aims only at 127.0.0.0/8. */
#ifndef STOA_HOSTILE_H
#define STOA_HOSTILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "load.h"

enum scenario {
    SC_OVERSIZE,                         /* ~60 KB SRTP packets over ICE-TCP */
    SC_FOREIGN_SSRC,                     /* answer with, then send under, a victim's SSRCs */
    SC_NACK_STORM,                       /* NACKs naming ~1500 packets, many per second */
    SC_PLI_STORM,                        /* PLI/FIR for every camera it receives, many per second */
    SC_SSRC_FLOOD,                       /* authenticated RTP under ever new SSRCs */
    SC_UFRAG_FLOOD,                      /* STUN checks with unknown usernames (no joining) */
    SC_CONN_FLOOD,                       /* many WebSocket connections from one address */
    SC_SLOW_HTTP,                        /* slowloris: requests that never end */
};

typedef struct hostile_opts {
    enum scenario scenario;
    const char *name;
    char host[64];                       /* 127.x.y.z */
    int http_port;
    int media_port;
    double seconds;                      /* how long the attack lasts */
    int rate;                            /* attack packets (or compounds) per second */
    int count;                           /* connections, packets, ... (scenario's meaning) */
    int size;                            /* oversize: the packet's length */
    char probe_ip[64];                   /* the other address that must still be served */
} hostile_opts;

/* What the media-thread attacks count; read by main once the threads stopped. */
typedef struct hostile_stats {
    atomic_bool attacking;
    int64_t attack_start_ns;
    uint64_t sent;                       /* attack packets */
    uint64_t sent_bytes;
    uint64_t media_bytes;                /* forwarded to us during the attack, first copies */
    uint64_t rtx_bytes;                  /* resent to us during the attack (RTX or duplicates) */
    uint64_t media_packets, rtx_packets;
    uint32_t victim_audio, victim_video; /* foreign-ssrc: whose SSRCs we took */
    char error_code[64];                 /* the server's first error, if any */
    char error_re[32];
    bool answered_again;
} hostile_stats;

extern hostile_opts g_opts;
extern hostile_stats g_stats;

/* media_attacks.c: the hooks for the scenarios that join first. */
extern const load_hooks hostile_hooks;
void media_attacks_report(FILE *out);

/* floods.c: the scenarios without joining; each returns 0 when it ran. */
int flood_unknown_ufrag(FILE *out);
int flood_connections(FILE *out);
int flood_slow_http(FILE *out);

/* probes.c: a page load and a join from another address. Each returns the
 * milliseconds it took, or -1 when it failed or took longer than timeout_ms. */
int probe_http_get(const char *src_ip, const char *host, int port, int timeout_ms);
int probe_ws_join(const char *src_ip, const char *host, int port, int timeout_ms);
/* A TCP connection from src_ip (NULL: any), connected within timeout_ms, or -1. */
int probe_connect(const char *src_ip, const char *host, int port, int timeout_ms);

#endif
