/* Ring of recently forwarded RTP packets keyed by extended sequence number. */
#include "bridge/packet_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    int64_t ext;                   /* extended sequence number of the packet held */
    int64_t at_ms;                 /* when it was stored */
    uint16_t len;                  /* 0: empty */
    uint8_t data[PACKET_CACHE_MAX_PACKET];
};

struct packet_cache {
    size_t capacity;               /* power of two */
    bool started;                  /* a packet has fixed the sequence reference */
    int64_t highest;               /* extended sequence number of the newest packet */
    bool refused;                  /* the last store was refused as too old ... */
    uint16_t refused_next;         /* ... and this would be the packet after it */
    struct slot slots[];
};

static bool capacity_valid(size_t capacity)
{
    return capacity >= 1 && capacity <= PACKET_CACHE_MAX_CAPACITY &&
           (capacity & (capacity - 1)) == 0;
}

size_t packet_cache_bytes(size_t capacity)
{
    if (!capacity_valid(capacity))
        return 0;
    return sizeof(struct packet_cache) + capacity * sizeof(struct slot);
}

packet_cache *packet_cache_new(size_t capacity)
{
    size_t bytes = packet_cache_bytes(capacity);
    if (bytes == 0)
        return NULL;
    packet_cache *c = calloc(1, bytes);
    if (!c)
        return NULL;
    c->capacity = capacity;
    return c;
}

void packet_cache_free(packet_cache *c)
{
    free(c);
}

size_t packet_cache_capacity(const packet_cache *c)
{
    return c ? c->capacity : 0;
}

void packet_cache_clear(packet_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->capacity; i++)
        c->slots[i].len = 0;
    c->started = false;
    c->highest = 0;
    c->refused = false;
}

/* The extended sequence number nearest the newest one whose low 16 bits are
 * seq: the newest plus a signed distance in -32768..32767. */
static int64_t unwrap(const packet_cache *c, uint16_t seq)
{
    int64_t d = (int64_t)((seq - (uint16_t)c->highest) & 0xFFFF);
    if (d >= 0x8000)
        d -= 0x10000;
    return c->highest + d;
}

static bool in_window(const packet_cache *c, int64_t ext)
{
    return ext <= c->highest && c->highest - ext < (int64_t)c->capacity;
}

static struct slot *slot_of(const packet_cache *c, uint16_t seq)
{
    /* The capacity divides 65536, so seq and its extension share the slot. */
    return (struct slot *)&c->slots[seq & (c->capacity - 1)];
}

int packet_cache_store(packet_cache *c, uint16_t seq, const uint8_t *pkt, size_t len,
                       int64_t now_ms)
{
    if (!c || !pkt || len == 0 || len > PACKET_CACHE_MAX_PACKET)
        return -1;
    int64_t ext;
    if (!c->started) {
        c->started = true;
        c->highest = ext = seq;
    } else {
        ext = unwrap(c, seq);
        if (ext <= c->highest - (int64_t)c->capacity) {
            if (!(c->refused && seq == c->refused_next)) {
                c->refused = true;
                c->refused_next = (uint16_t)(seq + 1);
                return -1;
            }
            /* Second consecutive packet far behind: the stream restarted. */
            packet_cache_clear(c);
            c->started = true;
            c->highest = ext = seq;
        }
    }
    c->refused = false;
    if (ext > c->highest)
        c->highest = ext;
    struct slot *s = slot_of(c, seq);
    s->ext = ext;
    s->at_ms = now_ms;
    s->len = (uint16_t)len;
    memcpy(s->data, pkt, len);
    return 0;
}

const uint8_t *packet_cache_get(const packet_cache *c, uint16_t seq, int64_t now_ms,
                                int64_t max_age_ms, size_t *len)
{
    if (!c || !c->started)
        return NULL;
    int64_t ext = unwrap(c, seq);
    if (!in_window(c, ext))
        return NULL;
    const struct slot *s = slot_of(c, seq);
    if (s->len == 0 || s->ext != ext)
        return NULL;
    if (max_age_ms >= 0 && now_ms > s->at_ms &&
        (uint64_t)now_ms - (uint64_t)s->at_ms > (uint64_t)max_age_ms)
        return NULL;
    if (len)
        *len = s->len;
    return s->data;
}
