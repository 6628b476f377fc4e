/* Dominant speaker detection: per-speaker noise floor, 100 ms activity
 * blocks, three-time-scale scores, challenger-versus-incumbent decision.
 * See speaker.h for the model and the contracts. */
#include "bridge/speaker.h"

#include <stdlib.h>
#include <string.h>

/* Activity blocks and the three time scales (in blocks). */
#define BLOCK_MS       100
#define HIST           16       /* ring of completed blocks, power of two */
#define IMM_BLOCKS     2        /* 0.2 s: talking right now */
#define MED_BLOCKS     5        /* 0.5 s: talking most of the last half second */
#define LONG_BLOCKS    10       /* 1.0 s: a sustained turn, not an interjection */

/* A challenger must reach these scores (% of packets active, averaged over
 * the window) ... */
#define IMM_MIN        40
#define MED_MIN        50
#define LONG_MIN       45       /* = 0.45 s of speech in the last second; a
                                   300 ms burst reaches at most 30 */
/* ... and beat the dominant speaker's scores: by a margin on the two short
 * scales, by a ratio on the long one (x LONG_RATIO/10, plus LONG_MARGIN).
 * The ratio is what separates "the dominant speaker stopped a moment ago"
 * (its long score falls towards 0) from "the dominant speaker takes a
 * breath while someone talks over it" (its long score stays near the
 * challenger's). */
#define IMM_MARGIN     0
#define MED_MARGIN     15
#define LONG_RATIO     16
#define LONG_MARGIN    5

/* After a change, the new dominant speaker keeps the floor at least this
 * long (against rapid alternation when two people talk at once). */
#define HOLD_MS        1000

/* Noise floor: minimum loudness over the current sub-window and the last
 * NF_SUBS completed ones (~3 s). Loudness is 127 - level, in dB. */
#define NF_SUB_MS      150
#define NF_SUBS        20
#define NF_STEADY_DB   6        /* a sub-window whose levels stay within this
                                   range is stationary: background */
#define NF_STEADY_PKTS 5        /* ... when it holds at least this many packets */
#define NF_LOW_X       (127 - 80) /* quieter than -80 dBov counts as -80 dBov
                                   for the floor, so digital silence does not
                                   make the next faint sound look like speech */
#define MARGIN_VOICE   9        /* dB over the floor for an active packet */
#define MARGIN_NOVOICE 13

#define NONE8          0xFF
#define UNSET          INT64_MIN

#if (HIST & (HIST - 1)) != 0 || HIST < LONG_BLOCKS
#error "HIST must be a power of two holding the long window"
#endif

struct spk {
    uint32_t key;
    uint64_t seq;                 /* join order */

    int64_t block;                /* block being filled, UNSET before the first */
    uint16_t blk_pkts, blk_active;
    uint8_t act[HIST];            /* completed blocks: % active, by block & (HIST-1) */

    int64_t sub;                  /* floor sub-window being filled, or UNSET */
    uint8_t sub_min, sub_max, sub_pkts;
    uint8_t nf_pos;               /* next slot of nf_min */
    uint8_t nf_min[NF_SUBS];      /* completed sub-window minima, NONE8 = none */
    uint8_t hist_floor;           /* min of nf_min, NONE8 = none */

    uint8_t imm, med, lng;        /* scores at the last tick */
    int64_t last_spoke;           /* UNSET if never */
};

struct speaker_detector {
    struct spk *s;
    size_t n, cap;
    uint32_t *slots;              /* key -> index + 1, open addressing; 0 = empty */
    size_t nslots;                /* power of two, >= 2 * cap, or 0 */
    uint64_t next_seq;
    bool has_dom;
    uint32_t dom;
    uint64_t epoch, reported_epoch;
    int64_t changed_at;           /* time of the last change at a tick, or UNSET */
};

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static size_t slot_of(uint32_t key, size_t nslots)
{
    return (size_t)((key * 0x9E3779B1u) ^ (key >> 16)) & (nslots - 1);
}

static struct spk *find(const speaker_detector *d, uint32_t key)
{
    if (d->n == 0)
        return NULL;
    for (size_t i = slot_of(key, d->nslots);; i = (i + 1) & (d->nslots - 1)) {
        uint32_t v = d->slots[i];
        if (v == 0)
            return NULL;
        if (d->s[v - 1].key == key)
            return &d->s[v - 1];
    }
}

static void rebuild_slots(speaker_detector *d)
{
    memset(d->slots, 0, d->nslots * sizeof *d->slots);
    for (size_t k = 0; k < d->n; k++) {
        size_t i = slot_of(d->s[k].key, d->nslots);
        while (d->slots[i] != 0)
            i = (i + 1) & (d->nslots - 1);
        d->slots[i] = (uint32_t)(k + 1);
    }
}

speaker_detector *speaker_detector_new(void)
{
    speaker_detector *d = calloc(1, sizeof *d);
    if (d)
        d->changed_at = UNSET;
    return d;
}

void speaker_detector_free(speaker_detector *d)
{
    if (!d)
        return;
    free(d->s);
    free(d->slots);
    free(d);
}

