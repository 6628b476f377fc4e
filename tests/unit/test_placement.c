/* Tests for placement: region names, the network-to-region map, the order of
 * the participant's region sources, bridge load and the choice of a bridge. */
#include "check.h"
#include "focus/placement.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_region_valid(void)
{
    static const struct {
        const char *s;
        bool valid;
    } cases[] = {
        {"fr", true},
        {"eu-west.1_a", true},
        {"A", true},
        {"0123456789abcdef0123456789abcdef", true},   /* 32 */
        {"0123456789abcdef0123456789abcdefg", false}, /* 33 */
        {"", false},
        {"eu west", false},
        {" fr", false},
        {"fr\n", false},
        {"fr/1", false},
        {"fr=de", false},
        {"caf\xc3\xa9", false},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (placement_region_valid(cases[i].s) != cases[i].valid)
            fprintf(stderr, "region \"%s\"\n", cases[i].s);
        CHECK(placement_region_valid(cases[i].s) == cases[i].valid);
    }
    CHECK(!placement_region_valid(NULL));
}

static void test_map_errors(void)
{
    static const struct {
        const char *spec;
        const char *reason; /* a part of the error text */
    } cases[] = {
        {"10.0.0.0/8", "missing '='"},
        {"", "missing '='"},
        {"10.0.0.0/8=", "invalid region"},
        {"10.0.0.0/8=eu west", "invalid region"},
        {"10.0.0.0/8=0123456789abcdef0123456789abcdefg", "invalid region"},
        {"10.0.0/8=a", "bad address"},
        {"10.0.0.256/8=a", "bad address"},
        {"=a", "bad address"},
        {"/8=a", "bad address"},
        {" 10.0.0.0/8=a", "bad address"},
        {"example.com/8=a", "bad address"},
        {"2001:db8:::/32=a", "bad address"},
        {"10.0.0.0/=a", "bad prefix length"},
        {"10.0.0.0/8x=a", "bad prefix length"},
        {"10.0.0.0/-1=a", "bad prefix length"},
        {"10.0.0.0/+8=a", "bad prefix length"},
        {"10.0.0.0/ 8=a", "bad prefix length"},
        {"10.0.0.0/0008=a", "bad prefix length"},
        {"10.0.0.0/33=a", "prefix length 33 out of range"},
        {"10.0.0.0/40=a", "prefix length 40 out of range"},
        {"2001:db8::/129=a", "prefix length 129 out of range"},
        {"2001:db8::/999=a", "prefix length 999 out of range"},
        {"::ffff:10.0.0.0/95=a", "prefix shorter than ::ffff:0:0/96"},
        {"::ffff:10.0.0.0/129=a", "prefix length 129 out of range"},
    };
    region_map *m = region_map_new();
    CHECK(m != NULL);
    for (size_t i = 0; i < COUNT(cases); i++) {
        char err[160] = "";
        int rc = region_map_add(m, cases[i].spec, err, sizeof err);
        if (rc != -1 || !strstr(err, cases[i].reason) || !strstr(err, "region map entry \""))
            fprintf(stderr, "spec \"%s\": rc %d, err \"%s\"\n", cases[i].spec, rc, err);
        CHECK_EQ_INT(rc, -1);
        CHECK(strstr(err, cases[i].reason) != NULL);
        CHECK(strstr(err, "region map entry \"") != NULL);
    }
    CHECK_EQ_INT(region_map_size(m), 0);
    char err[160];
    CHECK_EQ_INT(region_map_add(m, "10.0.0.0/40=a", err, sizeof err), -1);
    CHECK_EQ_STR(err, "region map entry \"10.0.0.0/40=a\": prefix length 40 out of range");
    /* A short buffer truncates, a missing one is tolerated. */
    char tiny[8];
    CHECK_EQ_INT(region_map_add(m, "bad", tiny, sizeof tiny), -1);
    CHECK_EQ_INT(strlen(tiny), sizeof tiny - 1);
    CHECK_EQ_INT(region_map_add(m, "bad", NULL, 0), -1);
    CHECK_EQ_INT(region_map_size(m), 0);
    region_map_free(m);
}

