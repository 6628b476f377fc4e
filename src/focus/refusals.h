/* Counts of what the control thread refused a client, one per kind of
 * budget (served as stoa_refused_total{reason}, docs/security.md). The
 * HTTP server and the focus share one set; it lives on the control thread
 * only, so the counters are plain integers. */
#ifndef STOA_REFUSALS_H
#define STOA_REFUSALS_H

#include <stdint.h>

#include "core/log.h"

enum refusal {
    REFUSED_CONNECTIONS,             /* --max-connections reached */
    REFUSED_CONNECTIONS_PER_ADDRESS, /* --max-connections-per-address reached */
    REFUSED_DESCRIPTORS,             /* too few file descriptors left */
    REFUSED_HTTP_METHOD,             /* anything but GET and HEAD (405) */
    REFUSED_URI_TOO_LONG,            /* 414 */
    REFUSED_HEADERS_TOO_LARGE,       /* 431 */
    REFUSED_JOIN_TIMEOUT,            /* a WebSocket that never joined */
    REFUSED_SEND_QUEUE,              /* a connection that does not read its messages */
    REFUSED_SLOW_RECEIVER,           /* chat not queued to a receiver far behind */
    REFUSED_ROOMS,                   /* --max-rooms reached */
    REFUSED_LOBBY_FULL,              /* a room's lobby holds its maximum */
    REFUSED_WRONG_PASSWORD,          /* each wrong password */
    REFUSED_PASSWORD_ATTEMPTS,       /* the attempt budget of a socket or address spent */
    REFUSED_RATE_LIMITED,            /* a message over its participant's rate */
    REFUSED_SSRC_IN_USE,             /* an answer declaring another participant's SSRC */
    REFUSAL_COUNT
};

typedef struct refusals {
    uint64_t count[REFUSAL_COUNT];
    log_limit log[REFUSAL_COUNT];    /* one rate-limited log line per reason */
} refusals;

/* The reason label: "connections", "connections-per-address", ... */
const char *refusal_name(enum refusal reason);
/* Counts one refusal and logs it at warn, at most one line per reason per
 * LOG_LIMIT_INTERVAL_MS (a client can repeat any of them). */
void refusal_note(refusals *r, enum refusal reason, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
