/* The control link's opening: secret, nonces, challenge, hello, welcome, refusal. */
#include "link/link_auth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAC_BYTES 32
#define NONCE_BYTES (LINK_NONCE_HEX / 2)
#define MAC_INPUT_MAX 320              /* the longest hello input is 18 + 3 * 65 + 33 bytes */
#define HEARTBEAT_MS_MIN 100
#define HEARTBEAT_MS_MAX 10000
#define REASON_MAX 32                  /* of a refusal we echo into our log */

/* ---- formatting and small checks ---- */

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Lowercase only: the MAC is compared as text, and one spelling per value
 * keeps that comparison equal to comparing the bytes. */
static bool is_hex_of(const char *s, size_t len, size_t want)
{
    if (!s || len != want)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

/* Names go into the MAC input between newlines, so the charset (no "\n")
 * is what keeps ("a", "b\nc") and ("a\nb", "c") from sharing a MAC. */
static bool is_name(const char *s, size_t len, size_t min, size_t max)
{
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]))
            return false;
    return true;
}

__attribute__((format(printf, 3, 4))) static void say(char *out, size_t len, const char *fmt, ...)
{
    if (!out || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    if (n < 0)
        out[0] = '\0';
}

/* The peer's words end up in our log: no control characters, bounded. */
static void printable(char *out, size_t outlen, const char *in)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < outlen; i++)
        out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
    out[i] = '\0';
}

static bool has_type(const json_t *msg, const char *type)
{
    const char *t = json_string_value(json_object_get(msg, "type"));
    return t && strcmp(t, type) == 0;
}

/* Copies a string member of exactly want lowercase hex digits. */
static bool get_hex(const json_t *msg, const char *key, size_t want, char *out)
{
    const json_t *v = json_object_get(msg, key);
    if (!json_is_string(v) || !is_hex_of(json_string_value(v), json_string_length(v), want))
        return false;
    memcpy(out, json_string_value(v), want + 1);
    return true;
}

static bool get_int(const json_t *msg, const char *key, json_int_t min, json_int_t max, json_int_t *out)
{
    const json_t *v = json_object_get(msg, key);
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return false;
    *out = json_integer_value(v);
    return true;
}

static bool get_name(const json_t *msg, const char *key, size_t min, size_t max, char *out)
{
    const json_t *v = json_object_get(msg, key);
    if (!json_is_string(v) || !is_name(json_string_value(v), json_string_length(v), min, max))
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* ---- the MAC ---- */

/* HMAC-SHA256(secret, "stoa-link-1\n" label "\n" a "\n" b "\n" c "\n" [d "\n"]) in hex. */
static int link_mac(const link_secret *s, const char *label, const char *a, const char *b, const char *c,
                    const char *d, char out[LINK_MAC_HEX + 1])
{
    char input[MAC_INPUT_MAX];
    if (!a || !b || !c)
        return -1;
    int n = d ? snprintf(input, sizeof input, "stoa-link-1\n%s\n%s\n%s\n%s\n%s\n", label, a, b, c, d)
              : snprintf(input, sizeof input, "stoa-link-1\n%s\n%s\n%s\n%s\n", label, a, b, c);
    if (n < 0 || (size_t)n >= sizeof input || s->len < LINK_SECRET_MIN || s->len > LINK_SECRET_MAX)
        return -1;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), s->bytes, (int)s->len, (const unsigned char *)input, (size_t)n, mac, &mac_len) ||
        mac_len != MAC_BYTES)
        return -1;
    hex_encode(mac, MAC_BYTES, out);
    return 0;
}

static int hello_mac(const link_secret *s, const char *focus_nonce, const link_hello *h, char out[LINK_MAC_HEX + 1])
{
    return link_mac(s, "hello", focus_nonce, h->nonce, h->bridge, h->region, out);
}

static int welcome_mac(const link_secret *s, const char *focus_nonce, const link_hello *h,
                       char out[LINK_MAC_HEX + 1])
{
    return link_mac(s, "welcome", h->nonce, focus_nonce, h->bridge, NULL, out);
}

/* Whether got is the MAC we compute, in constant time: a timing difference
 * would let a peer find a valid MAC for this nonce byte by byte. */
