/* Placement: which bridge serves a participant, from its region, the bridges
 * already serving its conference and the load the bridges report. Pure
 * functions and a small table, no I/O: the focus calls them on its thread. */
#ifndef STOA_PLACEMENT_H
#define STOA_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>

#define PLACEMENT_REGION_MAX 32        /* characters of a region name, without the NUL */
#define PLACEMENT_MAX_NETWORKS 256     /* entries of a region map */
#define PLACEMENT_OVERLOAD 0.8         /* default threshold on placement_load */

/* Whether s is a region name: 1..PLACEMENT_REGION_MAX of [A-Za-z0-9_.-]. */
bool placement_region_valid(const char *s);

/* Client networks to regions ("192.0.2.0/24=fr", "2001:db8::/32=de"). */
typedef struct region_map region_map;

/* Returns NULL when out of memory. */
region_map *region_map_new(void);
/* Adds one "CIDR=region" entry. Returns 0, or -1 with a reason in err for a
 * malformed network, prefix length or region, or a full map. */
int region_map_add(region_map *m, const char *spec, char *err, size_t errlen);
/* The region of the longest prefix holding address (textual IPv4 or IPv6;
 * an IPv4-mapped IPv6 address matches IPv4 entries), or NULL. The result
 * lives as long as m. */
const char *region_map_lookup(const region_map *m, const char *address);
size_t region_map_size(const region_map *m);
void region_map_free(region_map *m);

/* The participant's region, in order: the reverse proxy's header value,
 * the map's entry for its address, the ?region= of its URL. Each may be
 * NULL; a value that is not a valid region name is skipped. Writes "" when
 * none gives one. */
void placement_region(const char *header_value, const region_map *map, const char *address,
                      const char *query_region, char out[PLACEMENT_REGION_MAX + 1]);

/* One candidate bridge, as the focus knows it from hello and heartbeats. */
typedef struct placement_bridge {
    const char *region;            /* never NULL; "" when the bridge gave none */
    double load;                   /* placement_load of its last heartbeat */
    bool draining;                 /* takes no new participants */
    bool full;                     /* at its capacity */
    bool serves_conference;        /* holds an endpoint of the participant's conference */
} placement_bridge;

/* A bridge's load, 0 (idle) and up: the larger of endpoints/capacity and
 * cpu (0..1). A capacity <= 0 counts as full (1). */
double placement_load(int endpoints, int capacity, double cpu);

/* The index of the bridge for a participant of region ("" : none: first
 * the least-loaded bridge already serving the conference below overload,
 * which keeps a conference together): a bridge
 * of that region already serving the conference, below the threshold; else
 * the least-loaded bridge of that region below overload; else the
 * least-loaded anywhere below it; else the least loaded. Draining and full
 * bridges are never chosen. Ties go to the lower index. -1 when no bridge
 * can take the participant. */
int placement_choose(const placement_bridge *bridges, size_t n, const char *region, double overload);

#endif
