/* Open-addressing hash map keyed by UDP peer address, linear probing. */
#include "bridge/addr_map.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct addr_slot {
    addr_key key;
    void *value;
};

int addr_key_from(addr_key *key, const struct sockaddr *sa)
{
    memset(key, 0, sizeof *key);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(key->ip, &in->sin_addr, 4);
        key->port = in->sin_port;
        key->family = 4;
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(key->ip, &in6->sin6_addr, 16);
        key->port = in6->sin6_port;
        key->family = 6;
        return 0;
    }
    return -1;
}

static bool key_equal(const addr_key *a, const addr_key *b)
{
    return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

static size_t key_hash(const addr_key *k)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)k->port << 8) ^ k->family;
    for (int i = 0; i < (k->family == 4 ? 4 : 16); i += 4) {
        uint32_t word;
        memcpy(&word, k->ip + i, 4);
        h = (h ^ word) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 33;
    }
    return (size_t)h;
}

void addr_map_init(addr_map *m)
{
    m->slots = NULL;
    m->cap = m->used = m->live = 0;
}

void addr_map_free(addr_map *m)
{
    free(m->slots);
    addr_map_init(m);
}

/* Returns the slot holding key, or the first reusable slot on its probe path. */
static struct addr_slot *find_slot(const addr_map *m, const addr_key *key, bool for_insert)
{
    size_t mask = m->cap - 1;
    struct addr_slot *reusable = NULL;
    for (size_t i = key_hash(key) & mask, n = 0; n < m->cap; i = (i + 1) & mask, n++) {
        struct addr_slot *s = &m->slots[i];
        if (s->key.family == 0) {
            if (s->key.tombstone) {
                if (!reusable)
                    reusable = s;
                continue;
            }
            return for_insert ? (reusable ? reusable : s) : NULL;
        }
        if (key_equal(&s->key, key))
            return s;
    }
    return for_insert ? reusable : NULL;
}

static int rehash(addr_map *m, size_t cap)
{
    struct addr_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->cap = cap;
    m->used = m->live = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key.family != 0) {
            struct addr_slot *s = find_slot(m, &old[i].key, true);
            *s = old[i];
            m->used++;
            m->live++;
        }
    }
    free(old);
    return 0;
}

int addr_map_put(addr_map *m, const struct sockaddr *sa, void *value)
{
    addr_key key;
    if (addr_key_from(&key, sa) < 0)
        return -1;
    /* Keep the load (tombstones included) under 3/4 so probes stay short. */
    if ((m->used + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap : 16;
        while ((m->live + 1) * 2 > cap)
            cap *= 2;
        if (rehash(m, cap) < 0)
            return -1;
    }
    struct addr_slot *s = find_slot(m, &key, true);
    if (s->key.family == 0) {
        if (!s->key.tombstone)
            m->used++;
        m->live++;
        s->key = key;
    }
    s->value = value;
    return 0;
}

void *addr_map_get(const addr_map *m, const struct sockaddr *sa)
{
    addr_key key;
    if (m->cap == 0 || addr_key_from(&key, sa) < 0)
        return NULL;
    struct addr_slot *s = find_slot(m, &key, false);
    return s ? s->value : NULL;
}

bool addr_map_remove(addr_map *m, const struct sockaddr *sa)
{
    addr_key key;
    if (m->cap == 0 || addr_key_from(&key, sa) < 0)
        return false;
    struct addr_slot *s = find_slot(m, &key, false);
    if (!s)
        return false;
    memset(&s->key, 0, sizeof s->key);
    s->key.tombstone = 1;
    s->value = NULL;
    m->live--;
    return true;
}
