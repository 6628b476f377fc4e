/* Tests for the control link's opening: MACs against values computed
 * independently (Python's hmac module), every hello field's bounds, the
 * welcome, the challenge and the secret file. */
#include "check.h"
#include "link/link_auth.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET "stoa-test-secret-0123456789"
#define NF "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define NB "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
/* python3: hmac.new(b"stoa-test-secret-0123456789",
 *   ("stoa-link-1\nhello\n" + NF + "\n" + NB + "\nfr-1\nfr\n").encode(), hashlib.sha256).hexdigest() */
#define HELLO_MAC "39eac5da1d5c2288c1358fca161b1e3e68fc2505610d322905f6c52f50af6030"
/* The same with region "": ... + "\nfr-1\n\n" */
#define HELLO_MAC_NO_REGION "2ea40b044c1806d1389d3be34faec223c6310d2b30b5812cb60fa99e8811d131"
/* python3: hmac.new(b"stoa-test-secret-0123456789",
 *   ("stoa-link-1\nwelcome\n" + NB + "\n" + NF + "\nfr-1\n").encode(), hashlib.sha256).hexdigest() */
#define WELCOME_MAC "9b1a3ce80ce24d10c7b6af060e7e707e389274fb6bf540deb2844f427b2bb579"

static link_secret secret;

static link_hello sample_hello(void)
{
    link_hello h;
    memset(&h, 0, sizeof h);
    h.version = LINK_VERSION;
    h.minor = LINK_MINOR;
    strcpy(h.bridge, "fr-1");
    strcpy(h.region, "fr");
    h.capacity = 500;
    strcpy(h.addresses[0], "192.0.2.10");
    strcpy(h.addresses[1], "2001:db8::10");
    h.n_addresses = 2;
    h.media_ports[0] = 10000;
    h.media_ports[1] = 10001;
    h.n_media_ports = 2;
    strcpy(h.nonce, NB);
    return h;
}

static const char *str_of(const json_t *msg, const char *key)
{
    return json_string_value(json_object_get(msg, key));
}

static enum link_refusal check(const json_t *msg, link_hello *out, char *message, size_t len)
{
    return link_hello_check(&secret, NF, msg, out, message, len);
}

static void test_vectors(void)
{
    link_hello h = sample_hello();
    json_t *hello = link_hello_new(&secret, NF, &h);
    CHECK(hello != NULL);
    CHECK_EQ_STR(str_of(hello, "mac"), HELLO_MAC);
    json_decref(hello);
    h.region[0] = '\0';
    hello = link_hello_new(&secret, NF, &h);
    CHECK_EQ_STR(str_of(hello, "mac"), HELLO_MAC_NO_REGION);
    json_decref(hello);
    json_t *welcome = link_welcome_new(&secret, NF, &h, 1000);
    CHECK_EQ_STR(str_of(welcome, "mac"), WELCOME_MAC);
    CHECK_EQ_STR(str_of(welcome, "type"), "welcome");
    CHECK_EQ_INT(json_integer_value(json_object_get(welcome, "heartbeat_ms")), 1000);
    json_decref(welcome);
}

