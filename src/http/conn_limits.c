/* Connections per source address in an open-addressing hash table (linear
 * probing, deletion by backward shift), sized for max_total addresses. */
#include "http/conn_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct address_count {
    char key[CONN_ADDRESS_MAX];    /* "" : free */
    int count;
} address_count;

struct conn_limits {
    int max_total, max_per_address, total;
    size_t mask;                   /* capacity - 1, a power of two */
    address_count *slots;
};

conn_limits *conn_limits_new(int max_total, int max_per_address)
{
    conn_limits *l = calloc(1, sizeof *l);
    size_t capacity = 16;
    while (capacity < (size_t)max_total * 2)    /* at most half full */
        capacity *= 2;
    if (l)
        l->slots = calloc(capacity, sizeof *l->slots);
    if (!l || !l->slots) {
        free(l);
        return NULL;
    }
    l->max_total = max_total;
    l->max_per_address = max_per_address;
    l->mask = capacity - 1;
    return l;
}

void conn_limits_free(conn_limits *l)
{
    if (l)
        free(l->slots);
    free(l);
}

void conn_address_key(const struct sockaddr *addr, char out[CONN_ADDRESS_MAX])
{
    snprintf(out, CONN_ADDRESS_MAX, "unknown");
    if (addr->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, out, CONN_ADDRESS_MAX);
    } else if (addr->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)addr)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a)) {
            inet_ntop(AF_INET, &a.s6_addr[12], out, CONN_ADDRESS_MAX);
            return;
        }
        memset(&a.s6_addr[8], 0, 8);
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &a, text, sizeof text))
            snprintf(out, CONN_ADDRESS_MAX, "%s/64", text);
    }
}

static size_t hash(const char *key)
{
    uint64_t h = 1469598103934665603ull;       /* FNV-1a */
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ull;
    return (size_t)h;
}

/* The slot holding key, or the free slot where it would go. */
static address_count *slot_of(const conn_limits *l, const char *key)
{
    size_t i = hash(key) & l->mask;
    while (l->slots[i].key[0] && strcmp(l->slots[i].key, key) != 0)
        i = (i + 1) & l->mask;
    return &l->slots[i];
}

conn_verdict conn_limits_admit(conn_limits *l, const char *key)
{
    if (l->total >= l->max_total)
        return CONN_OVER_TOTAL;
    address_count *s = slot_of(l, key);
    if (s->key[0] && s->count >= l->max_per_address)
        return CONN_OVER_ADDRESS;
    if (!s->key[0])
        snprintf(s->key, sizeof s->key, "%s", key);
    s->count++;
    l->total++;
    return CONN_ADMITTED;
}

/* Empties slot i and moves later entries of its probe run back into the
 * gap, so that lookups never stop at a hole before their key. */
static void remove_at(conn_limits *l, size_t i)
{
    size_t j = i;
    for (;;) {
        l->slots[i].key[0] = '\0';
        l->slots[i].count = 0;
        for (;;) {
            j = (j + 1) & l->mask;
            if (!l->slots[j].key[0])
                return;
            size_t home = hash(l->slots[j].key) & l->mask;
            /* Move j back to i unless its home lies cyclically in (i, j]. */
            bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!stays)
                break;
        }
        l->slots[i] = l->slots[j];
        i = j;
    }
}

void conn_limits_release(conn_limits *l, const char *key)
{
    address_count *s = slot_of(l, key);
    if (!s->key[0])
        return;
    l->total--;
    if (--s->count == 0)
        remove_at(l, (size_t)(s - l->slots));
}

int conn_limits_total(const conn_limits *l)
{
    return l->total;
}
