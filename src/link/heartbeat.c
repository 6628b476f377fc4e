/* Heartbeats on the control link: the message, the focus's watch, and the CPU share they report. */
#include "link/heartbeat.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define COUNT_LIMIT (UINT64_C(1) << 32)
/* JSON numbers are doubles to most peers: above 2^53 they stop being exact. */
#define RATE_LIMIT (UINT64_C(1) << 53)

/* A heartbeat the parser would refuse must not be sent: one NaN from a
 * confused clock would otherwise cost the bridge its link. */
static double clamp_share(double x)
{
    if (!(x >= 0.0))
        return 0.0;
    return x > 1.0 ? 1.0 : x;
}

json_t *heartbeat_to_json(const heartbeat *h)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:b}", "type", "heartbeat", "seq",
                     (json_int_t)h->seq, "endpoints", (json_int_t)h->endpoints, "conferences",
                     (json_int_t)h->conferences, "packets_in", (json_int_t)h->packets_in, "packets_out",
                     (json_int_t)h->packets_out, "bits_in", (json_int_t)h->bits_in, "bits_out",
                     (json_int_t)h->bits_out, "cpu", clamp_share(h->cpu), "relays", (json_int_t)h->relays,
                     "relay_bits_in", (json_int_t)h->relay_bits_in, "relay_bits_out", (json_int_t)h->relay_bits_out,
                     "relay_rtt_ms", (json_int_t)h->relay_rtt_ms, "draining", h->draining ? 1 : 0);
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        if (vsnprintf(err, errlen, fmt, ap) < 0)
            err[0] = '\0';
        va_end(ap);
    }
    return -1;
}

/* An integer member in min..limit-1. */
static int get_uint(const json_t *msg, const char *key, uint64_t min, uint64_t limit, uint64_t *out, char *err,
                    size_t errlen)
{
    const json_t *v = json_object_get(msg, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) < min ||
        (uint64_t)json_integer_value(v) >= limit)
        return fail(err, errlen, "heartbeat %s must be an integer from %llu to %llu", key, (unsigned long long)min,
                    (unsigned long long)(limit - 1));
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_counts(const json_t *msg, heartbeat *h, char *err, size_t errlen)
{
    uint64_t endpoints, conferences, relays;
    if (get_uint(msg, "endpoints", 0, COUNT_LIMIT, &endpoints, err, errlen) < 0 ||
        get_uint(msg, "conferences", 0, COUNT_LIMIT, &conferences, err, errlen) < 0 ||
        get_uint(msg, "relays", 0, COUNT_LIMIT, &relays, err, errlen) < 0)
        return -1;
    h->endpoints = (uint32_t)endpoints;
    h->conferences = (uint32_t)conferences;
    h->relays = (uint32_t)relays;
    return 0;
}

static int get_rates(const json_t *msg, heartbeat *h, char *err, size_t errlen)
{
    if (get_uint(msg, "packets_in", 0, RATE_LIMIT, &h->packets_in, err, errlen) < 0 ||
        get_uint(msg, "packets_out", 0, RATE_LIMIT, &h->packets_out, err, errlen) < 0 ||
        get_uint(msg, "bits_in", 0, RATE_LIMIT, &h->bits_in, err, errlen) < 0 ||
        get_uint(msg, "bits_out", 0, RATE_LIMIT, &h->bits_out, err, errlen) < 0)
        return -1;
    /* Added with relays: a bridge that does not send them has none. */
    uint64_t rtt = 0;
    if ((json_object_get(msg, "relay_bits_in") &&
         get_uint(msg, "relay_bits_in", 0, RATE_LIMIT, &h->relay_bits_in, err, errlen) < 0) ||
        (json_object_get(msg, "relay_bits_out") &&
         get_uint(msg, "relay_bits_out", 0, RATE_LIMIT, &h->relay_bits_out, err, errlen) < 0) ||
        (json_object_get(msg, "relay_rtt_ms") && get_uint(msg, "relay_rtt_ms", 0, 60001, &rtt, err, errlen) < 0))
        return -1;
    h->relay_rtt_ms = (uint32_t)rtt;
    return 0;
}

int heartbeat_parse(const json_t *msg, heartbeat *out, char *err, size_t errlen)
{
    heartbeat h;
    memset(&h, 0, sizeof h);
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!json_is_object(msg) || !type || strcmp(type, "heartbeat") != 0)
        return fail(err, errlen, "a heartbeat's type must be heartbeat");
    if (get_uint(msg, "seq", 1, UINT64_MAX, &h.seq, err, errlen) < 0 || get_counts(msg, &h, err, errlen) < 0 ||
        get_rates(msg, &h, err, errlen) < 0)
        return -1;
    const json_t *cpu = json_object_get(msg, "cpu");
    if (!json_is_number(cpu) || !(json_number_value(cpu) >= 0.0 && json_number_value(cpu) <= 1.0))
        return fail(err, errlen, "heartbeat cpu must be a number from 0 to 1");
    h.cpu = json_number_value(cpu);
    const json_t *draining = json_object_get(msg, "draining");
    if (!json_is_boolean(draining))
        return fail(err, errlen, "heartbeat draining must be true or false");
    h.draining = json_is_true(draining);
    *out = h;
    if (err && errlen > 0)
        err[0] = '\0';
    return 0;
}

void heartbeat_watch_init(heartbeat_watch *w, int interval_ms, int64_t now_ms)
{
    w->interval_ms = interval_ms;
    w->last_ms = now_ms;
    w->last_seq = 0;
}

int heartbeat_watch_seen(heartbeat_watch *w, uint64_t seq, int64_t now_ms)
{
    if (seq <= w->last_seq)
        return -1;
    w->last_seq = seq;
    w->last_ms = now_ms;
    return 0;
}

bool heartbeat_watch_lost(const heartbeat_watch *w, int64_t now_ms)
{
    return now_ms - w->last_ms > (int64_t)HEARTBEAT_MISSED_MAX * w->interval_ms;
}

static int64_t timeval_us(struct timeval tv)
{
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int cpu_sample_now(cpu_sample *s)
{
    struct timespec ts;
    struct rusage ru;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || getrusage(RUSAGE_SELF, &ru) < 0)
        return -1;
    s->wall_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    s->cpu_us = timeval_us(ru.ru_utime) + timeval_us(ru.ru_stime);
    return 0;
}

double cpu_share(const cpu_sample *a, const cpu_sample *b, int cores)
{
    int64_t wall = b->wall_us - a->wall_us;
    if (wall <= 0 || cores < 1)
        return 0.0;
    return clamp_share((double)(b->cpu_us - a->cpu_us) / ((double)wall * cores));
}
