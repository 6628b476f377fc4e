/* Heartbeats on the control link: the bridge's load once per interval, and
 * the focus's watch that declares a bridge lost after three intervals
 * without one. */
#ifndef STOA_HEARTBEAT_H
#define STOA_HEARTBEAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define HEARTBEAT_INTERVAL_MS 1000
#define HEARTBEAT_MISSED_MAX 3         /* intervals without one: the bridge is lost */

/* One heartbeat. Rates are per second over the last interval. */
typedef struct heartbeat {
    uint64_t seq;                  /* 1, 2, ... per link */
    uint32_t endpoints;
    uint32_t conferences;
    uint64_t packets_in, packets_out;
    uint64_t bits_in, bits_out;
    double cpu;                    /* share of the bridge's cores, 0..1 */
    uint32_t relays;
    uint64_t relay_bits_in, relay_bits_out;   /* of the relays, per second (optional on the wire: 0) */
    uint32_t relay_rtt_ms;         /* their mean round trip, 0: none measured (optional) */
    bool draining;
} heartbeat;

/* {"type":"heartbeat","seq":..,"endpoints":..,...}; NULL when out of memory. */
json_t *heartbeat_to_json(const heartbeat *h);
/* Reads a heartbeat, every field required and bounded (counts below 2^32,
 * rates below 2^53, cpu 0..1). Returns 0, or -1 with a sentence in err. */
int heartbeat_parse(const json_t *msg, heartbeat *out, char *err, size_t errlen);

/* The focus's view of one link's heartbeats. */
typedef struct heartbeat_watch {
    int interval_ms;
    int64_t last_ms;               /* when the last heartbeat (or the welcome) was seen */
    uint64_t last_seq;             /* 0: none yet */
} heartbeat_watch;

void heartbeat_watch_init(heartbeat_watch *w, int interval_ms, int64_t now_ms);
/* A heartbeat with seq arrived. Returns 0, or -1 (and changes nothing) when
 * seq does not move forward: a replay or a confused bridge. */
int heartbeat_watch_seen(heartbeat_watch *w, uint64_t seq, int64_t now_ms);
/* Whether HEARTBEAT_MISSED_MAX intervals passed without a heartbeat. */
bool heartbeat_watch_lost(const heartbeat_watch *w, int64_t now_ms);

/* The process's CPU time and the wall clock at one moment. */
typedef struct cpu_sample {
    int64_t wall_us;
    int64_t cpu_us;                /* user + system, all threads */
} cpu_sample;
/* Returns 0, or -1 when the clocks cannot be read. */
int cpu_sample_now(cpu_sample *s);
/* The share of cores cores the process used between a and b, clamped to
 * 0..1 (0 when no time passed or cores < 1). */
double cpu_share(const cpu_sample *a, const cpu_sample *b, int cores);

#endif
