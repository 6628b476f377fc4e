/* Tests for the dominant speaker detector, driven by synthetic RFC 6464
 * level traces at 50 packets/s: identification and switching delays,
 * steady noise, interjections, silence, overlap, removal, recency order,
 * timing at odd clock bases. Prints the measured switching delays. */
#include "check.h"
#include "bridge/speaker.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- synthetic participants ------------------------------------------ */

enum mode {
    M_OFF,          /* sends nothing (muted, DTX) */
    M_SILENT,       /* digital silence: level 127 */
    M_AMBIENT,      /* quiet room: level ~72 +-3, V=0 */
    M_SPEECH,       /* syllables ~26-38 dBov with gaps and phrase pauses */
    M_NOISE,        /* steady noise: level 50 +-2 */
    M_BURST,        /* one continuous loud burst (a cough, a "yes") */
};

typedef struct part {
    uint32_t key;
    enum mode mode;
    uint32_t rng;
    int phase;              /* packet send offset within 20 ms */
    int ambient;            /* level of this participant's room */
    bool noise_voice;       /* V bit sent with M_NOISE */
    bool speech_voice;      /* V bit sent on syllables (false: sender never sets V) */
    int speech_base;        /* syllable level base (smaller = louder) */
    /* speech state */
    int seg;                /* 0 syllable, 1 gap/pause */
    int seg_left, phrase_left, syl_base;
    int64_t burst_until;
} part;

#define MAX_PARTS 8
#define MAX_EVENTS 256

typedef struct sim {
    speaker_detector *d;
    part p[MAX_PARTS];
    int n;
    int64_t t0, t;          /* clock base and current offset (ms) */
    int tick_ms, tick_phase;
    int64_t ev_t[MAX_EVENTS];
    uint32_t ev_key[MAX_EVENTS];
    int nev;
    uint32_t watch;         /* key whose highest long-term score is kept */
    unsigned watch_max;
} sim;

static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static int rnd_range(uint32_t *s, int lo, int hi)
{
    return lo + (int)(rnd(s) % (uint32_t)(hi - lo + 1));
}

static void sim_init(sim *s, int n, uint32_t seed, int tick_ms, int64_t t0)
{
    memset(s, 0, sizeof *s);
    s->d = speaker_detector_new();
    s->n = n;
    s->t0 = t0;
    s->tick_ms = tick_ms;
    uint32_t r = seed * 2654435761u + 12345u;
    if (!r)
        r = 1;
    s->tick_phase = rnd_range(&r, 0, tick_ms - 1);
    for (int i = 0; i < n; i++) {
        part *p = &s->p[i];
        p->key = 1000u + (uint32_t)i * 7u;
        p->mode = M_AMBIENT;
        p->rng = rnd(&r) | 1u;
        p->phase = rnd_range(&r, 0, 19);
        p->ambient = 72;
        p->speech_voice = true;
        p->speech_base = 26;
        CHECK_EQ_INT(speaker_add(s->d, p->key), 0);
    }
}

static void sim_free(sim *s)
{
    speaker_detector_free(s->d);
}

static void set_mode(sim *s, int i, enum mode m)
{
    part *p = &s->p[i];
    if (m == M_SPEECH && p->mode != M_SPEECH) {
        p->seg = 0;
        p->syl_base = p->speech_base + rnd_range(&p->rng, 0, 12);
        p->seg_left = rnd_range(&p->rng, 140, 300);
        p->phrase_left = rnd_range(&p->rng, 1500, 3000);
    }
    p->mode = m;
}

static void burst(sim *s, int i, int ms)
{
    s->p[i].mode = M_BURST;
    s->p[i].burst_until = s->t + ms;
}

