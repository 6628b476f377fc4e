/* A bitrate measured over fixed windows: what a source arrives at, what a
 * receiver is sent. Adding is a compare and an add (media hot path); the
 * rate is that of the last full window, 0 once no bytes came for two
 * windows. Not thread-safe: one worker owns it. */
#ifndef STOA_BRIDGE_RATE_METER_H
#define STOA_BRIDGE_RATE_METER_H

#include <stddef.h>
#include <stdint.h>

#define RATE_METER_WINDOW_MS 500

typedef struct rate_meter {
    int64_t start_ms;              /* of the window being filled */
    uint32_t bytes;                /* in it so far */
    uint32_t bps;                  /* of the last full window */
    int64_t last_ms;               /* last bytes added */
} rate_meter;

static inline void rate_meter_add(rate_meter *m, size_t len, int64_t now_ms)
{
    int64_t elapsed = now_ms - m->start_ms;
    if (elapsed >= RATE_METER_WINDOW_MS) {
        /* A window that ended long ago says nothing about now. */
        m->bps = elapsed < 2 * RATE_METER_WINDOW_MS ? (uint32_t)((uint64_t)m->bytes * 8000 / (uint64_t)elapsed) : 0;
        m->start_ms = now_ms;
        m->bytes = 0;
    }
    m->bytes += (uint32_t)len;
    m->last_ms = now_ms;
}

static inline uint32_t rate_meter_bps(const rate_meter *m, int64_t now_ms)
{
    return now_ms - m->last_ms > 2 * RATE_METER_WINDOW_MS ? 0 : m->bps;
}

#endif