static bool mac_matches(const char expected[LINK_MAC_HEX + 1], const char got[LINK_MAC_HEX + 1])
{
    return CRYPTO_memcmp(expected, got, LINK_MAC_HEX) == 0;
}

/* ---- the secret ---- */

static bool secret_len_ok(size_t len)
{
    return len >= LINK_SECRET_MIN && len <= LINK_SECRET_MAX;
}

/* read(2), not stdio: stdio would keep a copy of the secret in a buffer we
 * cannot wipe. Returns the bytes read, or -1 with errno. */
static ssize_t read_bounded(const char *path, unsigned char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    return (ssize_t)n;
}

static bool is_trailing_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int link_secret_load(const char *path, link_secret *out, char *err, size_t errlen)
{
    /* Two bytes over the maximum: a secret of LINK_SECRET_MAX plus its
     * newline still fits, and anything longer shows as a full buffer, so
     * "1024 bytes, newline, more" is refused rather than cut short. */
    unsigned char buf[LINK_SECRET_MAX + 2];
    link_secret_clear(out);
    say(err, errlen, "%s", "");
    ssize_t r = read_bounded(path, buf, sizeof buf);
    if (r < 0) {
        say(err, errlen, "cannot read the secret file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = (size_t)r;
    bool overflow = n == sizeof buf;
    while (!overflow && n > 0 && is_trailing_space(buf[n - 1]))
        n--;
    int rc = -1;
    if (overflow || n > LINK_SECRET_MAX)
        say(err, errlen, "the secret in %s is longer than %d bytes", path, LINK_SECRET_MAX);
    else if (n < LINK_SECRET_MIN)
        say(err, errlen, "the secret in %s is shorter than %d bytes", path, LINK_SECRET_MIN);
    else
        rc = link_secret_set(out, buf, n);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

int link_secret_set(link_secret *s, const void *bytes, size_t len)
{
    link_secret_clear(s);
    if (!bytes || !secret_len_ok(len))
        return -1;
    memcpy(s->bytes, bytes, len);
    s->len = len;
    return 0;
}

void link_secret_clear(link_secret *s)
{
    OPENSSL_cleanse(s, sizeof *s);
}

int link_nonce(char out[LINK_NONCE_HEX + 1])
{
    unsigned char raw[NONCE_BYTES];
    out[0] = '\0';
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    hex_encode(raw, sizeof raw, out);
    return 0;
}

/* ---- challenge ---- */

json_t *link_challenge_new(const char *focus_nonce)
{
    return json_pack("{s:s, s:i, s:s}", "type", "link-challenge", "version", LINK_VERSION, "nonce", focus_nonce);
}

int link_challenge_parse(const json_t *msg, char focus_nonce[LINK_NONCE_HEX + 1])
{
    focus_nonce[0] = '\0';
    if (!json_is_object(msg) || !has_type(msg, "link-challenge") || !json_is_integer(json_object_get(msg, "version")))
        return -1;
    return get_hex(msg, "nonce", LINK_NONCE_HEX, focus_nonce) ? 0 : -1;
}

/* ---- hello ---- */

static json_t *addresses_json(const link_hello *h)
{
    json_t *a = json_array();
    int n = h->n_addresses < LINK_MAX_ADDRESSES ? h->n_addresses : LINK_MAX_ADDRESSES;
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_stringn(h->addresses[i], strnlen(h->addresses[i], LINK_ADDRESS_MAX))) < 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *ports_json(const link_hello *h)
{
    json_t *a = json_array();
    int n = h->n_media_ports < LINK_MAX_MEDIA_PORTS ? h->n_media_ports : LINK_MAX_MEDIA_PORTS;
    for (int i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(h->media_ports[i])) < 0) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* The version is this code's, not h's: a bridge speaks the version it was
 * built for, whatever its caller left in the struct. */
json_t *link_hello_new(const link_secret *s, const char *focus_nonce, const link_hello *h)
{
    char mac[LINK_MAC_HEX + 1];
    if (hello_mac(s, focus_nonce, h, mac) < 0)
        return NULL;
    json_t *addresses = addresses_json(h), *ports = ports_json(h), *msg = NULL;
    if (addresses && ports)
        msg = json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:O, s:O, s:s, s:s}", "type", "hello", "version",
                        LINK_VERSION, "minor", LINK_MINOR, "bridge", h->bridge, "region", h->region, "capacity",
                        h->capacity, "addresses", addresses, "media_ports", ports, "nonce", h->nonce, "mac", mac);
    json_decref(addresses);
    json_decref(ports);
    return msg;
}

const char *link_refusal_name(enum link_refusal r)
{
    switch (r) {
    case LINK_ACCEPTED: return "accepted";
    case LINK_BAD_HELLO: return "bad-hello";
    case LINK_UNSUPPORTED_VERSION: return "unsupported-version";
    case LINK_BAD_MAC: return "bad-mac";
    }
    return "unexpected";
}

static bool is_numeric_address(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool get_addresses(const json_t *msg, link_hello *h)
{
    const json_t *a = json_object_get(msg, "addresses");
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n < 1 || n > LINK_MAX_ADDRESSES)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        const char *s = json_string_value(v);
        /* strlen == length: an embedded NUL would hide the rest from inet_pton. */
        if (!s || json_string_length(v) >= LINK_ADDRESS_MAX || strlen(s) != json_string_length(v) ||
            !is_numeric_address(s))
            return false;
        memcpy(h->addresses[i], s, json_string_length(v) + 1);
    }
    h->n_addresses = (int)n;
    return true;
}

