/* Protocol-level tests of the focus (docs/protocol.md, both sections) with a
 * fake transport and a fake bridge: every message the focus sends to a
 * connection is parsed and recorded, close requests are counted, and bridge
 * requests are recorded instead of sent. The test plays the bridge (answers
 * requests through focus_bridge_message, sends events) and the browsers
 * (answers each offer with an SDP built from the offer text: every offered
 * section answered, in order; the participant's own mids 0/1/2 sendonly with
 * an SSRC when it sends that source, inactive otherwise).
 *
 * The real Chromium answers in tests/fixtures/sdp/ answer offers of two own
 * sections; against today's three they are only used to check that an
 * answer missing a section is refused. */
#include "check.h"
#include "core/log.h"
#include "focus/focus.h"
#include "focus/turn_credentials.h"
#include "webrtc/sdp.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef STOA_SOURCE_DIR
#define STOA_SOURCE_DIR "."
#endif
#define FIXTURES STOA_SOURCE_DIR "/tests/fixtures/sdp/"

#define ROOM_CAPACITY 40          /* docs/protocol.md: room-full */
#define CHAT_HISTORY 200          /* docs/protocol.md: joined.chat */
#define REACTION_BURST 5          /* docs/protocol.md: at most 5 per 10 s */

/* The six reactions, in protocol order. */
static const char *const EMOJI[6] = { "\U0001F44D", "\U0001F44F", "\U0001F602",
                                      "\U0001F62E", "\u2764\uFE0F", "\U0001F389" };

/* ------------------------------------------------------------------ */
/* Checks that report the caller's line                                */
/* ------------------------------------------------------------------ */

static void fail_at(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_at(int line, const char *fmt, ...)
{
    check_failed++;
    fprintf(stderr, "%s:%d: ", __FILE__, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Compares two JSON values; on a mismatch prints both. */
#define CHECK_JSON(got, want) check_json_((got), (want), __LINE__)
static void check_json_(const json_t *got, json_t *want, int line)
{
    if (got && want && json_equal(got, want)) {
        check_passed++;
    } else {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char *w = want ? json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fail_at(line, "got %.400s, expected %.400s", g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
    }
    json_decref(want);
}

static int64_t now_epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* What a fake browser puts in its answers                             */
/* ------------------------------------------------------------------ */

enum { MIC, CAMERA, SCREEN };

typedef struct answer_spec {
    const char *ufrag;
    const char *pwd;
    unsigned fp_seed;
    const char *fingerprint;    /* NULL: derived from fp_seed */
    uint32_t ssrc[3];           /* mic (mid 0), camera (mid 1), screen (mid 2); 0: inactive */
    const char *setup;          /* "active" unless testing a bad one */
    unsigned paused;            /* expected in configure: bit 1 << MIC / CAMERA / SCREEN */
    bool simulcast;             /* the camera as three layers named by rid, no SSRC */
    bool layer_ssrcs;           /* simulcast as Firefox answers it: each layer's SSRC (ssrc[1] + 2k)
                                 * and its RTX (+ 1) listed, in three FID groups */
} answer_spec;

static answer_spec spec3(const char *ufrag, unsigned seed, uint32_t audio, uint32_t video, uint32_t screen)
{
    answer_spec a = { ufrag, "browserPassword0123456789", seed, NULL, { audio, video, screen }, "active", 0, false, false };
    return a;
}

static answer_spec spec(const char *ufrag, unsigned seed, uint32_t audio, uint32_t video)
{
    return spec3(ufrag, seed, audio, video, 0);
}

/* ------------------------------------------------------------------ */
/* Fake transport                                                      */
/* ------------------------------------------------------------------ */

typedef struct fake_conn {
    char label[16];
    json_t *inbox;          /* every message sent to this connection, parsed */
    size_t seen;            /* how many the test has looked at */
    int closes;             /* close requests */
    size_t queued;          /* what the fake transport says is queued */
    focus_session *s;
    char id[32];            /* participant id from "joined" (or the lobby) */
    answer_spec spec;       /* how settle() answers this browser's offers */
} fake_conn;

static int g_invalid_sends;     /* text that was not a JSON object with a string "type" */
static json_t *g_requests;      /* bridge requests, in order */
static size_t g_requests_seen;

static void fake_send(void *conn, const char *text, size_t len)
{
    fake_conn *c = conn;
    json_error_t e;
    json_t *m = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    if (!m || !json_is_object(m) || !json_is_string(json_object_get(m, "type"))) {
        g_invalid_sends++;
        fprintf(stderr, "focus sent %s something that is not a typed JSON object: %.*s\n",
                c->label, (int)len, text);
        json_decref(m);
        m = json_pack("{s:s}", "type", "<invalid>");
    }
    json_array_append_new(c->inbox, m);
}

static void fake_close(void *conn)
{
    ((fake_conn *)conn)->closes++;
}

static size_t fake_queued(void *conn)
{
    return ((fake_conn *)conn)->queued;
}

/* The one bridge most tests play; the multi-bridge tests add more. */
static int g_bridge;

static void fake_bridge_send(void *user, int bridge, json_t *request)
{
    CHECK(user == (void *)&g_requests);
    json_object_set_new(request, "_bridge", json_integer(bridge));
    CHECK(json_is_object(request));
    json_array_append_new(g_requests, request);
}

/* The focus's clock: tests move it on with tick(). */
static int64_t g_now_ms = 1000000;
static int64_t fake_clock(void)
{
    return g_now_ms;
}

static void tick(int64_t ms)
{
    g_now_ms += ms;
}

static focus *new_focus(void)
{
    focus_callbacks cb = { fake_send, fake_close, fake_bridge_send, &g_requests, fake_queued };
    focus *f = focus_new(&cb);
    CHECK(f != NULL);
    focus_set_clock(f, fake_clock);
    g_bridge = focus_bridge_add(f, &(focus_bridge_info){ .id = "b1", .region = "", .capacity = 1000 });
    CHECK(g_bridge > 0);
    tick(3600 * 1000);          /* every budget of an earlier test is spent or forgotten */
    g_requests_seen = json_array_size(g_requests);   /* what an earlier focus asked at its end */
    return f;
}

static fake_conn *conn_open(focus *f, const char *label)
{
    fake_conn *c = calloc(1, sizeof *c);
    snprintf(c->label, sizeof c->label, "%s", label);
    c->inbox = json_array();
    c->s = focus_connect(f, c);
    c->spec = spec("dflt", 1, 0, 0);
    CHECK(c->s != NULL);
    return c;
}

/* The transport noticed the socket is gone. */
static void conn_gone(focus *f, fake_conn *c)
{
    if (c->s)
        focus_disconnect(f, c->s);
    c->s = NULL;
}

static void conn_free(fake_conn *c)
{
    if (!c)
        return;
    json_decref(c->inbox);
    free(c);
}

static size_t unread(const fake_conn *c)
{
    return json_array_size(c->inbox) - c->seen;
}

/* Marks everything c received so far as looked at. */
static void drain(fake_conn *c)
{
    c->seen = json_array_size(c->inbox);
}

/* The next message for c, checked to be of this type (borrowed; NULL when
 * there is none or it has another type). */
#define EXPECT(c, type) expect_((c), (type), __LINE__)
static json_t *expect_(fake_conn *c, const char *type, int line)
{
    if (unread(c) == 0) {
        fail_at(line, "%s: expected \"%s\", got nothing", c->label, type);
        return NULL;
    }
    json_t *m = json_array_get(c->inbox, c->seen++);
    if (strcmp(str(m, "type"), type) != 0) {
        char *t = json_dumps(m, JSON_COMPACT);
        fail_at(line, "%s: expected \"%s\", got %.300s", c->label, type, t ? t : "?");
        free(t);
        return NULL;
    }
    check_passed++;
    return m;
}

#define EXPECT_NOTHING(c) expect_nothing_((c), __LINE__)
static void expect_nothing_(fake_conn *c, int line)
{
    if (unread(c) == 0) {
        check_passed++;
        return;
    }
    while (unread(c) > 0) {
        char *t = json_dumps(json_array_get(c->inbox, c->seen++), JSON_COMPACT);
        fail_at(line, "%s: unexpected message %.300s", c->label, t ? t : "?");
        free(t);
    }
}

/* When a participant becomes moderator the focus may also send it the lobby
 * queue; with nobody waiting that is an empty list. Consumes it if present. */
#define SKIP_EMPTY_LOBBY(c) skip_empty_lobby_((c), __LINE__)
static void skip_empty_lobby_(fake_conn *c, int line)
{
    if (unread(c) == 0)
        return;
    json_t *m = json_array_get(c->inbox, c->seen);
    if (strcmp(str(m, "type"), "lobby-changed") != 0)
        return;
    c->seen++;
    json_t *w = json_object_get(m, "waiting");
    if (!json_is_array(w) || json_array_size(w) != 0)
        fail_at(line, "%s: lobby-changed with nobody waiting should be empty", c->label);
    else
        check_passed++;
}

/* An error with this code and re. */
#define EXPECT_ERROR(c, code, re) expect_error_((c), (code), (re), __LINE__)
static void expect_error_(fake_conn *c, const char *code, const char *re, int line)
{
    json_t *m = expect_(c, "error", line);
    if (!m)
        return;
    const char *got_code = str(m, "code"), *got_re = str(m, "re"), *message = str(m, "message");
    if (!got_code || strcmp(got_code, code) != 0)
        fail_at(line, "%s: error code \"%s\", expected \"%s\"", c->label, got_code ? got_code : "(none)", code);
    else
        check_passed++;
    if (!got_re || strcmp(got_re, re) != 0)
        fail_at(line, "%s: error re \"%s\", expected \"%s\"", c->label, got_re ? got_re : "(none)", re);
    else
        check_passed++;
    if (!message || !*message)
        fail_at(line, "%s: error without a message", c->label);
    else
        check_passed++;
}

/* bye with this reason, after which the server asked for exactly one close. */
#define EXPECT_BYE(c, reason) expect_bye_((c), (reason), __LINE__)
static void expect_bye_(fake_conn *c, const char *reason, int line)
{
    json_t *m = expect_(c, "bye", line);
    const char *r = m ? str(m, "reason") : NULL;
    if (m && (!r || strcmp(r, reason) != 0))
        fail_at(line, "%s: bye reason \"%s\", expected \"%s\"", c->label, r ? r : "(none)", reason);
    else if (m)
        check_passed++;
    if (c->closes != 1)
        fail_at(line, "%s: %d close requests, expected 1", c->label, c->closes);
    else
        check_passed++;
    expect_nothing_(c, line);
}

/* ping → pong: the connection is still usable. */
#define EXPECT_ALIVE(f, c) expect_alive_((f), (c), __LINE__)
static void send_text(focus *f, fake_conn *c, const char *text);
static void expect_alive_(focus *f, fake_conn *c, int line)
{
    send_text(f, c, "{\"type\":\"ping\"}");
    expect_(c, "pong", line);
    expect_nothing_(c, line);
    if (c->closes != 0)
        fail_at(line, "%s: the connection was asked to close", c->label);
    else
        check_passed++;
}

/* ---- client → focus ---- */

static void send_text(focus *f, fake_conn *c, const char *text)
{
    focus_message(f, c->s, text, strlen(text));
}

static void sendf(focus *f, fake_conn *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sendf(focus *f, fake_conn *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    CHECK(n > 0 && (size_t)n < sizeof buf);
    send_text(f, c, buf);
}

static void send_msg(focus *f, fake_conn *c, json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    CHECK(text != NULL);
    if (text)
        send_text(f, c, text);
    free(text);
}

static void send_join(focus *f, fake_conn *c, const char *room, const char *name)
{
    send_msg(f, c, json_pack("{s:s, s:s, s:s}", "type", "join", "room", room, "name", name));
}

static void send_join_pw(focus *f, fake_conn *c, const char *room, const char *name, const char *password)
{
    send_msg(f, c, json_pack("{s:s, s:s, s:s, s:s}", "type", "join", "room", room, "name", name, "password",
                             password));
}

static void send_answer(focus *f, fake_conn *c, const char *sdp, json_int_t version)
{
    send_msg(f, c, json_pack("{s:s, s:s, s:I}", "type", "answer", "sdp", sdp, "version", version));
}

static void send_chat(focus *f, fake_conn *c, const char *text, const char *to)
{
    json_t *m = json_pack("{s:s, s:s}", "type", "chat", "text", text);
    if (to)
        json_object_set_new(m, "to", json_string(to));
    send_msg(f, c, m);
}

static void send_reaction(focus *f, fake_conn *c, const char *emoji)
{
    send_msg(f, c, json_pack("{s:s, s:s}", "type", "reaction", "emoji", emoji));
}

static void send_media_state(focus *f, fake_conn *c, bool audio, bool video, bool screen)
{
    send_msg(f, c, json_pack("{s:s, s:b, s:b, s:b}", "type", "media-state", "audio", audio, "video", video,
                             "screen", screen));
}

/* ------------------------------------------------------------------ */
/* Fake bridge                                                         */
/* ------------------------------------------------------------------ */

static size_t unread_requests(void)
{
    return json_array_size(g_requests) - g_requests_seen;
}

/* The next bridge request, checked (borrowed). */
#define EXPECT_REQ(type, conf, ep) expect_req_((type), (conf), (ep), __LINE__)
static json_t *expect_req_(const char *type, const char *conf, const char *ep, int line)
{
    if (unread_requests() == 0) {
        fail_at(line, "expected a bridge request \"%s\" for %s/%s, got nothing", type, conf, ep);
        return NULL;
    }
    json_t *r = json_array_get(g_requests, g_requests_seen++);
    const char *t = str(r, "type"), *c = str(r, "conference"), *e = str(r, "endpoint");
    if (!t || !c || !e || strcmp(t, type) != 0 || strcmp(c, conf) != 0 || strcmp(e, ep) != 0 ||
        !json_is_integer(json_object_get(r, "id"))) {
        char *d = json_dumps(r, JSON_COMPACT);
        fail_at(line, "expected bridge request \"%s\" for %s/%s, got %.300s", type, conf, ep, d ? d : "?");
        free(d);
        return NULL;
    }
    check_passed++;
    return r;
}

#define EXPECT_NO_REQ() expect_no_req_(__LINE__)
static void expect_no_req_(int line)
{
    if (unread_requests() == 0) {
        check_passed++;
        return;
    }
    while (unread_requests() > 0) {
        char *d = json_dumps(json_array_get(g_requests, g_requests_seen++), JSON_COMPACT);
        fail_at(line, "unexpected bridge request %.300s", d ? d : "?");
        free(d);
    }
}

/* Skips the bridge requests made so far (for scenarios that do not look at them). */
static void skip_requests(void)
{
    g_requests_seen = json_array_size(g_requests);
}

static json_int_t req_id(const json_t *req)
{
    return json_integer_value(json_object_get(req, "id"));
}

/* The bridge a request went to: replies come back from it. */
static int req_bridge(const json_t *req)
{
    return req ? (int)json_integer_value(json_object_get(req, "_bridge")) : 0;
}

/* "sha-256 XX:XX:..." (32 bytes) derived from a seed. */
static void make_fingerprint(char out[128], unsigned seed)
{
    int n = snprintf(out, 128, "sha-256 ");
    for (unsigned i = 0; i < 32; i++)
        n += snprintf(out + n, 128 - (size_t)n, "%s%02X", i ? ":" : "", (seed * 37u + i * 11u) & 0xFFu);
}

static void spec_fingerprint(const answer_spec *a, char out[128])
{
    if (a->fingerprint)
        snprintf(out, 128, "%s", a->fingerprint);
    else
        make_fingerprint(out, a->fp_seed);
}

/* What the fake bridge hands out for endpoint number n. */
typedef struct bridge_transport {
    char ufrag[16];
    char pwd[40];
    char fingerprint[128];
    unsigned port;
} bridge_transport;

static bridge_transport transport_for(unsigned n)
{
    bridge_transport t;
    snprintf(t.ufrag, sizeof t.ufrag, "Br%04u", n);
    snprintf(t.pwd, sizeof t.pwd, "bridgePassword+%04u/abcdefghij", n);
    make_fingerprint(t.fingerprint, 100 + n);
    t.port = 10000 + n;
    return t;
}

/* allocate-ok for endpoint number n with n_cands UDP host candidates
 * (127.0.0.1, then 10.0.0.2, 10.0.0.3, ...), all on the same port. */
static void reply_allocate_ok_cands(focus *f, const json_t *req, unsigned n, int n_cands)
{
    if (!req)
        return;
    bridge_transport t = transport_for(n);
    json_t *cands = json_array();
    for (int i = 0; i < n_cands; i++) {
        char ip[32], foundation[8];
        if (i == 0)
            snprintf(ip, sizeof ip, "127.0.0.1");
        else
            snprintf(ip, sizeof ip, "10.0.0.%d", i + 1);
        snprintf(foundation, sizeof foundation, "%d", i + 1);
        json_array_append_new(cands, json_pack("{s:s, s:s, s:i, s:s, s:I}", "foundation", foundation,
                                               "ip", ip, "port", (int)t.port, "protocol", "udp",
                                               "priority", (json_int_t)2130706431 - i * 256));
    }
    focus_bridge_message(f, req_bridge(req), json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:b}, s:{s:s, s:s}, s:o}",
        "type", "allocate-ok", "id", req_id(req), "endpoint", str(req, "endpoint"),
        "ice", "ufrag", t.ufrag, "pwd", t.pwd, "lite", 1,
        "dtls", "fingerprint", t.fingerprint, "setup", "passive",
        "candidates", cands));
}

static void reply_allocate_ok(focus *f, const json_t *req, unsigned n)
{
    reply_allocate_ok_cands(f, req, n, 1);
}

/* configure-ok / expire-ok / pause-ok */
static void reply_ok(focus *f, const json_t *req)
{
    if (!req)
        return;
    char type[32];
    snprintf(type, sizeof type, "%s-ok", str(req, "type"));
    focus_bridge_message(f, req_bridge(req), json_pack("{s:s, s:I}", "type", type, "id", req_id(req)));
}

/* relay-open-ok from the bridge the request went to: its media port is
 * 20000 + its handle, channels count up. */
static void reply_relay_open_ok(focus *f, const json_t *req, const char *address)
{
    static int channel;
    focus_bridge_message(f, req_bridge(req), json_pack("{s:s, s:I, s:s, s:s, s:i, s:i}", "type", "relay-open-ok",
                                                       "id", req_id(req), "endpoint", str(req, "endpoint"),
                                                       "address", address, "port", 20000 + req_bridge(req),
                                                       "channel", ++channel));
}

static void reply_error(focus *f, const json_t *req, const char *code)
{
    if (!req)
        return;
    focus_bridge_message(f, req_bridge(req), json_pack("{s:s, s:I, s:s, s:s}", "type", "error", "id", req_id(req),
                                      "code", code, "message", "the test bridge says no"));
}

static void bridge_event(focus *f, const char *type, const char *conf, const char *ep, const char *reason)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", type, "conference", conf, "endpoint", ep);
    if (reason)
        json_object_set_new(ev, "reason", json_string(reason));
    focus_bridge_message(f, g_bridge, ev);
}

/* A pause request for one SSRC of endpoint ep, acknowledged. */
#define EXPECT_PAUSE(f, conf, ep, ssrc, paused) expect_pause_((f), (conf), (ep), (ssrc), (paused), __LINE__)
static void expect_pause_(focus *f, const char *conf, const char *ep, uint32_t ssrc, bool paused, int line)
{
    json_t *r = expect_req_("pause", conf, ep, line);
    if (!r)
        return;
    json_t *want = json_pack("[I]", (json_int_t)ssrc);
    json_t *p = json_object_get(r, "paused");
    if (!json_equal(json_object_get(r, "ssrcs"), want) || !json_is_boolean(p) || json_is_true(p) != paused) {
        char *d = json_dumps(r, JSON_COMPACT);
        fail_at(line, "pause request %.300s, expected ssrcs [%u] paused %s", d ? d : "?", (unsigned)ssrc,
                paused ? "true" : "false");
        free(d);
    } else {
        check_passed++;
    }
    json_decref(want);
    reply_ok(f, r);
}

/* ------------------------------------------------------------------ */
/* SDP: reading offers, writing answers                                */
/* ------------------------------------------------------------------ */

typedef struct offer_section {
    char kind[8];
    unsigned port;
    char mid[SDP_MID_MAX];
    char dir[16];
    char msid_stream[64];
    char msid_track[96];
    uint32_t ssrc;
} offer_section;

typedef struct parsed_offer {
    offer_section s[SDP_MAX_MEDIA + 8];
    size_t n;
    char bundle[1024];      /* the mids after a=group:BUNDLE, space separated */
    bool has_bundle;
    bool ice_lite;
    bool setup_actpass_everywhere;
    bool end_of_candidates;
} parsed_offer;

static bool starts(const char *line, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && memcmp(line, prefix, p) == 0;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A test-side reading of an offer, independent of src/webrtc/sdp.c. */
static void parse_offer(const char *sdp, parsed_offer *o)
{
    memset(o, 0, sizeof *o);
    size_t setups = 0, enabled = 0;
    offer_section *cur = NULL;
    for (const char *p = sdp; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + n;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (starts(p, n, "m=")) {
            cur = o->n < sizeof o->s / sizeof o->s[0] ? &o->s[o->n++] : NULL;
            if (cur) {
                char line[256];
                copy_field(line, sizeof line, p, n);
                if (sscanf(line, "m=%7s %u", cur->kind, &cur->port) != 2)
                    cur->kind[0] = '\0';
                if (cur->port != 0)
                    enabled++;
            }
        } else if (!cur) {
            if (starts(p, n, "a=group:BUNDLE")) {
                o->has_bundle = true;
                const char *v = p + strlen("a=group:BUNDLE");
                size_t vn = n - strlen("a=group:BUNDLE");
                while (vn > 0 && *v == ' ') {
                    v++;
                    vn--;
                }
                copy_field(o->bundle, sizeof o->bundle, v, vn);
            } else if (starts(p, n, "a=ice-lite")) {
                o->ice_lite = true;
            }
        } else if (starts(p, n, "a=mid:")) {
            copy_field(cur->mid, sizeof cur->mid, p + 6, n - 6);
        } else if (starts(p, n, "a=msid:")) {
            const char *sp = memchr(p, ' ', n);
            copy_field(cur->msid_stream, sizeof cur->msid_stream, p + 7, sp ? (size_t)(sp - p) - 7 : n - 7);
            if (sp)
                copy_field(cur->msid_track, sizeof cur->msid_track, sp + 1, n - (size_t)(sp + 1 - p));
        } else if (starts(p, n, "a=ssrc:")) {
            cur->ssrc = (uint32_t)strtoul(p + 7, NULL, 10);
        } else if (starts(p, n, "a=setup:actpass")) {
            setups++;
        } else if (starts(p, n, "a=end-of-candidates")) {
            o->end_of_candidates = true;
        } else if (n == 10 && (starts(p, n, "a=sendonly") || starts(p, n, "a=recvonly") ||
                               starts(p, n, "a=inactive") || starts(p, n, "a=sendrecv"))) {
            copy_field(cur->dir, sizeof cur->dir, p + 2, n - 2);
        }
        p = next;
    }
    o->setup_actpass_everywhere = enabled > 0 && setups == enabled;
}

static const offer_section *section(const parsed_offer *o, const char *mid)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->s[i].mid, mid) == 0)
            return &o->s[i];
    return NULL;
}

static bool bundle_has(const parsed_offer *o, const char *mid)
{
    char copy[sizeof o->bundle];
    memcpy(copy, o->bundle, sizeof copy);
    char *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (strcmp(t, mid) == 0)
            return true;
    return false;
}

/* Checks one section of a parsed offer: kind, direction, port (0 or not),
 * and for sendonly sections whose media it carries. */
#define CHECK_SECTION(po, mid, kind, dir, enabled) check_section_((po), (mid), (kind), (dir), (enabled), NULL, NULL, 0, __LINE__)
#define CHECK_FORWARD(po, mid, kind, who, source, ssrc) check_section_((po), (mid), (kind), "sendonly", true, (who), (source), (ssrc), __LINE__)
static void check_section_(const parsed_offer *po, const char *mid, const char *kind, const char *dir, bool enabled,
                           const char *who, const char *source, uint32_t ssrc, int line)
{
    const offer_section *s = section(po, mid);
    if (!s) {
        fail_at(line, "the offer has no section with mid %s", mid);
        return;
    }
    bool ok = strcmp(s->kind, kind) == 0 && (s->port != 0) == enabled && (!enabled || strcmp(s->dir, dir) == 0);
    char track[96] = "";
    if (who)
        snprintf(track, sizeof track, "%s-%s", who, source);
    if (ok && who)
        ok = strcmp(s->msid_stream, who) == 0 && strcmp(s->msid_track, track) == 0 && s->ssrc == ssrc;
    if (!ok)
        fail_at(line, "mid %s: %s port %u %s msid %s %s ssrc %u; expected %s %s %s %s %s ssrc %u", mid, s->kind,
                s->port, s->dir, s->msid_stream, s->msid_track, (unsigned)s->ssrc, kind,
                enabled ? "enabled" : "disabled", dir, who ? who : "-", track, (unsigned)ssrc);
    else
        check_passed++;
}

static size_t disabled_sections(const parsed_offer *po)
{
    size_t n = 0;
    for (size_t i = 0; i < po->n; i++)
        n += po->s[i].port == 0;
    return n;
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        *cap = *cap * 2 + (size_t)n;
        char *nb = realloc(*buf, *cap);
        if (!nb)
            abort();
        *buf = nb;
    }
}

/* A minimal valid answer to the offer text: one section per m= section, in
 * the offer's order, same mids and kinds, port 0 for sections the offer
 * disabled; the own mids 0/1/2 sendonly with the spec's SSRCs (inactive when
 * it has none), every other section recvonly. */
static char *build_answer(const char *offer_sdp, const answer_spec *a)
{
    static const char *const own_mids[3] = { "0", "1", "2" };
    parsed_offer *o = malloc(sizeof *o);
    parse_offer(offer_sdp, o);
    char fp[128];
    spec_fingerprint(a, fp);
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    out[0] = '\0';
    append(&out, &len, &cap, "v=0\r\no=- 4611686018427387 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    append(&out, &len, &cap, "a=group:BUNDLE");
    for (size_t i = 0; i < o->n; i++)
        if (o->s[i].port != 0)
            append(&out, &len, &cap, " %s", o->s[i].mid);
    append(&out, &len, &cap, "\r\n");
    for (size_t i = 0; i < o->n; i++) {
        const offer_section *s = &o->s[i];
        bool audio = strcmp(s->kind, "audio") == 0;
        bool disabled = s->port == 0;
        append(&out, &len, &cap, "m=%s %d UDP/TLS/RTP/SAVPF %d\r\n", s->kind, disabled ? 0 : 9,
               audio ? SDP_PT_OPUS : SDP_PT_VP8);
        append(&out, &len, &cap, "c=IN IP4 0.0.0.0\r\n");
        append(&out, &len, &cap, "a=mid:%s\r\n", s->mid);
        append(&out, &len, &cap, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", a->ufrag, a->pwd);
        append(&out, &len, &cap, "a=fingerprint:%s\r\n", fp);
        append(&out, &len, &cap, "a=setup:%s\r\n", a->setup ? a->setup : "active");
        append(&out, &len, &cap, "a=rtcp-mux\r\n");
        int own = -1;
        for (int k = 0; k < 3; k++)
            if (strcmp(s->mid, own_mids[k]) == 0)
                own = k;
        uint32_t ssrc = own >= 0 ? a->ssrc[own] : 0;
        if (disabled)
            append(&out, &len, &cap, "a=inactive\r\n");
        else if (own == 1 && a->simulcast) {
            append(&out, &len, &cap, "a=sendonly\r\na=rid:l send\r\na=rid:m send\r\na=rid:h send\r\n"
                                     "a=simulcast:send l;m;h\r\n");
            for (unsigned k = 0; a->layer_ssrcs && k < 3; k++)
                append(&out, &len, &cap, "a=ssrc:%u cname:{x}\r\na=ssrc:%u cname:{x}\r\n", (unsigned)ssrc + 2 * k,
                       (unsigned)ssrc + 2 * k + 1);
            for (unsigned k = 0; a->layer_ssrcs && k < 3; k++)
                append(&out, &len, &cap, "a=ssrc-group:FID %u %u\r\n", (unsigned)ssrc + 2 * k,
                       (unsigned)ssrc + 2 * k + 1);
        }
        else if (own >= 0 && ssrc)
            append(&out, &len, &cap, "a=sendonly\r\na=ssrc:%u cname:x\r\n", (unsigned)ssrc);
        else if (own >= 0)
            append(&out, &len, &cap, "a=inactive\r\n");
        else
            append(&out, &len, &cap, "a=recvonly\r\n");
    }
    free(o);
    return out;
}

static const char *last_section(const char *sdp)
{
    const char *last = NULL;
    for (const char *p = strstr(sdp, "\r\nm="); p; p = strstr(p + 1, "\r\nm="))
        last = p;
    return last ? last + 2 : NULL;
}

/* Removes the last m= section of an answer from build_answer (in place),
 * and its mid from the BUNDLE group. */
static void drop_last_section(char *sdp)
{
    char *last = (char *)last_section(sdp);
    if (!last)
        return;
    char mid[SDP_MID_MAX + 8] = "";
    const char *m = strstr(last, "a=mid:");
    if (m)
        sscanf(m, "a=mid:%15[^\r]", mid);
    *last = '\0';
    char *group = strstr(sdp, "a=group:BUNDLE");
    char *eol = group ? strstr(group, "\r\n") : NULL;
    size_t ml = strlen(mid);
    if (eol && ml > 0 && (size_t)(eol - group) > ml && eol[-(ptrdiff_t)ml - 1] == ' ' &&
        memcmp(eol - ml, mid, ml) == 0)
        memmove(eol - ml - 1, eol, strlen(eol) + 1);
}

/* The answer with a copy of its last m= section appended under another mid
 * (returns a new string). */
static char *add_section_copy(const char *sdp, const char *new_mid)
{
    const char *last = last_section(sdp);
    size_t n = strlen(sdp), k = last ? strlen(last) : 0;
    char *out = malloc(n + k + 32);
    memcpy(out, sdp, n + 1);
    if (!last)
        return out;
    const char *m = strstr(last, "a=mid:");
    const char *eol = m ? strstr(m, "\r\n") : NULL;
    if (!eol)
        return out;
    size_t head = (size_t)(m - last) + 6;
    memcpy(out + n, last, head);
    n += head;
    n += (size_t)sprintf(out + n, "%s", new_mid);
    strcpy(out + n, eol);
    return out;
}

/* Swaps the first two m= sections of an SDP (returns a new string). */
static char *swap_first_sections(const char *sdp)
{
    const char *m0 = strstr(sdp, "\r\nm=");
    const char *m1 = m0 ? strstr(m0 + 2, "\r\nm=") : NULL;
    const char *m2 = m1 ? strstr(m1 + 2, "\r\nm=") : NULL;
    if (!m2)
        return strdup(sdp);
    size_t n = strlen(sdp);
    char *out = malloc(n + 1);
    size_t k = 0;
    memcpy(out + k, sdp, (size_t)(m0 + 2 - sdp));
    k += (size_t)(m0 + 2 - sdp);
    memcpy(out + k, m1 + 2, (size_t)(m2 - m1));
    k += (size_t)(m2 - m1);
    memcpy(out + k, m0 + 2, (size_t)(m1 - m0));
    k += (size_t)(m1 - m0);
    strcpy(out + k, m2 + 2);
    return out;
}

/* Whether an answer is well-formed SDP with what Stoa needs, so that a
 * refusal of it can only be about its m= sections. */
static bool answer_parses(const char *sdp)
{
    sdp_answer *a = malloc(sizeof *a);
    char err[128];
    bool ok = a && sdp_parse_answer(sdp, strlen(sdp), a, err, sizeof err) == 0 && strcmp(a->setup, "active") == 0;
    free(a);
    return ok;
}

/* A fixture with its '#' comment lines removed (NUL-terminated). */
static char *load_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        CHECK(fp != NULL);
        return NULL;
    }
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);
    char line[4096];
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#')
            continue;
        size_t n = strlen(line);
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, line, n);
        len += n;
    }
    out[len] = '\0';
    fclose(fp);
    return out;
}

