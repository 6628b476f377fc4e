/* Placement: region names, the client-network-to-region map and the choice
 * of a bridge for a participant (see placement.h). */
#include "focus/placement.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool placement_region_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
    return n >= 1 && n <= PLACEMENT_REGION_MAX && s[n] == '\0';
}

/* IPv4 networks keep their 4 bytes in addr[0..3]: the families never match
 * each other, except through the IPv4-mapped form folded into IPv4. */
typedef struct region_net {
    int family;
    unsigned char addr[16];
    unsigned prefix;
    char region[PLACEMENT_REGION_MAX + 1];
} region_net;

struct region_map {
    size_t count;
    region_net nets[PLACEMENT_MAX_NETWORKS];
};

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

region_map *region_map_new(void)
{
    return calloc(1, sizeof(region_map));
}

size_t region_map_size(const region_map *m)
{
    return m ? m->count : 0;
}

void region_map_free(region_map *m)
{
    free(m);
}

static void set_err(char *err, size_t errlen, const char *spec, const char *reason)
{
    if (err && errlen > 0)
        snprintf(err, errlen, "region map entry \"%.64s\": %s", spec, reason);
}

/* Parses a textual address into family and bytes, folding ::ffff:a.b.c.d
 * into IPv4 so that mapped clients meet the IPv4 entries. */
static int parse_address(const char *text, int *family, unsigned char addr[16], bool *was_mapped)
{
    memset(addr, 0, 16);
    *was_mapped = false;
    if (inet_pton(AF_INET, text, addr) == 1) {
        *family = AF_INET;
        return 0;
    }
    unsigned char v6[16];
    if (inet_pton(AF_INET6, text, v6) != 1)
        return -1;
    if (memcmp(v6, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
        *family = AF_INET;
        *was_mapped = true;
        memcpy(addr, v6 + 12, 4);
        return 0;
    }
    *family = AF_INET6;
    memcpy(addr, v6, 16);
    return 0;
}

/* Digits only, so that "+8", " 8" or "8x" are refused rather than read. */
static int parse_prefix(const char *s, unsigned *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 3 || strspn(s, "0123456789") != n)
        return -1;
    *out = (unsigned)atoi(s);
    return 0;
}

static void mask_address(unsigned char addr[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bit = i * 8;
        if (bit >= prefix)
            addr[i] = 0;
        else if (prefix - bit < 8)
            addr[i] &= (unsigned char)(0xff << (8 - (prefix - bit)));
    }
}

static bool prefix_holds(const region_net *net, int family, const unsigned char addr[16])
{
    if (net->family != family)
        return false;
    unsigned char masked[16];
    memcpy(masked, addr, 16);
    mask_address(masked, net->prefix);
    return memcmp(masked, net->addr, 16) == 0;
}

int region_map_add(region_map *m, const char *spec, char *err, size_t errlen)
{
    if (!m || !spec) {
        set_err(err, errlen, spec ? spec : "", "no map");
        return -1;
    }
    const char *eq = strchr(spec, '=');
    if (!eq) {
        set_err(err, errlen, spec, "missing '=' before the region");
        return -1;
    }
    if (!placement_region_valid(eq + 1)) {
        set_err(err, errlen, spec, "invalid region name");
        return -1;
    }
    char network[INET6_ADDRSTRLEN + 8];
    size_t network_len = (size_t)(eq - spec);
    if (network_len >= sizeof network) {
        set_err(err, errlen, spec, "bad address");
        return -1;
    }
    memcpy(network, spec, network_len);
    network[network_len] = '\0';
    char *slash = strchr(network, '/');
    if (slash)
        *slash = '\0';

    region_net net = {0};
    bool was_mapped;
    if (parse_address(network, &net.family, net.addr, &was_mapped) != 0) {
        set_err(err, errlen, spec, "bad address");
        return -1;
    }
    /* The prefix length counts bits of the address as written: a mapped
     * address has 96 bits of ::ffff: before its IPv4 part. */
    unsigned written_max = net.family == AF_INET6 || was_mapped ? 128 : 32;
    unsigned prefix = written_max;
    if (slash && parse_prefix(slash + 1, &prefix) != 0) {
        set_err(err, errlen, spec, "bad prefix length");
        return -1;
    }
    if (prefix > written_max) {
        char reason[64];
        snprintf(reason, sizeof reason, "prefix length %u out of range", prefix);
        set_err(err, errlen, spec, reason);
        return -1;
    }
    if (was_mapped) {
        if (prefix < 96) {
            set_err(err, errlen, spec, "prefix shorter than ::ffff:0:0/96");
            return -1;
        }
        prefix -= 96;
    }
    if (m->count >= PLACEMENT_MAX_NETWORKS) {
        char reason[64];
        snprintf(reason, sizeof reason, "map full (%d entries)", PLACEMENT_MAX_NETWORKS);
        set_err(err, errlen, spec, reason);
        return -1;
    }
    net.prefix = prefix;
    mask_address(net.addr, prefix);
    memcpy(net.region, eq + 1, strlen(eq + 1) + 1);
    m->nets[m->count++] = net;
    return 0;
}