static void test_map_lookup(void)
{
    static const char *const specs[] = {
        "10.0.0.0/8=a",
        "10.1.0.0/16=b",
        "10.1.2.77/24=c-masked",   /* host bits beyond the prefix are ignored */
        "192.0.2.7=host4",
        "198.51.100.0/23=odd",
        "2001:db8::/32=de",
        "2001:db8:1::/48=de-1",
        "2001:db8:ff::5=host6",
        "2001:db8:8000::/33=half",
        "::ffff:203.0.113.0/120=mapped-entry",
    };
    static const struct {
        const char *address;
        const char *region; /* NULL: no entry */
    } cases[] = {
        {"10.1.3.4", "b"},
        {"10.2.0.1", "a"},
        {"10.255.255.255", "a"},
        {"10.1.2.3", "c-masked"},
        {"10.1.2.255", "c-masked"},
        {"10.1.3.0", "b"},
        {"11.0.0.1", NULL},
        {"9.255.255.255", NULL},
        {"192.0.2.7", "host4"},
        {"192.0.2.8", NULL},
        {"198.51.100.1", "odd"},
        {"198.51.101.255", "odd"},
        {"198.51.102.0", NULL},
        {"2001:db8::1", "de"},
        {"2001:db8:1::1", "de-1"},
        {"2001:db8:1:ffff::1", "de-1"},
        {"2001:db8:2::1", "de"},
        {"2001:db8:ff::5", "host6"},
        {"2001:db8:ff::6", "de"},
        {"2001:db8:8000::1", "half"},
        {"2001:db8:7fff::1", "de"},
        {"2001:db9::1", NULL},
        {"::1", NULL},
        /* IPv4-mapped addresses meet the IPv4 entries. */
        {"::ffff:10.1.3.4", "b"},
        {"::ffff:10.2.0.1", "a"},
        {"::ffff:192.0.2.7", "host4"},
        {"::FFFF:a01:203", "c-masked"},
        {"::ffff:11.0.0.1", NULL},
        /* ... and a mapped entry meets plain IPv4 clients. */
        {"203.0.113.9", "mapped-entry"},
        {"::ffff:203.0.113.9", "mapped-entry"},
        /* IPv4-compatible (::a.b.c.d) is not mapped. */
        {"::10.1.3.4", NULL},
        /* Not addresses. */
        {"", NULL},
        {"10.1.3", NULL},
        {"10.1.3.4 ", NULL},
        {"10.1.3.4/32", NULL},
        {"[2001:db8::1]", NULL},
        {"2001:db8::1%eth0", NULL},
        {"localhost", NULL},
        {"garbage", NULL},
    };
    region_map *m = region_map_new();
    CHECK(m != NULL);
    for (size_t i = 0; i < COUNT(specs); i++) {
        char err[160] = "";
        int rc = region_map_add(m, specs[i], err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "spec \"%s\": %s\n", specs[i], err);
        CHECK_EQ_INT(rc, 0);
    }
    CHECK_EQ_INT(region_map_size(m), COUNT(specs));
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = region_map_lookup(m, cases[i].address);
        if (cases[i].region ? !got || strcmp(got, cases[i].region) != 0 : got != NULL)
            fprintf(stderr, "lookup \"%s\": got %s, want %s\n", cases[i].address, got ? got : "NULL",
                    cases[i].region ? cases[i].region : "NULL");
        if (cases[i].region)
            CHECK_EQ_STR(got, cases[i].region);
        else
            CHECK(got == NULL);
    }
    CHECK(region_map_lookup(m, NULL) == NULL);
    CHECK(region_map_lookup(NULL, "10.1.3.4") == NULL);
    CHECK_EQ_INT(region_map_size(NULL), 0);
    region_map_free(m);
    region_map_free(NULL);
}