/* ------------------------------------------------------------------ */
/* Checks on messages                                                  */
/* ------------------------------------------------------------------ */

static bool is_hex_id(const char *id)
{
    if (!id || strlen(id) != 8)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* A participant object: {id, name, role, audio, video, screen, hand}, all
 * present and typed; the booleans compared unless -1. */
#define CHECK_PARTICIPANT(obj, id, name, role, audio, video) \
    check_participant_((obj), (id), (name), (role), (audio), (video), -1, 0, __LINE__)
#define CHECK_PARTICIPANT_H(obj, id, name, role, audio, video, hand) \
    check_participant_((obj), (id), (name), (role), (audio), (video), -1, (hand), __LINE__)
#define CHECK_PARTICIPANT_S(obj, id, name, role, audio, video, screen, hand) \
    check_participant_((obj), (id), (name), (role), (audio), (video), (screen), (hand), __LINE__)
static void check_participant_(const json_t *p, const char *id, const char *name, const char *role, int audio,
                               int video, int screen, int hand, int line)
{
    static const char *const keys[4] = { "audio", "video", "screen", "hand" };
    const int want[4] = { audio, video, screen, hand };
    const char *gid = str(p, "id"), *gname = str(p, "name"), *grole = str(p, "role");
    bool ok = json_is_object(p) && json_object_size(p) == 7 && gid && strcmp(gid, id) == 0 && gname &&
              strcmp(gname, name) == 0 && grole && strcmp(grole, role) == 0;
    for (int k = 0; ok && k < 4; k++) {
        json_t *v = json_object_get(p, keys[k]);
        ok = json_is_boolean(v) && (want[k] < 0 || json_is_true(v) == (want[k] != 0));
    }
    if (!ok) {
        char *d = json_dumps(p, JSON_COMPACT);
        fail_at(line, "participant %.300s, expected {id %s, name %s, role %s, audio %d, video %d, screen %d, "
                "hand %d} (-1: any)", d ? d : "(null)", id, name, role, audio, video, screen, hand);
        free(d);
    } else {
        check_passed++;
    }
}

/* participant-updated about one participant. */
#define EXPECT_UPDATED(c, id, name, role, audio, video, hand) \
    expect_updated_((c), (id), (name), (role), (audio), (video), -1, (hand), __LINE__)
#define EXPECT_UPDATED_S(c, id, name, role, audio, video, screen, hand) \
    expect_updated_((c), (id), (name), (role), (audio), (video), (screen), (hand), __LINE__)
static void expect_updated_(fake_conn *c, const char *id, const char *name, const char *role, int audio, int video,
                            int screen, int hand, int line)
{
    json_t *m = expect_(c, "participant-updated", line);
    if (m)
        check_participant_(json_object_get(m, "participant"), id, name, role, audio, video, screen, hand, line);
}

/* participant-left with this id and reason. */
#define EXPECT_LEFT(c, id, reason) expect_left_((c), (id), (reason), __LINE__)
static void expect_left_(fake_conn *c, const char *id, const char *reason, int line)
{
    json_t *m = expect_(c, "participant-left", line);
    if (!m)
        return;
    const char *gid = str(m, "id"), *gr = str(m, "reason");
    if (!gid || strcmp(gid, id) != 0 || !gr || strcmp(gr, reason) != 0)
        fail_at(line, "%s: participant-left {%s, %s}, expected {%s, %s}", c->label, gid ? gid : "-",
                gr ? gr : "-", id, reason);
    else
        check_passed++;
}

/* hands with this queue (a JSON array of ids, taken). */
#define EXPECT_HANDS(c, queue) expect_hands_((c), (queue), __LINE__)
static void expect_hands_(fake_conn *c, json_t *queue, int line)
{
    json_t *m = expect_(c, "hands", line);
    if (m)
        check_json_(json_object_get(m, "queue"), queue, line);
    else
        json_decref(queue);
}

/* room-updated with this state. */
#define EXPECT_ROOM_UPDATED(c, locked, lobby) expect_room_updated_((c), (locked), (lobby), __LINE__)
static void expect_room_updated_(fake_conn *c, bool locked, bool lobby, int line)
{
    json_t *m = expect_(c, "room-updated", line);
    if (m)
        check_json_(json_object_get(m, "room_state"), json_pack("{s:b, s:b}", "locked", locked, "lobby", lobby),
                    line);
}

/* lobby-added naming one newcomer (the id the lobby gave it). */
#define EXPECT_LOBBY_ADDED(c, w, name) expect_lobby_delta_((c), "lobby-added", (w), (name), __LINE__)
/* lobby-removed naming one newcomer. */
#define EXPECT_LOBBY_REMOVED(c, w) expect_lobby_delta_((c), "lobby-removed", (w), NULL, __LINE__)
static void expect_lobby_delta_(fake_conn *c, const char *type, const fake_conn *w, const char *name, int line)
{
    json_t *m = expect_(c, type, line);
    if (!m)
        return;
    bool ok = str(m, "id") && strcmp(str(m, "id"), w->id) == 0 && json_object_size(m) == (name ? 3u : 2u) &&
              (!name || (str(m, "name") && strcmp(str(m, "name"), name) == 0));
    if (!ok) {
        char *d = json_dumps(m, JSON_COMPACT);
        fail_at(line, "%s: %.300s, expected %s of %s (%s)", c->label, d ? d : "?", type, w->id, name ? name : "-");
        free(d);
    } else {
        check_passed++;
    }
}

/* lobby-changed listing these waiting ids (a JSON array of {id, name}, taken). */
#define EXPECT_LOBBY(c, waiting) expect_lobby_((c), (waiting), __LINE__)
static void expect_lobby_(fake_conn *c, json_t *waiting, int line)
{
    json_t *m = expect_(c, "lobby-changed", line);
    if (m)
        check_json_(json_object_get(m, "waiting"), waiting, line);
    else
        json_decref(waiting);
}

/* The joined message's fields: id (recorded in c->id), room, name, role,
 * participants (count), room_state, chat (an array), hands (an array). */
#define EXPECT_JOINED(c, room, name, role, n_others, locked, lobby) \
    expect_joined_((c), (room), (name), (role), (n_others), (locked), (lobby), __LINE__)
static json_t *expect_joined_(fake_conn *c, const char *room, const char *name, const char *role, size_t n_others,
                              bool locked, bool lobby, int line)
{
    json_t *j = expect_(c, "joined", line);
    if (!j) {
        snprintf(c->id, sizeof c->id, "none");
        return NULL;
    }
    const char *id = str(j, "id");
    snprintf(c->id, sizeof c->id, "%s", id ? id : "none");
    const char *groom = str(j, "room"), *gname = str(j, "name"), *grole = str(j, "role");
    json_t *others = json_object_get(j, "participants");
    bool ok = is_hex_id(id) && groom && strcmp(groom, room) == 0 && gname && strcmp(gname, name) == 0 && grole &&
              strcmp(grole, role) == 0 && json_is_array(others) && json_array_size(others) == n_others &&
              json_is_array(json_object_get(j, "chat")) && json_is_array(json_object_get(j, "hands"));
    if (!ok) {
        char *d = json_dumps(j, JSON_COMPACT);
        fail_at(line, "%s: joined %.400s, expected room %s name %s role %s with %zu others", c->label,
                d ? d : "?", room, name, role, n_others);
        free(d);
    } else {
        check_passed++;
    }
    check_json_(json_object_get(j, "room_state"), json_pack("{s:b, s:b}", "locked", locked, "lobby", lobby), line);
    return j;
}

/* The offer's mids map entry for mid. */
#define CHECK_MID(offer, mid, participant, kind, source) \
    check_mid_((offer), (mid), (participant), (kind), (source), __LINE__)
static void check_mid_(const json_t *offer, const char *mid, const char *participant, const char *kind,
                       const char *source, int line)
{
    json_t *e = json_object_get(json_object_get(offer, "mids"), mid);
    const char *gp = str(e, "participant"), *gk = str(e, "kind"), *gs = str(e, "source");
    if (!gp || !gk || !gs || strcmp(gp, participant) != 0 || strcmp(gk, kind) != 0 || strcmp(gs, source) != 0)
        fail_at(line, "mids[%s] = {%s, %s, %s}, expected {%s, %s, %s}", mid, gp ? gp : "-", gk ? gk : "-",
                gs ? gs : "-", participant, kind, source);
    else
        check_passed++;
}

/* The three own sections of an offer's mids map. */
#define CHECK_OWN_MIDS(offer, id) do { \
    CHECK_MID((offer), "0", (id), "audio", "mic"); \
    CHECK_MID((offer), "1", (id), "video", "camera"); \
    CHECK_MID((offer), "2", (id), "video", "screen"); \
} while (0)

static size_t mids_count(const json_t *offer)
{
    return json_object_size(json_object_get(offer, "mids"));
}

/* How many mids entries name participant (and source, when not NULL). */
static size_t mids_of(const json_t *offer, const char *participant, const char *source)
{
    size_t n = 0;
    const char *mid;
    json_t *e;
    json_object_foreach(json_object_get(offer, "mids"), mid, e) {
        (void)mid;
        if (str(e, "participant") && strcmp(str(e, "participant"), participant) == 0 &&
            (!source || (str(e, "source") && strcmp(str(e, "source"), source) == 0)))
            n++;
    }
    return n;
}

/* The mid of participant's source in the offer's mids map ("" when none). */
static const char *mid_of(const json_t *offer, const char *participant, const char *source)
{
    const char *mid;
    json_t *e;
    json_object_foreach(json_object_get(offer, "mids"), mid, e) {
        if (str(e, "participant") && strcmp(str(e, "participant"), participant) == 0 && str(e, "source") &&
            strcmp(str(e, "source"), source) == 0)
            return mid;
    }
    return "";
}

static json_int_t version_of(const json_t *offer)
{
    return json_integer_value(json_object_get(offer, "version"));
}

/* A configure request carrying these credentials and sources: one per
 * non-zero SSRC, mic then camera then screen, with "paused" as given by the
 * bit mask (an absent "paused" counts as false, its documented default). */
#define CHECK_CONFIGURE(req, ufrag, pwd, fp, audio, video) \
    check_configure_((req), (ufrag), (pwd), (fp), (uint32_t[3]){ (audio), (video), 0 }, 0, __LINE__)
#define CHECK_CONFIGURE3(req, ufrag, pwd, fp, ssrcs, paused) \
    check_configure_((req), (ufrag), (pwd), (fp), (ssrcs), (paused), __LINE__)
static void check_configure_(const json_t *req, const char *ufrag, const char *pwd, const char *fp,
                             const uint32_t ssrc[3], unsigned paused, int line)
{
    if (!req) {
        fail_at(line, "no configure request");
        return;
    }
    json_t *ice = json_object_get(req, "ice"), *dtls = json_object_get(req, "dtls");
    const char *gu = str(ice, "ufrag"), *gp = str(ice, "pwd"), *gf = str(dtls, "fingerprint");
    if (!gu || !gp || !gf || strcmp(gu, ufrag) != 0 || strcmp(gp, pwd) != 0 || strcmp(gf, fp) != 0)
        fail_at(line, "configure credentials %s / %s / %s, expected %s / %s / %s", gu ? gu : "-",
                gp ? gp : "-", gf ? gf : "-", ufrag, pwd, fp);
    else
        check_passed++;
    json_t *want = json_array();
    for (int k = 0; k < 3; k++)
        if (ssrc[k])
            json_array_append_new(want, json_pack("{s:I, s:s, s:b}", "ssrc", (json_int_t)ssrc[k], "kind",
                                                  k == MIC ? "audio" : "video", "paused", (paused >> k) & 1));
    json_t *got = json_object_get(req, "sources"), *norm = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(got, i, s) {
        json_t *p = json_object_get(s, "paused");
        json_t *n = json_pack("{s:O, s:O, s:b}", "ssrc", json_object_get(s, "ssrc"), "kind",
                              json_object_get(s, "kind"), "paused", p ? json_is_true(p) : 0);
        json_array_append_new(norm, n ? n : json_null());
    }
    if (!json_is_array(got) || !json_equal(norm, want)) {
        char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
        fail_at(line, "configure sources %s, expected %s", g ? g : "(none)", w ? w : "?");
        free(g);
        free(w);
    } else {
        check_passed++;
    }
    json_decref(norm);
    json_decref(want);
}

static bool inbox_mentions(const fake_conn *c, const char *needle)
{
    char *t = json_dumps(c->inbox, JSON_COMPACT);
    bool found = t && strstr(t, needle) != NULL;
    free(t);
    return found;
}

/* How many messages of this type c received in all. */
static size_t inbox_count(const fake_conn *c, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(c->inbox); i++)
        n += strcmp(str(json_array_get(c->inbox, i), "type"), type) == 0;
    return n;
}

/* ------------------------------------------------------------------ */
/* Composite steps                                                     */
/* ------------------------------------------------------------------ */

/* join → joined → allocate → allocate-ok (transport n) → offer v1.
 * Returns the offer (borrowed) and records the id in c->id. */
static json_t *join_allocated(focus *f, fake_conn *c, const char *room, const char *name, unsigned n)
{
    send_join(f, c, room, name);
    json_t *joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
    const char *conference = joined && str(joined, "room") ? str(joined, "room") : room;
    json_t *alloc = EXPECT_REQ("allocate", conference, c->id);
    reply_allocate_ok(f, alloc, n);
    json_t *offer = EXPECT(c, "offer");
    CHECK_EQ_INT(version_of(offer), 1);
    return offer;
}

/* join → joined → allocate, which the bridge never answers (no media: the
 * scenario is about signalling only). Returns joined (borrowed). */
static json_t *join_plain(focus *f, fake_conn *c, const char *room, const char *name)
{
    send_join(f, c, room, name);
    json_t *joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined && str(joined, "id") ? str(joined, "id") : "none");
    EXPECT_REQ("allocate", joined && str(joined, "room") ? str(joined, "room") : room, c->id);
    return joined;
}

/* Answers the offer with a generated SDP; expects the configure and acks it. */
static void answer_offer(focus *f, fake_conn *c, const char *room, const json_t *offer, const answer_spec *a)
{
    if (!offer)
        return;
    char *sdp = build_answer(str(offer, "sdp"), a);
    send_answer(f, c, sdp, version_of(offer));
    free(sdp);
    char fp[128];
    spec_fingerprint(a, fp);
    json_t *cfg = EXPECT_REQ("configure", room, c->id);
    CHECK_CONFIGURE3(cfg, a->ufrag, a->pwd, fp, a->ssrc, a->paused);
    reply_ok(f, cfg);
}

/* Plays every browser and the bridge until nothing is left to do: answers
 * each offer waiting at a connection with its spec, acknowledges configure,
 * pause and expire requests; other messages are consumed unchecked. Errors
 * and unexpected requests are failures. */
static void settle(focus *f, fake_conn **c, size_t n)
{
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < n; i++) {
            while (c[i] && c[i]->s && unread(c[i]) > 0) {
                json_t *m = json_array_get(c[i]->inbox, c[i]->seen++);
                if (strcmp(str(m, "type"), "error") == 0)
                    fail_at(__LINE__, "%s got error %s", c[i]->label, str(m, "code"));
                if (strcmp(str(m, "type"), "offer") != 0)
                    continue;
                char *sdp = build_answer(str(m, "sdp"), &c[i]->spec);
                send_answer(f, c[i], sdp, version_of(m));
                free(sdp);
                again = true;
            }
        }
        while (unread_requests() > 0) {
            json_t *r = json_array_get(g_requests, g_requests_seen++);
            const char *t = str(r, "type");
            if (strcmp(t, "configure") == 0 || strcmp(t, "expire") == 0 || strcmp(t, "pause") == 0 ||
                strcmp(t, "proxy") == 0 || strcmp(t, "relay-peer") == 0) {
                reply_ok(f, r);
            } else if (strcmp(t, "relay-open") == 0) {
                reply_relay_open_ok(f, r, "127.0.0.1");
            } else {
                char *d = json_dumps(r, JSON_COMPACT);
                fail_at(__LINE__, "settle: unexpected bridge request %.200s", d ? d : "?");
                free(d);
            }
        }
    }
}

/* Joins c with media (transport n, answers with c->spec), then settles the
 * room (c must be among room[0..n_room)). */
static void join_media(focus *f, fake_conn *c, const char *room_name, const char *name, unsigned n,
                       fake_conn **room, size_t n_room)
{
    join_allocated(f, c, room_name, name, n);
    c->seen--;   /* let settle answer the offer */
    settle(f, room, n_room);
}

static void drain_all(fake_conn **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i])
            drain(c[i]);
}

static void expect_nothing_all_(fake_conn **c, size_t n, int line)
{
    for (size_t i = 0; i < n; i++)
        if (c[i])
            expect_nothing_(c[i], line);
}
#define EXPECT_NOTHING_ALL(c, n) expect_nothing_all_((c), (n), __LINE__)

static void free_all(focus *f, fake_conn **c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i])
            conn_gone(f, c[i]);
    skip_requests();
    focus_free(f);
    for (size_t i = 0; i < n; i++)
        conn_free(c[i]);
}

/* ------------------------------------------------------------------ */
/* Scenarios 1-6: one room, Alice and Bob (then Carol)                 */
/* ------------------------------------------------------------------ */

#define ALICE_AUDIO 3651860751u     /* from chromium-answer-1-own.sdp */
#define ALICE_VIDEO 2265754789u
#define ALICE_UFRAG "xI+u"
#define ALICE_PWD "ldPFZliMfTVf3KSXA95V/7UR"
#define ALICE_FP "sha-256 E9:E0:1A:00:13:33:7B:B3:BA:F2:BA:85:74:17:9B:A2:F3:1E:F6:59:12:D7:1F:86:2D:18:AF:C8:37:4D:C2:93"
#define BOB_AUDIO 111222333u
#define BOB_VIDEO 444555666u

static void test_one_room(void)
{
    focus *f = new_focus();
    fake_conn *alice = conn_open(f, "alice"), *bob = conn_open(f, "bob");

    /* 1. join → joined (the first is moderator), allocate, offer v1. */
    send_text(f, alice, "{\"type\":\"join\",\"room\":\"Physics-101\",\"name\":\"  Alice  \"}");
    json_t *joined = EXPECT_JOINED(alice, "physics-101", "Alice", "moderator", 0, false, false);
    CHECK_JSON(json_object_get(joined, "chat"), json_array());
    CHECK_JSON(json_object_get(joined, "hands"), json_array());
    CHECK_EQ_INT(json_object_size(joined), 13);  /* type + the 12 documented fields */
    CHECK_JSON(json_object_get(joined, "talk_ms"), json_object());   /* nobody has spoken */
    CHECK_EQ_INT(json_integer_value(json_object_get(joined, "elapsed_ms")), 0);   /* the room opened just now */
    CHECK(json_is_null(json_object_get(joined, "dominant")));
    CHECK_JSON(json_object_get(joined, "ice_servers"), json_array());   /* no TURN configured */
    EXPECT_NOTHING(alice);                       /* no offer before the bridge allocated */
    CHECK_EQ_INT(focus_room_count(f), 1);
    CHECK_EQ_INT(focus_participant_count(f), 1);

    json_t *alloc = EXPECT_REQ("allocate", "physics-101", alice->id);
    EXPECT_NO_REQ();
    reply_allocate_ok(f, alloc, 1);
    bridge_transport t1 = transport_for(1);
    json_t *offer = EXPECT(alice, "offer");
    CHECK_EQ_INT(version_of(offer), 1);
    const char *sdp = str(offer, "sdp");
    CHECK(sdp != NULL);
    sdp = sdp ? sdp : "";
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(sdp, po);
    CHECK(strstr(sdp, "a=ice-lite\r\n") != NULL);
    CHECK(strstr(sdp, "a=setup:actpass\r\n") != NULL);
    CHECK(strstr(sdp, "a=candidate:1 1 udp 2130706431 127.0.0.1 10001 typ host\r\n") != NULL);
    CHECK(strstr(sdp, "a=end-of-candidates") != NULL);
    char line[300];
    snprintf(line, sizeof line, "a=ice-ufrag:%s\r\n", t1.ufrag);
    CHECK(strstr(sdp, line) != NULL);
    snprintf(line, sizeof line, "a=ice-pwd:%s\r\n", t1.pwd);
    CHECK(strstr(sdp, line) != NULL);
    snprintf(line, sizeof line, "a=fingerprint:%s\r\n", t1.fingerprint);
    CHECK(strstr(sdp, line) != NULL);
    CHECK(po->ice_lite && po->setup_actpass_everywhere);
    /* Three own sections: mic, camera, screen, all received by the bridge. */
    CHECK_EQ_INT(po->n, 3);
    CHECK_EQ_STR(po->s[0].mid, "0");
    CHECK_EQ_STR(po->s[1].mid, "1");
    CHECK_EQ_STR(po->s[2].mid, "2");
    CHECK_SECTION(po, "0", "audio", "recvonly", true);
    CHECK_SECTION(po, "1", "video", "recvonly", true);
    CHECK_SECTION(po, "2", "video", "recvonly", true);
    CHECK_EQ_STR(po->bundle, "0 1 2");
    CHECK_EQ_INT(mids_count(offer), 3);
    CHECK_OWN_MIDS(offer, alice->id);
    EXPECT_NOTHING(alice);

    /* 2. The real Chromium answer to a first offer of the first protocol
     * version answers two sections only: refused, the offer stays open. */
    char *chromium = load_fixture("chromium-answer-1-own.sdp");
    CHECK(chromium && answer_parses(chromium));
    send_answer(f, alice, chromium ? chromium : "", 1);
    EXPECT_ERROR(alice, "bad-answer", "answer");
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, alice);
    free(chromium);
    /* The same browser answering all three (mid 2 inactive: not sharing). */
    answer_spec aspec = spec("x", 0, ALICE_AUDIO, ALICE_VIDEO);
    aspec.ufrag = ALICE_UFRAG;
    aspec.pwd = ALICE_PWD;
    aspec.fingerprint = ALICE_FP;
    char *asdp = build_answer(sdp, &aspec);
    send_answer(f, alice, asdp, 1);
    json_t *cfg = EXPECT_REQ("configure", "physics-101", alice->id);
    CHECK_CONFIGURE(cfg, ALICE_UFRAG, ALICE_PWD, ALICE_FP, ALICE_AUDIO, ALICE_VIDEO);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(alice);
    reply_ok(f, cfg);
    EXPECT_NOTHING(alice);
    /* The same version again, then one never offered. */
    send_answer(f, alice, asdp, 1);
    EXPECT_ERROR(alice, "stale-answer", "answer");
    send_answer(f, alice, asdp, 2);
    EXPECT_ERROR(alice, "stale-answer", "answer");
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, alice);
    free(asdp);

    /* 3. Bob joins. */
    tick(90 * 1000);
    send_join(f, bob, "physics-101", "Bob");
    json_t *bjoined = EXPECT_JOINED(bob, "physics-101", "Bob", "participant", 1, false, false);
    /* The meeting's age on the focus's clock, for the app's meeting timer. */
    CHECK_EQ_INT(json_integer_value(json_object_get(bjoined, "elapsed_ms")), 90 * 1000);
    CHECK(strcmp(bob->id, alice->id) != 0);
    json_t *others = json_object_get(bjoined, "participants");
    CHECK_PARTICIPANT(json_array_get(others, 0), alice->id, "Alice", "moderator", true, true);
    /* Alice has not shared her screen (docs/protocol.md: media-state "screen"
     * defaults to false; the participant object example says false). */
    CHECK(json_is_false(json_object_get(json_array_get(others, 0), "screen")));
    json_t *pj = EXPECT(alice, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), bob->id, "Bob", "participant", true, true);
    EXPECT_NOTHING(alice);
    CHECK_EQ_INT(focus_participant_count(f), 2);
    CHECK_EQ_INT(focus_room_count(f), 1);

    alloc = EXPECT_REQ("allocate", "physics-101", bob->id);
    reply_allocate_ok(f, alloc, 2);
    json_t *boffer = EXPECT(bob, "offer");
    CHECK_EQ_INT(version_of(boffer), 1);
    parse_offer(boffer ? str(boffer, "sdp") : "", po);
    /* Bob's own three, then Alice's microphone and camera (she shares no screen). */
    CHECK_EQ_INT(po->n, 5);
    CHECK_EQ_STR(po->bundle, "0 1 2 3 4");
    CHECK_SECTION(po, "0", "audio", "recvonly", true);
    CHECK_SECTION(po, "1", "video", "recvonly", true);
    CHECK_SECTION(po, "2", "video", "recvonly", true);
    CHECK_FORWARD(po, "3", "audio", alice->id, "mic", ALICE_AUDIO);
    CHECK_FORWARD(po, "4", "video", alice->id, "camera", ALICE_VIDEO);
    snprintf(line, sizeof line, "a=msid:%s %s-mic\r\n", alice->id, alice->id);
    CHECK(boffer && strstr(str(boffer, "sdp"), line) != NULL);
    snprintf(line, sizeof line, "a=msid:%s %s-camera\r\n", alice->id, alice->id);
    CHECK(boffer && strstr(str(boffer, "sdp"), line) != NULL);
    snprintf(line, sizeof line, "a=candidate:1 1 udp 2130706431 127.0.0.1 10002 typ host\r\n");
    CHECK(boffer && strstr(str(boffer, "sdp"), line) != NULL);
    CHECK_EQ_INT(mids_count(boffer), 5);
    CHECK_OWN_MIDS(boffer, bob->id);
    CHECK_MID(boffer, "3", alice->id, "audio", "mic");
    CHECK_MID(boffer, "4", alice->id, "video", "camera");
    EXPECT_NOTHING(bob);
    EXPECT_NOTHING(alice);       /* Bob sends nothing yet */

    answer_spec bspec = spec("bobU", 2, BOB_AUDIO, BOB_VIDEO);
    answer_offer(f, bob, "physics-101", boffer, &bspec);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(bob);
    json_t *aoffer = EXPECT(alice, "offer");
    CHECK_EQ_INT(version_of(aoffer), 2);
    parse_offer(aoffer ? str(aoffer, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 5);
    CHECK_EQ_STR(po->bundle, "0 1 2 3 4");
    CHECK_FORWARD(po, "3", "audio", bob->id, "mic", BOB_AUDIO);
    CHECK_FORWARD(po, "4", "video", bob->id, "camera", BOB_VIDEO);
    CHECK_EQ_INT(mids_count(aoffer), 5);
    CHECK_OWN_MIDS(aoffer, alice->id);
    CHECK_MID(aoffer, "3", bob->id, "audio", "mic");
    CHECK_MID(aoffer, "4", bob->id, "video", "camera");
    EXPECT_NOTHING(alice);

    /* Alice answers v2 (same own SSRCs): configure again, nothing else. */
    answer_spec aspec2 = spec("x", 0, ALICE_AUDIO, ALICE_VIDEO);
    aspec2.ufrag = ALICE_UFRAG;
    aspec2.pwd = ALICE_PWD;
    char afp[128];
    make_fingerprint(afp, 0);
    answer_offer(f, alice, "physics-101", aoffer, &aspec2);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);

    /* 4. media-state from Bob: his microphone is paused at the bridge, and
     * everyone (Bob included) gets participant-updated. */
    send_media_state(f, bob, false, true, false);
    EXPECT_PAUSE(f, "physics-101", bob->id, BOB_AUDIO, true);
    EXPECT_NO_REQ();
    EXPECT_UPDATED_S(alice, bob->id, "Bob", "participant", false, true, false, false);
    EXPECT_UPDATED_S(bob, bob->id, "Bob", "participant", false, true, false, false);
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);
    /* The same state again changes nothing. */
    send_media_state(f, bob, false, true, false);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);
    /* Back on: resumed. */
    send_text(f, bob, "{\"type\":\"media-state\",\"audio\":true,\"video\":true}");
    EXPECT_PAUSE(f, "physics-101", bob->id, BOB_AUDIO, false);
    EXPECT_NO_REQ();
    EXPECT_UPDATED_S(alice, bob->id, "Bob", "participant", true, true, false, false);
    EXPECT_UPDATED_S(bob, bob->id, "Bob", "participant", true, true, false, false);

    /* The bridge reports media flowing: nothing for anyone. */
    bridge_event(f, "endpoint-connected", "physics-101", bob->id, NULL);
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);
    EXPECT_NO_REQ();

    /* The bridge names Bob the dominant speaker: everyone hears of it. */
    bridge_event(f, "dominant-speaker", "physics-101", bob->id, NULL);
    json_t *dom_a = EXPECT(alice, "dominant-speaker"), *dom_b = EXPECT(bob, "dominant-speaker");
    CHECK_EQ_STR(dom_a ? str(dom_a, "id") : "", bob->id);
    CHECK_EQ_STR(dom_b ? str(dom_b, "id") : "", bob->id);
    CHECK_EQ_INT(dom_a ? json_object_size(dom_a) : 0, 2);
    EXPECT_NOTHING(alice);
    EXPECT_NO_REQ();

    /* 5. Bob leaves. */
    send_text(f, bob, "{\"type\":\"leave\"}");
    EXPECT_BYE(bob, "left");
    EXPECT_LEFT(alice, bob->id, "left");
    aoffer = EXPECT(alice, "offer");
    CHECK_EQ_INT(version_of(aoffer), 3);
    const char *a3 = aoffer ? str(aoffer, "sdp") : "";
    parse_offer(a3, po);
    CHECK_EQ_INT(po->n, 5);
    CHECK_SECTION(po, "3", "audio", "", false);
    CHECK_SECTION(po, "4", "video", "", false);
    CHECK(strstr(a3, "m=audio 0 ") != NULL);
    CHECK(strstr(a3, "m=video 0 ") != NULL);
    CHECK_EQ_STR(po->bundle, "0 1 2");
    CHECK(!bundle_has(po, "3") && !bundle_has(po, "4"));
    CHECK_EQ_INT(mids_count(aoffer), 3);
    CHECK_OWN_MIDS(aoffer, alice->id);
    EXPECT_NOTHING(alice);
    json_t *exp = EXPECT_REQ("expire", "physics-101", bob->id);
    EXPECT_NO_REQ();
    reply_ok(f, exp);
    CHECK_EQ_INT(focus_participant_count(f), 1);
    /* The transport then drops Bob's socket: nothing more happens. */
    conn_gone(f, bob);
    EXPECT_NOTHING(alice);
    EXPECT_NO_REQ();

    /* Alice answers v3 (disabled sections answered with port 0). */
    asdp = build_answer(a3, &aspec2);
    CHECK(strstr(asdp, "m=audio 0 ") != NULL);
    send_answer(f, alice, asdp, 3);
    free(asdp);
    cfg = EXPECT_REQ("configure", "physics-101", alice->id);
    CHECK_CONFIGURE(cfg, ALICE_UFRAG, ALICE_PWD, afp, ALICE_AUDIO, ALICE_VIDEO);
    reply_ok(f, cfg);
    EXPECT_NOTHING(alice);

    /* 6. Carol joins; Alice's socket closes while Carol's first offer is
     * unanswered (Carol becomes moderator); then Carol's closes and the room
     * is gone. */
    fake_conn *carol = conn_open(f, "carol");
    send_join(f, carol, "PHYSICS-101", "Carol");
    json_t *cjoined = EXPECT_JOINED(carol, "physics-101", "Carol", "participant", 1, false, false);
    others = json_object_get(cjoined, "participants");
    CHECK_PARTICIPANT(json_array_get(others, 0), alice->id, "Alice", "moderator", true, true);
    pj = EXPECT(alice, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), carol->id, "Carol", "participant", true, true);
    alloc = EXPECT_REQ("allocate", "physics-101", carol->id);
    reply_allocate_ok(f, alloc, 3);
    json_t *coffer = EXPECT(carol, "offer");
    CHECK_EQ_INT(version_of(coffer), 1);
    parse_offer(coffer ? str(coffer, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 5);              /* Bob is long gone: only Alice's two */
    CHECK_EQ_INT(mids_count(coffer), 5);
    CHECK_MID(coffer, "3", alice->id, "audio", "mic");
    CHECK_MID(coffer, "4", alice->id, "video", "camera");
    CHECK(coffer && !strstr(str(coffer, "sdp"), bob->id));

    conn_gone(f, alice);
    EXPECT_LEFT(carol, alice->id, "disconnected");
    EXPECT_UPDATED(carol, carol->id, "Carol", "moderator", true, true, false);
    SKIP_EMPTY_LOBBY(carol);
    EXPECT_NOTHING(carol);               /* her offer is still unanswered */
    exp = EXPECT_REQ("expire", "physics-101", alice->id);
    reply_ok(f, exp);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 1);
    CHECK_EQ_INT(focus_room_count(f), 1);

    answer_spec cspec = spec("carU", 3, 777u, 888u);
    answer_offer(f, carol, "physics-101", coffer, &cspec);
    coffer = EXPECT(carol, "offer");     /* the change that waited */
    CHECK_EQ_INT(version_of(coffer), 2);
    parse_offer(coffer ? str(coffer, "sdp") : "", po);
    CHECK_SECTION(po, "3", "audio", "", false);
    CHECK_SECTION(po, "4", "video", "", false);
    CHECK_EQ_STR(po->bundle, "0 1 2");
    CHECK_EQ_INT(mids_count(coffer), 3);
    EXPECT_NOTHING(carol);

    conn_gone(f, carol);
    exp = EXPECT_REQ("expire", "physics-101", carol->id);
    reply_ok(f, exp);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 0);
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(alice->closes, 0);
    CHECK_EQ_INT(carol->closes, 0);

    free(po);
    focus_free(f);
    EXPECT_NO_REQ();
    conn_free(alice);
    conn_free(bob);
    conn_free(carol);
}