/* One packet of participant p: returns false when it sends nothing. */
static bool gen(part *p, int64_t t, uint8_t *level, bool *voice)
{
    switch (p->mode) {
    case M_OFF:
        return false;
    case M_SILENT:
        *level = 127;
        *voice = false;
        return true;
    case M_AMBIENT:
        *level = (uint8_t)(p->ambient + rnd_range(&p->rng, -3, 3));
        *voice = false;
        return true;
    case M_NOISE:
        *level = (uint8_t)(50 + rnd_range(&p->rng, -2, 2));
        *voice = p->noise_voice;
        return true;
    case M_BURST:
        if (t >= p->burst_until) {
            p->mode = M_AMBIENT;
            return gen(p, t, level, voice);
        }
        /* Loud and varying, as a word or a cough (never stationary). */
        *level = (uint8_t)(30 + ((t / 20) & 1 ? -6 : 6) + rnd_range(&p->rng, -2, 2));
        *voice = true;
        return true;
    case M_SPEECH:
        break;
    }
    if (p->seg_left <= 0) {
        if (p->seg == 0) {
            p->seg = 1;
            if (p->phrase_left <= 0) {
                p->seg_left = rnd_range(&p->rng, 200, 400);
                p->phrase_left = rnd_range(&p->rng, 1500, 3000);
            } else {
                p->seg_left = rnd_range(&p->rng, 20, 80);
            }
        } else {
            p->seg = 0;
            p->seg_left = rnd_range(&p->rng, 140, 300);
            p->syl_base = p->speech_base + rnd_range(&p->rng, 0, 12);
        }
    }
    p->seg_left -= 20;
    p->phrase_left -= 20;
    if (p->seg == 0) {
        *level = (uint8_t)(p->syl_base + rnd_range(&p->rng, -6, 6));
        *voice = p->speech_voice;
    } else {
        *level = (uint8_t)(p->ambient + rnd_range(&p->rng, -3, 3));
        *voice = false;
    }
    return true;
}

/* Advances the simulation to offset until (ms after t0), 1 ms at a time. */
static void sim_run(sim *s, int64_t until)
{
    for (; s->t < until; s->t++) {
        int64_t now = s->t0 + s->t;
        for (int i = 0; i < s->n; i++) {
            part *p = &s->p[i];
            if (p->key == 0 || (s->t - p->phase) % 20 != 0)
                continue;
            uint8_t level;
            bool voice;
            if (gen(p, s->t, &level, &voice))
                speaker_level(s->d, p->key, level, voice, now);
        }
        if (s->t % s->tick_ms == s->tick_phase) {
            uint32_t dom = 0xDEADBEEF;
            bool changed = speaker_tick(s->d, now, &dom);
            speaker_info info;
            if (s->watch && speaker_get_info(s->d, s->watch, &info) && info.longterm > s->watch_max)
                s->watch_max = info.longterm;
            if (changed && s->nev < MAX_EVENTS) {
                uint32_t k;
                s->ev_t[s->nev] = s->t;
                s->ev_key[s->nev] = speaker_dominant(s->d, &k) ? k : 0;
                if (speaker_dominant(s->d, NULL))
                    CHECK(dom == k);
                else
                    CHECK(dom == 0xDEADBEEF);
                s->nev++;
            }
        }
    }
}

/* Time of the first change to key at or after offset from, or -1. */
static int64_t first_switch(const sim *s, uint32_t key, int64_t from)
{
    for (int i = 0; i < s->nev; i++)
        if (s->ev_t[i] >= from && s->ev_key[i] == key)
            return s->ev_t[i];
    return -1;
}

static int events_since(const sim *s, int64_t from)
{
    int c = 0;
    for (int i = 0; i < s->nev; i++)
        c += s->ev_t[i] >= from;
    return c;
}

/* Shortest time between two consecutive changes (INT64_MAX if < 2). */
static int64_t min_gap(const sim *s)
{
    int64_t m = INT64_MAX;
    for (int i = 1; i < s->nev; i++)
        if (s->ev_t[i] - s->ev_t[i - 1] < m)
            m = s->ev_t[i] - s->ev_t[i - 1];
    return m;
}