static void test_map_defaults_and_order(void)
{
    region_map *m = region_map_new();
    char err[160];
    /* /0 holds every address of its family, and only of its family. */
    CHECK_EQ_INT(region_map_add(m, "0.0.0.0/0=any4", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "203.0.113.1"), "any4");
    CHECK_EQ_STR(region_map_lookup(m, "::ffff:203.0.113.1"), "any4");
    CHECK(region_map_lookup(m, "2001:db8::1") == NULL);
    CHECK_EQ_INT(region_map_add(m, "::/0=any6", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "2001:db8::1"), "any6");
    CHECK_EQ_STR(region_map_lookup(m, "203.0.113.1"), "any4");
    /* A /0 with nonzero address bits is still everything. */
    CHECK_EQ_INT(region_map_add(m, "255.255.255.255/0=other", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "1.2.3.4"), "any4");
    /* Of two equal networks the first added wins; a longer one still does. */
    CHECK_EQ_INT(region_map_add(m, "10.0.0.0/8=first", err, sizeof err), 0);
    CHECK_EQ_INT(region_map_add(m, "10.0.0.0/8=second", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "10.9.9.9"), "first");
    CHECK_EQ_INT(region_map_add(m, "10.9.9.9/32=host", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "10.9.9.9"), "host");
    CHECK_EQ_STR(region_map_lookup(m, "10.9.9.8"), "first");
    CHECK_EQ_INT(region_map_add(m, "::/128=unspecified", err, sizeof err), 0);
    CHECK_EQ_STR(region_map_lookup(m, "::"), "unspecified");
    CHECK_EQ_STR(region_map_lookup(m, "::2"), "any6");
    CHECK_EQ_INT(region_map_size(m), 7);
    region_map_free(m);
}

static void test_map_full(void)
{
    region_map *m = region_map_new();
    char spec[64], err[160];
    for (int i = 0; i < PLACEMENT_MAX_NETWORKS; i++) {
        snprintf(spec, sizeof spec, "10.%d.%d.0/24=r%d", i / 256, i % 256, i);
        CHECK_EQ_INT(region_map_add(m, spec, err, sizeof err), 0);
    }
    CHECK_EQ_INT(region_map_size(m), PLACEMENT_MAX_NETWORKS);
    err[0] = '\0';
    CHECK_EQ_INT(region_map_add(m, "192.0.2.0/24=late", err, sizeof err), -1);
    CHECK(strstr(err, "full") != NULL);
    CHECK_EQ_INT(region_map_size(m), PLACEMENT_MAX_NETWORKS);
    CHECK(region_map_lookup(m, "192.0.2.1") == NULL);
    CHECK_EQ_STR(region_map_lookup(m, "10.0.255.1"), "r255");
    region_map_free(m);
}