/* ------------------------------------------------------------------ */
/* 3b. the joined list; allocations completing out of order            */
/* ------------------------------------------------------------------ */

/* joined's talk_ms: each one's time as the dominant speaker so far, the
 * current speaker's running time included; gone with the one who left. */
static void test_talk_times(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a"), *b = conn_open(f, "b"), *c = conn_open(f, "c");
    join_plain(f, a, "talks", "Ann");
    join_plain(f, b, "talks", "Ben");
    EXPECT(a, "participant-joined");
    bridge_event(f, "dominant-speaker", "talks", b->id, NULL);
    tick(4000);
    bridge_event(f, "dominant-speaker", "talks", a->id, NULL);
    tick(2500);
    bridge_event(f, "dominant-speaker", "talks", b->id, NULL);   /* Ben again: 4 s so far, running */
    tick(1000);
    json_t *joined = join_plain(f, c, "talks", "Cy");
    json_t *talk = joined ? json_object_get(joined, "talk_ms") : NULL;
    CHECK(json_is_object(talk));
    CHECK_EQ_INT(json_integer_value(json_object_get(talk, a->id)), 2500);
    CHECK_EQ_INT(json_integer_value(json_object_get(talk, b->id)), 5000);
    CHECK_EQ_INT(json_object_size(talk), 2);   /* Cy has not spoken */
    fake_conn *all[] = { a, b, c };
    free_all(f, all, 3);
}

/* The next unread "offer" at c, skipping other messages (borrowed). */
static json_t *next_offer(fake_conn *c)
{
    while (unread(c) > 0) {
        json_t *m = json_array_get(c->inbox, c->seen++);
        if (strcmp(str(m, "type"), "offer") == 0)
            return m;
    }
    return NULL;
}

/* Answers offer as c->spec says (the first receiving section turned
 * inactive when asked) and returns the configure it brings (acknowledged). */
static json_t *answer_for_receives(focus *f, fake_conn *c, const char *room, const json_t *offer, bool first_inactive)
{
    CHECK(offer != NULL);
    if (!offer)
        return NULL;
    char *sdp = build_answer(str(offer, "sdp"), &c->spec);
    char *recv = first_inactive ? strstr(sdp, "a=recvonly") : NULL;
    if (recv)
        memcpy(recv, "a=inactive", 10);
    CHECK(!first_inactive || recv);
    send_answer(f, c, sdp, version_of(offer));
    free(sdp);
    json_t *cfg = EXPECT_REQ("configure", room, c->id);
    if (cfg)
        reply_ok(f, cfg);
    return cfg;
}

#define CHECK_RECEIVES(cfg, ...) check_receives_((cfg), (const uint32_t[]){ __VA_ARGS__ }, \
    sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t), __LINE__)
static void check_receives_(const json_t *cfg, const uint32_t *want, size_t n, int line)
{
    size_t n_want = 0;
    for (size_t i = 0; i < n; i++)
        n_want += want[i] != 0;   /* a 0 stands for "none" */
    json_t *got = json_object_get(cfg, "receives");
    bool ok = json_is_array(got) && json_array_size(got) == n_want;
    for (size_t i = 0; ok && i < n; i++) {
        if (!want[i])
            continue;
        bool found = false;
        size_t k;
        json_t *v;
        json_array_foreach(got, k, v)
            found |= json_integer_value(v) == (json_int_t)want[i];
        ok = found;
    }
    if (ok) {
        check_passed++;
        return;
    }
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    fail_at(line, "configure receives %s, expected %zu SSRCs", g ? g : "(none)", n_want);
    free(g);
}

/* What each participant's configure says it receives: the SSRCs of the
 * offer it answered (not what was added since), less the sections it
 * answered inactive. */
static void test_receives(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a"), *b = conn_open(f, "b"), *c = conn_open(f, "c");
    a->spec = spec("annUfrag", 1, 0x1111, 0x2222);
    b->spec = spec("benUfrag", 2, 0x3333, 0x4444);
    c->spec = spec("cyUfrag", 3, 0x5555, 0);
    json_t *cfg = answer_for_receives(f, a, "rx", join_allocated(f, a, "rx", "Ann", 1), false);
    CHECK_RECEIVES(cfg, 0);
    cfg = answer_for_receives(f, b, "rx", join_allocated(f, b, "rx", "Ben", 2), false);
    CHECK_RECEIVES(cfg, 0x1111, 0x2222);
    /* Ann has an offer with Ben's sections open when Cy arrives. */
    json_t *a2 = next_offer(a);
    CHECK(a2 != NULL);
    cfg = answer_for_receives(f, c, "rx", join_allocated(f, c, "rx", "Cy", 3), true);
    CHECK_RECEIVES(cfg, 0x2222, 0x3333, 0x4444);   /* Ann's audio answered inactive */
    cfg = answer_for_receives(f, a, "rx", a2, false);
    CHECK_RECEIVES(cfg, 0x3333, 0x4444);           /* Cy came after that offer */
    cfg = answer_for_receives(f, a, "rx", next_offer(a), false);
    CHECK_RECEIVES(cfg, 0x3333, 0x4444, 0x5555);
    fake_conn *all[] = { a, b, c };
    free_all(f, all, 3);
}

static void test_join_order(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a3b"), *b = conn_open(f, "b3b"), *c = conn_open(f, "c3b");

    /* A and B join back to back; the bridge answers B first. A turns her
     * microphone off before anything is negotiated. */
    send_join(f, a, "order", "Ann");
    EXPECT_JOINED(a, "order", "Ann", "moderator", 0, false, false);
    json_t *alloc_a = EXPECT_REQ("allocate", "order", a->id);
    send_text(f, a, "{\"type\":\"media-state\",\"audio\":false,\"video\":true}");
    EXPECT_UPDATED_S(a, a->id, "Ann", "moderator", false, true, false, false);
    EXPECT_NO_REQ();                                 /* she sends nothing yet: nothing to pause */
    send_text(f, b, "{\"type\":\"join\",\"room\":\"order\",\"name\":\" \\t \"}");
    json_t *joined = EXPECT_JOINED(b, "order", "Guest", "participant", 1, false, false);  /* nothing left after cleaning */
    json_t *others = json_object_get(joined, "participants");
    CHECK_PARTICIPANT_S(json_array_get(others, 0), a->id, "Ann", "moderator", false, true, false, false);
    json_t *pj = EXPECT(a, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), b->id, "Guest", "participant", true, true);
    json_t *alloc_b = EXPECT_REQ("allocate", "order", b->id);

    reply_allocate_ok(f, alloc_b, 71);
    json_t *ob = EXPECT(b, "offer");
    CHECK_EQ_INT(version_of(ob), 1);
    CHECK_EQ_INT(mids_count(ob), 3);                 /* Ann sends nothing yet */
    EXPECT_NOTHING(a);                               /* Ann has no offer before her allocation */
    answer_spec sb = spec("bbbb", 71, 7101u, 7102u);
    answer_offer(f, b, "order", ob, &sb);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    reply_allocate_ok(f, alloc_a, 70);
    json_t *oa = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(oa), 1);                 /* first offer, with B's media already */
    CHECK_EQ_INT(mids_count(oa), 5);
    CHECK_OWN_MIDS(oa, a->id);
    CHECK_MID(oa, "3", b->id, "audio", "mic");
    CHECK_MID(oa, "4", b->id, "video", "camera");
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(oa ? str(oa, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 5);
    CHECK_FORWARD(po, "3", "audio", b->id, "mic", 7101u);
    CHECK_FORWARD(po, "4", "video", b->id, "camera", 7102u);
    CHECK_EQ_STR(po->bundle, "0 1 2 3 4");
    /* Ann's answer sends a microphone she turned off: it starts paused. */
    answer_spec sa = spec("aaaa", 70, 7001u, 7002u);
    sa.paused = 1u << MIC;
    answer_offer(f, a, "order", oa, &sa);
    EXPECT_NO_REQ();
    ob = EXPECT(b, "offer");
    CHECK_EQ_INT(version_of(ob), 2);
    CHECK_MID(ob, "3", a->id, "audio", "mic");        /* offered, paused at the bridge */
    CHECK_MID(ob, "4", a->id, "video", "camera");
    answer_offer(f, b, "order", ob, &sb);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    /* A third participant sees both, oldest first, with their state. */
    json_t *oc = join_allocated(f, c, "order", "Cy", 72);
    joined = json_array_get(c->inbox, 0);
    CHECK_EQ_STR(str(joined, "role"), "participant");
    others = json_object_get(joined, "participants");
    CHECK_EQ_INT(json_array_size(others), 2);
    CHECK_PARTICIPANT_S(json_array_get(others, 0), a->id, "Ann", "moderator", false, true, false, false);
    CHECK_PARTICIPANT(json_array_get(others, 1), b->id, "Guest", "participant", true, true);
    EXPECT(a, "participant-joined");
    EXPECT(b, "participant-joined");
    CHECK_EQ_INT(mids_count(oc), 7);
    CHECK_MID(oc, "3", a->id, "audio", "mic");
    CHECK_MID(oc, "4", a->id, "video", "camera");
    CHECK_MID(oc, "5", b->id, "audio", "mic");
    CHECK_MID(oc, "6", b->id, "video", "camera");
    free(po);

    conn_gone(f, a);
    conn_gone(f, b);
    conn_gone(f, c);
    CHECK_EQ_INT(focus_room_count(f), 0);
    while (unread_requests() > 0)
        CHECK_EQ_STR(str(json_array_get(g_requests, g_requests_seen++), "type"), "expire");
    focus_free(f);
    conn_free(a);
    conn_free(b);
    conn_free(c);
}

/* ------------------------------------------------------------------ */
/* 7. endpoint-expired from the bridge                                 */
/* ------------------------------------------------------------------ */

/* newcomer joins room "lab" where only other is; both answer their offers
 * (the newcomer's fingerprint seed is its allocation number). */
static void join_beside(focus *f, fake_conn *newcomer, const char *name, const answer_spec *ns, fake_conn *other,
                        const answer_spec *os)
{
    json_t *offer = join_allocated(f, newcomer, "lab", name, ns->fp_seed);
    EXPECT(other, "participant-joined");
    answer_offer(f, newcomer, "lab", offer, ns);
    offer = EXPECT(other, "offer");
    answer_offer(f, other, "lab", offer, os);
}

/* The bridge expires gone's endpoint in "lab" for bridge_reason: gone gets
 * bye, witness hears it left and gets an offer without it (returned). */
static json_t *expire_seen(focus *f, fake_conn *gone, const char *bridge_reason, const char *bye,
                           const char *left_reason, fake_conn *witness)
{
    bridge_event(f, "endpoint-expired", "lab", gone->id, bridge_reason);
    EXPECT_BYE(gone, bye);
    EXPECT_LEFT(witness, gone->id, left_reason);
    json_t *offer = EXPECT(witness, "offer");
    CHECK_EQ_INT(mids_of(offer, gone->id, NULL), 0);
    return offer;
}

static void test_endpoint_expired(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a7"), *b = conn_open(f, "b7");
    json_t *offer = join_allocated(f, a, "lab", "A", 10);
    answer_spec as = spec("aaaa", 10, 1010u, 1011u), bs = spec("bbbb", 11, 2020u, 2021u);
    answer_offer(f, a, "lab", offer, &as);
    EXPECT_NOTHING(a);
    offer = join_allocated(f, b, "lab", "B", 11);
    EXPECT(a, "participant-joined");
    answer_offer(f, b, "lab", offer, &bs);
    offer = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(offer), 2);
    answer_offer(f, a, "lab", offer, &as);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    EXPECT_NO_REQ();

    /* Events that name nobody are ignored. */
    bridge_event(f, "endpoint-expired", "nowhere", b->id, "consent-timeout");
    bridge_event(f, "endpoint-expired", "lab", "00000000", "consent-timeout");
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    CHECK_EQ_INT(focus_participant_count(f), 2);

    bridge_event(f, "endpoint-expired", "lab", b->id, "consent-timeout");
    EXPECT_BYE(b, "media-timeout");
    EXPECT_LEFT(a, b->id, "timeout");
    offer = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(offer), 3);
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(offer ? str(offer, "sdp") : "", po);
    CHECK_SECTION(po, "3", "audio", "", false);
    CHECK_SECTION(po, "4", "video", "", false);
    CHECK_EQ_STR(po->bundle, "0 1 2");
    free(po);
    EXPECT_NOTHING(a);
    EXPECT_NO_REQ();                     /* the bridge already dropped it: no expire */
    answer_offer(f, a, "lab", offer, &as);
    CHECK_EQ_INT(focus_participant_count(f), 1);

    /* B's transport goes away afterwards: still nothing for the bridge. */
    conn_gone(f, b);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(a);

    /* The moderator's media times out: the one left becomes moderator. */
    fake_conn *c = conn_open(f, "c7");
    answer_spec cs = spec("cccc", 12, 3030u, 3031u);
    join_beside(f, c, "C", &cs, a, &as);
    offer = expire_seen(f, a, "dtls-failed", "media-timeout", "timeout", c);
    EXPECT_UPDATED(c, c->id, "C", "moderator", true, true, false);
    SKIP_EMPTY_LOBBY(c);
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();
    conn_gone(f, a);

    /* D closes its page: the bridge saw DTLS close_notify. That is a
     * disconnection, not media silent past the consent timeout. */
    answer_offer(f, c, "lab", offer, &cs);   /* the offer without A */
    fake_conn *d = conn_open(f, "d7");
    answer_spec ds = spec("dddd", 13, 4040u, 4041u);
    join_beside(f, d, "D", &ds, c, &cs);
    offer = expire_seen(f, d, "dtls-closed", "media-closed", "disconnected", c);
    answer_offer(f, c, "lab", offer, &cs);
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();
    conn_gone(f, d);

    conn_gone(f, c);
    EXPECT_REQ("expire", "lab", c->id);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(c->closes, 0);
    focus_free(f);
    conn_free(a);
    conn_free(b);
    conn_free(c);
    conn_free(d);
}

/* ------------------------------------------------------------------ */
/* 8. allocate refused by the bridge: error, then the connection closes */
/* ------------------------------------------------------------------ */

static void test_allocate_error(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a8"), *b = conn_open(f, "b8"), *c = conn_open(f, "c8");

    /* Alone in the room: refused, removed, the room is gone. */
    send_join(f, c, "solo", "C");
    EXPECT_JOINED(c, "solo", "C", "moderator", 0, false, false);
    json_t *alloc = EXPECT_REQ("allocate", "solo", c->id);
    reply_error(f, alloc, "unavailable");
    EXPECT_ERROR(c, "bridge-error", "join");
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();                     /* nothing was allocated: nothing to expire */
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(focus_participant_count(f), 0);
    CHECK_EQ_INT(c->closes, 1);          /* no media: the server closes the connection */

    /* With someone else in the room: they see it leave. */
    json_t *offer = join_allocated(f, a, "lab", "A", 20);
    answer_spec as = spec("aaaa", 20, 3030u, 3031u);
    answer_offer(f, a, "lab", offer, &as);
    send_join(f, b, "lab", "B");
    EXPECT_JOINED(b, "lab", "B", "participant", 1, false, false);
    EXPECT(a, "participant-joined");
    alloc = EXPECT_REQ("allocate", "lab", b->id);
    reply_error(f, alloc, "unavailable");
    EXPECT_ERROR(b, "bridge-error", "join");
    EXPECT_NOTHING(b);
    EXPECT_LEFT(a, b->id, "disconnected");
    EXPECT_NOTHING(a);                   /* B never had sections at A */
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 1);
    CHECK_EQ_INT(focus_room_count(f), 1);
    CHECK_EQ_INT(b->closes, 1);
    /* A's media-state no longer reaches B (A's camera is paused). */
    send_text(f, a, "{\"type\":\"media-state\",\"audio\":true,\"video\":false}");
    EXPECT_PAUSE(f, "lab", a->id, 3031u, true);
    EXPECT_UPDATED(a, a->id, "A", "moderator", true, false, false);
    EXPECT_NOTHING(b);

    conn_gone(f, b);
    conn_gone(f, c);
    EXPECT_NOTHING(a);
    EXPECT_NO_REQ();
    conn_gone(f, a);
    EXPECT_REQ("expire", "lab", a->id);
    CHECK_EQ_INT(focus_room_count(f), 0);
    focus_free(f);
    conn_free(a);
    conn_free(b);
    conn_free(c);
}

/* ------------------------------------------------------------------ */
/* 9. leaving while the allocation is in flight                        */
/* ------------------------------------------------------------------ */

static void test_leave_during_allocate(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a9"), *b = conn_open(f, "b9"), *w = conn_open(f, "w9");

    /* A watcher in the room sees A come and go. */
    json_t *offer = join_allocated(f, w, "lab", "W", 30);
    answer_spec ws = spec("wwww", 30, 4040u, 4041u);
    answer_offer(f, w, "lab", offer, &ws);

    send_join(f, a, "lab", "A");
    EXPECT_JOINED(a, "lab", "A", "participant", 1, false, false);
    json_t *alloc_a = EXPECT_REQ("allocate", "lab", a->id);
    json_int_t alloc_a_id = req_id(alloc_a);
    send_text(f, a, "{\"type\":\"leave\"}");
    EXPECT_BYE(a, "left");
    EXPECT_NO_REQ();                     /* nothing to expire yet */
    EXPECT(w, "participant-joined");
    EXPECT_LEFT(w, a->id, "left");
    EXPECT_NOTHING(w);
    conn_gone(f, a);
    CHECK_EQ_INT(focus_participant_count(f), 1);

    /* The same with a socket that just closes. */
    send_join(f, b, "lab", "B");
    EXPECT_JOINED(b, "lab", "B", "participant", 1, false, false);
    json_t *alloc_b = EXPECT_REQ("allocate", "lab", b->id);
    conn_gone(f, b);
    EXPECT_NO_REQ();
    EXPECT(w, "participant-joined");
    EXPECT_LEFT(w, b->id, "disconnected");

    /* The allocations complete late: each endpoint is expired. */
    reply_allocate_ok(f, alloc_b, 32);
    json_t *exp = EXPECT_REQ("expire", "lab", b->id);
    reply_ok(f, exp);
    reply_allocate_ok(f, alloc_a, 31);
    exp = EXPECT_REQ("expire", "lab", a->id);
    CHECK(exp && req_id(exp) != alloc_a_id);
    reply_ok(f, exp);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(w);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    /* In an otherwise empty room (the room is gone by then). */
    fake_conn *c = conn_open(f, "c9");
    send_join(f, c, "empty-soon", "C");
    EXPECT_JOINED(c, "empty-soon", "C", "moderator", 0, false, false);
    json_t *alloc_c = EXPECT_REQ("allocate", "empty-soon", c->id);
    send_text(f, c, "{\"type\":\"leave\"}");
    EXPECT_BYE(c, "left");
    CHECK_EQ_INT(focus_room_count(f), 1);    /* only "lab" */
    reply_allocate_ok(f, alloc_c, 33);
    EXPECT_REQ("expire", "empty-soon", c->id);
    EXPECT_NOTHING(c);
    conn_gone(f, c);

    /* A duplicate response to an answered request is ignored. */
    reply_allocate_ok(f, alloc_c, 33);
    EXPECT_NO_REQ();

    conn_gone(f, w);
    EXPECT_REQ("expire", "lab", w->id);
    CHECK_EQ_INT(focus_room_count(f), 0);
    focus_free(f);
    conn_free(a);
    conn_free(b);
    conn_free(c);
    conn_free(w);
}

/* ------------------------------------------------------------------ */
/* 10. protocol errors: the connection stays usable                    */
/* ------------------------------------------------------------------ */

/* The moderator commands of docs/protocol.md, with valid fields. */
static const char *const MOD_COMMANDS[11] = { "mute", "mute-all", "ask-unmute", "kick", "end-meeting",
                                              "grant-moderator", "lock", "unlock", "lobby", "lobby-admit",
                                              "lobby-reject" };

static json_t *mod_command(const char *type, const char *id)
{
    json_t *m = json_pack("{s:s}", "type", type);
    if (strcmp(type, "mute") == 0) {
        json_object_set_new(m, "id", json_string(id));
        json_object_set_new(m, "kind", json_string("audio"));
    } else if (strcmp(type, "ask-unmute") == 0 || strcmp(type, "kick") == 0 ||
               strcmp(type, "grant-moderator") == 0 || strcmp(type, "lobby-admit") == 0 ||
               strcmp(type, "lobby-reject") == 0) {
        json_object_set_new(m, "id", json_string(id));
    } else if (strcmp(type, "lock") == 0) {
        json_object_set_new(m, "password", json_string("pw"));
    } else if (strcmp(type, "lobby") == 0) {
        json_object_set_new(m, "enabled", json_true());
    }
    return m;
}

static void test_protocol_errors(void)
{
    focus *f = new_focus();
    fake_conn *c = conn_open(f, "c10");

    send_text(f, c, "{\"type\":\"join\",");
    EXPECT_ERROR(c, "bad-json", "");
    EXPECT_ALIVE(f, c);
    focus_message(f, c->s, "", 0);
    EXPECT_ERROR(c, "bad-json", "");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "[1,2]");
    EXPECT_ERROR(c, "bad-message", "");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"dance\"}");
    EXPECT_ERROR(c, "unknown-type", "dance");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"answer\",\"sdp\":\"v=0\",\"version\":1}");
    EXPECT_ERROR(c, "not-joined", "answer");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"media-state\",\"audio\":true,\"video\":true}");
    EXPECT_ERROR(c, "not-joined", "media-state");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"leave\"}");
    EXPECT_ERROR(c, "not-joined", "leave");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"renegotiate\"}");
    EXPECT_ERROR(c, "not-joined", "renegotiate");
    send_chat(f, c, "hello?", NULL);
    EXPECT_ERROR(c, "not-joined", "chat");
    send_text(f, c, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_ERROR(c, "not-joined", "hand");
    send_reaction(f, c, EMOJI[0]);
    EXPECT_ERROR(c, "not-joined", "reaction");
    EXPECT_ALIVE(f, c);
    /* Moderator commands before joining: not-joined, and (docs/protocol.md,
     * error) "re" is the type of the message that caused it. */
    char wrong_re[512] = "";
    for (size_t i = 0; i < sizeof MOD_COMMANDS / sizeof MOD_COMMANDS[0]; i++) {
        send_msg(f, c, mod_command(MOD_COMMANDS[i], "0a0b0c0d"));
        json_t *e = EXPECT(c, "error");
        CHECK_EQ_STR(str(e, "code"), "not-joined");
        if (!str(e, "re") || strcmp(str(e, "re"), MOD_COMMANDS[i]) != 0) {
            size_t n = strlen(wrong_re);
            snprintf(wrong_re + n, sizeof wrong_re - n, " %s(re \"%s\")", MOD_COMMANDS[i],
                     str(e, "re") ? str(e, "re") : "-");
        }
    }
    if (wrong_re[0])
        fail_at(__LINE__, "not-joined errors to moderator commands carry the wrong re:%s", wrong_re);
    else
        check_passed++;
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"join\",\"room\":\"ws\"}");
    EXPECT_ERROR(c, "bad-room-name", "join");
    EXPECT_ALIVE(f, c);
    send_text(f, c, "{\"type\":\"join\",\"room\":\".hidden\"}");
    EXPECT_ERROR(c, "bad-room-name", "join");
    send_text(f, c, "{\"type\":\"join\",\"room\":\"a b\"}");
    EXPECT_ERROR(c, "bad-room-name", "join");
    send_text(f, c, "{\"type\":\"join\",\"room\":\"\"}");
    EXPECT_ERROR(c, "bad-room-name", "join");
    send_text(f, c, "{\"type\":\"join\"}");
    EXPECT_ERROR(c, "bad-message", "join");
    EXPECT_ALIVE(f, c);
    focus_refuse(f, c->s, "too-large", "The message is too large.");
    EXPECT_ERROR(c, "too-large", "");
    EXPECT_ALIVE(f, c);
    /* 262144 bytes are accepted, one more is refused. */
    size_t limit = 262144;
    char *big = malloc(limit + 2);
    const char *pre = "{\"type\":\"ping\",\"pad\":\"";
    size_t pl = strlen(pre);
    memcpy(big, pre, pl);
    memset(big + pl, 'x', limit - pl - 2);
    memcpy(big + limit - 2, "\"}", 2);
    focus_message(f, c->s, big, limit);
    EXPECT(c, "pong");
    memmove(big + pl + 1, big + pl, limit - pl);
    focus_message(f, c->s, big, limit + 1);
    EXPECT_ERROR(c, "too-large", "");
    free(big);
    EXPECT_ALIVE(f, c);
    CHECK_EQ_INT(focus_room_count(f), 0);
    EXPECT_NO_REQ();

    /* Joined (nameless: Guest), allocated, an offer outstanding. */
    send_text(f, c, "{\"type\":\"join\",\"room\":\"errors\"}");
    EXPECT_JOINED(c, "errors", "Guest", "moderator", 0, false, false);
    reply_allocate_ok(f, EXPECT_REQ("allocate", "errors", c->id), 40);
    json_t *offer = EXPECT(c, "offer");
    EXPECT_NOTHING(c);

    send_text(f, c, "{\"type\":\"join\",\"room\":\"elsewhere\",\"name\":\"X\"}");
    EXPECT_ERROR(c, "already-joined", "join");
    EXPECT_ALIVE(f, c);
    CHECK_EQ_INT(focus_room_count(f), 1);
    EXPECT_NO_REQ();

    send_answer(f, c, "this is not SDP", 1);
    EXPECT_ERROR(c, "bad-answer", "answer");
    EXPECT_ALIVE(f, c);
    EXPECT_NO_REQ();

    answer_spec bad = spec("cccc", 40, 5050u, 5051u);
    bad.setup = "passive";
    char *sdp = build_answer(offer ? str(offer, "sdp") : "", &bad);
    send_answer(f, c, sdp, 1);
    free(sdp);
    EXPECT_ERROR(c, "bad-answer", "answer");
    EXPECT_ALIVE(f, c);
    EXPECT_NO_REQ();

    /* No ICE credentials / no fingerprint. */
    send_answer(f, c, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                      "c=IN IP4 0.0.0.0\r\na=mid:0\r\na=setup:active\r\n", 1);
    EXPECT_ERROR(c, "bad-answer", "answer");
    EXPECT_ALIVE(f, c);
    EXPECT_NO_REQ();

    /* The m= sections must be the offer's, in the same order: not one
     * missing (the screen section left out), not swapped, not one more. */
    answer_spec good = spec("cccc", 40, 5050u, 5051u);
    sdp = build_answer(offer ? str(offer, "sdp") : "", &good);
    CHECK(answer_parses(sdp));
    char *swapped = swap_first_sections(sdp);
    CHECK(answer_parses(swapped) && strstr(swapped, "a=mid:1\r\n") < strstr(swapped, "a=mid:0\r\n"));
    send_answer(f, c, swapped, 1);
    free(swapped);
    EXPECT_ERROR(c, "bad-answer", "answer");
    char *longer = add_section_copy(sdp, "9");
    CHECK(strstr(longer, "a=mid:9\r\n") != NULL && answer_parses(longer));
    send_answer(f, c, longer, 1);
    free(longer);
    EXPECT_ERROR(c, "bad-answer", "answer");
    drop_last_section(sdp);
    CHECK(strstr(sdp, "a=mid:2") == NULL && strstr(sdp, "a=mid:1") != NULL);
    CHECK(strstr(sdp, "a=group:BUNDLE 0 1\r\n") != NULL && answer_parses(sdp));
    send_answer(f, c, sdp, 1);
    free(sdp);
    EXPECT_ERROR(c, "bad-answer", "answer");
    EXPECT_ALIVE(f, c);
    EXPECT_NO_REQ();

    /* A rejected answer leaves the offer open: a good one still works. */
    answer_offer(f, c, "errors", offer, &good);
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, c);

    /* Malformed new messages: bad-message, nothing happens. */
    send_text(f, c, "{\"type\":\"mute\",\"id\":\"ABC\",\"kind\":\"audio\"}");
    EXPECT_ERROR(c, "bad-message", "mute");
    send_text(f, c, "{\"type\":\"mute\",\"id\":\"abc\",\"kind\":\"screen\"}");
    EXPECT_ERROR(c, "bad-message", "mute");
    send_text(f, c, "{\"type\":\"kick\"}");
    EXPECT_ERROR(c, "bad-message", "kick");
    send_text(f, c, "{\"type\":\"kick\",\"id\":\"0123456789abcdef0\"}");   /* 17 digits */
    EXPECT_ERROR(c, "bad-message", "kick");
    send_text(f, c, "{\"type\":\"lobby\",\"enabled\":\"yes\"}");
    EXPECT_ERROR(c, "bad-message", "lobby");
    send_text(f, c, "{\"type\":\"hand\"}");
    EXPECT_ERROR(c, "bad-message", "hand");
    send_text(f, c, "{\"type\":\"media-state\",\"audio\":true,\"video\":true,\"screen\":1}");
    EXPECT_ERROR(c, "bad-message", "media-state");
    send_text(f, c, "{\"type\":\"unmute\",\"id\":\"abc\"}");     /* nobody can unmute someone else */
    EXPECT_ERROR(c, "unknown-type", "unmute");
    EXPECT_ALIVE(f, c);
    EXPECT_NO_REQ();

    conn_gone(f, c);
    EXPECT_REQ("expire", "errors", c->id);
    focus_free(f);
    conn_free(c);
}

/* ------------------------------------------------------------------ */
/* 11. two rooms do not mix                                            */
/* ------------------------------------------------------------------ */

