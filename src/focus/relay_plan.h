/* Which bridges must relay media to each other: for one conference, every
 * pair of the distinct bridges its participants are on (a full mesh: each
 * bridge sends each other one what its receivers need, so no packet crosses
 * two relays); across conferences, one relay per pair of bridges, opened
 * when the first conference needs it and closed after the last. Pure
 * bookkeeping for the focus; the bridges carry the relays. Not yet wired:
 * until the bridges relay, the focus keeps a conference on one bridge. */
#ifndef STOA_RELAY_PLAN_H
#define STOA_RELAY_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_MAX_BRIDGES 64           /* FOCUS_MAX_BRIDGES */
#define RELAY_MAX_PAIRS 512            /* relays open at once, all conferences */
#define RELAY_MAX_CONFERENCES 4096     /* conferences spanning bridges at once */
#define RELAY_MAX_CONF_PAIRS 64        /* pairs of one conference (11 bridges make 55) */

/* A pair of bridge handles, a < b. */
typedef struct relay_pair {
    int a, b;
} relay_pair;

/* The pairs one conference needs, given the bridge of each participant
 * (handles > 0; 0: not placed yet, ignored). Writes at most cap pairs,
 * sorted by (a, b), and returns how many there are. */
size_t relay_pairs_of(const int *bridges, size_t n, relay_pair *out, size_t cap);

typedef struct relay_table relay_table;

/* What changed when a conference's pairs were set. */
typedef struct relay_changes {
    relay_pair opened[RELAY_MAX_CONF_PAIRS];   /* now needed by one conference */
    size_t n_opened;
    relay_pair closed[RELAY_MAX_CONF_PAIRS];   /* no longer needed by any */
    size_t n_closed;
} relay_changes;

relay_table *relay_table_new(void);
void relay_table_free(relay_table *t);
/* Replaces the pairs conference needs (n 0: it needs none, and is
 * forgotten) and says which relays open and close. Returns 0, or -1 (and
 * changes nothing) when a budget (RELAY_MAX_CONF_PAIRS, RELAY_MAX_PAIRS,
 * RELAY_MAX_CONFERENCES) would be exceeded or pairs is not sorted and
 * distinct with a < b. */
int relay_table_set(relay_table *t, const char *conference, const relay_pair *pairs, size_t n, relay_changes *out);
/* The bridge is lost: every relay it was part of closes (at most
 * RELAY_MAX_BRIDGES - 1, reported up to RELAY_MAX_CONF_PAIRS) and the
 * conferences forget those pairs. Their other pairs stay as they were (the
 * focus sets them again once it has moved the participants). */
void relay_table_drop_bridge(relay_table *t, int bridge, relay_changes *out);
/* Conferences using the relay of a pair (0: closed). */
int relay_table_users(const relay_table *t, relay_pair p);
size_t relay_table_open(const relay_table *t);

#endif