static bool get_ports(const json_t *msg, link_hello *h)
{
    const json_t *a = json_object_get(msg, "media_ports");
    size_t n = json_array_size(a);
    if (!json_is_array(a) || n < 1 || n > LINK_MAX_MEDIA_PORTS)
        return false;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
            return false;
        h->media_ports[i] = (uint16_t)json_integer_value(v);
    }
    h->n_media_ports = (int)n;
    return true;
}

/* The version comes first so that a bridge of another major version is told
 * exactly that, not which of its (perhaps renamed) fields we dislike. */
static enum link_refusal check_version(const json_t *msg, link_hello *h, char *message, size_t len)
{
    const json_t *v = json_object_get(msg, "version");
    if (!json_is_integer(v)) {
        say(message, len, "the hello's version must be an integer");
        return LINK_BAD_HELLO;
    }
    if (json_integer_value(v) != LINK_VERSION) {
        say(message, len, "this focus speaks link version %d, the bridge %lld", LINK_VERSION,
            (long long)json_integer_value(v));
        return LINK_UNSUPPORTED_VERSION;
    }
    h->version = LINK_VERSION;
    json_int_t minor;
    if (!get_int(msg, "minor", 0, LLONG_MAX, &minor)) {
        say(message, len, "the hello's minor must be an integer of at least 0");
        return LINK_BAD_HELLO;
    }
    /* Any higher minor is welcome; the struct only needs to say it is higher. */
    h->minor = minor > INT_MAX ? INT_MAX : (int)minor;
    return LINK_ACCEPTED;
}

/* Every field but the MAC; returns the field's complaint or NULL. */
static const char *check_fields(const json_t *msg, const char *focus_nonce, link_hello *h)
{
    json_int_t capacity;
    if (!get_name(msg, "bridge", 1, LINK_BRIDGE_ID_MAX, h->bridge))
        return "the hello's bridge must be 1 to 64 of letters, digits, _ . -";
    if (!get_name(msg, "region", 0, LINK_REGION_MAX, h->region))
        return "the hello's region must be \"\" or 1 to 32 of letters, digits, _ . -";
    if (!get_int(msg, "capacity", 1, LINK_CAPACITY_MAX, &capacity))
        return "the hello's capacity must be an integer from 1 to 100000";
    h->capacity = (int)capacity;
    if (!get_addresses(msg, h))
        return "the hello's addresses must be 1 to 8 numeric IPv4 or IPv6 addresses";
    if (!get_ports(msg, h))
        return "the hello's media_ports must be 1 to 64 integers from 1 to 65535";
    if (!get_hex(msg, "nonce", LINK_NONCE_HEX, h->nonce))
        return "the hello's nonce must be 64 lowercase hex digits";
    /* A peer echoing our nonce adds no freshness of its own (a reflection):
     * the protocol refuses it rather than reason about what that allows. */
    if (strcmp(h->nonce, focus_nonce) == 0)
        return "the hello's nonce must not be the focus's";
    return NULL;
}