static void test_two_rooms(void)
{
    focus *f = new_focus();
    fake_conn *a1 = conn_open(f, "a1"), *a2 = conn_open(f, "a2");
    fake_conn *b1 = conn_open(f, "b1"), *b2 = conn_open(f, "b2");

    /* B1 joins room-b first and answers with audio only (no camera, no screen). */
    json_t *ob1 = join_allocated(f, b1, "room-b", "Dave", 50);
    answer_spec sb1 = spec("ub1b", 50, 2494571587u, 0);
    answer_offer(f, b1, "room-b", ob1, &sb1);

    json_t *oa1 = join_allocated(f, a1, "Room-A", "Alice", 51);
    answer_spec sa1 = spec("ua1a", 51, 6001u, 6002u);
    answer_offer(f, a1, "room-a", oa1, &sa1);

    json_t *ob2 = join_allocated(f, b2, "room-b", "Carol", 52);
    EXPECT(b1, "participant-joined");
    /* Only Dave's audio: he has no camera. */
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(ob2 ? str(ob2, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 4);
    CHECK_FORWARD(po, "3", "audio", b1->id, "mic", 2494571587u);
    CHECK_EQ_INT(mids_count(ob2), 4);
    CHECK_MID(ob2, "3", b1->id, "audio", "mic");
    answer_spec sb2 = spec("ub2b", 52, 7001u, 7002u);
    answer_offer(f, b2, "room-b", ob2, &sb2);
    json_t *o = EXPECT(b1, "offer");
    CHECK_EQ_INT(version_of(o), 2);
    CHECK_MID(o, "3", b2->id, "audio", "mic");
    CHECK_MID(o, "4", b2->id, "video", "camera");
    answer_offer(f, b1, "room-b", o, &sb1);

    json_t *oa2 = join_allocated(f, a2, "room-a", "Bob", 53);
    EXPECT(a1, "participant-joined");
    CHECK_EQ_INT(mids_count(oa2), 5);
    answer_spec sa2 = spec("ua2a", 53, 8001u, 8002u);
    answer_offer(f, a2, "room-a", oa2, &sa2);
    o = EXPECT(a1, "offer");
    CHECK_EQ_INT(mids_count(o), 5);
    answer_offer(f, a1, "room-a", o, &sa1);

    CHECK_EQ_INT(focus_room_count(f), 2);
    CHECK_EQ_INT(focus_participant_count(f), 4);

    /* Room B's activity, then B2 leaves. */
    send_text(f, b1, "{\"type\":\"media-state\",\"audio\":false,\"video\":false}");
    EXPECT_PAUSE(f, "room-b", b1->id, 2494571587u, true);   /* the camera he does not send: no pause */
    EXPECT_NO_REQ();
    EXPECT_UPDATED(b2, b1->id, "Dave", "moderator", false, false, false);
    EXPECT_UPDATED(b1, b1->id, "Dave", "moderator", false, false, false);
    send_chat(f, b2, "room-b only", NULL);
    EXPECT(b1, "chat");
    EXPECT(b2, "chat");
    send_text(f, b2, "{\"type\":\"leave\"}");
    EXPECT_BYE(b2, "left");
    EXPECT_LEFT(b1, b2->id, "left");
    EXPECT(b1, "offer");
    EXPECT_REQ("expire", "room-b", b2->id);
    EXPECT_NO_REQ();

    EXPECT_NOTHING(a1);
    EXPECT_NOTHING(a2);
    /* Nothing room A ever received names room B or its participants,
     * and the other way round. */
    CHECK(!inbox_mentions(a1, b1->id) && !inbox_mentions(a1, b2->id));
    CHECK(!inbox_mentions(a2, b1->id) && !inbox_mentions(a2, b2->id));
    CHECK(!inbox_mentions(a1, "Dave") && !inbox_mentions(a1, "Carol") && !inbox_mentions(a1, "room-b"));
    CHECK(!inbox_mentions(a2, "Dave") && !inbox_mentions(a2, "Carol") && !inbox_mentions(a2, "room-b"));
    CHECK(!inbox_mentions(b1, a1->id) && !inbox_mentions(b1, a2->id) && !inbox_mentions(b1, "Alice"));
    CHECK(!inbox_mentions(b2, a1->id) && !inbox_mentions(b2, a2->id) && !inbox_mentions(b2, "Bob"));
    CHECK_EQ_INT(focus_room_count(f), 2);

    conn_gone(f, b2);
    conn_gone(f, b1);
    EXPECT_REQ("expire", "room-b", b1->id);
    CHECK_EQ_INT(focus_room_count(f), 1);
    EXPECT_NOTHING(a1);
    conn_gone(f, a1);
    conn_gone(f, a2);
    EXPECT_REQ("expire", "room-a", a1->id);
    EXPECT_REQ("expire", "room-a", a2->id);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_room_count(f), 0);
    free(po);
    focus_free(f);
    conn_free(a1);
    conn_free(a2);
    conn_free(b1);
    conn_free(b2);
}

/* ------------------------------------------------------------------ */
/* 12. shutdown                                                        */
/* ------------------------------------------------------------------ */

static void test_shutdown(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a12"), *b = conn_open(f, "b12"), *c = conn_open(f, "c12"),
              *d = conn_open(f, "d12"), *e = conn_open(f, "e12");
    json_t *offer = join_allocated(f, a, "lab", "A", 60);           /* negotiated */
    answer_spec as = spec("aaaa", 60, 9001u, 9002u);
    answer_offer(f, a, "lab", offer, &as);
    join_allocated(f, b, "other", "B", 61);                          /* offer outstanding */
    send_join(f, c, "lab", "C");                                     /* allocation in flight */
    EXPECT_JOINED(c, "lab", "C", "participant", 1, false, false);
    json_t *alloc_c = EXPECT_REQ("allocate", "lab", c->id);
    EXPECT(a, "participant-joined");
    /* d never joined; e waits in lab's lobby. */
    send_text(f, a, "{\"type\":\"lobby\",\"enabled\":true}");
    EXPECT_ROOM_UPDATED(a, false, true);
    EXPECT_ROOM_UPDATED(c, false, true);
    SKIP_EMPTY_LOBBY(a);
    send_join(f, e, "lab", "E");
    EXPECT(e, "lobby-waiting");
    EXPECT(a, "lobby-added");
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();

    focus_shutdown(f);
    fake_conn *all[] = { a, b, c, d, e };
    for (size_t i = 0; i < 5; i++)
        EXPECT_BYE(all[i], "server-shutdown");

    /* Late messages and bridge responses reach nobody. */
    send_text(f, d, "{\"type\":\"ping\"}");
    reply_allocate_ok(f, alloc_c, 62);
    /* The transport closes every socket. */
    for (size_t i = 0; i < 5; i++)
        conn_gone(f, all[i]);
    for (size_t i = 0; i < 5; i++) {
        EXPECT_NOTHING(all[i]);
        CHECK_EQ_INT(all[i]->closes, 1);
    }
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(focus_participant_count(f), 0);
    /* What remains for the bridge: the three endpoints to release (C's
     * allocation completed after the shutdown). */
    EXPECT_REQ("expire", "lab", a->id);
    EXPECT_REQ("expire", "other", b->id);
    EXPECT_REQ("expire", "lab", c->id);
    EXPECT_NO_REQ();
    focus_free(f);
    for (size_t i = 0; i < 5; i++)
        conn_free(all[i]);
}

/* ------------------------------------------------------------------ */
/* 13. a full room with a bridge that advertises 8 addresses           */
/* ------------------------------------------------------------------ */

/* The bridge may advertise up to 8 addresses (CONFIG_MAX_PUBLIC_IPS) and the
 * focus keeps up to SDP_MAX_CANDIDATES = 8; a room of 40 (the capacity)
 * needs 3 + 39 * 2 = 81 m= sections while nobody shares a screen, fewer than
 * SDP_MAX_MEDIA. Per docs/protocol.md every participant gets an offer after
 * joining, versions start at 1 and go up by one per offer. */
#define BIG_ROOM ROOM_CAPACITY
static void test_big_room(void)
{
    focus *f = new_focus();
    fake_conn *c[BIG_ROOM + 1];
    for (size_t i = 0; i < BIG_ROOM + 1; i++) {
        char label[16];
        snprintf(label, sizeof label, "big%zu", i);
        c[i] = conn_open(f, label);
        c[i]->spec = spec("bigU", (unsigned)i, 20000u + 2 * (unsigned)i, 20001u + 2 * (unsigned)i);
    }
    for (size_t i = 0; i < BIG_ROOM; i++) {
        send_join(f, c[i], "big", c[i]->label);
        json_t *joined = EXPECT(c[i], "joined");
        snprintf(c[i]->id, sizeof c[i]->id, "%s", joined ? str(joined, "id") : "none");
        json_t *alloc = EXPECT_REQ("allocate", "big", c[i]->id);
        reply_allocate_ok_cands(f, alloc, 200 + (unsigned)i, 8);
        if (i + 1 < BIG_ROOM)
            settle(f, c, i + 1);
    }
    fake_conn *last = c[BIG_ROOM - 1];
    /* The newest participant's first offer. */
    json_t *first = unread(last) > 0 ? json_array_get(last->inbox, last->seen) : NULL;
    if (!first || strcmp(str(first, "type"), "offer") != 0) {
        fail_at(__LINE__, "participant %d of a room got no offer after allocate-ok", BIG_ROOM);
    } else {
        check_passed++;
        CHECK_EQ_INT(version_of(first), 1);
        CHECK_EQ_INT(mids_count(first), 3 + (BIG_ROOM - 1) * 2);
        parsed_offer *po = malloc(sizeof *po);
        parse_offer(str(first, "sdp"), po);
        CHECK_EQ_INT(po->n, 3 + (BIG_ROOM - 1) * 2);
        CHECK_EQ_INT(disabled_sections(po), 0);
        free(po);
    }
    settle(f, c, BIG_ROOM);
    CHECK_EQ_INT(focus_participant_count(f), BIG_ROOM);

    /* One more: room-full, and the connection stays usable. */
    fake_conn *extra = c[BIG_ROOM];
    send_join(f, extra, "big", "extra");
    EXPECT_ERROR(extra, "room-full", "join");
    EXPECT_ALIVE(f, extra);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), BIG_ROOM);
    for (size_t i = 0; i < BIG_ROOM; i++)
        EXPECT_NOTHING(c[i]);

    /* Someone leaves: the retried join gets in, negotiates with everyone. */
    send_text(f, c[0], "{\"type\":\"leave\"}");
    settle(f, c, BIG_ROOM);
    send_join(f, extra, "big", "extra");
    json_t *joined = EXPECT(extra, "joined");
    snprintf(extra->id, sizeof extra->id, "%s", joined ? str(joined, "id") : "none");
    CHECK_EQ_INT(json_array_size(json_object_get(joined, "participants")), BIG_ROOM - 1);
    reply_allocate_ok_cands(f, EXPECT_REQ("allocate", "big", extra->id), 300, 8);
    json_t *eo = unread(extra) > 0 ? json_array_get(extra->inbox, extra->seen) : NULL;
    CHECK(eo && strcmp(str(eo, "type"), "offer") == 0 && version_of(eo) == 1 &&
          mids_count(eo) == 3 + (BIG_ROOM - 1) * 2);
    settle(f, c + 1, BIG_ROOM);
    CHECK_EQ_INT(focus_participant_count(f), BIG_ROOM);
    for (size_t i = 0; i < BIG_ROOM + 1; i++)
        conn_gone(f, c[i]);
    skip_requests();
    CHECK_EQ_INT(focus_room_count(f), 0);
    focus_free(f);
    for (size_t i = 0; i < BIG_ROOM + 1; i++)
        conn_free(c[i]);
}

/* ------------------------------------------------------------------ */
/* 14. roles: the first is moderator, grant, hand-over, refusals       */
/* ------------------------------------------------------------------ */

#define GHOST "0123456789abcdef"   /* a well-formed id nobody has */

/* join with the checks of EXPECT_JOINED, then the allocate request (left
 * unanswered). */
#define JOIN_CHECK(f, c, room, name, role, n_others, locked, lobby) \
    join_check_((f), (c), (room), (name), (role), (n_others), (locked), (lobby), __LINE__)
static json_t *join_check_(focus *f, fake_conn *c, const char *room, const char *name, const char *role,
                           size_t n_others, bool locked, bool lobby, int line)
{
    send_join(f, c, room, name);
    json_t *j = expect_joined_(c, room, name, role, n_others, locked, lobby, line);
    expect_req_("allocate", room, c->id, line);
    return j;
}

static void test_roles(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ra"), *b = conn_open(f, "rb"), *c = conn_open(f, "rc"), *d = conn_open(f, "rd"),
              *e = conn_open(f, "re");
    fake_conn *all[] = { a, b, c, d, e };

    JOIN_CHECK(f, a, "roles", "Ann", "moderator", 0, false, false);
    json_t *j = JOIN_CHECK(f, b, "roles", "Ben", "participant", 1, false, false);
    CHECK_PARTICIPANT(json_array_get(json_object_get(j, "participants"), 0), a->id, "Ann", "moderator", true, true);
    JOIN_CHECK(f, c, "roles", "Cat", "participant", 2, false, false);
    JOIN_CHECK(f, d, "roles", "Dan", "participant", 3, false, false);
    drain_all(all, 4);

    /* Every moderator command from a participant: not-moderator, no effect. */
    for (size_t i = 0; i < sizeof MOD_COMMANDS / sizeof MOD_COMMANDS[0]; i++) {
        const char *target = strcmp(MOD_COMMANDS[i], "grant-moderator") == 0 ? b->id : c->id;
        send_msg(f, b, mod_command(MOD_COMMANDS[i], target));
        EXPECT_ERROR(b, "not-moderator", MOD_COMMANDS[i]);
    }
    EXPECT_NOTHING_ALL(all, 4);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_room_count(f), 1);
    CHECK_EQ_INT(focus_participant_count(f), 4);
    CHECK_EQ_INT(b->closes + c->closes, 0);
    /* A newcomer finds the room as it was: no password, no lobby, Cat not
     * muted, Ben not moderator. */
    j = JOIN_CHECK(f, e, "roles", "Eve", "participant", 4, false, false);
    json_t *others = json_object_get(j, "participants");
    CHECK_PARTICIPANT(json_array_get(others, 0), a->id, "Ann", "moderator", true, true);
    CHECK_PARTICIPANT(json_array_get(others, 1), b->id, "Ben", "participant", true, true);
    CHECK_PARTICIPANT(json_array_get(others, 2), c->id, "Cat", "participant", true, true);
    CHECK_PARTICIPANT(json_array_get(others, 3), d->id, "Dan", "participant", true, true);
    for (size_t i = 0; i < 4; i++)
        EXPECT(all[i], "participant-joined");
    EXPECT_NOTHING_ALL(all, 5);

    /* Ids naming nobody in the room: unknown-participant, no effect. */
    static const char *const with_id[] = { "mute", "ask-unmute", "kick", "grant-moderator", "lobby-admit",
                                           "lobby-reject" };
    for (size_t i = 0; i < sizeof with_id / sizeof with_id[0]; i++) {
        send_msg(f, a, mod_command(with_id[i], GHOST));
        EXPECT_ERROR(a, "unknown-participant", with_id[i]);
    }
    /* lobby-admit / lobby-reject name someone waiting, not a participant. */
    send_msg(f, a, mod_command("lobby-admit", c->id));
    EXPECT_ERROR(a, "unknown-participant", "lobby-admit");
    send_msg(f, a, mod_command("lobby-reject", c->id));
    EXPECT_ERROR(a, "unknown-participant", "lobby-reject");
    EXPECT_NOTHING_ALL(all, 5);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 5);

    /* grant-moderator: everyone, Ben included, learns Ben's new role. */
    sendf(f, a, "{\"type\":\"grant-moderator\",\"id\":\"%s\"}", b->id);
    for (size_t i = 0; i < 5; i++)
        EXPECT_UPDATED(all[i], b->id, "Ben", "moderator", true, true, false);
    SKIP_EMPTY_LOBBY(b);
    EXPECT_NOTHING_ALL(all, 5);
    /* Ben's commands now work. */
    sendf(f, b, "{\"type\":\"ask-unmute\",\"id\":\"%s\"}", c->id);
    json_t *m = EXPECT(c, "unmute-request");
    CHECK_EQ_STR(str(m, "by"), b->id);
    EXPECT_NOTHING_ALL(all, 5);

    /* Ann leaves: Ben is still a moderator, nobody is promoted. */
    send_text(f, a, "{\"type\":\"leave\"}");
    EXPECT_BYE(a, "left");
    for (size_t i = 1; i < 5; i++)
        EXPECT_LEFT(all[i], a->id, "left");
    EXPECT_NOTHING_ALL(all, 5);

    /* The last moderator goes: the participant present longest (Cat) is
     * promoted, and everyone is told. */
    conn_gone(f, b);
    for (size_t i = 2; i < 5; i++) {
        EXPECT_LEFT(all[i], b->id, "disconnected");
        EXPECT_UPDATED(all[i], c->id, "Cat", "moderator", true, true, false);
    }
    SKIP_EMPTY_LOBBY(c);
    EXPECT_NOTHING_ALL(all, 5);
    /* Cat may lock; Dan still may not unlock. */
    send_text(f, c, "{\"type\":\"lock\",\"password\":\"pw1\"}");
    for (size_t i = 2; i < 5; i++)
        EXPECT_ROOM_UPDATED(all[i], true, false);
    send_text(f, d, "{\"type\":\"unlock\"}");
    EXPECT_ERROR(d, "not-moderator", "unlock");
    EXPECT_NOTHING_ALL(all, 5);
    EXPECT_NO_REQ();

    /* When the room empties it is gone, lock and all: the next one in is
     * the moderator of a new room. */
    conn_gone(f, c);
    conn_gone(f, d);
    conn_gone(f, e);
    CHECK_EQ_INT(focus_room_count(f), 0);
    EXPECT_NO_REQ();
    fake_conn *g = conn_open(f, "rg");
    j = JOIN_CHECK(f, g, "roles", "Gus", "moderator", 0, false, false);
    CHECK_JSON(json_object_get(j, "chat"), json_array());
    fake_conn *rest[] = { a, b, c, d, e, g };
    free_all(f, rest, 6);
}

/* ------------------------------------------------------------------ */
/* 15. mute, mute-all, ask-unmute                                      */
/* ------------------------------------------------------------------ */

/* muted to the target, then participant-updated to everyone. */
static void expect_muted_(fake_conn *target, const char *kind, const char *by, int line)
{
    json_t *m = expect_(target, "muted", line);
    if (m && (!str(m, "kind") || strcmp(str(m, "kind"), kind) != 0 || !str(m, "by") || strcmp(str(m, "by"), by) != 0))
        fail_at(line, "%s: muted {%s, %s}, expected {%s, %s}", target->label, str(m, "kind") ? str(m, "kind") : "-",
                str(m, "by") ? str(m, "by") : "-", kind, by);
    else if (m)
        check_passed++;
}
#define EXPECT_MUTED(c, kind, by) expect_muted_((c), (kind), (by), __LINE__)

static void test_mute(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ma"), *b = conn_open(f, "mb"), *c = conn_open(f, "mc"), *d = conn_open(f, "md");
    fake_conn *room[] = { a, b, c, d };
    a->spec = spec("maaa", 80, 1001u, 1002u);
    b->spec = spec("mbbb", 81, 2001u, 2002u);
    c->spec = spec("mccc", 82, 3001u, 0);          /* no camera */
    d->spec = spec("mddd", 83, 4001u, 4002u);
    join_media(f, a, "mute", "Ann", 80, room, 1);
    join_media(f, b, "mute", "Ben", 81, room, 2);
    join_media(f, c, "mute", "Cat", 82, room, 3);
    drain_all(room, 3);
    EXPECT_NO_REQ();

    /* Ann mutes Ben's microphone: the bridge stops it at once, Ben is told,
     * everyone sees the new state. */
    sendf(f, a, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"audio\"}", b->id);
    EXPECT_PAUSE(f, "mute", b->id, 2001u, true);
    EXPECT_NO_REQ();
    EXPECT_MUTED(b, "audio", a->id);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], b->id, "Ben", "participant", false, true, false);
    EXPECT_NOTHING_ALL(room, 3);
    /* ... and his camera. */
    sendf(f, a, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"video\"}", b->id);
    EXPECT_PAUSE(f, "mute", b->id, 2002u, true);
    EXPECT_NO_REQ();
    EXPECT_MUTED(b, "video", a->id);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], b->id, "Ben", "participant", false, false, false);
    EXPECT_NOTHING_ALL(room, 3);
    /* Only Ben turns them on again (always allowed). */
    send_media_state(f, b, true, false, false);
    EXPECT_PAUSE(f, "mute", b->id, 2001u, false);
    EXPECT_NO_REQ();
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], b->id, "Ben", "participant", true, false, false);
    send_media_state(f, b, true, true, false);
    EXPECT_PAUSE(f, "mute", b->id, 2002u, false);
    EXPECT_NO_REQ();
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], b->id, "Ben", "participant", true, true, false);
    EXPECT_NOTHING_ALL(room, 3);

    /* Cat sends no camera: muting it tells her and everyone, but there is
     * nothing for the bridge to pause. */
    sendf(f, a, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"video\"}", c->id);
    EXPECT_NO_REQ();
    EXPECT_MUTED(c, "video", a->id);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], c->id, "Cat", "participant", true, false, false);
    EXPECT_NOTHING_ALL(room, 3);

    /* A moderator may mute herself. */
    sendf(f, a, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"audio\"}", a->id);
    EXPECT_PAUSE(f, "mute", a->id, 1001u, true);
    EXPECT_MUTED(a, "audio", a->id);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], a->id, "Ann", "moderator", false, true, false);
    send_media_state(f, a, true, true, false);
    EXPECT_PAUSE(f, "mute", a->id, 1001u, false);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED(room[i], a->id, "Ann", "moderator", true, true, false);
    EXPECT_NOTHING_ALL(room, 3);
    EXPECT_NO_REQ();

    /* Muted before the first answer: nothing to pause yet, and the source
     * starts paused when the answer names it. */
    json_t *od = join_allocated(f, d, "mute", "Dan", 83);
    for (size_t i = 0; i < 3; i++)
        EXPECT(room[i], "participant-joined");
    sendf(f, a, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"audio\"}", d->id);
    EXPECT_NO_REQ();
    EXPECT_MUTED(d, "audio", a->id);
    for (size_t i = 0; i < 4; i++)
        EXPECT_UPDATED(room[i], d->id, "Dan", "participant", false, true, false);
    EXPECT_NOTHING_ALL(room, 4);
    answer_spec ds = d->spec;
    ds.paused = 1u << MIC;
    answer_offer(f, d, "mute", od, &ds);
    settle(f, room, 4);
    drain_all(room, 4);
    send_media_state(f, d, true, true, false);
    EXPECT_PAUSE(f, "mute", d->id, 4001u, false);
    for (size_t i = 0; i < 4; i++)
        EXPECT_UPDATED(room[i], d->id, "Dan", "participant", true, true, false);
    EXPECT_NOTHING_ALL(room, 4);
    EXPECT_NO_REQ();

    /* mute-all: every microphone but Ann's, in the room's order. */
    send_text(f, a, "{\"type\":\"mute-all\"}");
    EXPECT_PAUSE(f, "mute", b->id, 2001u, true);
    EXPECT_PAUSE(f, "mute", c->id, 3001u, true);
    EXPECT_PAUSE(f, "mute", d->id, 4001u, true);
    EXPECT_NO_REQ();
    fake_conn *targets[] = { b, c, d };
    const char *names[] = { "Ben", "Cat", "Dan" };
    const bool cams[] = { true, false, true };
    for (size_t i = 0; i < 4; i++) {
        for (size_t t = 0; t < 3; t++) {
            if (room[i] == targets[t])
                EXPECT_MUTED(room[i], "audio", a->id);
            EXPECT_UPDATED(room[i], targets[t]->id, names[t], "participant", false, cams[t], false);
        }
    }
    EXPECT_NOTHING_ALL(room, 4);      /* Ann's own microphone stays on */

    /* ask-unmute: only the target hears it, and nothing changes. */
    sendf(f, a, "{\"type\":\"ask-unmute\",\"id\":\"%s\"}", b->id);
    json_t *m = EXPECT(b, "unmute-request");
    CHECK_EQ_STR(str(m, "by"), a->id);
    CHECK_EQ_INT(json_object_size(m), 2);
    EXPECT_NOTHING_ALL(room, 4);
    EXPECT_NO_REQ();
    sendf(f, c, "{\"type\":\"ask-unmute\",\"id\":\"%s\"}", b->id);
    EXPECT_ERROR(c, "not-moderator", "ask-unmute");
    sendf(f, c, "{\"type\":\"mute\",\"id\":\"%s\",\"kind\":\"video\"}", b->id);
    EXPECT_ERROR(c, "not-moderator", "mute");
    EXPECT_NOTHING_ALL(room, 4);
    EXPECT_NO_REQ();
    /* Ben answers the request himself. */
    send_media_state(f, b, true, true, false);
    EXPECT_PAUSE(f, "mute", b->id, 2001u, false);
    for (size_t i = 0; i < 4; i++)
        EXPECT_UPDATED(room[i], b->id, "Ben", "participant", true, true, false);
    EXPECT_NOTHING_ALL(room, 4);
    EXPECT_NO_REQ();

    free_all(f, room, 4);
}

/* ------------------------------------------------------------------ */
/* 16. kick                                                            */
/* ------------------------------------------------------------------ */

static void test_kick(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ka"), *b = conn_open(f, "kb"), *c = conn_open(f, "kc");
    fake_conn *room[] = { a, b, c };
    a->spec = spec("kaaa", 90, 1101u, 1102u);
    b->spec = spec("kbbb", 91, 2101u, 2102u);
    c->spec = spec("kccc", 92, 3101u, 3102u);
    join_media(f, a, "kick", "Ann", 90, room, 1);
    join_media(f, b, "kick", "Ben", 91, room, 2);
    join_media(f, c, "kick", "Cat", 92, room, 3);
    drain_all(room, 3);
    EXPECT_NO_REQ();

    sendf(f, c, "{\"type\":\"kick\",\"id\":\"%s\"}", b->id);
    EXPECT_ERROR(c, "not-moderator", "kick");
    EXPECT_NOTHING_ALL(room, 3);

    sendf(f, a, "{\"type\":\"kick\",\"id\":\"%s\"}", b->id);
    EXPECT_BYE(b, "kicked");
    parsed_offer *po = malloc(sizeof *po);
    fake_conn *stay[] = { a, c };
    for (size_t i = 0; i < 2; i++) {
        EXPECT_LEFT(stay[i], b->id, "kicked");
        json_t *o = EXPECT(stay[i], "offer");     /* Ben's sections disabled */
        CHECK_EQ_INT(mids_of(o, b->id, NULL), 0);
        CHECK_EQ_INT(mids_count(o), 5);
        parse_offer(o ? str(o, "sdp") : "", po);
        CHECK_EQ_INT(po->n, 7);
        CHECK_EQ_INT(disabled_sections(po), 2);
        CHECK(o && !strstr(str(o, "sdp"), b->id));
    }
    free(po);
    json_t *exp = EXPECT_REQ("expire", "kick", b->id);
    reply_ok(f, exp);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 2);
    /* What Ben sends before his socket closes is ignored; then it closes. */
    send_chat(f, b, "I am still here", NULL);
    send_text(f, b, "{\"type\":\"ping\"}");
    EXPECT_NOTHING_ALL(room, 3);
    conn_gone(f, b);
    EXPECT_NOTHING_ALL(room, 3);
    EXPECT_NO_REQ();
    /* He is gone: kicking him again names nobody. */
    sendf(f, a, "{\"type\":\"kick\",\"id\":\"%s\"}", b->id);
    EXPECT_ERROR(a, "unknown-participant", "kick");
    settle(f, room, 3);
    CHECK_EQ_INT(a->closes + c->closes, 0);
    free_all(f, room, 3);
}

/* ------------------------------------------------------------------ */
/* 17. end-meeting                                                     */
/* ------------------------------------------------------------------ */

static void test_end_meeting(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ea"), *b = conn_open(f, "eb"), *c = conn_open(f, "ec"), *w = conn_open(f, "ew");
    fake_conn *room[] = { a, b, c };
    a->spec = spec("eaaa", 95, 1201u, 1202u);
    b->spec = spec("ebbb", 96, 2201u, 2202u);
    c->spec = spec("eccc", 97, 3201u, 3202u);
    join_media(f, a, "end", "Ann", 95, room, 1);
    join_media(f, b, "end", "Ben", 96, room, 2);
    join_media(f, c, "end", "Cat", 97, room, 3);
    send_chat(f, b, "before the end", NULL);
    send_text(f, a, "{\"type\":\"lobby\",\"enabled\":true}");
    send_join(f, w, "end", "Wes");
    EXPECT(w, "lobby-waiting");
    drain_all(room, 3);
    EXPECT_NO_REQ();

    send_text(f, b, "{\"type\":\"end-meeting\"}");
    EXPECT_ERROR(b, "not-moderator", "end-meeting");
    EXPECT_NOTHING_ALL(room, 3);
    CHECK_EQ_INT(focus_participant_count(f), 3);

    send_text(f, a, "{\"type\":\"end-meeting\"}");
    EXPECT_BYE(w, "meeting-ended");
    for (size_t i = 0; i < 3; i++) {
        json_t *last = json_array_get(room[i]->inbox, json_array_size(room[i]->inbox) - 1);
        CHECK_EQ_STR(str(last, "type"), "bye");
        CHECK_EQ_STR(str(last, "reason"), "meeting-ended");
        CHECK_EQ_INT(inbox_count(room[i], "bye"), 1);
        CHECK_EQ_INT(inbox_count(room[i], "error"), i == 1 ? 1 : 0);
        CHECK_EQ_INT(room[i]->closes, 1);
        drain(room[i]);
    }
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(focus_participant_count(f), 0);
    for (size_t i = 0; i < 3; i++)
        reply_ok(f, EXPECT_REQ("expire", "end", room[i]->id));
    EXPECT_NO_REQ();
    for (size_t i = 0; i < 3; i++)
        conn_gone(f, room[i]);
    conn_gone(f, w);
    EXPECT_NO_REQ();
    EXPECT_NOTHING_ALL(room, 3);
    EXPECT_NOTHING(w);

    /* The room is gone: a newcomer opens a new one, no lobby, no history. */
    fake_conn *n = conn_open(f, "en");
    json_t *j = JOIN_CHECK(f, n, "end", "Nia", "moderator", 0, false, false);
    CHECK_JSON(json_object_get(j, "chat"), json_array());
    fake_conn *rest[] = { a, b, c, w, n };
    free_all(f, rest, 5);
}

/* ------------------------------------------------------------------ */
/* 18. lock / unlock                                                   */
/* ------------------------------------------------------------------ */

