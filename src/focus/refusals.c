/* Refusal counters and their rate-limited log lines. */
#include "focus/refusals.h"

#include <stdarg.h>
#include <stdio.h>

const char *refusal_name(enum refusal reason)
{
    static const char *const names[REFUSAL_COUNT] = {
        [REFUSED_CONNECTIONS] = "connections",
        [REFUSED_CONNECTIONS_PER_ADDRESS] = "connections-per-address",
        [REFUSED_DESCRIPTORS] = "descriptors",
        [REFUSED_HTTP_METHOD] = "http-method",
        [REFUSED_URI_TOO_LONG] = "uri-too-long",
        [REFUSED_HEADERS_TOO_LARGE] = "headers-too-large",
        [REFUSED_JOIN_TIMEOUT] = "join-timeout",
        [REFUSED_SEND_QUEUE] = "send-queue-full",
        [REFUSED_SLOW_RECEIVER] = "slow-receiver",
        [REFUSED_ROOMS] = "rooms",
        [REFUSED_LOBBY_FULL] = "lobby-full",
        [REFUSED_WRONG_PASSWORD] = "wrong-password",
        [REFUSED_PASSWORD_ATTEMPTS] = "password-attempts",
        [REFUSED_RATE_LIMITED] = "rate-limited",
        [REFUSED_SSRC_IN_USE] = "ssrc-in-use",
    };
    return reason < REFUSAL_COUNT ? names[reason] : "unknown";
}

void refusal_note(refusals *r, enum refusal reason, const char *module, const char *fmt, ...)
{
    if (!r || reason >= REFUSAL_COUNT)
        return;
    r->count[reason]++;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_limited(&r->log[reason], LOG_WARN, module, "refused (%s): %s", refusal_name(reason), line);
}