static uint32_t dominant_now(const sim *s)
{
    uint32_t k = 0;
    return speaker_dominant(s->d, &k) ? k : 0;
}

typedef struct stats {
    int n, fails;
    int64_t min, max, sum;
} stats;

static void stats_add(stats *st, int64_t v)
{
    if (v < 0) {
        st->fails++;
        return;
    }
    if (st->n == 0 || v < st->min)
        st->min = v;
    if (st->n == 0 || v > st->max)
        st->max = v;
    st->sum += v;
    st->n++;
}

static void stats_print(const char *what, const stats *st)
{
    if (st->n)
        printf("  %-46s n=%-3d min %4lld  mean %4lld  max %4lld ms%s\n", what, st->n,
               (long long)st->min, (long long)(st->sum / st->n), (long long)st->max,
               st->fails ? "  (some never switched)" : "");
    else
        printf("  %-46s never switched\n", what);
}

/* ---- scenarios ------------------------------------------------------- */

static void test_api(void)
{
    speaker_detector *d = speaker_detector_new();
    CHECK(d != NULL);
    speaker_detector_free(NULL);
    uint32_t k = 77, keys[8];
    CHECK(!speaker_tick(d, 0, &k));
    CHECK_EQ_INT(k, 77);
    CHECK(!speaker_dominant(d, &k));
    CHECK_EQ_INT(speaker_recent(d, keys, 8), 0);
    speaker_level(d, 5, 20, true, 0);        /* unknown key: ignored */
    speaker_remove(d, 5);
    CHECK_EQ_INT(speaker_add(d, 5), 0);
    CHECK_EQ_INT(speaker_add(d, 5), 1);
    CHECK_EQ_INT(speaker_add(d, 0), 0);      /* every key value is allowed */
    CHECK_EQ_INT(speaker_add(d, UINT32_MAX), 0);
    CHECK_EQ_INT(speaker_count(d), 3);
    CHECK_EQ_INT(speaker_recent(d, keys, 8), 3);
    CHECK_EQ_INT(keys[0], 5);
    CHECK_EQ_INT(keys[1], 0);
    CHECK_EQ_INT(keys[2], UINT32_MAX);
    CHECK_EQ_INT(speaker_recent(d, keys, 2), 2);
    speaker_info info;
    CHECK(speaker_get_info(d, 0, &info));
    CHECK_EQ_INT(info.floor_level, -1);
    CHECK(info.last_spoke_ms == INT64_MIN);
    CHECK(!speaker_get_info(d, 6, &info));
    speaker_level(d, 5, 200, true, 0);       /* out-of-range level: clamped */
    CHECK(speaker_get_info(d, 5, &info));
    CHECK_EQ_INT(info.floor_level, 80);      /* silence counts as -80 dBov for the floor */
    speaker_remove(d, 0);
    CHECK_EQ_INT(speaker_count(d), 2);
    CHECK(!speaker_get_info(d, 0, &info));
    CHECK(speaker_get_info(d, UINT32_MAX, &info));
    CHECK(!speaker_tick(d, 100, NULL));

    /* Many speakers: growth and lookups after swap-removal. */
    for (uint32_t i = 100; i < 400; i++)
        CHECK_EQ_INT(speaker_add(d, i * 2654435761u), 0);
    for (uint32_t i = 100; i < 400; i += 2)
        speaker_remove(d, i * 2654435761u);
    CHECK_EQ_INT(speaker_count(d), 152);
    int found = 0, gone = 0;
    for (uint32_t i = 100; i < 400; i++) {
        bool has = speaker_get_info(d, i * 2654435761u, &info);
        found += has && (i & 1);
        gone += !has && !(i & 1);
    }
    CHECK_EQ_INT(found, 150);
    CHECK_EQ_INT(gone, 150);
    speaker_detector_free(d);
}