static void test_lock(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "la"), *b = conn_open(f, "lb"), *n = conn_open(f, "ln"), *m = conn_open(f, "lm"),
              *x = conn_open(f, "lx"), *y = conn_open(f, "ly");
    fake_conn *all[] = { a, b, n, m, x, y };
    JOIN_CHECK(f, a, "vault", "Ann", "moderator", 0, false, false);
    JOIN_CHECK(f, b, "vault", "Ben", "participant", 1, false, false);
    drain(a);

    send_text(f, a, "{\"type\":\"lock\",\"password\":\"s3cret\"}");
    EXPECT_ROOM_UPDATED(a, true, false);
    EXPECT_ROOM_UPDATED(b, true, false);
    EXPECT_NOTHING_ALL(all, 6);

    /* No password, then a wrong one: refused, the connection stays usable. */
    send_join(f, n, "vault", "Nia");
    EXPECT_ERROR(n, "password-required", "join");
    EXPECT_ALIVE(f, n);
    send_join_pw(f, n, "vault", "Nia", "S3CRET");
    EXPECT_ERROR(n, "wrong-password", "join");
    EXPECT_ALIVE(f, n);
    send_chat(f, n, "let me in", NULL);
    EXPECT_ERROR(n, "not-joined", "chat");
    EXPECT_NO_REQ();
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    CHECK_EQ_INT(focus_participant_count(f), 2);
    /* Another room is not locked. */
    JOIN_CHECK(f, x, "open", "Xia", "moderator", 0, false, false);
    /* The retried join with the password gets in. */
    send_join_pw(f, n, "VAULT", "Nia", "s3cret");
    EXPECT_JOINED(n, "vault", "Nia", "participant", 2, true, false);
    EXPECT_REQ("allocate", "vault", n->id);
    EXPECT(a, "participant-joined");
    EXPECT(b, "participant-joined");
    EXPECT_NOTHING_ALL(all, 6);

    /* Passwords of 1 to 128 bytes. */
    send_text(f, a, "{\"type\":\"lock\",\"password\":\"\"}");
    EXPECT_ERROR(a, "bad-message", "lock");
    send_text(f, a, "{\"type\":\"lock\"}");
    EXPECT_ERROR(a, "bad-message", "lock");
    char pw[130];
    memset(pw, 'p', 129);
    pw[129] = '\0';
    send_msg(f, a, json_pack("{s:s, s:s}", "type", "lock", "password", pw));
    EXPECT_ERROR(a, "bad-message", "lock");
    pw[128] = '\0';
    send_msg(f, a, json_pack("{s:s, s:s}", "type", "lock", "password", pw));
    EXPECT_ROOM_UPDATED(a, true, false);
    EXPECT_ROOM_UPDATED(b, true, false);
    EXPECT_ROOM_UPDATED(n, true, false);
    /* The new password replaced the old one. */
    send_join_pw(f, m, "vault", "Max", "s3cret");
    EXPECT_ERROR(m, "wrong-password", "join");
    send_join_pw(f, m, "vault", "Max", pw);
    EXPECT_JOINED(m, "vault", "Max", "participant", 3, true, false);
    EXPECT_REQ("allocate", "vault", m->id);
    drain_all(all, 3);

    /* unlock: everyone told, newcomers need no password. */
    send_text(f, a, "{\"type\":\"unlock\"}");
    for (size_t i = 0; i < 4; i++)
        EXPECT_ROOM_UPDATED(all[i], false, false);
    EXPECT_NOTHING_ALL(all, 6);
    JOIN_CHECK(f, y, "vault", "Yan", "participant", 4, false, false);
    EXPECT_NO_REQ();

    /* A locked room that empties is gone with its lock. */
    send_text(f, a, "{\"type\":\"lock\",\"password\":\"again\"}");
    for (size_t i = 0; i < 4; i++)
        conn_gone(f, all[i]);
    conn_gone(f, y);
    CHECK_EQ_INT(focus_room_count(f), 1);     /* "open" */
    fake_conn *z = conn_open(f, "lz");
    JOIN_CHECK(f, z, "vault", "Zed", "moderator", 0, false, false);
    fake_conn *rest[] = { a, b, n, m, x, y, z };
    free_all(f, rest, 7);
}

/* ------------------------------------------------------------------ */
/* 19. the lobby                                                       */
/* ------------------------------------------------------------------ */

/* [{"id", "name"}, ...] from pairs of fake_conn and name. */
static json_t *waiting_list(size_t n, ...)
{
    json_t *arr = json_array();
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        fake_conn *c = va_arg(ap, fake_conn *);
        const char *name = va_arg(ap, const char *);
        json_array_append_new(arr, json_pack("{s:s, s:s}", "id", c->id, "name", name));
    }
    va_end(ap);
    return arr;
}

/* A newcomer joins a room with the lobby on: lobby-waiting, and the
 * moderator mod sees it (its id, unknown to the newcomer, is recorded). */
static void lobby_join(focus *f, fake_conn *w, const char *room, const char *name, fake_conn *mod)
{
    send_join(f, w, room, name);
    EXPECT(w, "lobby-waiting");
    EXPECT_NOTHING(w);
    json_t *m = unread(mod) > 0 ? json_array_get(mod->inbox, json_array_size(mod->inbox) - 1) : NULL;
    CHECK_EQ_STR(str(m, "type"), "lobby-added");
    snprintf(w->id, sizeof w->id, "%s", str(m, "id") ? str(m, "id") : "none");
    CHECK(is_hex_id(w->id));
    CHECK_EQ_STR(str(m, "name"), name);
}

static void test_lobby(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "qa"), *b = conn_open(f, "qb");
    fake_conn *w[7];
    for (size_t i = 1; i < 7; i++) {
        char label[8];
        snprintf(label, sizeof label, "qw%zu", i);
        w[i] = conn_open(f, label);
    }
    w[0] = NULL;
    JOIN_CHECK(f, a, "hall", "Ann", "moderator", 0, false, false);
    JOIN_CHECK(f, b, "hall", "Ben", "participant", 1, false, false);
    drain(a);

    sendf(f, b, "{\"type\":\"lobby\",\"enabled\":true}");
    EXPECT_ERROR(b, "not-moderator", "lobby");
    send_text(f, a, "{\"type\":\"lobby\",\"enabled\":true}");
    EXPECT_ROOM_UPDATED(a, false, true);
    EXPECT_ROOM_UPDATED(b, false, true);
    SKIP_EMPTY_LOBBY(a);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    /* Newcomers wait: no allocation, no participant-joined; only the
     * moderator sees the queue, oldest first. */
    lobby_join(f, w[1], "hall", "Wes", a);
    EXPECT_LOBBY_ADDED(a, w[1], "Wes");
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 2);
    /* A waiter's second join is already-joined; other messages not-joined. */
    send_join(f, w[1], "hall", "Wes");
    EXPECT_ERROR(w[1], "already-joined", "join");
    send_join(f, w[1], "elsewhere", "Wes");
    EXPECT_ERROR(w[1], "already-joined", "join");
    send_chat(f, w[1], "hello?", NULL);
    EXPECT_ERROR(w[1], "not-joined", "chat");
    EXPECT_ALIVE(f, w[1]);
    CHECK_EQ_INT(focus_room_count(f), 1);
    lobby_join(f, w[2], "hall", "Wil", a);
    EXPECT_LOBBY_ADDED(a, w[2], "Wil");
    EXPECT_NOTHING(b);
    /* Waiters are not in the room. */
    sendf(f, a, "{\"type\":\"kick\",\"id\":\"%s\"}", w[2]->id);
    EXPECT_ERROR(a, "unknown-participant", "kick");
    send_chat(f, a, "psst", w[2]->id);
    EXPECT_ERROR(a, "unknown-participant", "chat");
    sendf(f, b, "{\"type\":\"lobby-admit\",\"id\":\"%s\"}", w[1]->id);
    EXPECT_ERROR(b, "not-moderator", "lobby-admit");
    EXPECT_NOTHING(w[1]);
    EXPECT_NOTHING(w[2]);

    /* Admitted: joined (with the id the lobby showed), allocate, the others
     * see the newcomer, the moderator the shorter queue. */
    char lobby_id[32];
    snprintf(lobby_id, sizeof lobby_id, "%s", w[1]->id);
    sendf(f, a, "{\"type\":\"lobby-admit\",\"id\":\"%s\"}", w[1]->id);
    EXPECT_JOINED(w[1], "hall", "Wes", "participant", 2, false, true);
    CHECK_EQ_STR(w[1]->id, lobby_id);
    EXPECT_REQ("allocate", "hall", w[1]->id);
    EXPECT_NO_REQ();
    EXPECT_LOBBY_REMOVED(a, w[1]);
    json_t *pj = EXPECT(a, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), w[1]->id, "Wes", "participant", true, true);
    EXPECT(b, "participant-joined");
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    EXPECT_NOTHING(w[1]);
    CHECK_EQ_INT(focus_participant_count(f), 3);

    /* Rejected: bye rejected, the connection closes. */
    sendf(f, a, "{\"type\":\"lobby-reject\",\"id\":\"%s\"}", w[2]->id);
    EXPECT_BYE(w[2], "rejected");
    EXPECT_LOBBY_REMOVED(a, w[2]);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    EXPECT_NOTHING(w[1]);
    conn_gone(f, w[2]);
    EXPECT_NOTHING(a);
    sendf(f, a, "{\"type\":\"lobby-reject\",\"id\":\"%s\"}", w[2]->id);
    EXPECT_ERROR(a, "unknown-participant", "lobby-reject");
    EXPECT_NO_REQ();

    /* A waiter whose socket closes leaves the queue. */
    lobby_join(f, w[3], "hall", "Xia", a);
    EXPECT_LOBBY_ADDED(a, w[3], "Xia");
    lobby_join(f, w[4], "hall", "Yan", a);
    EXPECT_LOBBY_ADDED(a, w[4], "Yan");
    conn_gone(f, w[3]);
    EXPECT_LOBBY_REMOVED(a, w[3]);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    EXPECT_NOTHING(w[1]);
    EXPECT_NO_REQ();

    /* A new moderator is sent the queue; both moderators follow it. */
    sendf(f, a, "{\"type\":\"grant-moderator\",\"id\":\"%s\"}", b->id);
    EXPECT_UPDATED(a, b->id, "Ben", "moderator", true, true, false);
    EXPECT_UPDATED(b, b->id, "Ben", "moderator", true, true, false);
    EXPECT_UPDATED(w[1], b->id, "Ben", "moderator", true, true, false);
    EXPECT_LOBBY(b, waiting_list(1, w[4], "Yan"));
    lobby_join(f, w[5], "hall", "Zed", a);
    EXPECT_LOBBY_ADDED(a, w[5], "Zed");
    EXPECT_LOBBY_ADDED(b, w[5], "Zed");
    EXPECT_NOTHING(w[1]);

    /* Turning the lobby off admits everyone waiting, oldest first. */
    char id4[32], id5[32];
    snprintf(id4, sizeof id4, "%s", w[4]->id);
    snprintf(id5, sizeof id5, "%s", w[5]->id);
    send_text(f, a, "{\"type\":\"lobby\",\"enabled\":false}");
    EXPECT_JOINED(w[4], "hall", "Yan", "participant", 3, false, false);
    CHECK_EQ_STR(w[4]->id, id4);
    EXPECT_JOINED(w[5], "hall", "Zed", "participant", 4, false, false);
    CHECK_EQ_STR(w[5]->id, id5);
    EXPECT_REQ("allocate", "hall", w[4]->id);
    EXPECT_REQ("allocate", "hall", w[5]->id);
    EXPECT_NO_REQ();
    fake_conn *in[] = { a, b, w[1] };
    for (size_t i = 0; i < 3; i++) {
        bool moderator = in[i] != w[1];
        EXPECT_ROOM_UPDATED(in[i], false, false);
        if (moderator)
            EXPECT_LOBBY_REMOVED(in[i], w[4]);
        pj = EXPECT(in[i], "participant-joined");
        CHECK_EQ_STR(str(json_object_get(pj, "participant"), "id"), w[4]->id);
        if (moderator)
            EXPECT_LOBBY_REMOVED(in[i], w[5]);
        pj = EXPECT(in[i], "participant-joined");
        CHECK_EQ_STR(str(json_object_get(pj, "participant"), "id"), w[5]->id);
    }
    EXPECT(w[4], "participant-joined");
    EXPECT_NOTHING_ALL(in, 3);
    EXPECT_NOTHING(w[4]);
    EXPECT_NOTHING(w[5]);
    CHECK_EQ_INT(focus_participant_count(f), 5);

    /* With the lobby on again, the room empties: the waiter is sent away
     * (meeting-ended). On the way, the participant present longest becomes
     * moderator and is sent the queue. */
    send_text(f, a, "{\"type\":\"lobby\",\"enabled\":true}");
    fake_conn *members[] = { a, b, w[1], w[4], w[5] };
    for (size_t i = 0; i < 5; i++)
        EXPECT_ROOM_UPDATED(members[i], false, true);
    drain(a);
    drain(b);
    lobby_join(f, w[6], "hall", "Ole", a);
    EXPECT_LOBBY_ADDED(a, w[6], "Ole");
    EXPECT_LOBBY_ADDED(b, w[6], "Ole");
    conn_gone(f, a);
    conn_gone(f, b);
    EXPECT_LEFT(w[1], a->id, "disconnected");
    EXPECT_LEFT(w[1], b->id, "disconnected");
    EXPECT_UPDATED(w[1], w[1]->id, "Wes", "moderator", true, true, false);
    EXPECT_LOBBY(w[1], waiting_list(1, w[6], "Ole"));
    EXPECT_NOTHING(w[1]);
    EXPECT_NOTHING(w[6]);
    conn_gone(f, w[1]);
    conn_gone(f, w[4]);
    EXPECT_NOTHING(w[6]);
    conn_gone(f, w[5]);
    EXPECT_BYE(w[6], "meeting-ended");
    CHECK_EQ_INT(focus_room_count(f), 0);
    conn_gone(f, w[6]);
    EXPECT_NO_REQ();
    fake_conn *rest[] = { a, b, w[1], w[2], w[3], w[4], w[5], w[6] };
    free_all(f, rest, 8);
}

/* ------------------------------------------------------------------ */
/* 20. chat                                                            */
/* ------------------------------------------------------------------ */

/* The message of a chat c received, checked against the fields. */
#define EXPECT_CHAT(c, from, name, text, to, t0, t1) expect_chat_((c), (from), (name), (text), (to), (t0), (t1), __LINE__)
static json_t *expect_chat_(fake_conn *c, const char *from, const char *name, const char *text, const char *to,
                            int64_t t0, int64_t t1, int line)
{
    json_t *m = expect_(c, "chat", line);
    json_t *msg = json_object_get(m, "message");
    if (!m)
        return NULL;
    json_t *id = json_object_get(msg, "id"), *ts = json_object_get(msg, "ts"), *gto = json_object_get(msg, "to");
    bool ok = json_object_size(m) == 2 && json_object_size(msg) == 6 && json_is_integer(id) &&
              json_integer_value(id) >= 1 && str(msg, "from") && strcmp(str(msg, "from"), from) == 0 &&
              str(msg, "name") && strcmp(str(msg, "name"), name) == 0 && str(msg, "text") &&
              strcmp(str(msg, "text"), text) == 0 &&
              (to ? json_is_string(gto) && strcmp(json_string_value(gto), to) == 0 : json_is_null(gto)) &&
              json_is_integer(ts) && json_integer_value(ts) >= t0 && json_integer_value(ts) <= t1;
    if (!ok) {
        char *d = json_dumps(m, JSON_COMPACT);
        fail_at(line, "%s: chat %.300s, expected from %s name %s to %s ts in [%lld, %lld]", c->label, d ? d : "?",
                from, name, to ? to : "null", (long long)t0, (long long)t1);
        free(d);
    } else {
        check_passed++;
    }
    return msg;
}

/* The public chat messages c received, oldest first (a new array). */
static json_t *public_chat_seen(const fake_conn *c)
{
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(c->inbox); i++) {
        json_t *m = json_array_get(c->inbox, i);
        json_t *msg = json_object_get(m, "message");
        if (strcmp(str(m, "type"), "chat") == 0 && json_is_null(json_object_get(msg, "to")))
            json_array_append(out, msg);
    }
    return out;
}

static void test_chat(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ca"), *b = conn_open(f, "cb"), *c = conn_open(f, "cc"), *d = conn_open(f, "cd"),
              *e = conn_open(f, "ce");
    fake_conn *all[] = { a, b, c, d, e };
    join_plain(f, a, "chat", "Alice");
    join_plain(f, b, "chat", "Bob");
    join_plain(f, c, "chat", "Carol");
    drain_all(all, 3);

    /* Public: to everyone, the sender included, as plain text. */
    const char *hello = "Hello, <b>world</b> & \"friends\" <script>alert(1)</script>";
    int64_t t0 = now_epoch_ms();
    send_chat(f, a, hello, NULL);
    int64_t t1 = now_epoch_ms();
    json_t *first = EXPECT_CHAT(a, a->id, "Alice", hello, NULL, t0, t1);
    for (size_t i = 1; i < 3; i++) {
        json_t *got = EXPECT_CHAT(all[i], a->id, "Alice", hello, NULL, t0, t1);
        CHECK_JSON(got, json_deep_copy(first));
    }
    json_int_t id1 = json_integer_value(json_object_get(first, "id"));
    EXPECT_NOTHING_ALL(all, 3);

    /* Private: only the addressee and the sender. */
    t0 = now_epoch_ms();
    send_chat(f, b, "psst, Carol", c->id);
    t1 = now_epoch_ms();
    json_t *priv = EXPECT_CHAT(c, b->id, "Bob", "psst, Carol", c->id, t0, t1);
    json_t *priv_b = EXPECT_CHAT(b, b->id, "Bob", "psst, Carol", c->id, t0, t1);
    CHECK_JSON(priv_b, json_deep_copy(priv));
    CHECK(json_integer_value(json_object_get(priv, "id")) > id1);
    EXPECT_NOTHING_ALL(all, 3);
    /* To oneself: one copy. */
    send_chat(f, b, "note to self", b->id);
    EXPECT_CHAT(b, b->id, "Bob", "note to self", b->id, t0, now_epoch_ms());
    EXPECT_NOTHING_ALL(all, 3);
    /* To nobody in the room. */
    send_chat(f, c, "anyone?", GHOST);
    EXPECT_ERROR(c, "unknown-participant", "chat");
    EXPECT_NOTHING_ALL(all, 3);

    /* Text: 1 to 4000 bytes, not only white space. */
    send_chat(f, c, "", NULL);
    EXPECT_ERROR(c, "bad-message", "chat");
    send_chat(f, c, " \t\r\n ", NULL);
    EXPECT_ERROR(c, "bad-message", "chat");
    char *big = malloc(4002);
    memset(big, 'x', 4001);
    big[4001] = '\0';
    send_chat(f, c, big, NULL);
    EXPECT_ERROR(c, "bad-message", "chat");
    send_text(f, c, "{\"type\":\"chat\",\"text\":\"hi\",\"to\":\"Bob\"}");
    EXPECT_ERROR(c, "bad-message", "chat");
    send_text(f, c, "{\"type\":\"chat\"}");
    EXPECT_ERROR(c, "bad-message", "chat");
    EXPECT_NOTHING_ALL(all, 3);
    big[4000] = '\0';
    t0 = now_epoch_ms();
    send_chat(f, c, big, NULL);
    t1 = now_epoch_ms();
    for (size_t i = 0; i < 3; i++)
        EXPECT_CHAT(all[i], c->id, "Carol", big, NULL, t0, t1);
    free(big);
    const char *utf8 = "Gr\xC3\xBC\xC3\x9F" "e \xF0\x9F\x91\x8B";
    send_chat(f, b, utf8, NULL);
    for (size_t i = 0; i < 3; i++)
        EXPECT_CHAT(all[i], b->id, "Bob", utf8, NULL, t0, now_epoch_ms());
    EXPECT_NOTHING_ALL(all, 3);

    /* A late joiner gets the public messages so far, oldest first, as they
     * were sent; the private ones are not kept. */
    json_t *j = join_plain(f, d, "chat", "Dave");
    json_t *history = json_object_get(j, "chat");
    CHECK_EQ_INT(json_array_size(history), 3);
    CHECK_JSON(history, public_chat_seen(a));
    char *htext = json_dumps(history, JSON_COMPACT);
    CHECK(htext && !strstr(htext, "psst") && !strstr(htext, "note to self"));
    free(htext);
    drain_all(all, 4);

    /* History keeps the last 200. */
    for (int i = 0; i < 205; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        send_chat(f, i % 2 ? a : d, text, NULL);
        tick(1000);             /* within the chat rate */
    }
    drain_all(all, 4);
    j = join_plain(f, e, "chat", "Eve");
    history = json_object_get(j, "chat");
    CHECK_EQ_INT(json_array_size(history), CHAT_HISTORY);
    json_t *seen = public_chat_seen(a);
    CHECK_EQ_INT(json_array_size(seen), 3 + 205);
    while (json_array_size(seen) > CHAT_HISTORY)
        json_array_remove(seen, 0);
    CHECK_JSON(history, seen);
    CHECK_EQ_STR(str(json_array_get(history, 0), "text"), "m5");
    CHECK_EQ_STR(str(json_array_get(history, CHAT_HISTORY - 1), "text"), "m204");
    bool rising = true;
    for (size_t i = 1; i < json_array_size(history); i++)
        rising &= json_integer_value(json_object_get(json_array_get(history, i), "id")) >
                  json_integer_value(json_object_get(json_array_get(history, i - 1), "id"));
    CHECK(rising);
    free_all(f, all, 5);
}

/* ------------------------------------------------------------------ */
/* 21. raised hands                                                    */
/* ------------------------------------------------------------------ */

/* participant-updated (hand) then hands (queue), to each of c[0..n). */
static void expect_hand_change_(fake_conn **c, size_t n, const fake_conn *who, const char *name, const char *role,
                                bool hand, json_t *queue, int line)
{
    for (size_t i = 0; i < n; i++) {
        expect_updated_(c[i], who->id, name, role, -1, -1, -1, hand, line);
        expect_hands_(c[i], json_deep_copy(queue), line);
    }
    json_decref(queue);
}
#define EXPECT_HAND_CHANGE(c, n, who, name, role, hand, queue) \
    expect_hand_change_((c), (n), (who), (name), (role), (hand), (queue), __LINE__)

static json_t *ids(size_t n, ...)
{
    json_t *arr = json_array();
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(va_arg(ap, fake_conn *)->id));
    va_end(ap);
    return arr;
}