static void test_placement_region(void)
{
    region_map *m = region_map_new();
    char err[160];
    CHECK_EQ_INT(region_map_add(m, "192.0.2.0/24=mapped", err, sizeof err), 0);
    static const struct {
        const char *header;
        bool with_map;
        const char *address;
        const char *query;
        const char *want;
    } cases[] = {
        {"hdr", true, "192.0.2.1", "qry", "hdr"},
        {NULL, true, "192.0.2.1", "qry", "mapped"},
        {"", true, "192.0.2.1", "qry", "mapped"},
        {"bad header", true, "192.0.2.1", "qry", "mapped"},
        {" hdr", true, "192.0.2.1", "qry", "mapped"},
        {"hdr ", true, "192.0.2.1", "qry", "mapped"},
        {NULL, true, "198.51.100.1", "qry", "qry"},
        {NULL, true, "garbage", "qry", "qry"},
        {NULL, true, NULL, "qry", "qry"},
        {NULL, false, "192.0.2.1", "qry", "qry"},
        {"bad!", true, "198.51.100.1", "bad?", ""},
        {NULL, true, "198.51.100.1", "0123456789abcdef0123456789abcdefg", ""},
        {NULL, false, NULL, NULL, ""},
        {"0123456789abcdef0123456789abcdef", true, "192.0.2.1", NULL, "0123456789abcdef0123456789abcdef"},
        {NULL, true, "::ffff:192.0.2.200", NULL, "mapped"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char out[PLACEMENT_REGION_MAX + 1];
        memset(out, 'x', sizeof out);
        placement_region(cases[i].header, cases[i].with_map ? m : NULL, cases[i].address, cases[i].query, out);
        if (strcmp(out, cases[i].want) != 0)
            fprintf(stderr, "placement_region case %zu\n", i);
        CHECK_EQ_STR(out, cases[i].want);
    }
    region_map_free(m);
}

static void test_load(void)
{
    static const struct {
        int endpoints, capacity;
        double cpu, want;
    } cases[] = {
        {0, 100, 0.0, 0.0},
        {50, 100, 0.1, 0.5},
        {10, 100, 0.7, 0.7},
        {100, 100, 0.2, 1.0},
        {150, 100, 0.2, 1.5},     /* over capacity counts above 1 */
        {-5, 100, 0.3, 0.3},      /* negative endpoints count as none */
        {-5, 100, -1.0, 0.0},
        {0, 100, 2.5, 1.0},       /* cpu is clamped to 0..1 */
        {0, 100, -0.5, 0.0},
        {0, 0, 0.0, 1.0},         /* no capacity: full */
        {10, -3, 0.0, 1.0},
        {0, 0, 2.0, 1.0},
        {3, 4, 0.5, 0.75},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        double got = placement_load(cases[i].endpoints, cases[i].capacity, cases[i].cpu);
        if (fabs(got - cases[i].want) > 1e-9)
            fprintf(stderr, "placement_load case %zu: got %g, want %g\n", i, got, cases[i].want);
        CHECK(fabs(got - cases[i].want) < 1e-9);
    }
    /* An unreadable cpu figure is not taken for idle. */
    CHECK(placement_load(0, 100, NAN) >= PLACEMENT_OVERLOAD);
}

#define MAX_BRIDGES 6

typedef struct choose_case {
    const char *name;
    const char *region;
    double overload;
    size_t n;
    placement_bridge bridges[MAX_BRIDGES];
    int want;
} choose_case;

/* Shorthands: B(region, load, draining, full, serving). */
#define B(r, l, d, f, s) {.region = (r), .load = (l), .draining = (d), .full = (f), .serves_conference = (s)}

static const choose_case choose_cases[] = {
    {"no bridges", "fr", PLACEMENT_OVERLOAD, 0, {{0}}, -1},
    {"region's serving bridge beats a less loaded one of the region", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.1, false, false, false), B("fr", 0.5, false, false, true), B("de", 0.0, false, false, false)}, 1},
    {"serving bridges of the region: the least loaded", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.6, false, false, true), B("fr", 0.3, false, false, true), B("fr", 0.1, false, false, false)}, 1},
    {"serving bridge of another region does not pull", "fr", PLACEMENT_OVERLOAD, 3,
     {B("de", 0.1, false, false, true), B("fr", 0.5, false, false, false), B("fr", 0.4, false, false, false)}, 2},
    {"serving bridge overloaded: least loaded of the region", "fr", PLACEMENT_OVERLOAD, 4,
     {B("fr", 0.9, false, false, true), B("fr", 0.6, false, false, false), B("fr", 0.4, false, false, false),
      B("de", 0.0, false, false, false)}, 2},
    {"serving bridge exactly at overload counts as overloaded", "fr", 0.5, 3,
     {B("fr", 0.5, false, false, true), B("fr", 0.49, false, false, false), B("de", 0.0, false, false, false)}, 1},
    {"serving bridge draining: least loaded of the region", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.1, true, false, true), B("fr", 0.6, false, false, false), B("de", 0.0, false, false, false)}, 1},
    {"region all overloaded: least loaded anywhere below", "fr", PLACEMENT_OVERLOAD, 4,
     {B("fr", 0.85, false, false, true), B("fr", 0.95, false, false, false), B("de", 0.7, false, false, false),
      B("us", 0.5, false, false, false)}, 3},
    {"everything overloaded: least loaded overall", "fr", PLACEMENT_OVERLOAD, 4,
     {B("fr", 0.95, false, false, true), B("fr", 0.9, false, false, false), B("de", 1.3, false, false, false),
      B("us", 0.85, false, false, false)}, 3},
    {"draining never chosen, even alone", "fr", PLACEMENT_OVERLOAD, 1, {B("fr", 0.0, true, false, true)}, -1},
    {"draining never chosen, even least loaded", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.0, true, false, true), B("de", 0.95, false, false, false), B("fr", 0.0, true, false, false)}, 1},
    {"full never chosen, even alone", "", PLACEMENT_OVERLOAD, 1, {B("", 0.0, false, true, true)}, -1},
    {"full never chosen, even least loaded", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.0, false, true, true), B("fr", 0.99, false, false, false), B("de", 0.1, false, true, false)}, 1},
    {"all draining or full", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.0, true, false, true), B("de", 0.0, true, false, false), B("us", 0.0, false, true, false)}, -1},
    {"ties in the region: lower index", "fr", PLACEMENT_OVERLOAD, 3,
     {B("de", 0.1, false, false, false), B("fr", 0.3, false, false, false), B("fr", 0.3, false, false, false)}, 1},
    {"ties among serving: lower index", "fr", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.2, false, false, false), B("fr", 0.4, false, false, true), B("fr", 0.4, false, false, true)}, 1},
    {"ties anywhere: lower index", "", PLACEMENT_OVERLOAD, 3,
     {B("de", 0.5, false, false, false), B("fr", 0.2, false, false, false), B("us", 0.2, false, false, false)}, 1},
    {"ties overall: lower index", "", PLACEMENT_OVERLOAD, 3,
     {B("de", 1.0, false, false, false), B("fr", 0.9, false, false, false), B("us", 0.9, false, false, false)}, 1},
    {"no region keeps the conference together", "", PLACEMENT_OVERLOAD, 3,
     {B("", 0.1, false, false, false), B("", 0.6, false, false, true), B("", 0.0, false, false, false)}, 1},
    {"no region: serving bridge of any region", "", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.1, false, false, false), B("de", 0.7, false, false, true), B("", 0.0, false, false, false)}, 1},
    {"no region, serving bridge overloaded: least loaded below", "", PLACEMENT_OVERLOAD, 3,
     {B("", 0.3, false, false, false), B("", 0.9, false, false, true), B("", 0.2, false, false, false)}, 2},
    {"no region ignores bridges without region as a region", "", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.1, false, false, false), B("", 0.5, false, false, false), B("de", 0.2, false, false, false)}, 0},
    {"NULL region is no region", NULL, PLACEMENT_OVERLOAD, 2,
     {B("fr", 0.1, false, false, false), B("de", 0.5, false, false, true)}, 1},
    {"unknown region falls through to anywhere", "jp", PLACEMENT_OVERLOAD, 3,
     {B("fr", 0.5, false, false, true), B("de", 0.3, false, false, false), B("us", 0.9, false, false, false)}, 1},
    {"unknown region: serving elsewhere does not pull", "jp", PLACEMENT_OVERLOAD, 2,
     {B("fr", 0.3, false, false, true), B("de", 0.2, false, false, false)}, 1},
    {"region comparison is case-sensitive", "FR", PLACEMENT_OVERLOAD, 2,
     {B("fr", 0.3, false, false, true), B("FR", 0.6, false, false, false)}, 1},
    {"region is exact, not a prefix", "fr", PLACEMENT_OVERLOAD, 2,
     {B("fr-1", 0.1, false, false, true), B("fr", 0.6, false, false, false)}, 1},
    {"participant region vs bridge without region", "fr", PLACEMENT_OVERLOAD, 2,
     {B("", 0.1, false, false, false), B("fr", 0.7, false, false, false)}, 1},
    {"threshold is the caller's", "fr", 0.5, 3,
     {B("fr", 0.6, false, false, true), B("fr", 0.55, false, false, false), B("de", 0.4, false, false, false)}, 2},
    {"NaN load loses to any number", "", PLACEMENT_OVERLOAD, 2,
     {B("", NAN, false, false, false), B("", 5.0, false, false, false)}, 1},
};

static void test_choose(void)
{
    for (size_t i = 0; i < COUNT(choose_cases); i++) {
        const choose_case *c = &choose_cases[i];
        int got = placement_choose(c->bridges, c->n, c->region, c->overload);
        if (got != c->want)
            fprintf(stderr, "placement_choose \"%s\": got %d, want %d\n", c->name, got, c->want);
        CHECK_EQ_INT(got, c->want);
    }
    CHECK_EQ_INT(placement_choose(NULL, 0, "fr", PLACEMENT_OVERLOAD), -1);
}

int main(void)
{
    test_region_valid();
    test_map_errors();
    test_map_lookup();
    test_map_defaults_and_order();
    test_map_full();
    test_placement_region();
    test_load();
    test_choose();
    return check_report("placement");
}