/* One speaker, the others in quiet rooms (or sending nothing): identified. */
static void test_identify(void)
{
    static const int ticks[] = { 100, 200, 300 };
    for (int ti = 0; ti < 3; ti++) {
        stats st = { 0 };
        int bad_events = 0, wrong = 0;
        for (uint32_t seed = 1; seed <= 40; seed++) {
            sim s;
            sim_init(&s, 4, seed, ticks[ti], 0);
            if (seed & 1)
                set_mode(&s, 3, M_OFF);
            sim_run(&s, 2000);
            CHECK_EQ_INT(s.nev, 0);           /* nobody talked: no dominant */
            int who = (int)(seed % 4);
            set_mode(&s, who, M_SPEECH);
            sim_run(&s, 12000);
            int64_t at = first_switch(&s, s.p[who].key, 2000);
            stats_add(&st, at < 0 ? -1 : at - 2000);
            bad_events += s.nev != 1;
            wrong += dominant_now(&s) != s.p[who].key;
            /* Within 1 s, plus the tick period beyond 100 ms. */
            CHECK(at >= 0 && at - 2000 <= 1000 + ticks[ti] - 100);
            sim_free(&s);
        }
        CHECK_EQ_INT(st.fails, 0);
        CHECK_EQ_INT(bad_events, 0);
        CHECK_EQ_INT(wrong, 0);
        char what[64];
        snprintf(what, sizeof what, "identify (tick %d ms):", ticks[ti]);
        stats_print(what, &st);
    }
}

/* A talks, stops; B starts at once (or after a pause). */
static void test_swap(void)
{
    static const int ticks[] = { 100, 200, 300 };
    for (int ti = 0; ti < 3; ti++) {
        stats st = { 0 }, st_pause = { 0 };
        for (uint32_t seed = 1; seed <= 30; seed++) {
            for (int pause = 0; pause <= 1; pause++) {
                sim s;
                sim_init(&s, 4, seed * 31 + (uint32_t)pause, ticks[ti], 0);
                set_mode(&s, 0, M_SPEECH);
                sim_run(&s, 5000);
                CHECK(dominant_now(&s) == s.p[0].key);
                set_mode(&s, 0, M_AMBIENT);
                int64_t start = pause ? 6500 : 5000;
                sim_run(&s, start);
                set_mode(&s, 1, M_SPEECH);
                sim_run(&s, start + 6000);
                int64_t at = first_switch(&s, s.p[1].key, start);
                stats_add(pause ? &st_pause : &st, at < 0 ? -1 : at - start);
                CHECK(at >= 0 && at - start <= 1000 + ticks[ti] - 100);
                CHECK_EQ_INT(events_since(&s, start), 1);
                CHECK_EQ_INT(events_since(&s, 0), 2);
                CHECK(dominant_now(&s) == s.p[1].key);
                /* And back to A. */
                set_mode(&s, 1, M_AMBIENT);
                set_mode(&s, 0, M_SPEECH);
                int64_t back = s.t;
                sim_run(&s, back + 4000);
                at = first_switch(&s, s.p[0].key, back);
                stats_add(pause ? &st_pause : &st, at < 0 ? -1 : at - back);
                CHECK(at >= 0 && at - back <= 1000 + ticks[ti] - 100);
                sim_free(&s);
            }
        }
        CHECK_EQ_INT(st.fails + st_pause.fails, 0);
        char what[64];
        snprintf(what, sizeof what, "swap, no gap (tick %d ms):", ticks[ti]);
        stats_print(what, &st);
        snprintf(what, sizeof what, "swap after 1.5 s silence (tick %d ms):", ticks[ti]);
        stats_print(what, &st_pause);
    }
}