enum link_refusal link_hello_check(const link_secret *s, const char *focus_nonce, const json_t *msg,
                                   link_hello *out, char *message, size_t message_len)
{
    link_hello h;
    memset(&h, 0, sizeof h);
    say(message, message_len, "%s", "");
    if (!json_is_object(msg) || !has_type(msg, "hello")) {
        say(message, message_len, "the message's type must be hello");
        return LINK_BAD_HELLO;
    }
    enum link_refusal r = check_version(msg, &h, message, message_len);
    if (r != LINK_ACCEPTED)
        return r;
    const char *complaint = check_fields(msg, focus_nonce ? focus_nonce : "", &h);
    char got[LINK_MAC_HEX + 1], expected[LINK_MAC_HEX + 1];
    if (!complaint && !get_hex(msg, "mac", LINK_MAC_HEX, got))
        complaint = "the hello's mac must be 64 lowercase hex digits";
    if (complaint) {
        say(message, message_len, "%s", complaint);
        return LINK_BAD_HELLO;
    }
    if (!focus_nonce || !is_hex_of(focus_nonce, strlen(focus_nonce), LINK_NONCE_HEX) ||
        hello_mac(s, focus_nonce, &h, expected) < 0 || !mac_matches(expected, got)) {
        say(message, message_len, "the hello's mac is not made with this focus's secret for this challenge");
        r = LINK_BAD_MAC;
    } else {
        *out = h;
    }
    /* A valid MAC for this challenge is a credential until the link closes. */
    OPENSSL_cleanse(expected, sizeof expected);
    return r;
}

/* ---- welcome and refusal ---- */

json_t *link_welcome_new(const link_secret *s, const char *focus_nonce, const link_hello *h, int heartbeat_ms)
{
    char mac[LINK_MAC_HEX + 1];
    if (welcome_mac(s, focus_nonce, h, mac) < 0)
        return NULL;
    return json_pack("{s:s, s:i, s:s}", "type", "welcome", "heartbeat_ms", heartbeat_ms, "mac", mac);
}

static void describe_refusal(const json_t *msg, char *message, size_t len)
{
    char reason[REASON_MAX + 1], text[LINK_MESSAGE_MAX + 1];
    const char *r = json_string_value(json_object_get(msg, "reason"));
    const char *m = json_string_value(json_object_get(msg, "message"));
    printable(reason, sizeof reason, r ? r : "(no reason)");
    printable(text, sizeof text, m ? m : "(no message)");
    say(message, len, "refused by the focus: %s: %s", reason, text);
}

int link_welcome_check(const link_secret *s, const char *focus_nonce, const link_hello *h, const json_t *msg,
                       int *heartbeat_ms, char *message, size_t message_len)
{
    say(message, message_len, "%s", "");
    if (json_is_object(msg) && has_type(msg, "refused")) {
        describe_refusal(msg, message, message_len);
        return -1;
    }
    if (!json_is_object(msg) || !has_type(msg, "welcome")) {
        say(message, message_len, "the focus answered the hello with neither welcome nor refused");
        return -1;
    }
    json_int_t ms;
    if (!get_int(msg, "heartbeat_ms", HEARTBEAT_MS_MIN, HEARTBEAT_MS_MAX, &ms)) {
        say(message, message_len, "the welcome's heartbeat_ms must be an integer from 100 to 10000");
        return -1;
    }
    char got[LINK_MAC_HEX + 1], expected[LINK_MAC_HEX + 1];
    if (!get_hex(msg, "mac", LINK_MAC_HEX, got)) {
        say(message, message_len, "the welcome's mac must be 64 lowercase hex digits");
        return -1;
    }
    if (welcome_mac(s, focus_nonce, h, expected) < 0 || !mac_matches(expected, got)) {
        say(message, message_len, "the welcome's mac is not made with our secret: this focus may be an impostor");
        return -1;
    }
    *heartbeat_ms = (int)ms;
    return 0;
}

json_t *link_refused_new(const char *reason, const char *message)
{
    return json_pack("{s:s, s:s, s:s}", "type", "refused", "reason", reason ? reason : "unexpected", "message",
                     message ? message : "");
}