size_t speaker_count(const speaker_detector *d)
{
    return d->n;
}

int speaker_add(speaker_detector *d, uint32_t key)
{
    if (find(d, key))
        return 1;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        if (cap > UINT32_MAX / 4)
            return -1;
        struct spk *s = realloc(d->s, cap * sizeof *s);
        if (!s)
            return -1;
        d->s = s;
        uint32_t *slots = calloc(cap * 2, sizeof *slots);
        if (!slots)
            return -1;            /* the larger d->s is harmless; cap unchanged */
        free(d->slots);
        d->slots = slots;
        d->nslots = cap * 2;
        d->cap = cap;
        rebuild_slots(d);
    }
    struct spk *s = &d->s[d->n];
    memset(s, 0, sizeof *s);
    s->key = key;
    s->seq = d->next_seq++;
    s->block = UNSET;
    s->sub = UNSET;
    s->sub_min = NONE8;
    memset(s->nf_min, NONE8, sizeof s->nf_min);
    s->hist_floor = NONE8;
    s->last_spoke = UNSET;
    d->n++;
    size_t i = slot_of(key, d->nslots);
    while (d->slots[i] != 0)
        i = (i + 1) & (d->nslots - 1);
    d->slots[i] = (uint32_t)d->n;
    return 0;
}

/* Total order for the recent-speakers list: does a come before b? */
static bool more_recent(const speaker_detector *d, const struct spk *a, const struct spk *b)
{
    bool ad = d->has_dom && a->key == d->dom, bd = d->has_dom && b->key == d->dom;
    if (ad != bd)
        return ad;
    if (a->last_spoke != b->last_spoke)
        return a->last_spoke > b->last_spoke;
    if (a->lng != b->lng)
        return a->lng > b->lng;
    return a->seq < b->seq;
}

void speaker_remove(speaker_detector *d, uint32_t key)
{
    struct spk *s = find(d, key);
    if (!s)
        return;
    size_t k = (size_t)(s - d->s);
    d->s[k] = d->s[d->n - 1];
    d->n--;
    rebuild_slots(d);
    if (d->has_dom && d->dom == key) {
        /* Fall back to the most recent remaining speaker that has spoken. */
        d->has_dom = false;
        const struct spk *best = NULL;
        for (size_t i = 0; i < d->n; i++)
            if (d->s[i].last_spoke != UNSET && (!best || more_recent(d, &d->s[i], best)))
                best = &d->s[i];
        if (best) {
            d->has_dom = true;
            d->dom = best->key;
        }
        d->epoch++;
    }
}

/* Closes the block being filled and moves to block b (> s->block). Blocks
 * in between had no packets: activity 0. */
static void advance(struct spk *s, int64_t b)
{
    if (s->block == UNSET) {
        s->block = b;
        return;
    }
    s->act[(uint64_t)s->block & (HIST - 1)] =
        s->blk_pkts ? (uint8_t)(s->blk_active * 100u / s->blk_pkts) : 0;
    int64_t gap = b - s->block - 1;
    if (gap > HIST)
        gap = HIST;
    for (int64_t k = 1; k <= gap; k++)
        s->act[(uint64_t)(s->block + k) & (HIST - 1)] = 0;
    s->block = b;
    s->blk_pkts = s->blk_active = 0;
}

static void floor_recompute(struct spk *s)
{
    uint8_t m = NONE8;
    for (int i = 0; i < NF_SUBS; i++)
        if (s->nf_min[i] < m)
            m = s->nf_min[i];
    s->hist_floor = m;
}

/* Feeds one loudness value to the floor tracker of s. */
static void floor_feed(struct spk *s, uint8_t x, int64_t now_ms)
{
    if (x < NF_LOW_X)
        x = NF_LOW_X;
    int64_t sub = floordiv(now_ms, NF_SUB_MS);
    if (s->sub != UNSET && sub > s->sub) {
        if (s->sub_pkts >= NF_STEADY_PKTS && s->sub_max - s->sub_min <= NF_STEADY_DB)
            memset(s->nf_min, NONE8, sizeof s->nf_min);   /* stationary: forget older minima */
        s->nf_min[s->nf_pos] = s->sub_min;
        s->nf_pos = (uint8_t)((s->nf_pos + 1) % NF_SUBS);
        int64_t gap = sub - s->sub - 1;                    /* sub-windows without packets */
        if (gap > NF_SUBS)
            gap = NF_SUBS;
        for (int64_t k = 0; k < gap; k++) {
            s->nf_min[s->nf_pos] = NONE8;
            s->nf_pos = (uint8_t)((s->nf_pos + 1) % NF_SUBS);
        }
        floor_recompute(s);
        s->sub_min = NONE8;
        s->sub_max = 0;
        s->sub_pkts = 0;
    }
    if (s->sub == UNSET || sub > s->sub)
        s->sub = sub;
    if (x < s->sub_min)
        s->sub_min = x;
    if (x > s->sub_max)
        s->sub_max = x;
    if (s->sub_pkts < UINT8_MAX)
        s->sub_pkts++;
}