/* Steady noise (V=0 or V=1) never wins over a speaker, nor alone. */
static void test_noise(void)
{
    stats st = { 0 };
    int noise_won = 0;
    for (uint32_t seed = 1; seed <= 20; seed++) {
        for (int v = 0; v <= 1; v++) {
            sim s;
            sim_init(&s, 3, seed + 100u * (uint32_t)v, 200, 0);
            s.p[2].noise_voice = v;
            set_mode(&s, 2, M_NOISE);
            sim_run(&s, 3000);                     /* noise alone from the start */
            noise_won += first_switch(&s, s.p[2].key, 0) >= 0;
            CHECK_EQ_INT(s.nev, 0);
            set_mode(&s, 0, M_SPEECH);
            sim_run(&s, 13000);
            int64_t at = first_switch(&s, s.p[0].key, 3000);
            stats_add(&st, at < 0 ? -1 : at - 3000);
            CHECK(dominant_now(&s) == s.p[0].key);
            /* A pauses; B's room turns noisy after digital silence (noise onset). */
            set_mode(&s, 0, M_AMBIENT);
            set_mode(&s, 1, M_SILENT);
            sim_run(&s, 15000);
            s.p[1].noise_voice = !v;
            set_mode(&s, 1, M_NOISE);
            sim_run(&s, 25000);
            CHECK(dominant_now(&s) == s.p[0].key);
            /* Speaker and both noises together. */
            set_mode(&s, 0, M_SPEECH);
            sim_run(&s, 35000);
            noise_won += first_switch(&s, s.p[2].key, 0) >= 0;
            noise_won += first_switch(&s, s.p[1].key, 0) >= 0;
            CHECK_EQ_INT(s.nev, 1);
            speaker_info info;
            CHECK(speaker_get_info(s.d, s.p[2].key, &info));
            CHECK(info.floor_level >= 50 && info.floor_level <= 52);
            CHECK_EQ_INT(info.longterm, 0);
            sim_free(&s);
        }
    }
    CHECK_EQ_INT(noise_won, 0);
    CHECK_EQ_INT(st.fails, 0);
    CHECK(st.max <= 1100);
    stats_print("identify next to steady noise (tick 200 ms):", &st);
    printf("  noise participants that ever became dominant: %d of 120 checks\n", noise_won);
}

/* A 300 ms burst by B, while A talks or while A is silent: no switch. */
static void test_interjection(void)
{
    int switched = 0, runs = 0, longer_switched = 0;
    unsigned peak = 0;
    for (uint32_t seed = 1; seed <= 10; seed++) {
        for (int off = 0; off < 10; off++) {
            for (int during = 0; during <= 1; during++) {
                sim s;
                sim_init(&s, 3, seed * 977u + (uint32_t)off * 13u + (uint32_t)during, 100 + 20 * off, 0);
                set_mode(&s, 0, M_SPEECH);
                sim_run(&s, 4000);
                if (!during)
                    set_mode(&s, 0, M_AMBIENT);
                int64_t at = 4500 + off * 37;
                sim_run(&s, at);
                burst(&s, 1, 300);
                s.watch = s.p[1].key;
                sim_run(&s, at + 3000);
                switched += first_switch(&s, s.p[1].key, 0) >= 0;
                if (s.watch_max > peak)
                    peak = s.watch_max;
                CHECK_EQ_INT(s.nev, 1);
                runs++;
                sim_free(&s);
            }
        }
        /* Control: 1.2 s of speech while A is silent does switch. */
        sim s;
        sim_init(&s, 3, seed, 100, 0);
        set_mode(&s, 0, M_SPEECH);
        sim_run(&s, 4000);
        set_mode(&s, 0, M_AMBIENT);
        sim_run(&s, 5000);
        set_mode(&s, 1, M_SPEECH);
        sim_run(&s, 6200);
        set_mode(&s, 1, M_AMBIENT);
        sim_run(&s, 8000);
        longer_switched += first_switch(&s, s.p[1].key, 0) >= 0;
        sim_free(&s);
    }
    CHECK_EQ_INT(switched, 0);
    CHECK_EQ_INT(longer_switched, 10);
    CHECK(peak >= 20 && peak <= 35);        /* the burst did register, below the bar */
    printf("  300 ms interjections that switched: %d of %d (highest long score %u%%, bar 45%%);\n"
           "  1.2 s talks that switched: %d of 10\n", switched, runs, peak, longer_switched);
}