static void test_hello_round_trip(void)
{
    link_hello h = sample_hello(), got;
    memset(&got, 0x55, sizeof got);
    json_t *hello = link_hello_new(&secret, NF, &h);
    CHECK_EQ_STR(str_of(hello, "type"), "hello");
    CHECK_EQ_INT(json_integer_value(json_object_get(hello, "version")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(hello, "minor")), 0);
    CHECK_EQ_INT(json_array_size(json_object_get(hello, "addresses")), 2);
    char message[LINK_MESSAGE_MAX];
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_ACCEPTED);
    CHECK_EQ_STR(message, "");
    CHECK_EQ_INT(got.version, 1);
    CHECK_EQ_INT(got.minor, 0);
    CHECK_EQ_STR(got.bridge, "fr-1");
    CHECK_EQ_STR(got.region, "fr");
    CHECK_EQ_INT(got.capacity, 500);
    CHECK_EQ_INT(got.n_addresses, 2);
    CHECK_EQ_STR(got.addresses[0], "192.0.2.10");
    CHECK_EQ_STR(got.addresses[1], "2001:db8::10");
    CHECK_EQ_INT(got.n_media_ports, 2);
    CHECK_EQ_INT(got.media_ports[0], 10000);
    CHECK_EQ_INT(got.media_ports[1], 10001);
    CHECK_EQ_STR(got.nonce, NB);

    /* Another secret, and a hello recorded for another challenge. */
    link_secret other;
    CHECK_EQ_INT(link_secret_set(&other, "a-different-secret!", 19), 0);
    CHECK_EQ_INT(link_hello_check(&other, NF, hello, &got, message, sizeof message), LINK_BAD_MAC);
    CHECK(strstr(message, "mac") != NULL);
    char nf2[LINK_NONCE_HEX + 1];
    CHECK_EQ_INT(link_nonce(nf2), 0);
    CHECK_EQ_INT(link_hello_check(&secret, nf2, hello, &got, message, sizeof message), LINK_BAD_MAC);
    link_secret_clear(&other);

    /* A tiny buffer still ends in a NUL. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    CHECK_EQ_INT(link_hello_check(&secret, nf2, hello, &got, tiny, sizeof tiny), LINK_BAD_MAC);
    CHECK(strlen(tiny) < sizeof tiny);
    json_decref(hello);

    /* Bounds of the fields inside the MAC, made with the right MAC. */
    memset(h.bridge, 'b', LINK_BRIDGE_ID_MAX);
    h.bridge[LINK_BRIDGE_ID_MAX] = '\0';
    memset(h.region, 'R', LINK_REGION_MAX);
    h.region[LINK_REGION_MAX] = '\0';
    hello = link_hello_new(&secret, NF, &h);
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_ACCEPTED);
    CHECK_EQ_INT(strlen(got.bridge), LINK_BRIDGE_ID_MAX);
    CHECK_EQ_INT(strlen(got.region), LINK_REGION_MAX);
    json_decref(hello);
    strcpy(h.bridge, "A_z.9-");
    h.region[0] = '\0';
    hello = link_hello_new(&secret, NF, &h);
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_ACCEPTED);
    CHECK_EQ_STR(got.region, "");
    json_decref(hello);
}

typedef struct mutation {
    const char *key;
    const char *value;             /* JSON text, or NULL: the field is removed */
    enum link_refusal want;
} mutation;

/* The table below is built at run time; each text gets its own slot. */
static char *slot(void)
{
    static char pool[40][1100];
    static int used;
    if (used == 40)
        abort();
    return pool[used++];
}

static const char *repeat(char c, size_t n)
{
    char *b = slot();
    memset(b, c, n);
    b[n] = '\0';
    return b;
}

static const char *quoted(const char *s)
{
    char *b = slot();
    snprintf(b, 1100, "\"%s\"", s);
    return b;
}

/* A JSON array of n items made by fmt from 1..n. */
static const char *array_text(int n, const char *fmt)
{
    char *b = slot();
    size_t len = 0;
    b[len++] = '[';
    for (int i = 0; i < n; i++) {
        if (i)
            b[len++] = ',';
        len += (size_t)snprintf(b + len, 1100 - len, fmt, i + 1);
    }
    snprintf(b + len, 1100 - len, "]");
    return b;
}

static void apply_mutation(const mutation *m)
{
    link_hello h = sample_hello(), got;
    json_t *hello = link_hello_new(&secret, NF, &h);
    if (m->value) {
        json_t *v = json_loads(m->value, JSON_DECODE_ANY, NULL);
        CHECK(v != NULL);
        json_object_set_new(hello, m->key, v);
    } else {
        json_object_del(hello, m->key);
    }
    char message[LINK_MESSAGE_MAX];
    enum link_refusal r = check(hello, &got, message, sizeof message);
    if (r != m->want)
        fprintf(stderr, "mutation %s = %.80s: got %s (%s)\n", m->key, m->value ? m->value : "(removed)",
                link_refusal_name(r), message);
    CHECK_EQ_INT(r, m->want);
    /* The sentence names the field at fault. */
    if (m->want == LINK_BAD_HELLO)
        CHECK(strstr(message, m->key) != NULL);
    if (m->want != LINK_ACCEPTED)
        CHECK(message[0] != '\0');
    json_decref(hello);
}