static void test_hands(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ha"), *b = conn_open(f, "hb"), *c = conn_open(f, "hc"), *d = conn_open(f, "hd"),
              *e = conn_open(f, "he");
    fake_conn *all[] = { a, b, c, d, e };
    join_plain(f, a, "hands", "Ann");
    join_plain(f, b, "hands", "Ben");
    join_plain(f, c, "hands", "Cat");
    join_plain(f, d, "hands", "Dan");
    drain_all(all, 4);

    /* The queue is in the order hands went up. */
    send_text(f, b, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_HAND_CHANGE(all, 4, b, "Ben", "participant", true, ids(1, b));
    send_text(f, c, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_HAND_CHANGE(all, 4, c, "Cat", "participant", true, ids(2, b, c));
    send_text(f, a, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_HAND_CHANGE(all, 4, a, "Ann", "moderator", true, ids(3, b, c, a));
    send_text(f, b, "{\"type\":\"hand\",\"raised\":true}");     /* already up: keeps its place */
    EXPECT_NOTHING_ALL(all, 4);
    /* Lowering one's own. */
    send_text(f, c, "{\"type\":\"hand\",\"raised\":false}");
    EXPECT_HAND_CHANGE(all, 4, c, "Cat", "participant", false, ids(2, b, a));
    /* A participant cannot lower (or raise) someone else's. */
    sendf(f, d, "{\"type\":\"hand\",\"raised\":false,\"id\":\"%s\"}", b->id);
    EXPECT_ERROR(d, "not-moderator", "hand");
    sendf(f, d, "{\"type\":\"hand\",\"raised\":true,\"id\":\"%s\"}", c->id);
    EXPECT_ERROR(d, "not-moderator", "hand");
    /* A moderator may only lower: raising someone else's is refused. */
    sendf(f, a, "{\"type\":\"hand\",\"raised\":true,\"id\":\"%s\"}", d->id);
    json_t *err = EXPECT(a, "error");
    CHECK_EQ_STR(str(err, "re"), "hand");
    EXPECT_NOTHING_ALL(all, 4);
    /* The moderator lowers Ben's. */
    sendf(f, a, "{\"type\":\"hand\",\"raised\":false,\"id\":\"%s\"}", b->id);
    EXPECT_HAND_CHANGE(all, 4, b, "Ben", "participant", false, ids(1, a));
    sendf(f, a, "{\"type\":\"hand\",\"raised\":false,\"id\":\"%s\"}", GHOST);
    EXPECT_ERROR(a, "unknown-participant", "hand");
    sendf(f, a, "{\"type\":\"hand\",\"raised\":false,\"id\":\"%s\"}", c->id);   /* already down */
    EXPECT_NOTHING_ALL(all, 4);

    send_text(f, c, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_HAND_CHANGE(all, 4, c, "Cat", "participant", true, ids(2, a, c));
    send_text(f, d, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_HAND_CHANGE(all, 4, d, "Dan", "participant", true, ids(3, a, c, d));
    sendf(f, b, "{\"type\":\"hand\",\"raised\":true,\"id\":\"%s\"}", b->id);    /* one's own id */
    EXPECT_HAND_CHANGE(all, 4, b, "Ben", "participant", true, ids(4, a, c, d, b));
    sendf(f, b, "{\"type\":\"hand\",\"raised\":false,\"id\":\"%s\"}", b->id);
    EXPECT_HAND_CHANGE(all, 4, b, "Ben", "participant", false, ids(3, a, c, d));

    /* A late joiner gets the queue and each one's hand. */
    json_t *j = join_plain(f, e, "hands", "Eve");
    CHECK_JSON(json_object_get(j, "hands"), ids(3, a, c, d));
    json_t *others = json_object_get(j, "participants");
    CHECK_PARTICIPANT_H(json_array_get(others, 0), a->id, "Ann", "moderator", true, true, true);
    CHECK_PARTICIPANT_H(json_array_get(others, 1), b->id, "Ben", "participant", true, true, false);
    CHECK_PARTICIPANT_H(json_array_get(others, 2), c->id, "Cat", "participant", true, true, true);
    CHECK_PARTICIPANT_H(json_array_get(others, 3), d->id, "Dan", "participant", true, true, true);
    drain_all(all, 4);

    /* Leaving takes one's hand out of the queue. */
    conn_gone(f, c);
    fake_conn *left1[] = { a, b, d, e };
    for (size_t i = 0; i < 4; i++) {
        EXPECT_LEFT(left1[i], c->id, "disconnected");
        EXPECT_HANDS(left1[i], ids(2, a, d));
    }
    EXPECT_NOTHING_ALL(left1, 4);
    send_text(f, a, "{\"type\":\"leave\"}");
    EXPECT_BYE(a, "left");
    fake_conn *left2[] = { b, d, e };
    for (size_t i = 0; i < 3; i++) {
        EXPECT_LEFT(left2[i], a->id, "left");
        EXPECT_HANDS(left2[i], ids(1, d));
        EXPECT_UPDATED(left2[i], b->id, "Ben", "moderator", true, true, false);
    }
    SKIP_EMPTY_LOBBY(b);
    EXPECT_NOTHING_ALL(left2, 3);
    free_all(f, all, 5);
}

/* ------------------------------------------------------------------ */
/* 22. reactions                                                       */
/* ------------------------------------------------------------------ */

#define EXPECT_REACTION(c, from, emoji) expect_reaction_((c), (from), (emoji), __LINE__)
static void expect_reaction_(fake_conn *c, const fake_conn *from, const char *emoji, int line)
{
    json_t *m = expect_(c, "reaction", line);
    if (!m)
        return;
    if (json_object_size(m) != 3 || !str(m, "from") || strcmp(str(m, "from"), from->id) != 0 || !str(m, "emoji") ||
        strcmp(str(m, "emoji"), emoji) != 0)
        fail_at(line, "%s: reaction {%s, %s}, expected {%s, %s}", c->label, str(m, "from") ? str(m, "from") : "-",
                str(m, "emoji") ? str(m, "emoji") : "-", from->id, emoji);
    else
        check_passed++;
}

static void test_reactions(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "xa"), *b = conn_open(f, "xb");
    fake_conn *all[] = { a, b };
    join_plain(f, a, "react", "Ann");
    join_plain(f, b, "react", "Ben");
    drain_all(all, 2);

    for (int i = 0; i < REACTION_BURST; i++) {
        send_reaction(f, a, EMOJI[i]);
        EXPECT_REACTION(a, a, EMOJI[i]);
        EXPECT_REACTION(b, a, EMOJI[i]);
    }
    /* The sixth within 10 s is refused and reaches nobody. */
    send_reaction(f, a, EMOJI[5]);
    EXPECT_ERROR(a, "rate-limited", "reaction");
    EXPECT_NOTHING_ALL(all, 2);
    send_reaction(f, a, EMOJI[0]);
    EXPECT_ERROR(a, "rate-limited", "reaction");
    /* The limit is per participant. */
    send_reaction(f, b, EMOJI[5]);
    EXPECT_REACTION(a, b, EMOJI[5]);
    EXPECT_REACTION(b, b, EMOJI[5]);
    /* Only the six reactions of the protocol. */
    send_reaction(f, b, "\xF0\x9F\x99\x82");
    EXPECT_ERROR(b, "bad-message", "reaction");
    send_reaction(f, b, "\xE2\x9D\xA4");          /* the heart without its variation selector */
    EXPECT_ERROR(b, "bad-message", "reaction");
    send_text(f, b, "{\"type\":\"reaction\"}");
    EXPECT_ERROR(b, "bad-message", "reaction");
    EXPECT_NOTHING_ALL(all, 2);
    EXPECT_NO_REQ();
    free_all(f, all, 2);
}

/* ------------------------------------------------------------------ */
/* 23. screen share                                                    */
/* ------------------------------------------------------------------ */

static json_int_t last_offer_version(const fake_conn *c)
{
    json_int_t v = 0;
    for (size_t i = 0; i < json_array_size(c->inbox); i++)
        if (strcmp(str(json_array_get(c->inbox, i), "type"), "offer") == 0)
            v = version_of(json_array_get(c->inbox, i));
    return v;
}

/* Consumes a participant-updated about who if it is next, checking its
 * screen flag. (Whether one comes depends on the state the focus assumed
 * before the first media-state: see the check in test_one_room.) */
static void skip_optional_updated_(fake_conn *c, const char *who, bool screen, int line)
{
    if (unread(c) == 0 || strcmp(str(json_array_get(c->inbox, c->seen), "type"), "participant-updated") != 0)
        return;
    json_t *m = expect_(c, "participant-updated", line);
    json_t *p = json_object_get(m, "participant");
    if (!str(p, "id") || strcmp(str(p, "id"), who) != 0 || json_is_true(json_object_get(p, "screen")) != screen)
        fail_at(line, "%s: unexpected participant-updated", c->label);
}
#define SKIP_OPTIONAL_UPDATED(c, who, screen) skip_optional_updated_((c), (who), (screen), __LINE__)

static void test_screen_share(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "sa"), *b = conn_open(f, "sb"), *c = conn_open(f, "sc");
    fake_conn *room[] = { a, b, c };
    a->spec = spec("saaa", 110, 1001u, 1002u);
    b->spec = spec("sbbb", 111, 2001u, 2002u);
    c->spec = spec("sccc", 112, 3001u, 3002u);
    join_media(f, a, "screen", "Ann", 110, room, 1);
    join_media(f, b, "screen", "Ben", 111, room, 2);
    drain_all(room, 2);
    EXPECT_NO_REQ();
    parsed_offer *po = malloc(sizeof *po);

    /* renegotiate with the current offer answered: a new offer at once, the
     * same sections; another while it is open waits for its answer. */
    json_int_t v = last_offer_version(a);
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    json_t *oa = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(oa), v + 1);
    CHECK_EQ_INT(mids_count(oa), 5);
    CHECK_OWN_MIDS(oa, a->id);
    CHECK_MID(oa, "3", b->id, "audio", "mic");
    CHECK_MID(oa, "4", b->id, "video", "camera");
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    EXPECT_NOTHING_ALL(room, 2);
    EXPECT_NO_REQ();

    /* Ann starts sharing: media-state, then the screen track on mid 2. */
    send_media_state(f, a, true, true, true);
    SKIP_OPTIONAL_UPDATED(a, a->id, true);
    SKIP_OPTIONAL_UPDATED(b, a->id, true);
    EXPECT_NO_REQ();                              /* no screen sent yet: nothing to pause */
    EXPECT_NOTHING_ALL(room, 2);
    a->spec.ssrc[SCREEN] = 1003u;
    char *sdp = build_answer(oa ? str(oa, "sdp") : "", &a->spec);
    CHECK(strstr(sdp, "a=mid:2\r\na=ice-ufrag") != NULL && strstr(sdp, "a=sendonly\r\na=ssrc:1003 ") != NULL);
    send_answer(f, a, sdp, version_of(oa));
    free(sdp);
    char fp[128];
    spec_fingerprint(&a->spec, fp);
    json_t *cfg = EXPECT_REQ("configure", "screen", a->id);
    CHECK_CONFIGURE3(cfg, a->spec.ufrag, a->spec.pwd, fp, ((uint32_t[3]){ 1001u, 1002u, 1003u }), 0);
    reply_ok(f, cfg);
    EXPECT_NO_REQ();
    /* Ben is offered a section for Ann's screen. */
    json_t *ob = EXPECT(b, "offer");
    CHECK_EQ_INT(mids_count(ob), 6);
    CHECK_MID(ob, "3", a->id, "audio", "mic");
    CHECK_MID(ob, "4", a->id, "video", "camera");
    CHECK_MID(ob, "5", a->id, "video", "screen");
    parse_offer(ob ? str(ob, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 6);
    CHECK_FORWARD(po, "3", "audio", a->id, "mic", 1001u);
    CHECK_FORWARD(po, "4", "video", a->id, "camera", 1002u);
    CHECK_FORWARD(po, "5", "video", a->id, "screen", 1003u);
    EXPECT_NOTHING(b);
    /* The renegotiation that waited: the next offer, answered the same way. */
    oa = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(oa), v + 2);
    CHECK_EQ_INT(mids_count(oa), 5);
    answer_offer(f, a, "screen", oa, &a->spec);
    answer_offer(f, b, "screen", ob, &b->spec);
    EXPECT_NOTHING_ALL(room, 2);
    EXPECT_NO_REQ();

    /* A late joiner's first offer has the screen already. */
    json_t *oc = join_allocated(f, c, "screen", "Cat", 112);
    json_t *cj = json_array_get(c->inbox, 0);
    CHECK_PARTICIPANT_S(json_array_get(json_object_get(cj, "participants"), 0), a->id, "Ann", "moderator", true, true,
                        true, false);
    CHECK_EQ_INT(mids_count(oc), 8);
    CHECK_MID(oc, "3", a->id, "audio", "mic");
    CHECK_MID(oc, "4", a->id, "video", "camera");
    CHECK_MID(oc, "5", a->id, "video", "screen");
    CHECK_MID(oc, "6", b->id, "audio", "mic");
    CHECK_MID(oc, "7", b->id, "video", "camera");
    parse_offer(oc ? str(oc, "sdp") : "", po);
    CHECK_FORWARD(po, "5", "video", a->id, "screen", 1003u);
    snprintf(fp, sizeof fp, "a=msid:%s %s-screen\r\n", a->id, a->id);
    CHECK(oc && strstr(str(oc, "sdp"), fp) != NULL);
    c->seen--;
    settle(f, room, 3);
    drain_all(room, 3);

    /* Ann stops: media-state (the bridge pauses the screen at once), then
     * renegotiate and mid 2 inactive: the others' screen sections are
     * disabled. */
    send_media_state(f, a, true, true, false);
    EXPECT_PAUSE(f, "screen", a->id, 1003u, true);
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED_S(room[i], a->id, "Ann", "moderator", true, true, false, false);
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    oa = EXPECT(a, "offer");
    a->spec.ssrc[SCREEN] = 0;
    answer_offer(f, a, "screen", oa, &a->spec);     /* configure: microphone and camera only */
    EXPECT_NO_REQ();
    for (size_t i = 1; i < 3; i++) {
        json_t *o = EXPECT(room[i], "offer");
        CHECK_EQ_INT(mids_of(o, a->id, "screen"), 0);
        CHECK_EQ_INT(mids_of(o, a->id, NULL), 2);
        parse_offer(o ? str(o, "sdp") : "", po);
        CHECK_SECTION(po, "5", "video", "", false);
        CHECK(!bundle_has(po, "5"));
        answer_offer(f, room[i], "screen", o, &room[i]->spec);
    }
    EXPECT_NOTHING_ALL(room, 3);
    EXPECT_NO_REQ();

    /* Sharing again (a new SSRC): a new section; the old one stays disabled. */
    send_media_state(f, a, true, true, true);
    EXPECT_NO_REQ();
    for (size_t i = 0; i < 3; i++)
        EXPECT_UPDATED_S(room[i], a->id, "Ann", "moderator", true, true, true, false);
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    oa = EXPECT(a, "offer");
    a->spec.ssrc[SCREEN] = 1004u;
    answer_offer(f, a, "screen", oa, &a->spec);
    ob = EXPECT(b, "offer");
    const char *mid = mid_of(ob, a->id, "screen");
    CHECK(mid[0] != '\0' && strcmp(mid, "5") != 0);
    parse_offer(ob ? str(ob, "sdp") : "", po);
    if (mid[0])
        CHECK_FORWARD(po, mid, "video", a->id, "screen", 1004u);
    CHECK_SECTION(po, "5", "video", "", false);
    EXPECT(c, "offer");
    EXPECT_NOTHING_ALL(room, 3);
    EXPECT_NO_REQ();

    free(po);
    free_all(f, room, 3);
}

/* ------------------------------------------------------------------ */
/* 24. room capacity                                                   */
/* ------------------------------------------------------------------ */

static void test_room_full(void)
{
    focus *f = new_focus();
    fake_conn *c[ROOM_CAPACITY + 1], *w[3];
    for (size_t i = 0; i < ROOM_CAPACITY + 1; i++) {
        char label[16];
        snprintf(label, sizeof label, "full%zu", i);
        c[i] = conn_open(f, label);
    }
    for (size_t i = 0; i < 3; i++) {
        char label[16];
        snprintf(label, sizeof label, "wait%zu", i);
        w[i] = conn_open(f, label);
    }
    for (size_t i = 0; i < ROOM_CAPACITY; i++)
        join_plain(f, c[i], "full", c[i]->label);
    CHECK_EQ_INT(focus_participant_count(f), ROOM_CAPACITY);
    drain_all(c, ROOM_CAPACITY);

    fake_conn *late = c[ROOM_CAPACITY];
    send_join(f, late, "full", "late");
    EXPECT_ERROR(late, "room-full", "join");
    EXPECT_ALIVE(f, late);
    EXPECT_NO_REQ();
    EXPECT_NOTHING_ALL(c, ROOM_CAPACITY);
    CHECK_EQ_INT(focus_participant_count(f), ROOM_CAPACITY);
    /* With the lobby on, a full room refuses at once too. */
    send_text(f, c[0], "{\"type\":\"lobby\",\"enabled\":true}");
    drain_all(c, ROOM_CAPACITY);
    send_join(f, late, "full", "late");
    EXPECT_ERROR(late, "room-full", "join");
    EXPECT_NOTHING_ALL(c, ROOM_CAPACITY);
    send_text(f, c[0], "{\"type\":\"lobby\",\"enabled\":false}");
    drain_all(c, ROOM_CAPACITY);

    /* Someone leaves: the retried join gets in. */
    conn_gone(f, c[ROOM_CAPACITY - 1]);
    drain_all(c, ROOM_CAPACITY);
    JOIN_CHECK(f, late, "full", "late", "participant", ROOM_CAPACITY - 1, false, false);
    CHECK_EQ_INT(focus_participant_count(f), ROOM_CAPACITY);

    /* Newcomers let in from the lobby count too: with 39 in the room and
     * three waiting, admitting them must not take the room past 40. */
    send_text(f, c[0], "{\"type\":\"lobby\",\"enabled\":true}");
    conn_gone(f, late);
    drain_all(c, ROOM_CAPACITY);
    CHECK_EQ_INT(focus_participant_count(f), ROOM_CAPACITY - 1);
    for (size_t i = 0; i < 3; i++) {
        send_join(f, w[i], "full", w[i]->label);
        EXPECT(w[i], "lobby-waiting");
        json_t *m = json_array_get(c[0]->inbox, json_array_size(c[0]->inbox) - 1);
        json_t *waiting = json_object_get(m, "waiting");
        snprintf(w[i]->id, sizeof w[i]->id, "%s", str(json_array_get(waiting, i), "id") ? str(json_array_get(waiting, i), "id") : "none");
    }
    size_t most = focus_participant_count(f);
    for (size_t i = 0; i < 2; i++) {
        sendf(f, c[0], "{\"type\":\"lobby-admit\",\"id\":\"%s\"}", w[i]->id);
        if (focus_participant_count(f) > most)
            most = focus_participant_count(f);
    }
    send_text(f, c[0], "{\"type\":\"lobby\",\"enabled\":false}");
    if (focus_participant_count(f) > most)
        most = focus_participant_count(f);
    if (most > ROOM_CAPACITY)
        fail_at(__LINE__, "admitting from the lobby took the room to %zu participants (capacity %d): "
                "%zu joined after lobby-admit / lobby off", most, ROOM_CAPACITY,
                inbox_count(w[0], "joined") + inbox_count(w[1], "joined") + inbox_count(w[2], "joined"));
    else
        check_passed++;

    skip_requests();
    fake_conn *all[ROOM_CAPACITY + 4];
    for (size_t i = 0; i < ROOM_CAPACITY + 1; i++)
        all[i] = c[i];
    for (size_t i = 0; i < 3; i++)
        all[ROOM_CAPACITY + 1 + i] = w[i];
    free_all(f, all, ROOM_CAPACITY + 4);
}

/* A camera sent as simulcast: the offer asks for rids l;m;h, the answer
 * names the layers without SSRCs, the focus makes up the SSRC (and RTX
 * SSRC) of the one stream receivers get, keeps them across renegotiation,
 * and tells the bridge the rids in order. */
static json_t *camera_source(json_t *cfg)
{
    json_t *sources = json_object_get(cfg, "sources");
    size_t i;
    json_t *s;
    json_array_foreach(sources, i, s)
        if (json_object_get(s, "rids"))
            return s;
    return NULL;
}

static void test_simulcast_camera(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "sima"), *b = conn_open(f, "simb");
    fake_conn *room[] = { a, b };
    a->spec = spec("simA", 120, 5001u, 5002u);
    a->spec.simulcast = true;
    b->spec = spec("simB", 121, 6001u, 6002u);
    json_t *oa = join_allocated(f, a, "sim", "Ann", 120);
    const char *sdp = oa ? str(oa, "sdp") : "";
    CHECK(strstr(sdp, "a=mid:1\r\n") != NULL);
    CHECK(strstr(sdp, "a=rid:l recv\r\na=rid:m recv\r\na=rid:h recv\r\na=simulcast:recv l;m;h\r\n") != NULL);
    char *ans = build_answer(sdp, &a->spec);
    send_answer(f, a, ans, version_of(oa));
    free(ans);
    json_t *cfg = EXPECT_REQ("configure", "sim", a->id);
    json_t *cam = camera_source(cfg);
    CHECK(cam != NULL);
    uint32_t ssrc = (uint32_t)json_integer_value(json_object_get(cam, "ssrc"));
    uint32_t rtx = (uint32_t)json_integer_value(json_object_get(cam, "rtx"));
    CHECK(ssrc != 0 && rtx != 0 && ssrc != rtx && ssrc != 5002u);
    json_t *rids = json_object_get(cam, "rids");
    CHECK_EQ_INT(json_array_size(rids), 3);
    CHECK_EQ_STR(json_string_value(json_array_get(rids, 0)), "l");
    CHECK_EQ_STR(json_string_value(json_array_get(rids, 2)), "h");
    CHECK_EQ_STR(json_string_value(json_object_get(cam, "kind")), "video");
    reply_ok(f, cfg);

    /* Ben is offered Ann's camera under the made-up SSRCs, with its FID group. */
    json_t *ob = join_allocated(f, b, "sim", "Ben", 121);
    char want[96];
    snprintf(want, sizeof want, "a=ssrc-group:FID %u %u\r\n", (unsigned)ssrc, (unsigned)rtx);
    CHECK(ob && strstr(str(ob, "sdp"), want) != NULL);
    b->seen--;
    settle(f, room, 2);
    /* A renegotiation keeps them. */
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    json_t *again = EXPECT(a, "offer");
    ans = build_answer(again ? str(again, "sdp") : "", &a->spec);
    send_answer(f, a, ans, version_of(again));
    free(ans);
    cfg = EXPECT_REQ("configure", "sim", a->id);
    cam = camera_source(cfg);
    CHECK(cam && (uint32_t)json_integer_value(json_object_get(cam, "ssrc")) == ssrc &&
          (uint32_t)json_integer_value(json_object_get(cam, "rtx")) == rtx);
    reply_ok(f, cfg);
    settle(f, room, 2);
    EXPECT_NOTHING(b);

    /* With simulcast off, the offer asks for one stream. */
    focus *g = new_focus();
    focus_set_simulcast(g, false);
    fake_conn *c = conn_open(g, "simc");
    json_t *oc = join_allocated(g, c, "plain", "Cat", 122);
    CHECK(oc && strstr(str(oc, "sdp"), "a=simulcast") == NULL && strstr(str(oc, "sdp"), "a=rid:") == NULL);
    skip_requests();
    fake_conn *cs[] = { c };
    free_all(g, cs, 1);
    free_all(f, room, 2);
}

/* An operator's --room-capacity: a room of 3 refuses the fourth. */
static void test_room_capacity_setting(void)
{
    focus *f = new_focus();
    focus_set_room_capacity(f, 3);
    fake_conn *c[4];
    for (size_t i = 0; i < 4; i++) {
        char label[16];
        snprintf(label, sizeof label, "cap%zu", i);
        c[i] = conn_open(f, label);
    }
    for (size_t i = 0; i < 3; i++)
        join_plain(f, c[i], "small", c[i]->label);
    drain_all(c, 3);
    CHECK_EQ_INT(focus_participant_count(f), 3);
    send_join(f, c[3], "small", "fourth");
    EXPECT_ERROR(c[3], "room-full", "join");
    EXPECT_ALIVE(f, c[3]);
    CHECK_EQ_INT(focus_participant_count(f), 3);
    skip_requests();
    free_all(f, c, 4);
}

/* ------------------------------------------------------------------ */

/* With TURN configured, joined carries a TURN server with credentials
 * derived from the shared secret, the participant id and a future expiry. */
static void test_turn(void)
{
    focus *f = new_focus();
    focus_turn turn = { .uris = { "turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp" },
                        .n_uris = 2, .secret = "s3cret", .ttl_seconds = 3600 };
    focus_set_turn(f, &turn);
    fake_conn *a = conn_open(f, "t1");
    int64_t before = (int64_t)time(NULL);
    send_text(f, a, "{\"type\":\"join\",\"room\":\"turned\",\"name\":\"T\"}");
    json_t *joined = EXPECT(a, "joined");
    json_t *servers = joined ? json_object_get(joined, "ice_servers") : NULL;
    CHECK_EQ_INT(json_array_size(servers), 1);
    json_t *srv = json_array_get(servers, 0);
    json_t *urls = json_object_get(srv, "urls");
    CHECK_EQ_INT(json_array_size(urls), 2);
    CHECK_EQ_STR(json_string_value(json_array_get(urls, 1)), "turn:127.0.0.1:3478?transport=tcp");
    const char *username = json_string_value(json_object_get(srv, "username"));
    const char *credential = json_string_value(json_object_get(srv, "credential"));
    CHECK(username && credential);
    if (username && credential && joined) {
        long long expiry = 0;
        char user[64] = "";
        CHECK_EQ_INT(sscanf(username, "%lld:%63s", &expiry, user), 2);
        CHECK_EQ_STR(user, str(joined, "id"));
        CHECK(expiry >= before + 3600 && expiry <= (int64_t)time(NULL) + 3600);
        char u2[TURN_USERNAME_MAX], p2[TURN_PASSWORD_MAX];
        CHECK_EQ_INT(turn_credentials("s3cret", user, expiry, u2, p2), 0);
        CHECK_EQ_STR(u2, username);
        CHECK_EQ_STR(p2, credential);
    }
    conn_gone(f, a);
    focus_free(f);
    conn_free(a);
    json_array_clear(g_requests);
}

/* ------------------------------------------------------------------ */
/* 26. Last-N: receiver-constraints, constraints, forwarded             */
/* ------------------------------------------------------------------ */

/* A constraints request for ep with this last_n and selected list (a JSON
 * array, taken; an absent "selected" counts as []), acknowledged. */
#define EXPECT_CONSTRAINTS(f, conf, ep, last_n, selected) \
    expect_constraints_((f), (conf), (ep), (last_n), (selected), __LINE__)
static void expect_constraints_(focus *f, const char *conf, const char *ep, json_int_t last_n, json_t *selected,
                                int line)
{
    json_t *r = expect_req_("constraints", conf, ep, line);
    if (!r) {
        json_decref(selected);
        return;
    }
    json_t *ln = json_object_get(r, "last_n"), *sel = json_object_get(r, "selected");
    bool ok = json_is_integer(ln) && json_integer_value(ln) == last_n &&
              (sel ? json_equal(sel, selected) : json_array_size(selected) == 0);
    if (!ok) {
        char *d = json_dumps(r, JSON_COMPACT), *w = json_dumps(selected, JSON_COMPACT);
        fail_at(line, "constraints request %.300s, expected last_n %lld selected %s", d ? d : "?",
                (long long)last_n, w ? w : "?");
        free(d);
        free(w);
    } else {
        check_passed++;
    }
    json_decref(selected);
    reply_ok(f, r);
}

/* The bridge's forwarded event (endpoints taken), without "bandwidth". */
static void bridge_forwarded(focus *f, const char *conf, const char *ep, json_t *endpoints)
{
    focus_bridge_message(f, g_bridge, json_pack("{s:s, s:s, s:s, s:o}", "type", "forwarded", "conference", conf, "endpoint",
                                      ep, "endpoints", endpoints));
}

/* forwarded {ids, bandwidth} and nothing else (both taken). */
#define EXPECT_FORWARDED_HELD(c, ids, held) expect_forwarded_((c), (ids), (held), __LINE__)
#define EXPECT_FORWARDED(c, ids) expect_forwarded_((c), (ids), json_array(), __LINE__)
static void expect_forwarded_(fake_conn *c, json_t *ids, json_t *held, int line)
{
    json_t *m = expect_(c, "forwarded", line);
    if (!m) {
        json_decref(ids);
        json_decref(held);
        return;
    }
    check_json_(json_object_get(m, "ids"), ids, line);
    check_json_(json_object_get(m, "bandwidth"), held, line);
    if (json_object_size(m) != 3)
        fail_at(line, "%s: forwarded has %zu fields, expected type, ids, bandwidth", c->label, json_object_size(m));
    else
        check_passed++;
}

/* The "screen" flag of each source of a configure request, in order:
 * "screen" must be true exactly for the SSRC named (an absent flag counts as
 * false, its documented default). */
#define CHECK_SCREEN_FLAGS(req, screen_ssrc, n) check_screen_flags_((req), (screen_ssrc), (n), __LINE__)
static void check_screen_flags_(const json_t *req, uint32_t screen_ssrc, size_t n, int line)
{
    json_t *sources = json_object_get(req, "sources");
    if (!req || json_array_size(sources) != n) {
        fail_at(line, "configure with %zu sources, expected %zu", json_array_size(sources), n);
        return;
    }
    size_t i;
    json_t *src;
    json_array_foreach(sources, i, src) {
        json_t *flag = json_object_get(src, "screen");
        bool is_screen = (uint32_t)json_integer_value(json_object_get(src, "ssrc")) == screen_ssrc;
        bool ok = flag ? json_is_boolean(flag) && json_is_true(flag) == is_screen : !is_screen;
        if (!ok) {
            char *d = json_dumps(src, JSON_COMPACT);
            fail_at(line, "configure source %s: \"screen\" should be %s", d ? d : "?", is_screen ? "true" : "false");
            free(d);
        } else {
            check_passed++;
        }
    }
}

static void test_last_n(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "na"), *b = conn_open(f, "nb"), *c = conn_open(f, "nc");
    fake_conn *x = conn_open(f, "nx"), *d = conn_open(f, "nd"), *e = conn_open(f, "ne");
    fake_conn *room[] = { a, b, c, d };
    a->spec = spec("naaa", 120, 5001u, 5002u);
    b->spec = spec("nbbb", 121, 5101u, 5102u);
    c->spec = spec("nccc", 122, 5201u, 5202u);
    d->spec = spec("nddd", 123, 5301u, 5302u);

    /* Not before joining. */
    send_text(f, x, "{\"type\":\"receiver-constraints\",\"last_n\":1}");
    EXPECT_ERROR(x, "not-joined", "receiver-constraints");
    EXPECT_NO_REQ();

    /* Without receiver-constraints (and no --last-n), no constraints
     * request at all: settle() fails on any. */
    join_media(f, a, "Last-N", "Ann", 120, room, 1);
    join_media(f, b, "Last-N", "Ben", 121, room, 2);
    drain_all(room, 2);
    EXPECT_NO_REQ();

    /* 1. After allocation: one constraints request at once, with the
     * participant's values, for its endpoint in its conference. */
    sendf(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":1,\"selected\":[\"%s\"]}", b->id);
    EXPECT_CONSTRAINTS(f, "last-n", a->id, 1, json_pack("[s]", b->id));
    EXPECT_NO_REQ();
    EXPECT_NOTHING_ALL(room, 2);
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":0}");
    EXPECT_CONSTRAINTS(f, "last-n", a->id, 0, json_array());
    sendf(f, b, "{\"type\":\"receiver-constraints\",\"last_n\":1000,\"selected\":[\"%s\"]}", a->id);
    EXPECT_CONSTRAINTS(f, "last-n", b->id, 1000, json_pack("[s]", a->id));
    /* Selected alone: last_n -1. */
    sendf(f, b, "{\"type\":\"receiver-constraints\",\"selected\":[\"%s\"]}", a->id);
    EXPECT_CONSTRAINTS(f, "last-n", b->id, -1, json_pack("[s]", a->id));
    /* Nothing: the defaults, every camera. */
    send_text(f, a, "{\"type\":\"receiver-constraints\"}");
    EXPECT_CONSTRAINTS(f, "last-n", a->id, -1, json_array());
    EXPECT_NO_REQ();
    EXPECT_NOTHING_ALL(room, 2);
    /* View heights go to the bridge as they are, and stay until replaced. */
    sendf(f, a, "{\"type\":\"receiver-constraints\",\"heights\":{\"%s\":360}}", b->id);
    json_t *hr = EXPECT_REQ("constraints", "last-n", a->id);
    json_t *want = json_pack("{s:i}", b->id, 360);
    CHECK(hr && json_equal(json_object_get(hr, "heights"), want));
    if (hr)
        reply_ok(f, hr);
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":2}");
    hr = EXPECT_REQ("constraints", "last-n", a->id);
    CHECK(hr && json_equal(json_object_get(hr, "heights"), want));
    if (hr)
        reply_ok(f, hr);
    json_decref(want);
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"heights\":{}}");
    hr = EXPECT_REQ("constraints", "last-n", a->id);
    CHECK(hr && json_object_size(json_object_get(hr, "heights")) == 0);
    if (hr)
        reply_ok(f, hr);
    sendf(f, a, "{\"type\":\"receiver-constraints\",\"heights\":{\"%s\":-1}}", b->id);
    EXPECT_ERROR(a, "bad-message", "receiver-constraints");
    /* Refused messages: bad-message, no request, the connection stays. */
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":1001}");
    EXPECT_ERROR(a, "bad-message", "receiver-constraints");
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":\"3\"}");
    EXPECT_ERROR(a, "bad-message", "receiver-constraints");
    sendf(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":1,\"selected\":\"%s\"}", b->id);
    EXPECT_ERROR(a, "bad-message", "receiver-constraints");
    send_text(f, a, "{\"type\":\"receiver-constraints\",\"last_n\":1,\"selected\":[\"B0B\"]}");
    EXPECT_ERROR(a, "bad-message", "receiver-constraints");
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, a);
    EXPECT_NOTHING(b);

    /* 2. The bridge's forwarded event reaches that participant only. */
    bridge_forwarded(f, "last-n", a->id, json_pack("[s]", b->id));
    EXPECT_FORWARDED(a, json_pack("[s]", b->id));
    EXPECT_NOTHING_ALL(room, 2);
    EXPECT_NO_REQ();
    bridge_forwarded(f, "last-n", b->id, json_array());
    EXPECT_FORWARDED(b, json_array());
    EXPECT_NOTHING_ALL(room, 2);
    /* Held back for bandwidth: said apart. What the bridge names that is no
     * participant of the room (or no id at all) reaches nobody. */
    focus_bridge_message(f, g_bridge, json_pack("{s:s, s:s, s:s, s:[s, i, s], s:[s, n, s]}", "type", "forwarded", "conference",
                                      "last-n", "endpoint", a->id, "endpoints", "deadbeef", 7, "<script>", "bandwidth",
                                      b->id, "00000000"));
    EXPECT_FORWARDED_HELD(a, json_array(), json_pack("[s]", b->id));
    EXPECT_NOTHING_ALL(room, 2);
    focus_bridge_message(f, g_bridge, json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "forwarded", "conference", "last-n",
                                      "endpoint", a->id, "endpoints", "not a list", "bandwidth", 3));
    EXPECT_FORWARDED(a, json_array());
    EXPECT_NOTHING_ALL(room, 2);
    /* About nobody (another conference, an unknown endpoint): ignored. */
    bridge_forwarded(f, "other-room", a->id, json_pack("[s]", b->id));
    bridge_forwarded(f, "last-n", "0123abcd", json_pack("[s]", b->id));
    EXPECT_NOTHING_ALL(room, 2);
    EXPECT_NO_REQ();

    /* 3. Before allocation: held, then sent right after allocate-ok (the
     * next bridge request), with the latest values. */
    send_join(f, c, "last-n", "Cat");
    EXPECT_JOINED(c, "last-n", "Cat", "participant", 2, false, false);
    json_t *alloc = EXPECT_REQ("allocate", "last-n", c->id);
    sendf(f, c, "{\"type\":\"receiver-constraints\",\"last_n\":2,\"selected\":[\"%s\"]}", b->id);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(c);
    drain_all(room, 2);                    /* participant-joined */
    reply_allocate_ok(f, alloc, 122);
    EXPECT(c, "offer");
    EXPECT_CONSTRAINTS(f, "last-n", c->id, 2, json_pack("[s]", b->id));
    EXPECT_NO_REQ();
    EXPECT_NOTHING(c);
    c->seen--;
    settle(f, room, 3);                    /* renegotiations: no further constraints */
    drain_all(room, 3);
    EXPECT_NO_REQ();

    send_join(f, d, "last-n", "Dan");
    EXPECT_JOINED(d, "last-n", "Dan", "participant", 3, false, false);
    alloc = EXPECT_REQ("allocate", "last-n", d->id);
    send_text(f, d, "{\"type\":\"receiver-constraints\",\"last_n\":4}");
    sendf(f, d, "{\"type\":\"receiver-constraints\",\"last_n\":1,\"selected\":[\"%s\",\"%s\"]}", c->id, a->id);
    EXPECT_NO_REQ();
    drain_all(room, 3);
    reply_allocate_ok(f, alloc, 123);
    EXPECT(d, "offer");
    /* At least one constraints request, the last with the latest values. */
    json_t *last = NULL;
    size_t n_constraints = 0;
    while (unread_requests() > 0) {
        json_t *r = json_array_get(g_requests, g_requests_seen++);
        if (strcmp(str(r, "type"), "constraints") == 0 && str(r, "endpoint") &&
            strcmp(str(r, "endpoint"), d->id) == 0) {
            n_constraints++;
            last = r;
            reply_ok(f, r);
        } else {
            fail_at(__LINE__, "unexpected bridge request %s", str(r, "type"));
        }
    }
    CHECK(n_constraints >= 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(last, "last_n")), 1);
    CHECK_JSON(json_object_get(last, "selected"), json_pack("[s,s]", c->id, a->id));
    d->seen--;
    settle(f, room, 4);
    drain_all(room, 4);
    EXPECT_NO_REQ();

    /* Leaving before the allocation: the late allocate-ok only expires. */
    send_join(f, e, "last-n", "Eve");
    EXPECT(e, "joined");
    snprintf(e->id, sizeof e->id, "%s", str(json_array_get(e->inbox, 0), "id") ? str(json_array_get(e->inbox, 0), "id") : "none");
    alloc = EXPECT_REQ("allocate", "last-n", e->id);
    send_text(f, e, "{\"type\":\"receiver-constraints\",\"last_n\":1}");
    conn_gone(f, e);
    drain_all(room, 4);
    EXPECT_NO_REQ();
    reply_allocate_ok(f, alloc, 124);
    json_t *exp = EXPECT_REQ("expire", "last-n", e->id);
    reply_ok(f, exp);
    EXPECT_NO_REQ();
    settle(f, room, 4);
    drain_all(room, 4);

    /* 4. configure: "screen": true on the screen source only. */
    send_media_state(f, a, true, true, true);
    drain_all(room, 4);
    send_text(f, a, "{\"type\":\"renegotiate\"}");
    json_t *oa = EXPECT(a, "offer");
    a->spec.ssrc[SCREEN] = 5003u;
    char *sdp = build_answer(oa ? str(oa, "sdp") : "", &a->spec);
    send_answer(f, a, sdp, version_of(oa));
    free(sdp);
    json_t *cfg = EXPECT_REQ("configure", "last-n", a->id);
    CHECK_SCREEN_FLAGS(cfg, 5003u, 3);
    reply_ok(f, cfg);
    EXPECT_NO_REQ();
    /* The others are offered the screen; their configures flag nothing. */
    json_t *ob = EXPECT(b, "offer");
    CHECK_MID(ob, mid_of(ob, a->id, "screen"), a->id, "video", "screen");
    sdp = build_answer(ob ? str(ob, "sdp") : "", &b->spec);
    send_answer(f, b, sdp, version_of(ob));
    free(sdp);
    cfg = EXPECT_REQ("configure", "last-n", b->id);
    CHECK_SCREEN_FLAGS(cfg, 0, 2);
    reply_ok(f, cfg);
    settle(f, room, 4);
    drain_all(room, 4);
    EXPECT_NO_REQ();
    free_all(f, (fake_conn *[]){ a, b, c, d, e, x }, 6);

    /* 5. --last-n 2: every newcomer's allocation is followed by a
     * constraints request with last_n 2, also after the lobby. */
    f = new_focus();
    focus_set_default_last_n(f, 2);
    fake_conn *p = conn_open(f, "dp"), *q = conn_open(f, "dq"), *w = conn_open(f, "dw");
    fake_conn *room2[] = { p, q, w };
    p->spec = spec("dppp", 130, 6001u, 6002u);
    q->spec = spec("dqqq", 131, 6101u, 6102u);
    w->spec = spec("dwww", 132, 6201u, 6202u);
    join_allocated(f, p, "deflt", "Pat", 130);
    EXPECT_CONSTRAINTS(f, "deflt", p->id, 2, json_array());
    EXPECT_NO_REQ();
    p->seen--;
    settle(f, room2, 1);
    join_allocated(f, q, "deflt", "Quinn", 131);
    EXPECT_CONSTRAINTS(f, "deflt", q->id, 2, json_array());
    EXPECT_NO_REQ();
    q->seen--;
    settle(f, room2, 2);
    drain_all(room2, 2);
    /* A participant's own choice wins, both ways. */
    send_text(f, q, "{\"type\":\"receiver-constraints\",\"last_n\":-1}");
    EXPECT_CONSTRAINTS(f, "deflt", q->id, -1, json_array());
    sendf(f, p, "{\"type\":\"receiver-constraints\",\"last_n\":5,\"selected\":[\"%s\"]}", q->id);
    EXPECT_CONSTRAINTS(f, "deflt", p->id, 5, json_pack("[s]", q->id));
    EXPECT_NO_REQ();
    /* Saying nothing of last_n (only the views' sizes): the default again. */
    sendf(f, q, "{\"type\":\"receiver-constraints\",\"heights\":{\"%s\":200}}", p->id);
    EXPECT_CONSTRAINTS(f, "deflt", q->id, 2, json_array());
    EXPECT_NO_REQ();
    /* Admitted from the lobby. */
    send_text(f, p, "{\"type\":\"lobby\",\"enabled\":true}");
    drain_all(room2, 2);
    lobby_join(f, w, "deflt", "Wes", p);
    drain_all(room2, 2);
    sendf(f, p, "{\"type\":\"lobby-admit\",\"id\":\"%s\"}", w->id);
    EXPECT(w, "joined");
    alloc = EXPECT_REQ("allocate", "deflt", w->id);
    EXPECT_NO_REQ();
    reply_allocate_ok(f, alloc, 132);
    EXPECT(w, "offer");
    EXPECT_CONSTRAINTS(f, "deflt", w->id, 2, json_array());
    EXPECT_NO_REQ();
    w->seen--;
    settle(f, room2, 3);
    drain_all(room2, 3);
    EXPECT_NO_REQ();
    /* A forwarded event under the default limit reaches its participant. */
    bridge_forwarded(f, "deflt", w->id, json_pack("[s,s]", p->id, q->id));
    EXPECT_FORWARDED(w, json_pack("[s,s]", p->id, q->id));
    EXPECT_NOTHING_ALL(room2, 3);
    free_all(f, room2, 3);
}