/* The dominant speaker goes quiet (room noise, digital silence, or no
 * packets at all): it keeps dominance, no flapping. */
static void test_silence_keeps(void)
{
    static const enum mode quiet[] = { M_AMBIENT, M_SILENT, M_OFF };
    for (int q = 0; q < 3; q++) {
        for (uint32_t seed = 1; seed <= 10; seed++) {
            sim s;
            sim_init(&s, 4, seed + 50u * (uint32_t)q, 200, 0);
            set_mode(&s, 2, quiet[q]);
            set_mode(&s, 3, M_OFF);
            set_mode(&s, 0, M_SPEECH);
            sim_run(&s, 3000);
            set_mode(&s, 0, quiet[q]);
            sim_run(&s, 20000);
            CHECK_EQ_INT(s.nev, 1);
            CHECK(dominant_now(&s) == s.p[0].key);
            sim_free(&s);
        }
    }
}

/* Two people talk over each other for 3 s: the incumbent usually keeps the
 * floor (it can lose it when it pauses while the other keeps talking), the
 * floor does not flap (no two changes within 1 s, at most one return), and
 * once the incumbent stops the other has it. */
static void test_overlap(void)
{
    stats st = { 0 };
    int stolen = 0, flapped = 0, runs = 0;
    for (uint32_t seed = 1; seed <= 100; seed++) {
        sim s;
        sim_init(&s, 3, seed * 7u, 100 + 100 * (int)(seed % 3), 0);
        set_mode(&s, 0, M_SPEECH);
        sim_run(&s, 3000);
        set_mode(&s, 1, M_SPEECH);
        sim_run(&s, 6000);
        stolen += first_switch(&s, s.p[1].key, 0) >= 0;
        flapped += events_since(&s, 3000) > 2 || min_gap(&s) < 1000;
        set_mode(&s, 0, M_AMBIENT);
        sim_run(&s, 10000);
        CHECK(dominant_now(&s) == s.p[1].key);
        int64_t at = first_switch(&s, s.p[1].key, 6000);
        if (at >= 0) {
            stats_add(&st, at - 6000);
            CHECK(at - 6000 <= 1200 + s.tick_ms);
        }
        runs++;
        sim_free(&s);
    }
    CHECK_EQ_INT(flapped, 0);
    printf("  overlap 3 s: floor taken by the newcomer in %d of %d runs, flapping in %d\n",
           stolen, runs, flapped);
    CHECK(stolen <= 5);
    stats_print("overlap, then the incumbent stops:", &st);
}

/* B takes the floor with a short turn and stops while C, who started just
 * after B, keeps talking: C takes over, but not within 1 s of B's change. */
static void test_hold(void)
{
    stats st = { 0 };
    for (uint32_t seed = 1; seed <= 10; seed++) {
        sim s;
        sim_init(&s, 3, seed * 5u, 100, 0);
        set_mode(&s, 0, M_SPEECH);
        sim_run(&s, 3000);
        set_mode(&s, 0, M_AMBIENT);
        sim_run(&s, 9700);
        burst(&s, 1, 500);
        sim_run(&s, 10000);
        burst(&s, 2, 3000);
        sim_run(&s, 13000);
        int64_t b = first_switch(&s, s.p[1].key, 0), c = first_switch(&s, s.p[2].key, 0);
        CHECK(b >= 0 && c > b);
        CHECK(c - b >= 1000 && c - b <= 1100);
        stats_add(&st, c - b);
        CHECK_EQ_INT(s.nev, 3);
        sim_free(&s);
    }
    stats_print("hold: time between B's and C's changes:", &st);
}

/* A sender that never sets V, and a quiet talker in a noisy room, are
 * still recognised (levels are judged against each speaker's own floor). */