static void test_hello_mutations(void)
{
    const mutation table[] = {
        {"type", "\"welcome\"", LINK_BAD_HELLO},
        {"type", "5", LINK_BAD_HELLO},
        {"type", NULL, LINK_BAD_HELLO},
        {"version", "2", LINK_UNSUPPORTED_VERSION},
        {"version", "0", LINK_UNSUPPORTED_VERSION},
        {"version", "-1", LINK_UNSUPPORTED_VERSION},
        {"version", "\"1\"", LINK_BAD_HELLO},
        {"version", "1.0", LINK_BAD_HELLO},
        {"version", NULL, LINK_BAD_HELLO},
        {"minor", "-1", LINK_BAD_HELLO},
        {"minor", "\"0\"", LINK_BAD_HELLO},
        {"minor", "0.5", LINK_BAD_HELLO},
        {"minor", NULL, LINK_BAD_HELLO},
        {"minor", "7", LINK_ACCEPTED},
        {"minor", "9223372036854775807", LINK_ACCEPTED},
        {"bridge", "\"\"", LINK_BAD_HELLO},
        {"bridge", quoted(repeat('b', 65)), LINK_BAD_HELLO},
        {"bridge", "\"fr 1\"", LINK_BAD_HELLO},
        {"bridge", "\"fr/1\"", LINK_BAD_HELLO},
        {"bridge", "\"fr-1\\n\"", LINK_BAD_HELLO},
        {"bridge", "\"fr-\u00e9\"", LINK_BAD_HELLO},
        {"bridge", "1", LINK_BAD_HELLO},
        {"bridge", NULL, LINK_BAD_HELLO},
        {"bridge", "\"fr-2\"", LINK_BAD_MAC},
        {"region", quoted(repeat('r', 33)), LINK_BAD_HELLO},
        {"region", "\"f r\"", LINK_BAD_HELLO},
        {"region", "null", LINK_BAD_HELLO},
        {"region", NULL, LINK_BAD_HELLO},
        {"region", "\"de\"", LINK_BAD_MAC},
        {"region", "\"\"", LINK_BAD_MAC},
        {"capacity", "0", LINK_BAD_HELLO},
        {"capacity", "-1", LINK_BAD_HELLO},
        {"capacity", "100001", LINK_BAD_HELLO},
        {"capacity", "\"5\"", LINK_BAD_HELLO},
        {"capacity", "1.5", LINK_BAD_HELLO},
        {"capacity", NULL, LINK_BAD_HELLO},
        {"capacity", "1", LINK_ACCEPTED},
        {"capacity", "100000", LINK_ACCEPTED},
        {"addresses", "[]", LINK_BAD_HELLO},
        {"addresses", array_text(9, "\"192.0.2.%d\""), LINK_BAD_HELLO},
        {"addresses", "[\"999.0.0.1\"]", LINK_BAD_HELLO},
        {"addresses", "[\"bridge.example\"]", LINK_BAD_HELLO},
        {"addresses", "[\"192.0.2.1 \"]", LINK_BAD_HELLO},
        {"addresses", "[\"fe80::1%eth0\"]", LINK_BAD_HELLO},
        {"addresses", "[\"192.0.2.1\", 1]", LINK_BAD_HELLO},
        {"addresses", "[\"\"]", LINK_BAD_HELLO},
        {"addresses", "\"192.0.2.1\"", LINK_BAD_HELLO},
        {"addresses", NULL, LINK_BAD_HELLO},
        {"addresses", "[\"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 \"]", LINK_BAD_HELLO},
        {"addresses", "[\"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255\"]", LINK_ACCEPTED},
        {"addresses", "[\"2001:db8::1\"]", LINK_ACCEPTED},
        {"addresses", array_text(8, "\"192.0.2.%d\""), LINK_ACCEPTED},
        {"media_ports", "[]", LINK_BAD_HELLO},
        {"media_ports", "[0]", LINK_BAD_HELLO},
        {"media_ports", "[-1]", LINK_BAD_HELLO},
        {"media_ports", "[65536]", LINK_BAD_HELLO},
        {"media_ports", "[\"10000\"]", LINK_BAD_HELLO},
        {"media_ports", "[10000.0]", LINK_BAD_HELLO},
        {"media_ports", "10000", LINK_BAD_HELLO},
        {"media_ports", array_text(65, "%d"), LINK_BAD_HELLO},
        {"media_ports", NULL, LINK_BAD_HELLO},
        {"media_ports", "[1, 65535]", LINK_ACCEPTED},
        {"media_ports", array_text(64, "%d"), LINK_ACCEPTED},
        {"nonce", quoted(repeat('a', 63)), LINK_BAD_HELLO},
        {"nonce", quoted(repeat('a', 65)), LINK_BAD_HELLO},
        {"nonce", quoted(repeat('A', 64)), LINK_BAD_HELLO},
        {"nonce", quoted(repeat('g', 64)), LINK_BAD_HELLO},
        {"nonce", "12", LINK_BAD_HELLO},
        {"nonce", NULL, LINK_BAD_HELLO},
        {"nonce", "\"" NF "\"", LINK_BAD_HELLO},   /* our own nonce reflected */
        {"nonce", quoted(repeat('a', 64)), LINK_BAD_MAC},
        {"mac", quoted(repeat('a', 63)), LINK_BAD_HELLO},
        {"mac", "\"39EAC5DA1D5C2288C1358FCA161B1E3E68FC2505610D322905F6C52F50AF6030\"", LINK_BAD_HELLO},
        {"mac", "[]", LINK_BAD_HELLO},
        {"mac", NULL, LINK_BAD_HELLO},
        {"mac", quoted(repeat('0', 64)), LINK_BAD_MAC},
        {"mac", "\"39eac5da1d5c2288c1358fca161b1e3e68fc2505610d322905f6c52f50af6031\"", LINK_BAD_MAC},
        {"extra", "{\"future\": true}", LINK_ACCEPTED},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        apply_mutation(&table[i]);
}

static void test_hello_hostile(void)
{
    link_hello h = sample_hello(), got;
    char message[LINK_MESSAGE_MAX];
    /* The version is judged before anything else. */
    json_t *hello = link_hello_new(&secret, NF, &h);
    json_object_set_new(hello, "version", json_integer(2));
    json_object_set_new(hello, "capacity", json_string("lots"));
    json_object_del(hello, "mac");
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_UNSUPPORTED_VERSION);
    CHECK(strstr(message, "version") != NULL);
    json_decref(hello);
    /* An address with a NUL inside is not the address before the NUL. */
    hello = link_hello_new(&secret, NF, &h);
    json_t *addresses = json_array();
    json_array_append_new(addresses, json_stringn("192.0.2.1\0x", 11));
    json_object_set_new(hello, "addresses", addresses);
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_BAD_HELLO);
    json_object_set_new(hello, "bridge", json_stringn("fr-1\0x", 6));
    CHECK_EQ_INT(check(hello, &got, message, sizeof message), LINK_BAD_HELLO);
    json_decref(hello);
    /* Not an object at all. */
    json_t *array = json_array();
    CHECK_EQ_INT(check(array, &got, message, sizeof message), LINK_BAD_HELLO);
    CHECK_EQ_INT(check(NULL, &got, message, sizeof message), LINK_BAD_HELLO);
    json_decref(array);
}