/* ------------------------------------------------------------------ */
/* Budgets (docs/security.md, "Signalling and HTTP limits")            */
/* ------------------------------------------------------------------ */

static uint64_t refused(const focus *f, enum refusal reason)
{
    return focus_refusals(f)->count[reason];
}

/* Answers offer with a, expecting bad-answer naming ssrc. */
static void expect_ssrc_refused_(focus *f, fake_conn *c, const json_t *offer, const answer_spec *a, uint32_t ssrc,
                                 int line)
{
    char *sdp = build_answer(str(offer, "sdp"), a);
    send_answer(f, c, sdp, version_of(offer));
    free(sdp);
    json_t *err = expect_(c, "error", line);
    char want[64];
    snprintf(want, sizeof want, "SSRC %u is already in use in this room", (unsigned)ssrc);
    if (!err || strcmp(str(err, "code"), "bad-answer") != 0 || !str(err, "message") ||
        !strstr(str(err, "message"), want))
        fail_at(line, "%s: expected bad-answer \"%s\"", c->label, want);
    else
        check_passed++;
    expect_no_req_(line);
}
#define EXPECT_SSRC_REFUSED(f, c, offer, a, ssrc) expect_ssrc_refused_((f), (c), (offer), (a), (ssrc), __LINE__)

/* Hole 4: a newcomer reads the others' SSRCs in its offer; an answer that
 * declares one of them (or one SSRC twice) is refused, never configured. */
static void test_ssrc_unique(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ua"), *b = conn_open(f, "ub");
    fake_conn *all[] = { a, b };
    a->spec = spec3("uaaa", 70, 5001u, 5002u, 5003u);
    join_media(f, a, "uniq", "Ann", 70, all, 1);
    drain(a);
    json_t *offer = join_allocated(f, b, "uniq", "Bob", 71);
    uint64_t before = refused(f, REFUSED_SSRC_IN_USE);
    answer_spec stolen_mic = spec("ubbb", 71, 5001u, 6002u);
    EXPECT_SSRC_REFUSED(f, b, offer, &stolen_mic, 5001u);
    answer_spec stolen_screen = spec("ubbb", 71, 6001u, 5003u);
    EXPECT_SSRC_REFUSED(f, b, offer, &stolen_screen, 5003u);
    answer_spec twice = spec("ubbb", 71, 6001u, 6001u);
    EXPECT_SSRC_REFUSED(f, b, offer, &twice, 6001u);
    CHECK_EQ_INT(refused(f, REFUSED_SSRC_IN_USE), before + 3);
    /* Ann heard of none of it. */
    EXPECT(a, "participant-joined");
    EXPECT_NOTHING(a);
    /* The offer still waits for an answer: one with Bob's own SSRCs is taken. */
    answer_spec own = spec("ubbb", 71, 6001u, 6002u);
    answer_offer(f, b, "uniq", offer, &own);
    free_all(f, all, 2);
}

/* Firefox answers a simulcast camera listing each layer's SSRC and its
 * RTX in FID groups: the focus tells the bridge the pairs (layer_rtx),
 * still makes up the stream receivers get, and counts the layers' SSRCs as
 * the participant's own in the room. */
static void test_simulcast_layer_ssrcs(void)
{
    focus *f = new_focus();
    fake_conn *c = conn_open(f, "simc"), *d = conn_open(f, "simd");
    fake_conn *room[] = { c, d };
    c->spec = spec("simC", 123, 7001u, 7100u);
    c->spec.simulcast = c->spec.layer_ssrcs = true;
    json_t *oc = join_allocated(f, c, "simff", "Cat", 123);
    char *ans = build_answer(oc ? str(oc, "sdp") : "", &c->spec);
    send_answer(f, c, ans, version_of(oc));
    free(ans);
    json_t *cfg = EXPECT_REQ("configure", "simff", c->id);
    json_t *cam = camera_source(cfg);
    json_t *pairs = cam ? json_object_get(cam, "layer_rtx") : NULL;
    CHECK_EQ_INT(json_array_size(pairs), 3);
    for (size_t k = 0; k < 3 && json_array_size(pairs) == 3; k++) {
        json_t *pair = json_array_get(pairs, k);
        CHECK_EQ_INT(json_integer_value(json_object_get(pair, "ssrc")), 7100 + 2 * (int)k);
        CHECK_EQ_INT(json_integer_value(json_object_get(pair, "rtx")), 7101 + 2 * (int)k);
    }
    /* No layer SSRC is a source of its own, nor the made-up one. */
    size_t i;
    json_t *src;
    json_array_foreach(json_object_get(cfg, "sources"), i, src) {
        json_int_t v = json_integer_value(json_object_get(src, "ssrc"));
        json_int_t r = json_integer_value(json_object_get(src, "rtx"));
        CHECK(!(v >= 7100 && v <= 7105) && !(r >= 7100 && r <= 7105));
    }
    reply_ok(f, cfg);
    json_t *od = join_allocated(f, d, "simff", "Dan", 124);
    uint64_t before = refused(f, REFUSED_SSRC_IN_USE);
    answer_spec takes_layer = spec("simD", 124, 8001u, 7103u);
    EXPECT_SSRC_REFUSED(f, d, od, &takes_layer, 7103u);
    CHECK_EQ_INT(refused(f, REFUSED_SSRC_IN_USE), before + 1);
    answer_spec own = spec("simD", 124, 8001u, 8002u);
    answer_offer(f, d, "simff", od, &own);
    free_all(f, room, 2);
}

/* offer-failed: a client that cannot apply the open offer says so and
 * gets a fresh one (the old one's answer is then stale); after three in a
 * row, or ten unusable answers to one offer, the session ends with bye
 * negotiation-failed and the others see the participant leave. */
static void test_offer_failed(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ofa"), *b = conn_open(f, "ofb");
    fake_conn *all[] = { a, b };
    a->spec = spec("ofaa", 130, 9001u, 9002u);
    join_media(f, a, "fails", "Ann", 130, all, 1);
    drain(a);
    json_t *offer = join_allocated(f, b, "fails", "Bob", 131);
    json_int_t v = version_of(offer);
    send_text(f, b, "{\"type\":\"offer-failed\",\"version\":999,\"reason\":\"x\"}");
    EXPECT_ERROR(b, "stale-answer", "offer-failed");
    send_text(f, b, "{\"type\":\"offer-failed\"}");
    EXPECT_ERROR(b, "bad-message", "offer-failed");
    char text[160];
    snprintf(text, sizeof text, "{\"type\":\"offer-failed\",\"version\":%lld,\"reason\":\"no VP8\\n here\"}", (long long)v);
    send_text(f, b, text);
    json_t *again = EXPECT(b, "offer");
    CHECK_EQ_INT(version_of(again), v + 1);
    answer_spec own = spec("ofbb", 131, 9101u, 9102u);
    char *sdp = build_answer(offer ? str(offer, "sdp") : "", &own);
    send_answer(f, b, sdp, (json_int_t)v);          /* the withdrawn offer's answer */
    free(sdp);
    EXPECT_ERROR(b, "stale-answer", "answer");
    /* A usable answer resets the count: two failures, an answer, two more
     * failures still leave Bob in. */
    snprintf(text, sizeof text, "{\"type\":\"offer-failed\",\"version\":%lld}", (long long)version_of(again));
    send_text(f, b, text);
    json_t *third = EXPECT(b, "offer");
    answer_offer(f, b, "fails", third, &own);
    drain(a);
    drain(b);
    send_text(f, b, "{\"type\":\"renegotiate\"}");
    json_t *o = EXPECT(b, "offer");
    for (int i = 0; i < 2; i++) {
        snprintf(text, sizeof text, "{\"type\":\"offer-failed\",\"version\":%lld}", (long long)version_of(o));
        send_text(f, b, text);
        o = EXPECT(b, "offer");
    }
    EXPECT_ALIVE(f, b);
    /* The third in a row ends it. */
    snprintf(text, sizeof text, "{\"type\":\"offer-failed\",\"version\":%lld}", (long long)version_of(o));
    send_text(f, b, text);
    EXPECT_BYE(b, "negotiation-failed");
    EXPECT_LEFT(a, b->id, "negotiation-failed");
    skip_requests();
    drain(a);

    /* Ten unusable answers to one offer end it too. */
    fake_conn *c = conn_open(f, "ofc");
    json_t *oc = join_allocated(f, c, "fails", "Cat", 132);
    for (int i = 0; i < 9; i++) {                     /* FOCUS_BAD_ANSWERS is 10 */
        send_answer(f, c, "this is not SDP", version_of(oc));
        EXPECT_ERROR(c, "bad-answer", "answer");
    }
    EXPECT_ALIVE(f, c);
    send_answer(f, c, "this is not SDP", version_of(oc));
    EXPECT_ERROR(c, "bad-answer", "answer");
    EXPECT_BYE(c, "negotiation-failed");
    skip_requests();
    fake_conn *everyone[] = { a, b, c };
    free_all(f, everyone, 3);
}

/* --max-rooms and the lobby's length. */
static void test_rooms_and_lobby_caps(void)
{
    focus *f = new_focus();
    focus_set_max_rooms(f, 2);
    fake_conn *c[3 + 52];
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char label[16];
        snprintf(label, sizeof label, "rc%zu", i);
        c[i] = conn_open(f, label);
    }
    join_plain(f, c[0], "one", "A");
    join_plain(f, c[1], "two", "B");
    send_join(f, c[2], "three", "C");
    EXPECT_ERROR(c[2], "too-many-rooms", "join");
    EXPECT_ALIVE(f, c[2]);
    CHECK_EQ_INT(refused(f, REFUSED_ROOMS), 1);
    CHECK_EQ_INT(focus_room_count(f), 2);
    /* Joining a room that exists is not limited; a closed room frees its place. */
    join_plain(f, c[2], "two", "C");
    conn_gone(f, c[0]);
    skip_requests();
    fake_conn *late = conn_open(f, "rclate");
    join_plain(f, late, "three", "D");
    CHECK_EQ_INT(focus_room_count(f), 2);

    /* At most FOCUS_LOBBY_CAPACITY (50) wait in one lobby. */
    send_text(f, c[1], "{\"type\":\"lobby\",\"enabled\":true}");
    drain(c[1]);
    for (size_t i = 3; i < 3 + 50; i++) {
        send_join(f, c[i], "two", "W");
        EXPECT(c[i], "lobby-waiting");
    }
    send_join(f, c[53], "two", "W");
    EXPECT_ERROR(c[53], "lobby-full", "join");
    EXPECT_ALIVE(f, c[53]);
    CHECK_EQ_INT(refused(f, REFUSED_LOBBY_FULL), 1);
    /* Each knock reached the moderator as one delta, not the whole list. */
    CHECK_EQ_INT(inbox_count(c[1], "lobby-added"), 50);
    CHECK_EQ_INT(inbox_count(c[1], "lobby-changed"), 0);
    /* One leaving makes room for the next. */
    conn_gone(f, c[3]);
    send_join(f, c[53], "two", "W");
    EXPECT(c[53], "lobby-waiting");
    free_all(f, c, sizeof c / sizeof c[0]);
    conn_free(late);
}

/* Passwords: compared whole, 5 wrong ones per connection, and an address's
 * budget that survives reconnecting. */
static void test_password_budget(void)
{
    focus *f = new_focus();
    fake_conn *m = conn_open(f, "pm");
    join_plain(f, m, "safe", "Mod");
    send_text(f, m, "{\"type\":\"lock\",\"password\":\"s3cret\"}");
    drain(m);
    fake_conn *c[8];
    for (size_t i = 0; i < 8; i++) {
        char label[16];
        snprintf(label, sizeof label, "pw%zu", i);
        c[i] = conn_open(f, label);
        focus_set_session_address(f, c[i]->s, i < 6 ? "198.51.100.7" : "203.0.113.9");
    }
    /* A prefix, a longer one, another case: all wrong. The fifth closes. */
    const char *wrong[5] = { "s3cre", "s3cret!", "S3CRET", "x", "s3cres" };
    for (int k = 0; k < 4; k++) {
        send_join_pw(f, c[0], "safe", "X", wrong[k]);
        EXPECT_ERROR(c[0], "wrong-password", "join");
    }
    CHECK_EQ_INT(c[0]->closes, 0);
    send_join_pw(f, c[0], "safe", "X", wrong[4]);
    EXPECT_ERROR(c[0], "too-many-attempts", "join");
    CHECK_EQ_INT(c[0]->closes, 1);
    CHECK_EQ_INT(refused(f, REFUSED_WRONG_PASSWORD), 5);
    CHECK_EQ_INT(refused(f, REFUSED_PASSWORD_ATTEMPTS), 1);
    /* Three more connections from that address spend its free tries (20)... */
    for (size_t i = 1; i < 4; i++) {
        for (int k = 0; k < 5; k++)
            send_join_pw(f, c[i], "safe", "X", "guess");
        CHECK_EQ_INT(c[i]->closes, 1);
    }
    /* ...so the next wrong one makes it wait, even with the right password. */
    send_join_pw(f, c[4], "safe", "X", "guess");
    EXPECT_ERROR(c[4], "wrong-password", "join");
    send_join_pw(f, c[4], "safe", "X", "s3cret");
    EXPECT_ERROR(c[4], "too-many-attempts", "join");
    EXPECT_ALIVE(f, c[4]);
    /* Another address is not held back. */
    send_join_pw(f, c[6], "safe", "Y", "s3cret");
    EXPECT_JOINED(c[6], "safe", "Y", "participant", 1, true, false);
    /* The wait passes. */
    tick(1000);
    send_join_pw(f, c[4], "safe", "X", "s3cret");
    EXPECT_JOINED(c[4], "safe", "X", "participant", 2, true, false);
    EXPECT_NOTHING(c[7]);
    skip_requests();
    fake_conn *all[] = { m, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] };
    free_all(f, all, 9);
}

/* Sends text `allowed` times from c, then once more: that one is refused
 * with rate-limited and reaches nobody (other included). */
static void expect_rate_limited_(focus *f, fake_conn *c, const char *text, const char *re, int allowed,
                                 fake_conn *other, int line)
{
    for (int i = 0; i < allowed; i++)
        send_text(f, c, text);
    drain(c);
    if (other)
        drain(other);
    send_text(f, c, text);
    expect_error_(c, "rate-limited", re, line);
    expect_nothing_(c, line);
    if (other)
        expect_nothing_(other, line);
}
#define EXPECT_RATE_LIMITED(f, c, text, re, allowed, other) \
    expect_rate_limited_((f), (c), (text), (re), (allowed), (other), __LINE__)

/* Messages that reach everyone (or renegotiate) have per-participant rates. */
static void test_rate_limits(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "ra"), *b = conn_open(f, "rb");
    fake_conn *all[] = { a, b };
    join_plain(f, a, "busy", "Ann");
    join_plain(f, b, "busy", "Ben");
    drain_all(all, 2);
    uint64_t before = refused(f, REFUSED_RATE_LIMITED);
    EXPECT_RATE_LIMITED(f, b, "{\"type\":\"chat\",\"text\":\"spam\"}", "chat", 10, a);
    /* A second later one more passes. */
    tick(1000);
    send_chat(f, b, "again", NULL);
    EXPECT(a, "chat");
    EXPECT(b, "chat");
    /* The raised hand up and down, media-state, renegotiate. */
    for (int i = 0; i < 5; i++)
        sendf(f, b, "{\"type\":\"hand\",\"raised\":%s}", i % 2 ? "false" : "true");
    drain_all(all, 2);
    send_text(f, b, "{\"type\":\"hand\",\"raised\":true}");
    EXPECT_ERROR(b, "rate-limited", "hand");
    EXPECT_NOTHING(a);
    for (int i = 0; i < 10; i++)
        send_media_state(f, b, i % 2 == 0, true, false);
    drain_all(all, 2);
    send_media_state(f, b, true, true, false);
    EXPECT_ERROR(b, "rate-limited", "media-state");
    EXPECT_NOTHING(a);
    EXPECT_RATE_LIMITED(f, b, "{\"type\":\"renegotiate\"}", "renegotiate", 5, a);
    EXPECT_RATE_LIMITED(f, b, "{\"type\":\"receiver-constraints\",\"last_n\":1}", "receiver-constraints", 20, a);
    /* A moderator's commands too (each would reach someone or everyone). */
    char ask[96];
    snprintf(ask, sizeof ask, "{\"type\":\"ask-unmute\",\"id\":\"%s\"}", b->id);
    EXPECT_RATE_LIMITED(f, a, ask, "ask-unmute", 20, b);
    CHECK_EQ_INT(refused(f, REFUSED_RATE_LIMITED), before + 6);
    /* Limits are per participant: Ann may still chat. */
    send_chat(f, a, "hello", NULL);
    EXPECT(a, "chat");
    EXPECT(b, "chat");
    skip_requests();
    free_all(f, all, 2);
}

/* A flood cannot get a slow reader disconnected: chat to a receiver with
 * much queued is dropped for it (it stays in the history). */
static void test_chat_to_slow_receiver(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "sa"), *b = conn_open(f, "sb"), *c = conn_open(f, "sc");
    fake_conn *all[] = { a, b, c };
    join_plain(f, a, "slow", "Ann");
    join_plain(f, b, "slow", "Ben");
    join_plain(f, c, "slow", "Cat");
    drain_all(all, 3);
    b->queued = 2 * 1024 * 1024;
    send_chat(f, a, "hi", NULL);
    EXPECT(a, "chat");
    EXPECT(c, "chat");
    EXPECT_NOTHING(b);
    CHECK_EQ_INT(b->closes, 0);
    CHECK_EQ_INT(refused(f, REFUSED_SLOW_RECEIVER), 1);
    b->queued = 0;
    send_chat(f, a, "again", NULL);
    EXPECT(b, "chat");
    skip_requests();
    free_all(f, all, 3);
}

/* A connection that never joins is closed at its join timeout; one in a room
 * or a lobby is not. */
static void test_join_timeout(void)
{
    focus *f = new_focus();
    fake_conn *idle = conn_open(f, "ji"), *in = conn_open(f, "jj"), *refusedc = conn_open(f, "jr");
    join_plain(f, in, "room", "In");
    send_text(f, refusedc, "{\"type\":\"join\",\"room\":\"..\"}");
    drain(refusedc);
    drain(in);
    CHECK(!focus_join_timeout(f, in->s));
    EXPECT_NOTHING(in);
    CHECK(focus_join_timeout(f, idle->s));
    EXPECT_BYE(idle, "join-timeout");
    CHECK(focus_join_timeout(f, refusedc->s));
    EXPECT_BYE(refusedc, "join-timeout");
    CHECK_EQ_INT(refused(f, REFUSED_JOIN_TIMEOUT), 2);
    skip_requests();
    fake_conn *all[] = { idle, in, refusedc };
    free_all(f, all, 3);
}

/* --room-capacity stops at 200 (a large room is a lecture: few send; a
 * bridge spreads it over its workers). */
static void test_room_capacity_cap(void)
{
    enum { CAP = 200 };
    focus *f = new_focus();
    focus_set_room_capacity(f, 1000);
    fake_conn *c[CAP + 1];
    for (size_t i = 0; i < CAP + 1; i++) {
        char label[16];
        snprintf(label, sizeof label, "cc%zu", i);
        c[i] = conn_open(f, label);
    }
    for (size_t i = 0; i < CAP; i++)
        join_plain(f, c[i], "huge", "P");
    send_join(f, c[CAP], "huge", "P");
    EXPECT_ERROR(c[CAP], "room-full", "join");
    CHECK_EQ_INT(focus_participant_count(f), CAP);
    skip_requests();
    free_all(f, c, CAP + 1);
}

/* ------------------------------------------------------------------ */
/* Several bridges: placement, timeouts, a bridge lost or drained      */
/* ------------------------------------------------------------------ */

static void test_bridges(void)
{
    focus *f = new_focus();   /* b1: no region */
    int fr = focus_bridge_add(f, &(focus_bridge_info){ .id = "b-fr", .region = "fr", .capacity = 100 });
    int de = focus_bridge_add(f, &(focus_bridge_info){ .id = "b-de", .region = "de", .capacity = 100 });
    CHECK(fr > 0 && de > 0 && fr != de && fr != g_bridge);
    CHECK_EQ_INT(focus_bridge_add(f, &(focus_bridge_info){ .id = "b-fr", .region = "it", .capacity = 5 }), -1);
    CHECK_EQ_INT((int)focus_bridge_count(f), 3);

    fake_conn *a = conn_open(f, "a-de"), *b = conn_open(f, "b-fr"), *c = conn_open(f, "c-fr");
    a->spec = spec("aaaa", 31, 7001u, 7002u);
    b->spec = spec("bbbb", 32, 7003u, 7004u);
    c->spec = spec("cccc", 33, 7005u, 7006u);
    focus_set_session_region(f, a->s, "de");
    focus_set_session_region(f, b->s, "de");
    focus_set_session_region(f, c->s, "fr");

    /* The first participant of a conference goes to its region's bridge. */
    send_join(f, a, "physics", "A");
    EXPECT(a, "joined");
    snprintf(a->id, sizeof a->id, "%s", str(json_array_get(a->inbox, a->seen - 1), "id"));
    json_t *alloc = EXPECT_REQ("allocate", "physics", a->id);
    CHECK_EQ_INT(req_bridge(alloc), de);
    /* An answer from another bridge, or to a request it was not sent, counts for nothing. */
    json_object_set_new(alloc, "_bridge", json_integer(fr));
    reply_allocate_ok(f, alloc, 41);
    json_object_set_new(alloc, "_bridge", json_integer(de));
    EXPECT_NOTHING(a);
    reply_allocate_ok(f, alloc, 41);
    EXPECT(a, "offer");
    a->seen--;
    fake_conn *room[3] = { a, b, c };
    settle(f, room, 1);

    /* A newcomer of the same region joins the conference's bridge there. */
    send_join(f, b, "physics", "B");
    json_t *joined = EXPECT(b, "joined");
    snprintf(b->id, sizeof b->id, "%s", str(joined, "id"));
    alloc = EXPECT_REQ("allocate", "physics", b->id);
    CHECK_EQ_INT(req_bridge(alloc), de);
    reply_allocate_ok(f, alloc, 42);
    settle(f, room, 2);
    drain_all(room, 2);

    /* Another conference from fr goes to the fr bridge. */
    send_join(f, c, "chemistry", "C");
    joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", str(joined, "id"));
    alloc = EXPECT_REQ("allocate", "chemistry", c->id);
    CHECK_EQ_INT(req_bridge(alloc), fr);

    /* The fr bridge never answers: after the deadline another bridge is asked. */
    tick(FOCUS_BRIDGE_TIMEOUT_MS - 1);
    focus_tick(f);
    EXPECT_NO_REQ();
    tick(2);
    focus_tick(f);
    json_t *retry = EXPECT_REQ("allocate", "chemistry", c->id);
    CHECK(req_bridge(retry) != fr);
    /* Its late answer makes an endpoint nobody wants: expired at once. */
    reply_allocate_ok(f, alloc, 43);
    json_t *expire = EXPECT_REQ("expire", "chemistry", c->id);
    CHECK_EQ_INT(req_bridge(expire), fr);
    EXPECT_NOTHING(c);
    reply_allocate_ok(f, retry, 44);
    EXPECT(c, "offer");
    c->seen--;
    settle(f, &c, 1);
    drain(c);

    /* Events about an endpoint count only from the bridge that holds it. */
    int saved = g_bridge;
    g_bridge = fr;
    bridge_event(f, "dominant-speaker", "physics", a->id, NULL);
    g_bridge = saved;
    EXPECT_NOTHING(b);
    g_bridge = de;
    bridge_event(f, "dominant-speaker", "physics", a->id, NULL);
    g_bridge = saved;
    EXPECT(b, "dominant-speaker");
    drain_all(room, 3);

    /* B raises its hand: room state that must survive the bridge's loss. */
    send_text(f, b, "{\"type\":\"hand\",\"raised\":true}");
    drain_all(room, 2);

    /* The de bridge is lost: both its participants get a fresh session on
     * another bridge (the least loaded, as neither is of their region: they
     * may part, relayed); the room is as it was. */
    focus_bridge_lost(f, de);
    CHECK_EQ_INT((int)focus_bridge_count(f), 2);
    json_t *reset = EXPECT(a, "media-reset");
    CHECK_EQ_STR(str(reset, "reason"), "bridge-lost");
    reset = EXPECT(b, "media-reset");
    CHECK_EQ_STR(str(reset, "reason"), "bridge-lost");
    json_t *ra = NULL, *rb = NULL;
    while (unread_requests() > 0) {
        json_t *r = json_array_get(g_requests, g_requests_seen++);
        CHECK(req_bridge(r) != de);   /* nothing goes to the lost bridge */
        if (strcmp(str(r, "type"), "allocate") == 0 && strcmp(str(r, "endpoint"), a->id) == 0)
            ra = r;
        else if (strcmp(str(r, "type"), "allocate") == 0 && strcmp(str(r, "endpoint"), b->id) == 0)
            rb = r;
    }
    CHECK(ra != NULL && rb != NULL);
    CHECK(req_bridge(ra) != de && req_bridge(rb) != de);
    /* What the lost bridge still says is not listened to. */
    g_bridge = de;
    bridge_event(f, "endpoint-expired", "physics", a->id, "consent-timeout");
    g_bridge = saved;
    CHECK_EQ_INT(focus_participant_count(f), 3);
    reply_allocate_ok(f, ra, 45);
    reply_allocate_ok(f, rb, 46);
    json_t *offer_a = NULL;
    for (size_t i = a->seen; i < json_array_size(a->inbox); i++)
        if (strcmp(str(json_array_get(a->inbox, i), "type"), "offer") == 0)
            offer_a = json_array_get(a->inbox, i);
    CHECK(offer_a != NULL);
    /* The new transport, and none of B's old sections (B has a new session too). */
    bridge_transport t45 = transport_for(45);
    CHECK(offer_a && strstr(str(offer_a, "sdp"), t45.ufrag) != NULL);
    CHECK(offer_a && mids_of(offer_a, b->id, "camera") == 0);
    settle(f, room, 2);
    /* After both answered, each receives the other again. */
    json_t *last_a = NULL;
    for (size_t i = 0; i < json_array_size(a->inbox); i++)
        if (strcmp(str(json_array_get(a->inbox, i), "type"), "offer") == 0)
            last_a = json_array_get(a->inbox, i);
    CHECK(last_a && mids_of(last_a, b->id, "camera") == 1);
    CHECK(!inbox_mentions(a, "\"participant-left\""));
    CHECK_EQ_INT(focus_participant_count(f), 3);
    json_t *topo = focus_topology(f);
    char *text = json_dumps(topo, JSON_COMPACT);
    CHECK(text && strstr(text, "\"b-de\"") == NULL);
    free(text);
    json_decref(topo);
    drain_all(room, 3);

    /* Drain: no newcomer on a draining bridge; "move now" moves its
     * participants, and the bridge is told to expire their endpoints. */
    int physics_bridge = req_bridge(ra);
    CHECK_EQ_INT(focus_bridge_drain(f, physics_bridge, false), 0);
    fake_conn *d = conn_open(f, "d");
    d->spec = spec("dddd", 34, 7007u, 7008u);
    send_join(f, d, "biology", "D");
    joined = EXPECT(d, "joined");
    snprintf(d->id, sizeof d->id, "%s", str(joined, "id"));
    alloc = EXPECT_REQ("allocate", "biology", d->id);
    CHECK(req_bridge(alloc) != physics_bridge);
    reply_allocate_ok(f, alloc, 47);
    settle(f, &d, 1);
    drain(d);
    int on_it = 1 + (req_bridge(rb) == physics_bridge);
    CHECK_EQ_INT(focus_bridge_drain(f, physics_bridge, true), on_it);
    reset = EXPECT(a, "media-reset");
    CHECK_EQ_STR(str(reset, "reason"), "bridge-drained");
    int expired = 0, allocated = 0;
    while (unread_requests() > 0) {
        json_t *r = json_array_get(g_requests, g_requests_seen++);
        if (strcmp(str(r, "type"), "expire") == 0 && req_bridge(r) == physics_bridge)
            expired++;
        if (strcmp(str(r, "type"), "allocate") == 0) {
            CHECK(req_bridge(r) != physics_bridge);
            allocated++;
            reply_allocate_ok(f, r, 48 + (unsigned)allocated);
        }
    }
    CHECK(expired >= on_it);   /* their endpoints, and a relay when they had parted */
    CHECK_EQ_INT(allocated, on_it);
    CHECK_EQ_INT(focus_bridge_drain(f, 9999, true), -1);

    /* Every bridge lost: nobody can be served, everyone is told. */
    fake_conn *all[4] = { a, b, c, d };
    settle(f, all, 4);
    drain_all(all, 4);
    focus_bridge_lost(f, g_bridge);
    focus_bridge_lost(f, fr);
    CHECK_EQ_INT((int)focus_bridge_count(f), 0);
    CHECK_EQ_INT(focus_participant_count(f), 0);
    CHECK(inbox_mentions(a, "bridge-error"));
    CHECK(inbox_mentions(d, "bridge-error"));
    free_all(f, all, 4);
}

/* ------------------------------------------------------------------ */
/* Relays between the bridges of one conference                        */
/* ------------------------------------------------------------------ */