/* With no history (a new speaker, or ~3 s without packets) the floor is
 * assumed to be NF_LOW_X: speech that starts abruptly is recognised from its
 * first packet; steady noise that starts is learnt as the floor once it has
 * been stationary for a whole sub-window. */
static uint8_t floor_of(const struct spk *s)
{
    uint8_t f = s->hist_floor == NONE8 ? NF_LOW_X : s->hist_floor;
    return s->sub_min < f ? s->sub_min : f;
}

void speaker_level(speaker_detector *d, uint32_t key, uint8_t level, bool voice, int64_t now_ms)
{
    struct spk *s = find(d, key);
    if (!s)
        return;
    if (level > 127)
        level = 127;
    int64_t b = floordiv(now_ms, BLOCK_MS);
    if (s->block == UNSET || b > s->block)
        advance(s, b);
    uint8_t x = (uint8_t)(127 - level);
    floor_feed(s, x, now_ms);
    unsigned margin = voice ? MARGIN_VOICE : MARGIN_NOVOICE;
    bool active = x >= floor_of(s) + margin;
    if (s->blk_pkts < UINT16_MAX) {
        s->blk_pkts++;
        s->blk_active += active;
    }
}

static uint8_t window(const struct spk *s, int nblocks)
{
    unsigned sum = 0;
    for (int k = 1; k <= nblocks; k++)
        sum += s->act[(uint64_t)(s->block - k) & (HIST - 1)];
    return (uint8_t)(sum / (unsigned)nblocks);
}

/* Talking now, for most of the last half second, and for a real turn. */
static bool sustained(const struct spk *s)
{
    return s->imm >= IMM_MIN && s->med >= MED_MIN && s->lng >= LONG_MIN;
}

static bool beats(const struct spk *c, const struct spk *dom)
{
    return c->imm >= dom->imm + IMM_MARGIN && c->med >= dom->med + MED_MARGIN
        && c->lng * 10u >= dom->lng * (unsigned)LONG_RATIO + LONG_MARGIN * 10u;
}

static bool stronger(const struct spk *a, const struct spk *b)
{
    if (a->lng != b->lng)
        return a->lng > b->lng;
    if (a->med != b->med)
        return a->med > b->med;
    if (a->imm != b->imm)
        return a->imm > b->imm;
    return a->seq < b->seq;
}

bool speaker_tick(speaker_detector *d, int64_t now_ms, uint32_t *dominant)
{
    int64_t b = floordiv(now_ms, BLOCK_MS);
    for (size_t i = 0; i < d->n; i++) {
        struct spk *s = &d->s[i];
        if (s->block == UNSET || b > s->block)
            advance(s, b);
        s->imm = window(s, IMM_BLOCKS);
        s->med = window(s, MED_BLOCKS);
        s->lng = window(s, LONG_BLOCKS);
        if (sustained(s))
            s->last_spoke = now_ms;
    }
    const struct spk *cur = d->has_dom ? find(d, d->dom) : NULL;
    const struct spk *best = NULL;
    bool held = cur && d->changed_at != UNSET && now_ms >= d->changed_at
        && now_ms - d->changed_at < HOLD_MS;
    for (size_t i = 0; i < d->n && !held; i++) {
        const struct spk *s = &d->s[i];
        if (s == cur || !sustained(s) || (cur && !beats(s, cur)))
            continue;
        if (!best || stronger(s, best))
            best = s;
    }
    if (best) {
        d->has_dom = true;
        d->dom = best->key;
        d->epoch++;
        d->changed_at = now_ms;
    }
    bool changed = d->epoch != d->reported_epoch;
    d->reported_epoch = d->epoch;
    if (d->has_dom && dominant)
        *dominant = d->dom;
    return changed;
}

bool speaker_dominant(const speaker_detector *d, uint32_t *key)
{
    if (d->has_dom && key)
        *key = d->dom;
    return d->has_dom;
}

size_t speaker_recent(const speaker_detector *d, uint32_t *keys, size_t cap)
{
    /* Selection by successive maxima of a strict total order: O(n * cap),
     * no scratch memory. */
    const struct spk *prev = NULL;
    size_t out = 0;
    while (out < cap && out < d->n) {
        const struct spk *best = NULL;
        for (size_t i = 0; i < d->n; i++) {
            const struct spk *s = &d->s[i];
            if (prev && !more_recent(d, prev, s))
                continue;         /* already listed */
            if (!best || more_recent(d, s, best))
                best = s;
        }
        keys[out++] = best->key;
        prev = best;
    }
    return out;
}

bool speaker_get_info(const speaker_detector *d, uint32_t key, speaker_info *out)
{
    const struct spk *s = find(d, key);
    if (!s)
        return false;
    out->floor_level = s->sub_min == NONE8 && s->hist_floor == NONE8 ? -1 : 127 - floor_of(s);
    out->immediate = s->imm;
    out->medium = s->med;
    out->longterm = s->lng;
    out->last_spoke_ms = s->last_spoke;
    return true;
}
