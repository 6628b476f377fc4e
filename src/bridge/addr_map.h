/* Hash map from a UDP peer address (IPv4 or IPv6 + port) to a value: how a
 * media worker finds the endpoint a datagram belongs to without scanning.
 * Open addressing; allocates only when it grows, never on lookup. */
#ifndef STOA_ADDR_MAP_H
#define STOA_ADDR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct addr_key {
    uint8_t ip[16];           /* IPv4 in the first 4 bytes, rest zero */
    uint16_t port;            /* network byte order */
    uint8_t family;           /* 4 or 6; 0 marks an empty slot */
    uint8_t tombstone;        /* slot freed by a removal; probing continues past it */
} addr_key;

typedef struct addr_map {
    struct addr_slot *slots;
    size_t cap;               /* power of two */
    size_t used;              /* live entries + tombstones */
    size_t live;
} addr_map;

/* Returns 0 with the key filled, -1 for an unsupported address family. */
int addr_key_from(addr_key *key, const struct sockaddr *sa);

void addr_map_init(addr_map *m);
void addr_map_free(addr_map *m);
/* Inserts or replaces. Returns 0, or -1 when out of memory or the family is
 * not IPv4/IPv6. */
int addr_map_put(addr_map *m, const struct sockaddr *sa, void *value);
/* Returns the value, or NULL when absent. */
void *addr_map_get(const addr_map *m, const struct sockaddr *sa);
/* Removes the entry; returns true when it was there. */
bool addr_map_remove(addr_map *m, const struct sockaddr *sa);

#endif