/* A relay key: AES-128-GCM key and salt, 56 lowercase hex digits. */
static bool relay_key_ok(const char *k)
{
    if (!k || strlen(k) != 56)
        return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static const char *relay_key(const json_t *req, const char *which)
{
    return str(json_object_get(req, "keys"), which);
}

static void relay_name(char out[32], int handle)
{
    snprintf(out, 32, "relay-%d", handle);
}

/* relay-open-ok for req from the bridge it went to, with these fields (each
 * stolen; NULL: left out), as a hostile bridge might send them. */
static void relay_reply(focus *f, const json_t *req, json_t *address, json_t *port, json_t *channel)
{
    if (!req) {
        json_decref(address);
        json_decref(port);
        json_decref(channel);
        return;
    }
    json_t *m = json_pack("{s:s, s:I, s:s}", "type", "relay-open-ok", "id", req_id(req), "endpoint",
                          str(req, "endpoint"));
    if (address)
        json_object_set_new(m, "address", address);
    if (port)
        json_object_set_new(m, "port", port);
    if (channel)
        json_object_set_new(m, "channel", channel);
    focus_bridge_message(f, req_bridge(req), m);
}

/* A well-formed relay-open-ok: 127.0.0.1, port 20000 + the bridge's handle. */
static void relay_reply_ok(focus *f, const json_t *req, int channel)
{
    relay_reply(f, req, json_string("127.0.0.1"), json_integer(20000 + req_bridge(req)), json_integer(channel));
}

static json_t *relay_peer_json(int bridge, int channel)
{
    return json_pack("{s:s, s:i, s:i}", "address", "127.0.0.1", "port", 20000 + bridge, "channel", channel);
}

/* A relay-open to bridge for the relay to peer, with two good and distinct
 * keys; peer_channel > 0: with the peer (the first side's address), 0:
 * without one. */
#define EXPECT_RELAY_OPEN(bridge, peer, peer_channel) expect_relay_open_((bridge), (peer), (peer_channel), __LINE__)
static json_t *expect_relay_open_(int bridge, int peer, int peer_channel, int line)
{
    char relay[32];
    relay_name(relay, peer);
    json_t *r = expect_req_("relay-open", "physics", relay, line);
    if (!r)
        return NULL;
    const char *send = relay_key(r, "send"), *receive = relay_key(r, "receive");
    if (req_bridge(r) != bridge)
        fail_at(line, "relay-open went to bridge %d, expected %d", req_bridge(r), bridge);
    else
        check_passed++;
    if (!relay_key_ok(send) || !relay_key_ok(receive) || strcmp(send, receive) == 0)
        fail_at(line, "relay-open keys send %s receive %s", send ? send : "(none)", receive ? receive : "(none)");
    else
        check_passed++;
    if (peer_channel > 0)
        check_json_(json_object_get(r, "peer"), relay_peer_json(peer, peer_channel), line);
    else if (json_object_get(r, "peer"))
        fail_at(line, "the first relay-open has a peer");
    else
        check_passed++;
    return r;
}

/* A proxy of participant id (on bridge own) to bridge to, with these sources. */
#define CHECK_PROXY(req, id, own, to, sources) check_proxy_((req), (id), (own), (to), (sources), __LINE__)
static void check_proxy_(const json_t *req, const char *id, int own, int to, const json_t *sources, int line)
{
    char relay[32];
    relay_name(relay, own);
    if (!req || strcmp(str(req, "type"), "proxy") != 0 || strcmp(str(req, "endpoint"), id) != 0 ||
        req_bridge(req) != to || !str(req, "relay") || strcmp(str(req, "relay"), relay) != 0) {
        char *d = req ? json_dumps(req, JSON_COMPACT) : NULL;
        fail_at(line, "expected a proxy of %s via %s on bridge %d, got %.300s", id, relay, to, d ? d : "(none)");
        free(d);
        return;
    }
    check_passed++;
    json_t *got = json_object_get(req, "sources");
    if (!json_is_array(got) || !sources || !json_equal(got, sources)) {
        char *g = got ? json_dumps(got, JSON_COMPACT) : NULL, *w = sources ? json_dumps(sources, JSON_COMPACT) : NULL;
        fail_at(line, "proxy of %s: sources %.300s, expected %.300s", id, g ? g : "(none)", w ? w : "(none)");
        free(g);
        free(w);
    } else {
        check_passed++;
    }
}

typedef struct want_req {
    const char *type;
    const char *endpoint;
    int bridge;
} want_req;

/* Every bridge request made since the last look must be exactly these, in
 * any order (conference "physics"); expire, proxy and relay-peer are
 * acknowledged. got[i] (when got is not NULL) is the one matching want[i]. */
#define EXPECT_REQS(got, ...) \
    expect_reqs_((got), (const want_req[]){ __VA_ARGS__ }, \
                 sizeof((const want_req[]){ __VA_ARGS__ }) / sizeof(want_req), __LINE__)
static void expect_reqs_(json_t **got, const want_req *want, size_t n, int line)
{
    bool matched[16] = { false };
    CHECK(n <= 16);
    for (size_t i = 0; got && i < n; i++)
        got[i] = NULL;
    while (unread_requests() > 0) {
        json_t *r = json_array_get(g_requests, g_requests_seen++);
        size_t k = 0;
        for (; k < n; k++)
            if (!matched[k] && strcmp(str(r, "type"), want[k].type) == 0 &&
                strcmp(str(r, "endpoint"), want[k].endpoint) == 0 && req_bridge(r) == want[k].bridge &&
                strcmp(str(r, "conference"), "physics") == 0)
                break;
        if (k == n) {
            char *d = json_dumps(r, JSON_COMPACT);
            fail_at(line, "unexpected bridge request %.300s", d ? d : "?");
            free(d);
            continue;
        }
        matched[k] = true;
        check_passed++;
        if (got)
            got[k] = r;
    }
    for (size_t k = 0; k < n; k++)
        if (!matched[k])
            fail_at(line, "expected bridge request \"%s\" for physics/%s on bridge %d, got none", want[k].type,
                    want[k].endpoint, want[k].bridge);
}

/* Acknowledges the requests got[0..n) that want an ok. */
static void ack_reqs(focus *f, json_t **got, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = got[i] ? str(got[i], "type") : NULL;
        if (t && (strcmp(t, "expire") == 0 || strcmp(t, "proxy") == 0 || strcmp(t, "relay-peer") == 0))
            reply_ok(f, got[i]);
    }
}

/* "physics"'s relays in the topology (new reference; NULL without the room). */
static json_t *physics_relays(focus *f)
{
    json_t *topo = focus_topology(f), *out = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(topo, "rooms"), i, r)
        if (str(r, "name") && strcmp(str(r, "name"), "physics") == 0)
            out = json_incref(json_object_get(r, "relays"));
    json_decref(topo);
    return out;
}

#define CHECK_RELAYS(f, want) do { \
    json_t *relays_ = physics_relays(f); \
    CHECK_JSON(relays_, (want)); \
    json_decref(relays_); \
} while (0)

/* Answers c's offer with c->spec: the configure (borrowed, acknowledged). */
static json_t *answer_configure(focus *f, fake_conn *c, const json_t *offer)
{
    if (!offer)
        return NULL;
    char *sdp = build_answer(str(offer, "sdp"), &c->spec);
    send_answer(f, c, sdp, version_of(offer));
    free(sdp);
    json_t *cfg = EXPECT_REQ("configure", "physics", c->id);
    CHECK(!cfg || json_array_size(json_object_get(cfg, "sources")) > 0);
    reply_ok(f, cfg);
    return cfg;
}

/* The last offer c received (borrowed), everything before it read. */
static json_t *last_offer(fake_conn *c)
{
    json_t *offer = NULL;
    for (size_t i = c->seen; i < json_array_size(c->inbox); i++)
        if (strcmp(str(json_array_get(c->inbox, i), "type"), "offer") == 0)
            offer = json_array_get(c->inbox, i);
    drain(c);
    return offer;
}

/* After a relay failed, at the next tick: its endpoint on lo expired (and on
 * hi when hi was asked to open it), then a relay-open to lo from the start
 * with keys never handed out before (recorded in keys, with those of the
 * failed one). Returns the new relay-open. */
#define EXPECT_REOPEN(f, failed, lo, hi, hi_asked, keys) \
    expect_reopen_((f), (failed), (lo), (hi), (hi_asked), (keys), __LINE__)
static json_t *expect_reopen_(focus *f, const json_t *failed, int lo, int hi, bool hi_asked, json_t *keys, int line)
{
    char relay_lo[32], relay_hi[32];
    relay_name(relay_lo, lo);
    relay_name(relay_hi, hi);
    if (failed && str(failed, "endpoint") && strcmp(str(failed, "endpoint"), relay_hi) == 0) {
        json_array_append_new(keys, json_string(relay_key(failed, "send")));
        json_array_append_new(keys, json_string(relay_key(failed, "receive")));
    }
    json_t *exp = expect_req_("expire", "physics", relay_hi, line);
    if (exp && req_bridge(exp) != lo)
        fail_at(line, "expire of %s went to bridge %d, expected %d", relay_hi, req_bridge(exp), lo);
    else if (exp)
        check_passed++;
    reply_ok(f, exp);
    if (hi_asked) {
        exp = expect_req_("expire", "physics", relay_lo, line);
        if (exp && req_bridge(exp) != hi)
            fail_at(line, "expire of %s went to bridge %d, expected %d", relay_lo, req_bridge(exp), hi);
        else if (exp)
            check_passed++;
        reply_ok(f, exp);
    }
    json_t *open = expect_relay_open_(lo, hi, 0, line);
    for (size_t i = 0; open && i < json_array_size(keys); i++) {
        const char *old = json_string_value(json_array_get(keys, i));
        if (strcmp(old, relay_key(open, "send")) == 0 || strcmp(old, relay_key(open, "receive")) == 0)
            fail_at(line, "relay-open reuses the key %s", old);
        else
            check_passed++;
    }
    expect_no_req_(line);
    return open;
}

/* The next bridge request, which must be of this type and go to bridge;
 * NULL (and a failure) otherwise. For requests without an endpoint. */
#define EXPECT_BARE_REQ(type, bridge) expect_bare_req_((type), (bridge), __LINE__)
static json_t *expect_bare_req_(const char *type, int bridge, int line)
{
    if (unread_requests() == 0) {
        fail_at(line, "expected a bridge request \"%s\", got nothing", type);
        return NULL;
    }
    json_t *r = json_array_get(g_requests, g_requests_seen++);
    const char *t = str(r, "type");
    if (!t || strcmp(t, type) != 0 || req_bridge(r) != bridge || json_object_get(r, "endpoint") ||
        !json_is_integer(json_object_get(r, "id"))) {
        char *d = json_dumps(r, JSON_COMPACT);
        fail_at(line, "expected bridge request \"%s\" to bridge %d, got %.300s", type, bridge, d ? d : "?");
        free(d);
        return NULL;
    }
    check_passed++;
    return r;
}

static void reply_conferences(focus *f, const json_t *req, json_t *names, bool more)
{
    if (!req) {
        json_decref(names);
        return;
    }
    focus_bridge_message(f, req_bridge(req), json_pack("{s:s, s:I, s:o, s:b}", "type", "conferences-ok", "id",
                                                       req_id(req), "conferences", names, "more", more));
}

static int add_linked(focus *f, const focus_bridge_info *info)
{
    int h = focus_bridge_add(f, info);
    focus_bridge_linked(f, h);
    return h;
}

/* Whether /topology shows a bridge being cleared. */
static bool any_syncing(focus *f)
{
    json_t *topo = focus_topology(f), *b;
    size_t i;
    bool syncing = false;
    json_array_foreach(json_object_get(topo, "bridges"), i, b)
        syncing = syncing || json_is_true(json_object_get(b, "syncing"));
    json_decref(topo);
    return syncing;
}

static fake_conn *join_waiting(focus *f, const char *label, const char *room_name)
{
    fake_conn *c = conn_open(f, label);
    c->spec = spec("wwww", 51, 7201u, 7202u);
    send_join(f, c, room_name, label);
    json_t *joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
    return c;
}

/* A bridge that links over the network is cleared of what it held before
 * (a bridge declared lost that came back) before anyone is placed on it. */
static void test_bridge_sync(void)
{
    focus *f = new_focus();
    focus_bridge_lost(f, g_bridge);
    int back = add_linked(f, &(focus_bridge_info){ .id = "b-back", .region = "", .capacity = 100 });
    json_t *list = EXPECT_BARE_REQ("conferences", back);
    CHECK(list && !json_object_get(list, "after") && !json_object_get(list, "conference"));
    EXPECT_NO_REQ();

    /* A newcomer meanwhile waits: nothing is allocated yet. */
    fake_conn *a = join_waiting(f, "sync-a", "physics");
    EXPECT_NO_REQ();
    CHECK_EQ_INT((int)focus_participant_count(f), 1);

    /* A page of stale conferences: each expired, then the next page asked for. */
    reply_conferences(f, list, json_pack("[s, s]", "old-1", "physics"), true);
    json_t *x1 = EXPECT_BARE_REQ("expire-conference", back);
    json_t *x2 = EXPECT_BARE_REQ("expire-conference", back);
    CHECK_EQ_STR(x1 ? str(x1, "conference") : NULL, "old-1");
    CHECK_EQ_STR(x2 ? str(x2, "conference") : NULL, "physics");
    json_t *page2 = EXPECT_BARE_REQ("conferences", back);
    CHECK_EQ_STR(page2 ? str(page2, "after") : NULL, "physics");
    EXPECT_NO_REQ();
    /* A late or repeated answer to the first page changes nothing. */
    reply_conferences(f, list, json_pack("[s]", "old-9"), false);
    EXPECT_NO_REQ();
    reply_ok(f, x1);
    reply_error(f, x2, "unknown-conference");
    EXPECT_NO_REQ();

    /* The last page: the waiting participant is placed, after the expires. */
    reply_conferences(f, page2, json_array(), false);
    json_t *alloc = EXPECT_REQ("allocate", "physics", a->id);
    CHECK_EQ_INT(alloc ? req_bridge(alloc) : 0, back);
    EXPECT_NO_REQ();
    reply_allocate_ok(f, alloc, 71);
    EXPECT(a, "offer");

    /* A bridge that never answers the listing: placed on after the timeout. */
    int mute = add_linked(f, &(focus_bridge_info){ .id = "b-mute", .region = "", .capacity = 100 });
    EXPECT_BARE_REQ("conferences", mute);
    fake_conn *b = join_waiting(f, "sync-b", "chemistry");
    tick(FOCUS_BRIDGE_TIMEOUT_MS - 1);
    focus_tick(f);
    EXPECT_NO_REQ();
    tick(2);
    focus_tick(f);
    alloc = EXPECT_REQ("allocate", "chemistry", b->id);
    CHECK(alloc != NULL);
    EXPECT_NO_REQ();

    /* Hostile pages expire nothing and end the listing: not an array, a
     * name not a string, too long, with a NUL, too many, no "more". */
    json_t *bad[6];
    char long_name[130];
    memset(long_name, 'x', 129);
    long_name[129] = 0;
    json_t *many = json_array();
    for (int i = 0; i < 257; i++)
        json_array_append_new(many, json_sprintf("c%d", i));
    bad[0] = json_pack("{s:s, s:s, s:b}", "type", "conferences-ok", "conferences", "old-1", "more", 0);
    bad[1] = json_pack("{s:s, s:[i], s:b}", "type", "conferences-ok", "conferences", 7, "more", 0);
    bad[2] = json_pack("{s:s, s:[s], s:b}", "type", "conferences-ok", "conferences", long_name, "more", 0);
    bad[3] = json_pack("{s:s, s:[s%], s:b}", "type", "conferences-ok", "conferences", "a\0b", (size_t)3, "more", 0);
    bad[4] = json_pack("{s:s, s:o, s:b}", "type", "conferences-ok", "conferences", many, "more", 0);
    bad[5] = json_pack("{s:s, s:[s]}", "type", "conferences-ok", "conferences", "old-1");
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "b-bad%d", i);
        int h = add_linked(f, &(focus_bridge_info){ .id = id, .region = "", .capacity = 100 });
        json_t *req = EXPECT_BARE_REQ("conferences", h);
        json_object_set_new(bad[i], "id", json_integer(req ? req_id(req) : 0));
        focus_bridge_message(f, h, bad[i]);
        EXPECT_NO_REQ();
        CHECK(!any_syncing(f));
    }

    /* A refusal (an older bridge) ends it too. */
    int old = add_linked(f, &(focus_bridge_info){ .id = "b-old", .region = "", .capacity = 100 });
    reply_error(f, EXPECT_BARE_REQ("conferences", old), "bad-request");
    CHECK(!any_syncing(f));

    /* A bridge that always says "more" is asked at most 256 times. */
    int endless = add_linked(f, &(focus_bridge_info){ .id = "b-endless", .region = "", .capacity = 100 });
    int pages = 0, expires = 0;
    for (json_t *req = EXPECT_BARE_REQ("conferences", endless); req && pages < 300; pages++) {
        char name[16];
        snprintf(name, sizeof name, "e%03d", pages);
        reply_conferences(f, req, json_pack("[s]", name), true);
        req = NULL;
        while (unread_requests() > 0) {
            json_t *r = json_array_get(g_requests, g_requests_seen++);
            if (strcmp(str(r, "type"), "expire-conference") == 0)
                expires++;
            else
                req = r;
        }
    }
    CHECK_EQ_INT(pages, 256);
    CHECK_EQ_INT(expires, 256);
    CHECK(!any_syncing(f));

    /* A bridge lost while being cleared: those waiting are placed elsewhere. */
    int gone = add_linked(f, &(focus_bridge_info){ .id = "b-gone", .region = "", .capacity = 100 });
    EXPECT_BARE_REQ("conferences", gone);
    fake_conn *c = join_waiting(f, "sync-c", "biology");
    EXPECT_NO_REQ();
    focus_bridge_lost(f, gone);
    alloc = EXPECT_REQ("allocate", "biology", c->id);
    CHECK(alloc && req_bridge(alloc) != gone);

    /* In-process bridges hold nothing from before: no listing. */
    focus_bridge_add(f, &(focus_bridge_info){ .id = "b-local", .region = "", .capacity = 100 });
    EXPECT_NO_REQ();
    CHECK(!any_syncing(f));
    fake_conn *all[3] = { a, b, c };
    free_all(f, all, 3);
}

static void test_relays(void)
{
    focus *f = new_focus();
    focus_bridge_lost(f, g_bridge);   /* only the two regional bridges */
    int fr = focus_bridge_add(f, &(focus_bridge_info){ .id = "b-fr", .region = "fr", .capacity = 100 });
    int de = focus_bridge_add(f, &(focus_bridge_info){ .id = "b-de", .region = "de", .capacity = 100 });
    CHECK(fr > 0 && de > 0 && fr != de);
    CHECK_EQ_INT((int)focus_bridge_count(f), 2);
    int lo = fr < de ? fr : de, hi = fr < de ? de : fr;
    const char *lo_id = lo == fr ? "b-fr" : "b-de", *hi_id = lo == fr ? "b-de" : "b-fr";
    char relay_lo[32], relay_hi[32];   /* the relay endpoints: "relay-<peer>" on the other bridge */
    relay_name(relay_lo, lo);
    relay_name(relay_hi, hi);

    fake_conn *a = conn_open(f, "ra-de"), *b = conn_open(f, "rb-fr"), *b2 = conn_open(f, "rb2-fr"),
              *c = conn_open(f, "rc-fr");
    a->spec = spec("raaa", 41, 7101u, 7102u);
    b->spec = spec("rbbb", 42, 7103u, 7104u);
    b2->spec = spec("rb2b", 43, 7105u, 7106u);
    c->spec = spec("rccc", 44, 7107u, 7108u);
    focus_set_session_region(f, a->s, "de");
    focus_set_session_region(f, b->s, "fr");
    focus_set_session_region(f, b2->s, "fr");
    focus_set_session_region(f, c->s, "fr");
    fake_conn *room[4] = { a, b, b2, c };

    /* A alone on de: no relay. */
    send_join(f, a, "physics", "A");
    json_t *joined = EXPECT(a, "joined");
    snprintf(a->id, sizeof a->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc = EXPECT_REQ("allocate", "physics", a->id);
    CHECK_EQ_INT(req_bridge(alloc), de);
    reply_allocate_ok(f, alloc, 61);
    json_t *cfg_a = answer_configure(f, a, EXPECT(a, "offer"));
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_array());

    /* B from fr goes to the fr bridge; once it has its endpoint, the lower
     * handle's bridge is asked to open the relay first. */
    send_join(f, b, "physics", "B");
    joined = EXPECT(b, "joined");
    snprintf(b->id, sizeof b->id, "%s", joined ? str(joined, "id") : "none");
    alloc = EXPECT_REQ("allocate", "physics", b->id);
    CHECK_EQ_INT(req_bridge(alloc), fr);
    EXPECT_NO_REQ();
    reply_allocate_ok(f, alloc, 62);
    json_t *open1 = EXPECT_RELAY_OPEN(lo, hi, 0);
    EXPECT_NO_REQ();   /* nothing to hi yet */
    json_t *offer_b = EXPECT(b, "offer");
    drain(a);
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "opening"));

    /* lo's address goes to hi, with the keys the other way round. */
    relay_reply_ok(f, open1, 4001);
    json_t *open2 = EXPECT_RELAY_OPEN(hi, lo, 4001);
    CHECK(open1 && open2 && strcmp(relay_key(open2, "send"), relay_key(open1, "receive")) == 0);
    CHECK(open1 && open2 && strcmp(relay_key(open2, "receive"), relay_key(open1, "send")) == 0);
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "opening"));

    /* hi's address goes back to lo; then each side gets proxies of the
     * other's participants (B has not answered yet: no sources). */
    relay_reply_ok(f, open2, 4002);
    json_t *peer = EXPECT_REQ("relay-peer", "physics", relay_hi);
    CHECK_EQ_INT(req_bridge(peer), lo);
    CHECK_JSON(json_object_get(peer, "peer"), relay_peer_json(hi, 4002));
    reply_ok(f, peer);
    json_t *got[5];
    json_t *no_sources = json_array();
    EXPECT_REQS(got, { "proxy", a->id, fr }, { "proxy", b->id, de });
    CHECK_PROXY(got[0], a->id, de, fr, json_object_get(cfg_a, "sources"));
    CHECK_PROXY(got[1], b->id, fr, de, no_sources);
    ack_reqs(f, got, 2);
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "open"));

    /* Each configure is followed by a proxy with the same sources on the
     * other bridge. */
    json_t *cfg_b = answer_configure(f, b, offer_b);
    CHECK_EQ_INT(req_bridge(cfg_b), fr);
    json_t *proxy = EXPECT_REQ("proxy", "physics", b->id);
    CHECK_PROXY(proxy, b->id, fr, de, json_object_get(cfg_b, "sources"));
    reply_ok(f, proxy);
    json_t *offer_a = last_offer(a);
    CHECK(offer_a && mids_of(offer_a, b->id, "camera") == 1);
    cfg_a = answer_configure(f, a, offer_a);
    CHECK_EQ_INT(req_bridge(cfg_a), de);
    proxy = EXPECT_REQ("proxy", "physics", a->id);
    CHECK_PROXY(proxy, a->id, de, fr, json_object_get(cfg_a, "sources"));
    reply_ok(f, proxy);
    settle(f, room, 2);
    drain_all(room, 2);
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "open"));

    /* The room follows the dominant speaker of A's bridge (its oldest
     * participant's) only: de, whatever the handles' order. */
    int saved = g_bridge;
    g_bridge = fr;
    bridge_event(f, "dominant-speaker", "physics", b->id, NULL);
    bridge_event(f, "dominant-speaker", "physics", a->id, NULL);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    g_bridge = de;
    bridge_event(f, "dominant-speaker", "physics", b->id, NULL);
    json_t *ds = EXPECT(a, "dominant-speaker");
    CHECK(ds && str(ds, "id") && strcmp(str(ds, "id"), b->id) == 0);
    ds = EXPECT(b, "dominant-speaker");
    CHECK(ds && str(ds, "id") && strcmp(str(ds, "id"), b->id) == 0);
    /* A bridge holding only B's proxy has nothing to say about B's endpoint. */
    bridge_event(f, "endpoint-expired", "physics", b->id, "consent-timeout");
    g_bridge = saved;
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);
    CHECK_EQ_INT(focus_participant_count(f), 2);
    EXPECT_NO_REQ();

    /* B leaves: its endpoint, its proxy on de and both relay endpoints are expired. */
    send_text(f, b, "{\"type\":\"leave\"}");
    EXPECT_BYE(b, "left");
    EXPECT_REQS(got, { "expire", b->id, fr }, { "expire", b->id, de }, { "expire", relay_hi, lo },
                { "expire", relay_lo, hi });
    ack_reqs(f, got, 4);
    CHECK_RELAYS(f, json_array());
    EXPECT_LEFT(a, b->id, "left");
    settle(f, room, 1);
    drain(a);
    EXPECT_NO_REQ();

    /* B2 from fr: a new relay, whose bridges answer badly. */
    send_join(f, b2, "physics", "B2");
    joined = EXPECT(b2, "joined");
    snprintf(b2->id, sizeof b2->id, "%s", joined ? str(joined, "id") : "none");
    alloc = EXPECT_REQ("allocate", "physics", b2->id);
    CHECK_EQ_INT(req_bridge(alloc), fr);
    reply_allocate_ok(f, alloc, 63);
    json_t *open = EXPECT_RELAY_OPEN(lo, hi, 0);
    EXPECT_NO_REQ();
    drain(a);
    json_t *keys_seen = json_array();   /* every key handed out so far */
    json_array_append_new(keys_seen, json_string(relay_key(open1, "send")));
    json_array_append_new(keys_seen, json_string(relay_key(open1, "receive")));

    /* Unusable first answers (and a refusal): the relay fails; the next
     * tick expires it on lo and opens it again with fresh keys. */
    for (int k = 0; k <= 10; k++) {
        json_t *addr = json_string("127.0.0.1"), *port = json_integer(20000 + lo), *channel = json_integer(5000 + k);
        switch (k) {
        case 0: json_decref(addr); addr = json_string("not-an-ip"); break;
        case 1: json_decref(port); port = json_integer(0); break;
        case 2: json_decref(channel); channel = json_integer(0); break;
        case 3: json_decref(channel); channel = json_integer(0x1000000); break;
        case 4: json_decref(port); port = json_integer(65536); break;
        case 5: json_decref(addr); addr = NULL; break;
        case 6: json_decref(addr); addr = json_integer(2130706433); break;
        case 7: json_decref(port); port = json_string("20002"); break;
        case 8: json_decref(addr); addr = json_string("256.0.0.1"); break;
        case 9: json_decref(channel); channel = json_integer(-1); break;
        default: break;
        }
        if (k == 10) {
            json_decref(addr);
            json_decref(port);
            json_decref(channel);
            reply_error(f, open, "relay-failed");
        } else {
            relay_reply(f, open, addr, port, channel);
        }
        EXPECT_NO_REQ();   /* in particular nothing to hi */
        CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "failed"));
        tick(1);
        focus_tick(f);
        json_t *again = EXPECT_REOPEN(f, open, lo, hi, false, keys_seen);
        /* A second answer to the old request changes nothing. */
        relay_reply_ok(f, open, 5100 + k);
        EXPECT_NO_REQ();
        CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "opening"));
        open = again;
    }

    /* lo never answers: after the bridge timeout it is tried again. */
    tick(FOCUS_BRIDGE_TIMEOUT_MS - 1);
    focus_tick(f);
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "opening"));
    tick(1);
    focus_tick(f);
    json_t *again = EXPECT_REOPEN(f, open, lo, hi, false, keys_seen);
    /* Its late answer (the request given up, still remembered) changes nothing. */
    relay_reply_ok(f, open, 5200);
    EXPECT_NO_REQ();
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "opening"));
    open = again;

    /* The second side fails (an unusable answer, a refusal, no answer):
     * both sides are expired and the relay opened again from the start. */
    for (int k = 0; k < 3; k++) {
        relay_reply_ok(f, open, 5300 + k);
        json_t *open_b = EXPECT_RELAY_OPEN(hi, lo, 5300 + k);
        EXPECT_NO_REQ();
        if (k == 0) {
            relay_reply(f, open_b, json_string("127.0.0.1"), json_integer(20000 + hi), json_integer(0x1000000));
        } else if (k == 1) {
            reply_error(f, open_b, "relay-failed");
        } else {
            tick(FOCUS_BRIDGE_TIMEOUT_MS - 1);   /* the deadline is one more ms away */
            focus_tick(f);
        }
        EXPECT_NO_REQ();
        if (k < 2)
            CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "failed"));
        tick(1);
        focus_tick(f);
        again = EXPECT_REOPEN(f, open, lo, hi, true, keys_seen);
        relay_reply_ok(f, open_b, 5400 + k);   /* late or again: nothing */
        EXPECT_NO_REQ();
        open = again;
    }

    /* C from fr joins meanwhile; its endpoint is not there yet. */
    send_join(f, c, "physics", "C");
    joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_c = EXPECT_REQ("allocate", "physics", c->id);
    CHECK_EQ_INT(req_bridge(alloc_c), fr);
    EXPECT_NO_REQ();

    /* Now it opens: proxies of A on fr and of B2 (no sources yet) on de,
     * none of C (not allocated); B2's and C's configures are proxied then. */
    relay_reply_ok(f, open, 6001);
    json_t *open_b = EXPECT_RELAY_OPEN(hi, lo, 6001);
    relay_reply_ok(f, open_b, 6002);
    peer = EXPECT_REQ("relay-peer", "physics", relay_hi);
    CHECK_EQ_INT(req_bridge(peer), lo);
    CHECK_JSON(json_object_get(peer, "peer"), relay_peer_json(hi, 6002));
    reply_ok(f, peer);
    EXPECT_REQS(got, { "proxy", a->id, fr }, { "proxy", b2->id, de });
    CHECK_PROXY(got[0], a->id, de, fr, json_object_get(cfg_a, "sources"));
    CHECK_PROXY(got[1], b2->id, fr, de, no_sources);
    ack_reqs(f, got, 2);
    EXPECT_NO_REQ();
    json_t *cfg_b2 = answer_configure(f, b2, last_offer(b2));
    CHECK_EQ_INT(req_bridge(cfg_b2), fr);
    proxy = EXPECT_REQ("proxy", "physics", b2->id);
    CHECK_PROXY(proxy, b2->id, fr, de, json_object_get(cfg_b2, "sources"));
    reply_ok(f, proxy);
    reply_allocate_ok(f, alloc_c, 65);
    EXPECT_NO_REQ();   /* the relay is there already; C has no sources yet */
    json_t *cfg_c = answer_configure(f, c, last_offer(c));
    CHECK_EQ_INT(req_bridge(cfg_c), fr);
    proxy = EXPECT_REQ("proxy", "physics", c->id);
    CHECK_PROXY(proxy, c->id, fr, de, json_object_get(cfg_c, "sources"));
    reply_ok(f, proxy);
    fake_conn *now_in[3] = { a, b2, c };
    settle(f, now_in, 3);
    drain_all(now_in, 3);
    CHECK_RELAYS(f, json_pack("[{s:s, s:s, s:s}]", "a", lo_id, "b", hi_id, "state", "open"));

    /* fr is lost: the relay closes (its endpoint on de expired, as are the
     * proxies of B2 and C there; nothing goes to fr) and B2 and C are
     * placed on de. */
    char relay_on_de[32];
    relay_name(relay_on_de, fr);
    focus_bridge_lost(f, fr);
    CHECK_EQ_INT((int)focus_bridge_count(f), 1);
    json_t *reset = EXPECT(b2, "media-reset");
    CHECK(reset && strcmp(str(reset, "reason"), "bridge-lost") == 0);
    reset = EXPECT(c, "media-reset");
    CHECK(reset && strcmp(str(reset, "reason"), "bridge-lost") == 0);
    EXPECT_REQS(got, { "expire", b2->id, de }, { "expire", c->id, de }, { "expire", relay_on_de, de },
                { "allocate", b2->id, de }, { "allocate", c->id, de });
    ack_reqs(f, got, 3);
    CHECK_RELAYS(f, json_array());
    reply_allocate_ok(f, got[3], 64);
    reply_allocate_ok(f, got[4], 66);
    EXPECT_NO_REQ();   /* one bridge: no relay */
    settle(f, now_in, 3);
    drain_all(now_in, 3);
    CHECK_RELAYS(f, json_array());
    json_t *topo = focus_topology(f);
    json_t *people = json_object_get(json_array_get(json_object_get(topo, "rooms"), 0), "participants");
    CHECK_JSON(people, json_pack("[{s:s, s:s, s:b}, {s:s, s:s, s:b}, {s:s, s:s, s:b}]", "id", a->id, "bridge",
                                 "b-de", "media", 1, "id", b2->id, "bridge", "b-de", "media", 1, "id", c->id,
                                 "bridge", "b-de", "media", 1));
    json_decref(topo);

    json_decref(keys_seen);
    json_decref(no_sources);
    free_all(f, room, 4);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    g_requests = json_array();

    test_one_room();
    test_talk_times();
    test_receives();
    test_join_order();
    test_endpoint_expired();
    test_allocate_error();
    test_leave_during_allocate();
    test_protocol_errors();
    test_two_rooms();
    test_shutdown();
    test_big_room();
    test_roles();
    test_mute();
    test_kick();
    test_end_meeting();
    test_lock();
    test_lobby();
    test_chat();
    test_hands();
    test_reactions();
    test_screen_share();
    test_room_full();
    test_room_capacity_setting();
    test_simulcast_camera();
    test_last_n();
    test_turn();
    test_ssrc_unique();
    test_simulcast_layer_ssrcs();
    test_offer_failed();
    test_rooms_and_lobby_caps();
    test_password_budget();
    test_rate_limits();
    test_chat_to_slow_receiver();
    test_join_timeout();
    test_room_capacity_cap();
    test_bridges();
    test_relays();
    test_bridge_sync();

    CHECK_EQ_INT(g_invalid_sends, 0);
    json_decref(g_requests);
    return check_report("focus_flow");
}
