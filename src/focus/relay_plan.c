/* Relays between bridges: the pairs each conference needs, counted across
 * conferences so that a pair of bridges shares one relay. */
#include "focus/relay_plan.h"

#include <stdlib.h>
#include <string.h>

typedef struct conf_entry {
    char *name;
    relay_pair pairs[RELAY_MAX_CONF_PAIRS];
    size_t n;
} conf_entry;

typedef struct pair_use {
    relay_pair pair;
    int users;
} pair_use;

struct relay_table {
    conf_entry *confs[RELAY_MAX_CONFERENCES];
    size_t n_confs;
    pair_use uses[RELAY_MAX_PAIRS];
    size_t n_uses;
};

static int pair_cmp(relay_pair x, relay_pair y)
{
    return x.a != y.a ? (x.a < y.a ? -1 : 1) : x.b != y.b ? (x.b < y.b ? -1 : 1) : 0;
}

static int int_cmp(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

size_t relay_pairs_of(const int *bridges, size_t n, relay_pair *out, size_t cap)
{
    int distinct[RELAY_MAX_BRIDGES];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (bridges[i] <= 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = distinct[j] == bridges[i];
        if (!seen && k < RELAY_MAX_BRIDGES)
            distinct[k++] = bridges[i];
    }
    qsort(distinct, k, sizeof distinct[0], int_cmp);
    size_t count = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++, count++)
            if (count < cap)
                out[count] = (relay_pair){ distinct[i], distinct[j] };
    return count;
}

relay_table *relay_table_new(void)
{
    return calloc(1, sizeof(relay_table));
}

void relay_table_free(relay_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_confs; i++) {
        free(t->confs[i]->name);
        free(t->confs[i]);
    }
    free(t);
}

static pair_use *find_use(relay_table *t, relay_pair p)
{
    for (size_t i = 0; i < t->n_uses; i++)
        if (pair_cmp(t->uses[i].pair, p) == 0)
            return &t->uses[i];
    return NULL;
}

static size_t find_conf(const relay_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_confs; i++)
        if (strcmp(t->confs[i]->name, name) == 0)
            return i;
    return (size_t)-1;
}

static bool has_pair(const relay_pair *pairs, size_t n, relay_pair p)
{
    for (size_t i = 0; i < n; i++)
        if (pair_cmp(pairs[i], p) == 0)
            return true;
    return false;
}

/* One conference more (delta 1) or fewer (-1) uses p. */
static void use(relay_table *t, relay_pair p, int delta, relay_changes *out)
{
    pair_use *u = find_use(t, p);
    if (delta > 0 && !u) {
        u = &t->uses[t->n_uses++];   /* room checked by the caller */
        *u = (pair_use){ p, 0 };
    }
    if (!u)
        return;
    u->users += delta;
    if (delta > 0 && u->users == 1 && out->n_opened < RELAY_MAX_CONF_PAIRS)
        out->opened[out->n_opened++] = p;
    if (u->users == 0) {
        if (out->n_closed < RELAY_MAX_CONF_PAIRS)
            out->closed[out->n_closed++] = p;
        *u = t->uses[--t->n_uses];
    }
}

static void remove_conf(relay_table *t, size_t i)
{
    free(t->confs[i]->name);
    free(t->confs[i]);
    t->confs[i] = t->confs[--t->n_confs];
}

int relay_table_set(relay_table *t, const char *conference, const relay_pair *pairs, size_t n, relay_changes *out)
{
    memset(out, 0, sizeof *out);
    if (n > RELAY_MAX_CONF_PAIRS)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (pairs[i].a <= 0 || pairs[i].a >= pairs[i].b || (i > 0 && pair_cmp(pairs[i - 1], pairs[i]) >= 0))
            return -1;
    size_t ci = find_conf(t, conference);
    conf_entry *c = ci == (size_t)-1 ? NULL : t->confs[ci];
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += !find_use(t, pairs[i]);
    if (t->n_uses + fresh > RELAY_MAX_PAIRS || (!c && n > 0 && t->n_confs == RELAY_MAX_CONFERENCES))
        return -1;
    if (!c && n > 0) {
        c = calloc(1, sizeof *c);
        char *name = c ? strdup(conference) : NULL;
        if (!name) {
            free(c);
            return -1;
        }
        c->name = name;
        ci = t->n_confs;
        t->confs[t->n_confs++] = c;
    }
    if (!c)
        return 0;
    /* Opened first, so that a pair kept is never closed and opened again. */
    for (size_t i = 0; i < n; i++)
        if (!has_pair(c->pairs, c->n, pairs[i]))
            use(t, pairs[i], 1, out);
    for (size_t i = 0; i < c->n; i++)
        if (!has_pair(pairs, n, c->pairs[i]))
            use(t, c->pairs[i], -1, out);
    if (n > 0)
        memcpy(c->pairs, pairs, n * sizeof pairs[0]);
    c->n = n;
    if (n == 0)
        remove_conf(t, ci);
    return 0;
}

void relay_table_drop_bridge(relay_table *t, int bridge, relay_changes *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t->n_confs;) {
        conf_entry *c = t->confs[i];
        size_t kept = 0;
        for (size_t j = 0; j < c->n; j++) {
            if (c->pairs[j].a == bridge || c->pairs[j].b == bridge)
                use(t, c->pairs[j], -1, out);
            else
                c->pairs[kept++] = c->pairs[j];
        }
        c->n = kept;
        if (kept == 0)
            remove_conf(t, i);
        else
            i++;
    }
}

int relay_table_users(const relay_table *t, relay_pair p)
{
    for (size_t i = 0; i < t->n_uses; i++)
        if (pair_cmp(t->uses[i].pair, p) == 0)
            return t->uses[i].users;
    return 0;
}

size_t relay_table_open(const relay_table *t)
{
    return t->n_uses;
}