const char *region_map_lookup(const region_map *m, const char *address)
{
    if (!m || !address)
        return NULL;
    int family;
    unsigned char addr[16];
    bool was_mapped;
    if (parse_address(address, &family, addr, &was_mapped) != 0)
        return NULL;
    /* Strictly longer wins, so of two equal networks the first added does:
     * a later duplicate in the configuration cannot silently override it. */
    const region_net *best = NULL;
    for (size_t i = 0; i < m->count; i++) {
        const region_net *net = &m->nets[i];
        if (prefix_holds(net, family, addr) && (!best || net->prefix > best->prefix))
            best = net;
    }
    return best ? best->region : NULL;
}

void placement_region(const char *header_value, const region_map *map, const char *address,
                      const char *query_region, char out[PLACEMENT_REGION_MAX + 1])
{
    const char *from_map = map && address ? region_map_lookup(map, address) : NULL;
    const char *candidates[] = {header_value, from_map, query_region};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (placement_region_valid(candidates[i])) {
            memcpy(out, candidates[i], strlen(candidates[i]) + 1);
            return;
        }
    }
    out[0] = '\0';
}

double placement_load(int endpoints, int capacity, double cpu)
{
    if (capacity <= 0)
        return 1.0;
    /* An unreadable cpu figure counts as busy rather than idle, so that a
     * bridge with a broken probe does not attract every participant. */
    if (isnan(cpu) || cpu > 1.0)
        cpu = 1.0;
    else if (cpu < 0.0)
        cpu = 0.0;
    double fill = endpoints > 0 ? (double)endpoints / (double)capacity : 0.0;
    return fill > cpu ? fill : cpu;
}

enum {
    NEED_REGION = 1,       /* the bridge's region is the participant's */
    NEED_SERVING = 2,      /* the bridge already holds the conference */
    NEED_BELOW = 4,        /* the bridge's load is below overload */
};

/* NaN never compares below anything; treating it as endless load keeps the
 * order total so that "least loaded" always means one bridge. */
static double comparable_load(double load)
{
    return isnan(load) ? INFINITY : load;
}

static int least_loaded(const placement_bridge *bridges, size_t n, const char *region, double overload,
                        unsigned needs)
{
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        const placement_bridge *b = &bridges[i];
        if (b->draining || b->full)
            continue;
        if ((needs & NEED_REGION) && strcmp(b->region, region) != 0)
            continue;
        if ((needs & NEED_SERVING) && !b->serves_conference)
            continue;
        if ((needs & NEED_BELOW) && !(b->load < overload))
            continue;
        if (best < 0 || comparable_load(b->load) < comparable_load(bridges[best].load))
            best = (int)i;
    }
    return best;
}

int placement_choose(const placement_bridge *bridges, size_t n, const char *region, double overload)
{
    if (!bridges || n == 0)
        return -1;
    if (!region)
        region = "";
    /* Without a region a participant goes where its conference already is,
     * when that bridge has room: nothing argues for another bridge, and
     * keeping the conference together avoids relaying media between bridges. */
    static const unsigned with_region[] = {NEED_REGION | NEED_SERVING | NEED_BELOW, NEED_REGION | NEED_BELOW,
                                           NEED_BELOW, 0};
    static const unsigned without_region[] = {NEED_SERVING | NEED_BELOW, NEED_BELOW, 0};
    const unsigned *steps = region[0] ? with_region : without_region;
    size_t nsteps = region[0] ? sizeof with_region / sizeof with_region[0]
                              : sizeof without_region / sizeof without_region[0];
    for (size_t s = 0; s < nsteps; s++) {
        int i = least_loaded(bridges, n, region, overload, steps[s]);
        if (i >= 0)
            return i;
    }
    return -1;
}