static void test_welcome(void)
{
    link_hello h = sample_hello();
    char message[LINK_MESSAGE_MAX + 64];
    int ms = 0;
    json_t *w = link_welcome_new(&secret, NF, &h, 1000);
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), 0);
    CHECK_EQ_INT(ms, 1000);
    /* Another secret: a focus posing as ours. */
    link_secret other;
    CHECK_EQ_INT(link_secret_set(&other, "a-different-secret!", 19), 0);
    ms = 0;
    CHECK_EQ_INT(link_welcome_check(&other, NF, &h, w, &ms, message, sizeof message), -1);
    CHECK(strstr(message, "mac") != NULL);
    CHECK_EQ_INT(ms, 0);
    link_secret_clear(&other);
    /* A welcome from another connection. */
    char nf2[LINK_NONCE_HEX + 1];
    CHECK_EQ_INT(link_nonce(nf2), 0);
    CHECK_EQ_INT(link_welcome_check(&secret, nf2, &h, w, &ms, message, sizeof message), -1);
    link_hello h2 = h;
    CHECK_EQ_INT(link_nonce(h2.nonce), 0);
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h2, w, &ms, message, sizeof message), -1);
    /* A flipped digit, a missing or malformed mac. */
    json_object_set_new(w, "mac", json_string("9b1a3ce80ce24d10c7b6af060e7e707e389274fb6bf540deb2844f427b2bb578"));
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
    json_object_set_new(w, "mac", json_string(WELCOME_MAC "0"));
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
    json_object_del(w, "mac");
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
    json_decref(w);

    /* heartbeat_ms: 100..10000, an integer. */
    const int bad_ms[] = {99, 10001, 0, -1000};
    for (size_t i = 0; i < sizeof bad_ms / sizeof bad_ms[0]; i++) {
        w = link_welcome_new(&secret, NF, &h, bad_ms[i]);
        CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
        CHECK(strstr(message, "heartbeat_ms") != NULL);
        json_decref(w);
    }
    const int good_ms[] = {100, 10000};
    for (size_t i = 0; i < 2; i++) {
        w = link_welcome_new(&secret, NF, &h, good_ms[i]);
        CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), 0);
        CHECK_EQ_INT(ms, good_ms[i]);
        json_decref(w);
    }
    w = link_welcome_new(&secret, NF, &h, 1000);
    json_object_set_new(w, "heartbeat_ms", json_string("1000"));
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
    json_object_set_new(w, "type", json_string("hello"));
    json_object_set_new(w, "heartbeat_ms", json_integer(1000));
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, w, &ms, message, sizeof message), -1);
    json_decref(w);

    /* A refusal is reported with its reason, bounded and printable. */
    json_t *r = link_refused_new("bad-mac", "nope");
    CHECK_EQ_STR(str_of(r, "type"), "refused");
    CHECK_EQ_STR(str_of(r, "reason"), "bad-mac");
    CHECK_EQ_STR(str_of(r, "message"), "nope");
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, r, &ms, message, sizeof message), -1);
    CHECK_EQ_STR(message, "refused by the focus: bad-mac: nope");
    json_decref(r);
    r = link_refused_new("unexpected", repeat('m', 1000));
    json_object_set_new(r, "reason", json_string("x\ny"));
    char small[40];
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, r, &ms, small, sizeof small), -1);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, r, &ms, message, sizeof message), -1);
    CHECK(strncmp(message, "refused by the focus: x?y: mmm", 30) == 0);
    CHECK(strlen(message) < sizeof message);
    json_object_del(r, "reason");
    json_object_del(r, "message");
    CHECK_EQ_INT(link_welcome_check(&secret, NF, &h, r, &ms, message, sizeof message), -1);
    CHECK(strncmp(message, "refused by the focus: ", 22) == 0);
    json_decref(r);
}