static void test_no_vad_and_quiet(void)
{
    stats st = { 0 };
    for (uint32_t seed = 1; seed <= 20; seed++) {
        sim s;
        sim_init(&s, 3, seed * 11u, 200, 0);
        s.p[0].speech_voice = false;
        set_mode(&s, 0, M_SPEECH);
        sim_run(&s, 4000);
        CHECK(dominant_now(&s) == s.p[0].key);
        int64_t a = first_switch(&s, s.p[0].key, 0);
        stats_add(&st, a);
        /* Quiet talker B (-50 dBov syllables) in a -66 dBov room, while C
         * produces steady louder noise. */
        s.p[1].ambient = 66;
        s.p[1].speech_base = 44;
        set_mode(&s, 2, M_NOISE);
        set_mode(&s, 0, M_AMBIENT);
        sim_run(&s, 6000);
        set_mode(&s, 1, M_SPEECH);
        sim_run(&s, 10000);
        int64_t at = first_switch(&s, s.p[1].key, 6000);
        CHECK(at >= 0 && at - 6000 <= 1200);
        stats_add(&st, at < 0 ? -1 : at - 6000);
        CHECK(first_switch(&s, s.p[2].key, 0) < 0);
        sim_free(&s);
    }
    CHECK_EQ_INT(st.fails, 0);
    stats_print("V=0 talker / quiet talker (tick 200):", &st);
}

/* Removal of the dominant speaker, and the recent-speakers order. */
static void test_remove_and_recent(void)
{
    sim s;
    sim_init(&s, 5, 4242, 100, 0);
    uint32_t A = s.p[0].key, B = s.p[1].key, C = s.p[2].key, D = s.p[3].key, E = s.p[4].key;
    uint32_t keys[8], k;
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 5);
    CHECK_EQ_INT(keys[0], A);
    CHECK_EQ_INT(keys[4], E);

    set_mode(&s, 2, M_SPEECH);                 /* C, then B, then A */
    sim_run(&s, 3000);
    set_mode(&s, 2, M_AMBIENT);
    set_mode(&s, 1, M_SPEECH);
    sim_run(&s, 6000);
    set_mode(&s, 1, M_AMBIENT);
    set_mode(&s, 0, M_SPEECH);
    sim_run(&s, 9000);
    set_mode(&s, 0, M_AMBIENT);
    sim_run(&s, 10000);
    CHECK(dominant_now(&s) == A);
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 5);
    CHECK_EQ_INT(keys[0], A);
    CHECK_EQ_INT(keys[1], B);
    CHECK_EQ_INT(keys[2], C);
    CHECK_EQ_INT(keys[3], D);                  /* never spoke: join order */
    CHECK_EQ_INT(keys[4], E);
    CHECK_EQ_INT(speaker_recent(s.d, keys, 2), 2);
    CHECK_EQ_INT(keys[1], B);

    /* C talks while A is dominant but silent: C takes over and moves up. */
    set_mode(&s, 2, M_SPEECH);
    sim_run(&s, 13000);
    set_mode(&s, 2, M_AMBIENT);
    sim_run(&s, 14000);
    CHECK(dominant_now(&s) == C);
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 5);
    CHECK_EQ_INT(keys[0], C);
    CHECK_EQ_INT(keys[1], A);
    CHECK_EQ_INT(keys[2], B);

    /* Remove the dominant speaker: the most recent other speaker takes over
     * and the next tick reports it once. */
    speaker_remove(s.d, C);
    s.p[2].key = 0;                           /* stop sending */
    CHECK(speaker_dominant(s.d, &k) && k == A);
    CHECK(speaker_tick(s.d, s.t0 + s.t, &k));
    CHECK_EQ_INT(k, A);
    CHECK(!speaker_tick(s.d, s.t0 + s.t + 100, &k));
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 4);
    CHECK_EQ_INT(keys[0], A);
    CHECK_EQ_INT(keys[1], B);
    CHECK_EQ_INT(keys[2], D);
    CHECK_EQ_INT(keys[3], E);

    /* Remove a non-dominant speaker: nothing to report. */
    speaker_remove(s.d, B);
    s.p[1].key = 0;
    CHECK(!speaker_tick(s.d, s.t0 + s.t + 200, &k));
    CHECK_EQ_INT(k, A);
    /* Remove A: D and E never spoke, so nobody is dominant. */
    speaker_remove(s.d, A);
    s.p[0].key = 0;
    CHECK(!speaker_dominant(s.d, NULL));
    k = 99;
    CHECK(speaker_tick(s.d, s.t0 + s.t + 300, &k));
    CHECK_EQ_INT(k, 99);
    CHECK(!speaker_tick(s.d, s.t0 + s.t + 400, &k));
    s.t += 400;
    s.nev = 0;
    set_mode(&s, 4, M_SPEECH);                 /* E speaks: dominant again */
    int64_t from = s.t;
    sim_run(&s, from + 3000);
    int64_t at = first_switch(&s, E, from);
    CHECK(at >= 0 && at - from <= 1000);
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 2);
    CHECK_EQ_INT(keys[0], E);
    CHECK_EQ_INT(keys[1], D);
    /* Re-adding a removed key starts it fresh, last in order. */
    CHECK_EQ_INT(speaker_add(s.d, C), 0);
    CHECK_EQ_INT(speaker_recent(s.d, keys, 8), 3);
    CHECK_EQ_INT(keys[2], C);
    sim_free(&s);
}