static void test_challenge_and_nonce(void)
{
    char a[LINK_NONCE_HEX + 1], b[LINK_NONCE_HEX + 1], got[LINK_NONCE_HEX + 1];
    CHECK_EQ_INT(link_nonce(a), 0);
    CHECK_EQ_INT(link_nonce(b), 0);
    CHECK_EQ_INT(strlen(a), LINK_NONCE_HEX);
    CHECK_EQ_INT(strspn(a, "0123456789abcdef"), LINK_NONCE_HEX);
    CHECK(strcmp(a, b) != 0);

    json_t *c = link_challenge_new(a);
    CHECK_EQ_STR(str_of(c, "type"), "link-challenge");
    CHECK_EQ_INT(json_integer_value(json_object_get(c, "version")), LINK_VERSION);
    CHECK_EQ_INT(link_challenge_parse(c, got), 0);
    CHECK_EQ_STR(got, a);
    /* Another version is the bridge's to judge, not the parser's. */
    json_object_set_new(c, "version", json_integer(2));
    CHECK_EQ_INT(link_challenge_parse(c, got), 0);
    json_object_set_new(c, "version", json_string("1"));
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_object_del(c, "version");
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_object_set_new(c, "version", json_integer(1));
    json_object_set_new(c, "nonce", json_string(repeat('A', 64)));
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_object_set_new(c, "nonce", json_string(repeat('a', 63)));
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_object_set_new(c, "nonce", json_integer(5));
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_object_set_new(c, "nonce", json_string(a));
    json_object_set_new(c, "type", json_string("welcome"));
    CHECK_EQ_INT(link_challenge_parse(c, got), -1);
    json_decref(c);

    CHECK_EQ_STR(link_refusal_name(LINK_ACCEPTED), "accepted");
    CHECK_EQ_STR(link_refusal_name(LINK_BAD_HELLO), "bad-hello");
    CHECK_EQ_STR(link_refusal_name(LINK_UNSUPPORTED_VERSION), "unsupported-version");
    CHECK_EQ_STR(link_refusal_name(LINK_BAD_MAC), "bad-mac");
}

/* Writes n bytes to a new temporary file; the caller unlinks it. */
static void temp_file(char path[64], const void *data, size_t n)
{
    strcpy(path, "/tmp/stoa-link-secret-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_EQ_INT(write(fd, data, n), (long long)n);
    close(fd);
}

/* Loads n bytes of content; returns the result and the secret's length. */
static int load(const void *data, size_t n, size_t *len)
{
    char path[64], err[256] = "unset";
    link_secret s;
    temp_file(path, data, n);
    int rc = link_secret_load(path, &s, err, sizeof err);
    CHECK(rc == 0 || err[0] != '\0');
    *len = s.len;
    if (rc == 0)
        CHECK(memcmp(s.bytes, data, s.len) == 0);
    link_secret_clear(&s);
    unlink(path);
    return rc;
}

static void test_secret(void)
{
    link_secret s;
    static char big[2100];
    memset(big, 'k', sizeof big);
    CHECK_EQ_INT(link_secret_set(&s, big, LINK_SECRET_MIN - 1), -1);
    CHECK_EQ_INT(s.len, 0);
    CHECK_EQ_INT(link_secret_set(&s, big, LINK_SECRET_MIN), 0);
    CHECK_EQ_INT(s.len, LINK_SECRET_MIN);
    CHECK_EQ_INT(link_secret_set(&s, big, LINK_SECRET_MAX), 0);
    CHECK_EQ_INT(link_secret_set(&s, big, LINK_SECRET_MAX + 1), -1);
    link_secret_clear(&s);
    CHECK_EQ_INT(s.len, 0);
    CHECK_EQ_INT(s.bytes[0], 0);

    size_t len = 0;
    CHECK_EQ_INT(load("0123456789abcde", 15, &len), -1);
    CHECK_EQ_INT(load("0123456789abcde\n", 16, &len), -1);
    CHECK_EQ_INT(load("0123456789abcdef", 16, &len), 0);
    CHECK_EQ_INT(len, 16);
    CHECK_EQ_INT(load("0123456789abcdef\n", 17, &len), 0);
    CHECK_EQ_INT(len, 16);
    CHECK_EQ_INT(load("0123456789abcdef \t\r\n\n", 21, &len), 0);
    CHECK_EQ_INT(len, 16);
    /* Only trailing whitespace goes. */
    CHECK_EQ_INT(load("  0123456789 abcdef\n", 20, &len), 0);
    CHECK_EQ_INT(len, 19);
    CHECK_EQ_INT(load("", 0, &len), -1);

    CHECK_EQ_INT(load(big, LINK_SECRET_MAX, &len), 0);
    CHECK_EQ_INT(len, LINK_SECRET_MAX);
    big[LINK_SECRET_MAX] = '\n';
    CHECK_EQ_INT(load(big, LINK_SECRET_MAX + 1, &len), 0);
    CHECK_EQ_INT(len, LINK_SECRET_MAX);
    /* More after the newline is not cut short to a valid-looking secret. */
    CHECK_EQ_INT(load(big, LINK_SECRET_MAX + 2, &len), -1);
    memset(big, 'k', sizeof big);
    CHECK_EQ_INT(load(big, LINK_SECRET_MAX + 1, &len), -1);
    CHECK_EQ_INT(load(big, sizeof big, &len), -1);

    char err[256] = "";
    CHECK_EQ_INT(link_secret_load("/nonexistent/stoa-secret", &s, err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent/stoa-secret") != NULL);
    /* The loaded secret is the one set from memory: the MACs agree. */
    char path[64];
    temp_file(path, SECRET "\n", strlen(SECRET) + 1);
    CHECK_EQ_INT(link_secret_load(path, &s, err, sizeof err), 0);
    unlink(path);
    link_hello h = sample_hello();
    json_t *hello = link_hello_new(&s, NF, &h);
    CHECK_EQ_STR(str_of(hello, "mac"), HELLO_MAC);
    json_decref(hello);
    link_secret_clear(&s);
}

int main(void)
{
    CHECK_EQ_INT(link_secret_set(&secret, SECRET, strlen(SECRET)), 0);
    test_vectors();
    test_hello_round_trip();
    test_hello_mutations();
    test_hello_hostile();
    test_welcome();
    test_challenge_and_nonce();
    test_secret();
    link_secret_clear(&secret);
    return check_report("link_auth");
}