/* The same traces on clock bases that cross 2^32 ms, zero and 2^52 give the
 * same decisions; a long gap behaves like silence. */
static void test_timing(void)
{
    static const int64_t bases[] = {
        0,
        (INT64_C(4294967296) / 300) * 300 - 6000,  /* crosses 2^32 mid-run */
        -9000,                                     /* crosses 0 mid-run */
        (INT64_C(1) << 52) / 300 * 300,
    };
    int64_t ref[2] = { -1, -1 };
    for (int bi = 0; bi < 4; bi++) {
        sim s;
        sim_init(&s, 3, 99, 100, bases[bi]);
        set_mode(&s, 0, M_SPEECH);
        sim_run(&s, 5000);
        set_mode(&s, 0, M_AMBIENT);
        set_mode(&s, 1, M_SPEECH);
        sim_run(&s, 12000);
        int64_t a = first_switch(&s, s.p[0].key, 0), b = first_switch(&s, s.p[1].key, 5000);
        CHECK(a >= 0 && b >= 0);
        CHECK_EQ_INT(s.nev, 2);
        if (bi == 0) {
            ref[0] = a;
            ref[1] = b;
        } else {
            CHECK_EQ_INT(a, ref[0]);
            CHECK_EQ_INT(b, ref[1]);
        }
        /* An hour without packets or ticks: B stays, nothing spurious, and
         * a new speaker is recognised in the usual time. */
        for (int i = 0; i < 3; i++)
            set_mode(&s, i, M_AMBIENT);
        s.t += 3600 * 1000;
        int64_t from = s.t;
        sim_run(&s, from + 2000);
        CHECK_EQ_INT(events_since(&s, from), 0);
        set_mode(&s, 2, M_SPEECH);
        sim_run(&s, from + 6000);
        int64_t c = first_switch(&s, s.p[2].key, from + 2000);
        CHECK(c >= 0 && c - (from + 2000) <= 1000);
        /* A clock that steps back a little is tolerated. */
        uint32_t k;
        speaker_level(s.d, s.p[2].key, 30, true, s.t0 + s.t - 500);
        CHECK(!speaker_tick(s.d, s.t0 + s.t - 400, &k));
        CHECK_EQ_INT(k, s.p[2].key);
        sim_free(&s);
    }
}

int main(void)
{
    printf("speaker switching delays (50 packets/s synthetic traces):\n");
    test_api();
    test_identify();
    test_swap();
    test_noise();
    test_interjection();
    test_silence_keeps();
    test_overlap();
    test_hold();
    test_no_vad_and_quiet();
    test_remove_and_recent();
    test_timing();
    return check_report("speaker");
}
