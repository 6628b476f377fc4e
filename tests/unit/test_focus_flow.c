/* Protocol-level tests of the focus (docs/protocol.md, both sections) with a
 * fake transport and a fake bridge: every message the focus sends to a
 * connection is parsed and recorded, close requests are counted, and bridge
 * requests are recorded instead of sent. The test plays the bridge (answers
 * requests through focus_bridge_message, sends events) and the browsers
 * (answers each offer with an SDP built from the offer text, or with a real
 * Chromium answer from tests/fixtures/sdp/ where it fits). */
#include "check.h"
#include "core/log.h"
#include "focus/focus.h"
#include "webrtc/sdp.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef STOA_SOURCE_DIR
#define STOA_SOURCE_DIR "."
#endif
#define FIXTURES STOA_SOURCE_DIR "/tests/fixtures/sdp/"

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

/* ------------------------------------------------------------------ */
/* Fake transport                                                      */
/* ------------------------------------------------------------------ */

typedef struct fake_conn {
    char label[16];
    json_t *inbox;          /* every message sent to this connection, parsed */
    size_t seen;            /* how many the test has looked at */
    int closes;             /* close requests */
    focus_session *s;
    char id[32];            /* participant id from "joined" */
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

static void fake_bridge_send(void *user, json_t *request)
{
    CHECK(user == (void *)&g_requests);
    CHECK(json_is_object(request));
    json_array_append_new(g_requests, request);
}

static focus *new_focus(void)
{
    focus_callbacks cb = { fake_send, fake_close, fake_bridge_send, &g_requests };
    focus *f = focus_new(&cb);
    CHECK(f != NULL);
    return f;
}

static fake_conn *conn_open(focus *f, const char *label)
{
    fake_conn *c = calloc(1, sizeof *c);
    snprintf(c->label, sizeof c->label, "%s", label);
    c->inbox = json_array();
    c->s = focus_connect(f, c);
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

static void send_answer(focus *f, fake_conn *c, const char *sdp, json_int_t version)
{
    send_msg(f, c, json_pack("{s:s, s:s, s:I}", "type", "answer", "sdp", sdp, "version", version));
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

static json_int_t req_id(const json_t *req)
{
    return json_integer_value(json_object_get(req, "id"));
}

/* "sha-256 XX:XX:..." (32 bytes) derived from a seed. */
static void make_fingerprint(char out[128], unsigned seed)
{
    int n = snprintf(out, 128, "sha-256 ");
    for (unsigned i = 0; i < 32; i++)
        n += snprintf(out + n, 128 - (size_t)n, "%s%02X", i ? ":" : "", (seed * 37u + i * 11u) & 0xFFu);
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
    focus_bridge_message(f, json_pack("{s:s, s:I, s:s, s:{s:s, s:s, s:b}, s:{s:s, s:s}, s:o}",
        "type", "allocate-ok", "id", req_id(req), "endpoint", str(req, "endpoint"),
        "ice", "ufrag", t.ufrag, "pwd", t.pwd, "lite", 1,
        "dtls", "fingerprint", t.fingerprint, "setup", "passive",
        "candidates", cands));
}

static void reply_allocate_ok(focus *f, const json_t *req, unsigned n)
{
    reply_allocate_ok_cands(f, req, n, 1);
}

/* configure-ok / expire-ok */
static void reply_ok(focus *f, const json_t *req)
{
    if (!req)
        return;
    char type[32];
    snprintf(type, sizeof type, "%s-ok", str(req, "type"));
    focus_bridge_message(f, json_pack("{s:s, s:I}", "type", type, "id", req_id(req)));
}

static void reply_error(focus *f, const json_t *req, const char *code)
{
    if (!req)
        return;
    focus_bridge_message(f, json_pack("{s:s, s:I, s:s, s:s}", "type", "error", "id", req_id(req),
                                      "code", code, "message", "the test bridge says no"));
}

static void bridge_event(focus *f, const char *type, const char *conf, const char *ep, const char *reason)
{
    json_t *ev = json_pack("{s:s, s:s, s:s}", "type", type, "conference", conf, "endpoint", ep);
    if (reason)
        json_object_set_new(ev, "reason", json_string(reason));
    focus_bridge_message(f, ev);
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
    uint32_t ssrc;
} offer_section;

typedef struct parsed_offer {
    offer_section s[SDP_MAX_MEDIA + 8];
    size_t n;
    char bundle[1024];      /* the mids after a=group:BUNDLE, space separated */
    bool has_bundle;
    bool ice_lite;
    bool setup_passive_everywhere;
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
        } else if (starts(p, n, "a=ssrc:")) {
            cur->ssrc = (uint32_t)strtoul(p + 7, NULL, 10);
        } else if (starts(p, n, "a=setup:passive")) {
            setups++;
        } else if (starts(p, n, "a=end-of-candidates")) {
            o->end_of_candidates = true;
        } else if (n == 10 && (starts(p, n, "a=sendonly") || starts(p, n, "a=recvonly") ||
                               starts(p, n, "a=inactive") || starts(p, n, "a=sendrecv"))) {
            copy_field(cur->dir, sizeof cur->dir, p + 2, n - 2);
        }
        p = next;
    }
    o->setup_passive_everywhere = enabled > 0 && setups == enabled;
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

/* What a fake browser puts in its answer. */
typedef struct answer_spec {
    const char *ufrag;
    const char *pwd;
    unsigned fp_seed;
    uint32_t audio_ssrc;        /* 0: no microphone (mid 0 inactive) */
    uint32_t video_ssrc;        /* 0: no camera (mid 1 inactive) */
    const char *setup;          /* "active" unless testing a bad one */
} answer_spec;

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

/* A minimal valid answer to the offer text: one section per m= section,
 * same mids and kinds, port 0 for sections the offer disabled; mids 0/1
 * sendonly with the spec's SSRCs, every other section recvonly. */
static char *build_answer(const char *offer_sdp, const answer_spec *a)
{
    parsed_offer *o = malloc(sizeof *o);
    parse_offer(offer_sdp, o);
    char fp[128];
    make_fingerprint(fp, a->fp_seed);
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
        bool own = strcmp(s->mid, "0") == 0 || strcmp(s->mid, "1") == 0;
        uint32_t ssrc = strcmp(s->mid, "0") == 0 ? a->audio_ssrc : a->video_ssrc;
        if (disabled)
            append(&out, &len, &cap, "a=inactive\r\n");
        else if (own && ssrc)
            append(&out, &len, &cap, "a=sendonly\r\na=ssrc:%u cname:x\r\n", (unsigned)ssrc);
        else if (own)
            append(&out, &len, &cap, "a=inactive\r\n");
        else
            append(&out, &len, &cap, "a=recvonly\r\n");
    }
    free(o);
    return out;
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

#define CHECK_PARTICIPANT(obj, id, name, audio, video) check_participant_((obj), (id), (name), (audio), (video), __LINE__)
static void check_participant_(const json_t *p, const char *id, const char *name, bool audio, bool video, int line)
{
    const char *gid = str(p, "id"), *gname = str(p, "name");
    json_t *ga = json_object_get(p, "audio"), *gv = json_object_get(p, "video");
    if (!gid || strcmp(gid, id) != 0 || !gname || strcmp(gname, name) != 0 || !json_is_boolean(ga) ||
        !json_is_boolean(gv) || json_is_true(ga) != audio || json_is_true(gv) != video) {
        char *d = json_dumps(p, JSON_COMPACT);
        fail_at(line, "participant %.200s, expected {id %s, name %s, audio %d, video %d}", d ? d : "(null)",
                id, name, audio, video);
        free(d);
    } else {
        check_passed++;
    }
}

/* The offer's mids map entry for mid. */
#define CHECK_MID(offer, mid, participant, kind) check_mid_((offer), (mid), (participant), (kind), __LINE__)
static void check_mid_(const json_t *offer, const char *mid, const char *participant, const char *kind, int line)
{
    json_t *e = json_object_get(json_object_get(offer, "mids"), mid);
    const char *gp = str(e, "participant"), *gk = str(e, "kind");
    if (!gp || !gk || strcmp(gp, participant) != 0 || strcmp(gk, kind) != 0)
        fail_at(line, "mids[%s] = {%s, %s}, expected {%s, %s}", mid, gp ? gp : "-", gk ? gk : "-", participant, kind);
    else
        check_passed++;
}

static size_t mids_count(const json_t *offer)
{
    return json_object_size(json_object_get(offer, "mids"));
}

static json_int_t version_of(const json_t *offer)
{
    return json_integer_value(json_object_get(offer, "version"));
}

/* A configure request carrying these credentials and sources. */
#define CHECK_CONFIGURE(req, ufrag, pwd, fp, audio, video) check_configure_((req), (ufrag), (pwd), (fp), (audio), (video), __LINE__)
static void check_configure_(const json_t *req, const char *ufrag, const char *pwd, const char *fp,
                             uint32_t audio, uint32_t video, int line)
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
    if (audio)
        json_array_append_new(want, json_pack("{s:I, s:s}", "ssrc", (json_int_t)audio, "kind", "audio"));
    if (video)
        json_array_append_new(want, json_pack("{s:I, s:s}", "ssrc", (json_int_t)video, "kind", "video"));
    json_t *got = json_object_get(req, "sources");
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
        fail_at(line, "configure sources %s, expected %s", g ? g : "(none)", w ? w : "?");
        free(g);
        free(w);
    } else {
        check_passed++;
    }
    json_decref(want);
}

/* The whole inbox of c, as one string, for "never mentions" checks. */
static char *inbox_text(const fake_conn *c)
{
    return json_dumps(c->inbox, JSON_COMPACT);
}

static bool inbox_mentions(const fake_conn *c, const char *needle)
{
    char *t = inbox_text(c);
    bool found = t && strstr(t, needle) != NULL;
    free(t);
    return found;
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

/* Answers the offer with a generated SDP; expects the configure and acks it. */
static void answer_offer(focus *f, fake_conn *c, const char *room, const json_t *offer, const answer_spec *a)
{
    if (!offer)
        return;
    char *sdp = build_answer(str(offer, "sdp"), a);
    send_answer(f, c, sdp, version_of(offer));
    free(sdp);
    char fp[128];
    make_fingerprint(fp, a->fp_seed);
    json_t *cfg = EXPECT_REQ("configure", room, c->id);
    CHECK_CONFIGURE(cfg, a->ufrag, a->pwd, fp, a->audio_ssrc, a->video_ssrc);
    reply_ok(f, cfg);
}

static answer_spec spec(const char *ufrag, unsigned seed, uint32_t audio, uint32_t video)
{
    answer_spec a = { ufrag, "browserPassword0123456789", seed, audio, video, "active" };
    return a;
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

    /* 1. join → joined, allocate, offer v1. */
    send_text(f, alice, "{\"type\":\"join\",\"room\":\"Physics-101\",\"name\":\"  Alice  \"}");
    json_t *joined = EXPECT(alice, "joined");
    const char *aid = str(joined, "id");
    CHECK(is_hex_id(aid));
    snprintf(alice->id, sizeof alice->id, "%s", aid ? aid : "none");
    CHECK_EQ_STR(str(joined, "room"), "physics-101");
    CHECK_EQ_STR(str(joined, "name"), "Alice");
    CHECK(json_is_array(json_object_get(joined, "participants")));
    CHECK_EQ_INT(json_array_size(json_object_get(joined, "participants")), 0);
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
    CHECK(strstr(sdp, "a=setup:passive\r\n") != NULL);
    CHECK(strstr(sdp, "a=candidate:1 1 udp 2130706431 127.0.0.1 10001 typ host\r\n") != NULL);
    CHECK(strstr(sdp, "a=end-of-candidates") != NULL);
    char line[300];
    snprintf(line, sizeof line, "a=ice-ufrag:%s\r\n", t1.ufrag);
    CHECK(strstr(sdp, line) != NULL);
    snprintf(line, sizeof line, "a=ice-pwd:%s\r\n", t1.pwd);
    CHECK(strstr(sdp, line) != NULL);
    snprintf(line, sizeof line, "a=fingerprint:%s\r\n", t1.fingerprint);
    CHECK(strstr(sdp, line) != NULL);
    CHECK(po->ice_lite && po->setup_passive_everywhere);
    CHECK_EQ_INT(po->n, 2);
    CHECK_EQ_STR(po->s[0].mid, "0");
    CHECK_EQ_STR(po->s[0].kind, "audio");
    CHECK_EQ_STR(po->s[0].dir, "recvonly");
    CHECK_EQ_STR(po->s[1].mid, "1");
    CHECK_EQ_STR(po->s[1].kind, "video");
    CHECK_EQ_STR(po->s[1].dir, "recvonly");
    CHECK_EQ_STR(po->bundle, "0 1");
    CHECK_EQ_INT(mids_count(offer), 2);
    CHECK_MID(offer, "0", alice->id, "audio");
    CHECK_MID(offer, "1", alice->id, "video");
    EXPECT_NOTHING(alice);

    /* 2. Alice answers with the real Chromium answer to a first offer. */
    char *chromium = load_fixture("chromium-answer-1-own.sdp");
    send_answer(f, alice, chromium ? chromium : "", 1);
    json_t *cfg = EXPECT_REQ("configure", "physics-101", alice->id);
    CHECK_CONFIGURE(cfg, ALICE_UFRAG, ALICE_PWD, ALICE_FP, ALICE_AUDIO, ALICE_VIDEO);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(alice);
    reply_ok(f, cfg);
    EXPECT_NOTHING(alice);
    /* The same version again, then one never offered. */
    send_answer(f, alice, chromium ? chromium : "", 1);
    EXPECT_ERROR(alice, "stale-answer", "answer");
    send_answer(f, alice, chromium ? chromium : "", 2);
    EXPECT_ERROR(alice, "stale-answer", "answer");
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, alice);
    free(chromium);

    /* 3. Bob joins. */
    send_join(f, bob, "physics-101", "Bob");
    json_t *bjoined = EXPECT(bob, "joined");
    snprintf(bob->id, sizeof bob->id, "%s", bjoined ? str(bjoined, "id") : "none");
    CHECK(is_hex_id(bob->id));
    CHECK(strcmp(bob->id, alice->id) != 0);
    CHECK_EQ_STR(str(bjoined, "room"), "physics-101");
    CHECK_EQ_STR(str(bjoined, "name"), "Bob");
    json_t *others = json_object_get(bjoined, "participants");
    CHECK_EQ_INT(json_array_size(others), 1);
    CHECK_PARTICIPANT(json_array_get(others, 0), alice->id, "Alice", true, true);
    json_t *pj = EXPECT(alice, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), bob->id, "Bob", true, true);
    EXPECT_NOTHING(alice);
    CHECK_EQ_INT(focus_participant_count(f), 2);
    CHECK_EQ_INT(focus_room_count(f), 1);

    alloc = EXPECT_REQ("allocate", "physics-101", bob->id);
    reply_allocate_ok(f, alloc, 2);
    json_t *boffer = EXPECT(bob, "offer");
    CHECK_EQ_INT(version_of(boffer), 1);
    parse_offer(boffer ? str(boffer, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 4);
    CHECK_EQ_STR(po->bundle, "0 1 2 3");
    const offer_section *s2 = section(po, "2"), *s3 = section(po, "3");
    CHECK(s2 && s3);
    if (s2 && s3) {
        CHECK_EQ_STR(s2->kind, "audio");
        CHECK_EQ_STR(s2->dir, "sendonly");
        CHECK_EQ_STR(s2->msid_stream, alice->id);
        CHECK_EQ_INT(s2->ssrc, ALICE_AUDIO);
        CHECK_EQ_STR(s3->kind, "video");
        CHECK_EQ_STR(s3->dir, "sendonly");
        CHECK_EQ_STR(s3->msid_stream, alice->id);
        CHECK_EQ_INT(s3->ssrc, ALICE_VIDEO);
    }
    snprintf(line, sizeof line, "a=msid:%s ", alice->id);
    CHECK(boffer && strstr(str(boffer, "sdp"), line) != NULL);
    snprintf(line, sizeof line, "a=candidate:1 1 udp 2130706431 127.0.0.1 10002 typ host\r\n");
    CHECK(boffer && strstr(str(boffer, "sdp"), line) != NULL);
    CHECK_EQ_INT(mids_count(boffer), 4);
    CHECK_MID(boffer, "0", bob->id, "audio");
    CHECK_MID(boffer, "1", bob->id, "video");
    CHECK_MID(boffer, "2", alice->id, "audio");
    CHECK_MID(boffer, "3", alice->id, "video");
    EXPECT_NOTHING(bob);
    EXPECT_NOTHING(alice);       /* Bob sends nothing yet */

    answer_spec bspec = spec("bobU", 2, BOB_AUDIO, BOB_VIDEO);
    answer_offer(f, bob, "physics-101", boffer, &bspec);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(bob);
    json_t *aoffer = EXPECT(alice, "offer");
    CHECK_EQ_INT(version_of(aoffer), 2);
    parse_offer(aoffer ? str(aoffer, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 4);
    CHECK_EQ_STR(po->bundle, "0 1 2 3");
    s2 = section(po, "2");
    s3 = section(po, "3");
    CHECK(s2 && s3);
    if (s2 && s3) {
        CHECK_EQ_STR(s2->kind, "audio");
        CHECK_EQ_INT(s2->ssrc, BOB_AUDIO);
        CHECK_EQ_STR(s2->msid_stream, bob->id);
        CHECK_EQ_STR(s3->kind, "video");
        CHECK_EQ_INT(s3->ssrc, BOB_VIDEO);
        CHECK_EQ_STR(s3->msid_stream, bob->id);
    }
    CHECK_EQ_INT(mids_count(aoffer), 4);
    CHECK_MID(aoffer, "0", alice->id, "audio");
    CHECK_MID(aoffer, "1", alice->id, "video");
    CHECK_MID(aoffer, "2", bob->id, "audio");
    CHECK_MID(aoffer, "3", bob->id, "video");
    EXPECT_NOTHING(alice);

    /* Alice answers v2 (same own SSRCs): configure again, nothing else. */
    answer_spec aspec = { ALICE_UFRAG, ALICE_PWD, 0, ALICE_AUDIO, ALICE_VIDEO, "active" };
    char *asdp = build_answer(aoffer ? str(aoffer, "sdp") : "", &aspec);
    send_answer(f, alice, asdp, 2);
    free(asdp);
    char afp[128];
    make_fingerprint(afp, 0);
    cfg = EXPECT_REQ("configure", "physics-101", alice->id);
    CHECK_CONFIGURE(cfg, ALICE_UFRAG, ALICE_PWD, afp, ALICE_AUDIO, ALICE_VIDEO);
    reply_ok(f, cfg);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);

    /* 4. media-state from Bob. */
    send_text(f, bob, "{\"type\":\"media-state\",\"audio\":false,\"video\":true}");
    json_t *upd = EXPECT(alice, "participant-updated");
    CHECK_PARTICIPANT(json_object_get(upd, "participant"), bob->id, "Bob", false, true);
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);
    EXPECT_NO_REQ();

    /* The bridge reports media flowing: nothing for anyone. */
    bridge_event(f, "endpoint-connected", "physics-101", bob->id, NULL);
    EXPECT_NOTHING(alice);
    EXPECT_NOTHING(bob);
    EXPECT_NO_REQ();

    /* 5. Bob leaves. */
    send_text(f, bob, "{\"type\":\"leave\"}");
    json_t *bye = EXPECT(bob, "bye");
    CHECK_EQ_STR(str(bye, "reason"), "left");
    CHECK_EQ_INT(bob->closes, 1);
    EXPECT_NOTHING(bob);
    json_t *left = EXPECT(alice, "participant-left");
    CHECK_EQ_STR(str(left, "id"), bob->id);
    CHECK_EQ_STR(str(left, "reason"), "left");
    aoffer = EXPECT(alice, "offer");
    CHECK_EQ_INT(version_of(aoffer), 3);
    const char *a3 = aoffer ? str(aoffer, "sdp") : "";
    parse_offer(a3, po);
    CHECK_EQ_INT(po->n, 4);
    s2 = section(po, "2");
    s3 = section(po, "3");
    CHECK(s2 && s3);
    if (s2 && s3) {
        CHECK_EQ_INT(s2->port, 0);
        CHECK_EQ_INT(s3->port, 0);
    }
    CHECK(strstr(a3, "m=audio 0 ") != NULL);
    CHECK(strstr(a3, "m=video 0 ") != NULL);
    CHECK_EQ_STR(po->bundle, "0 1");
    CHECK(!bundle_has(po, "2") && !bundle_has(po, "3"));
    CHECK_EQ_INT(mids_count(aoffer), 2);
    CHECK_MID(aoffer, "0", alice->id, "audio");
    CHECK_MID(aoffer, "1", alice->id, "video");
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
    asdp = build_answer(a3, &aspec);
    CHECK(strstr(asdp, "m=audio 0 ") != NULL);
    send_answer(f, alice, asdp, 3);
    free(asdp);
    cfg = EXPECT_REQ("configure", "physics-101", alice->id);
    CHECK_CONFIGURE(cfg, ALICE_UFRAG, ALICE_PWD, afp, ALICE_AUDIO, ALICE_VIDEO);
    reply_ok(f, cfg);
    EXPECT_NOTHING(alice);

    /* 6. Carol joins; Alice's socket closes while Carol's first offer is
     * unanswered; then Carol's closes and the room is gone. */
    fake_conn *carol = conn_open(f, "carol");
    send_join(f, carol, "PHYSICS-101", "Carol");
    json_t *cjoined = EXPECT(carol, "joined");
    snprintf(carol->id, sizeof carol->id, "%s", cjoined ? str(cjoined, "id") : "none");
    CHECK_EQ_STR(str(cjoined, "room"), "physics-101");
    others = json_object_get(cjoined, "participants");
    CHECK_EQ_INT(json_array_size(others), 1);
    CHECK_PARTICIPANT(json_array_get(others, 0), alice->id, "Alice", true, true);
    pj = EXPECT(alice, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), carol->id, "Carol", true, true);
    alloc = EXPECT_REQ("allocate", "physics-101", carol->id);
    reply_allocate_ok(f, alloc, 3);
    json_t *coffer = EXPECT(carol, "offer");
    CHECK_EQ_INT(version_of(coffer), 1);
    parse_offer(coffer ? str(coffer, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 4);              /* Bob is long gone: only Alice's two */
    CHECK_EQ_INT(mids_count(coffer), 4);
    CHECK_MID(coffer, "2", alice->id, "audio");
    CHECK_MID(coffer, "3", alice->id, "video");
    CHECK(coffer && !strstr(str(coffer, "sdp"), bob->id));

    conn_gone(f, alice);
    left = EXPECT(carol, "participant-left");
    CHECK_EQ_STR(str(left, "id"), alice->id);
    CHECK_EQ_STR(str(left, "reason"), "disconnected");
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
    s2 = section(po, "2");
    s3 = section(po, "3");
    CHECK(s2 && s3 && s2->port == 0 && s3->port == 0);
    CHECK_EQ_STR(po->bundle, "0 1");
    CHECK_EQ_INT(mids_count(coffer), 2);
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

static void test_join_order(void)
{
    focus *f = new_focus();
    fake_conn *a = conn_open(f, "a3b"), *b = conn_open(f, "b3b"), *c = conn_open(f, "c3b");

    /* A and B join back to back; the bridge answers B first. */
    send_join(f, a, "order", "Ann");
    json_t *joined = EXPECT(a, "joined");
    snprintf(a->id, sizeof a->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_a = EXPECT_REQ("allocate", "order", a->id);
    send_text(f, a, "{\"type\":\"media-state\",\"audio\":false,\"video\":true}");
    send_text(f, b, "{\"type\":\"join\",\"room\":\"order\",\"name\":\" \\t \"}");
    joined = EXPECT(b, "joined");
    snprintf(b->id, sizeof b->id, "%s", joined ? str(joined, "id") : "none");
    CHECK_EQ_STR(str(joined, "name"), "Guest");      /* nothing left after cleaning */
    json_t *others = json_object_get(joined, "participants");
    CHECK_EQ_INT(json_array_size(others), 1);
    CHECK_PARTICIPANT(json_array_get(others, 0), a->id, "Ann", false, true);
    json_t *pj = EXPECT(a, "participant-joined");
    CHECK_PARTICIPANT(json_object_get(pj, "participant"), b->id, "Guest", true, true);
    json_t *alloc_b = EXPECT_REQ("allocate", "order", b->id);

    reply_allocate_ok(f, alloc_b, 71);
    json_t *ob = EXPECT(b, "offer");
    CHECK_EQ_INT(version_of(ob), 1);
    CHECK_EQ_INT(mids_count(ob), 2);                 /* Ann sends nothing yet */
    EXPECT_NOTHING(a);                               /* Ann has no offer before her allocation */
    answer_spec sb = spec("bbbb", 71, 7101u, 7102u);
    answer_offer(f, b, "order", ob, &sb);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    reply_allocate_ok(f, alloc_a, 70);
    json_t *oa = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(oa), 1);                 /* first offer, with B's media already */
    CHECK_EQ_INT(mids_count(oa), 4);
    CHECK_MID(oa, "0", a->id, "audio");
    CHECK_MID(oa, "1", a->id, "video");
    CHECK_MID(oa, "2", b->id, "audio");
    CHECK_MID(oa, "3", b->id, "video");
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(oa ? str(oa, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 4);
    CHECK(section(po, "2") && section(po, "2")->ssrc == 7101u);
    CHECK(section(po, "3") && section(po, "3")->ssrc == 7102u);
    CHECK_EQ_STR(po->bundle, "0 1 2 3");
    answer_spec sa = spec("aaaa", 70, 7001u, 7002u);
    answer_offer(f, a, "order", oa, &sa);
    ob = EXPECT(b, "offer");
    CHECK_EQ_INT(version_of(ob), 2);
    CHECK_MID(ob, "2", a->id, "audio");
    CHECK_MID(ob, "3", a->id, "video");
    answer_offer(f, b, "order", ob, &sb);
    EXPECT_NOTHING(a);
    EXPECT_NOTHING(b);

    /* A third participant sees both, oldest first, with their state. */
    json_t *oc = join_allocated(f, c, "order", "Cy", 72);
    joined = json_array_get(c->inbox, 0);
    others = json_object_get(joined, "participants");
    CHECK_EQ_INT(json_array_size(others), 2);
    CHECK_PARTICIPANT(json_array_get(others, 0), a->id, "Ann", false, true);
    CHECK_PARTICIPANT(json_array_get(others, 1), b->id, "Guest", true, true);
    EXPECT(a, "participant-joined");
    EXPECT(b, "participant-joined");
    CHECK_EQ_INT(mids_count(oc), 6);
    CHECK_MID(oc, "2", a->id, "audio");
    CHECK_MID(oc, "3", a->id, "video");
    CHECK_MID(oc, "4", b->id, "audio");
    CHECK_MID(oc, "5", b->id, "video");
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
    json_t *bye = EXPECT(b, "bye");
    CHECK_EQ_STR(str(bye, "reason"), "media-timeout");
    CHECK_EQ_INT(b->closes, 1);
    EXPECT_NOTHING(b);
    json_t *left = EXPECT(a, "participant-left");
    CHECK_EQ_STR(str(left, "id"), b->id);
    CHECK_EQ_STR(str(left, "reason"), "timeout");
    offer = EXPECT(a, "offer");
    CHECK_EQ_INT(version_of(offer), 3);
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(offer ? str(offer, "sdp") : "", po);
    CHECK(section(po, "2") && section(po, "2")->port == 0);
    CHECK(section(po, "3") && section(po, "3")->port == 0);
    CHECK_EQ_STR(po->bundle, "0 1");
    free(po);
    EXPECT_NOTHING(a);
    EXPECT_NO_REQ();                     /* the bridge already dropped it: no expire */
    CHECK_EQ_INT(focus_participant_count(f), 1);

    /* B's transport goes away afterwards: still nothing for the bridge. */
    conn_gone(f, b);
    EXPECT_NO_REQ();
    EXPECT_NOTHING(a);

    conn_gone(f, a);
    EXPECT_REQ("expire", "lab", a->id);
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_room_count(f), 0);
    CHECK_EQ_INT(a->closes, 0);
    focus_free(f);
    conn_free(a);
    conn_free(b);
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
    json_t *joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
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
    joined = EXPECT(b, "joined");
    snprintf(b->id, sizeof b->id, "%s", joined ? str(joined, "id") : "none");
    EXPECT(a, "participant-joined");
    alloc = EXPECT_REQ("allocate", "lab", b->id);
    reply_error(f, alloc, "unavailable");
    EXPECT_ERROR(b, "bridge-error", "join");
    EXPECT_NOTHING(b);
    json_t *left = EXPECT(a, "participant-left");
    CHECK_EQ_STR(str(left, "id"), b->id);
    EXPECT_NOTHING(a);                   /* B never had sections at A */
    EXPECT_NO_REQ();
    CHECK_EQ_INT(focus_participant_count(f), 1);
    CHECK_EQ_INT(focus_room_count(f), 1);
    CHECK_EQ_INT(b->closes, 1);
    /* A's media-state no longer reaches B. */
    send_text(f, a, "{\"type\":\"media-state\",\"audio\":true,\"video\":false}");
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
    json_t *joined = EXPECT(a, "joined");
    snprintf(a->id, sizeof a->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_a = EXPECT_REQ("allocate", "lab", a->id);
    json_int_t alloc_a_id = req_id(alloc_a);
    send_text(f, a, "{\"type\":\"leave\"}");
    json_t *bye = EXPECT(a, "bye");
    CHECK_EQ_STR(str(bye, "reason"), "left");
    CHECK_EQ_INT(a->closes, 1);
    EXPECT_NO_REQ();                     /* nothing to expire yet */
    EXPECT(w, "participant-joined");
    json_t *left = EXPECT(w, "participant-left");
    CHECK_EQ_STR(str(left, "id"), a->id);
    CHECK_EQ_STR(str(left, "reason"), "left");
    EXPECT_NOTHING(w);
    conn_gone(f, a);
    CHECK_EQ_INT(focus_participant_count(f), 1);

    /* The same with a socket that just closes. */
    send_join(f, b, "lab", "B");
    joined = EXPECT(b, "joined");
    snprintf(b->id, sizeof b->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_b = EXPECT_REQ("allocate", "lab", b->id);
    conn_gone(f, b);
    EXPECT_NO_REQ();
    EXPECT(w, "participant-joined");
    left = EXPECT(w, "participant-left");
    CHECK_EQ_STR(str(left, "reason"), "disconnected");

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
    joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_c = EXPECT_REQ("allocate", "empty-soon", c->id);
    send_text(f, c, "{\"type\":\"leave\"}");
    EXPECT(c, "bye");
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
    json_t *joined = EXPECT(c, "joined");
    CHECK_EQ_STR(str(joined, "name"), "Guest");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
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

    /* A rejected answer leaves the offer open: a good one still works. */
    answer_spec good = spec("cccc", 40, 5050u, 5051u);
    answer_offer(f, c, "errors", offer, &good);
    EXPECT_NOTHING(c);
    EXPECT_NO_REQ();
    EXPECT_ALIVE(f, c);

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

    /* B1 joins room-b first and answers with Chromium's audio-only answer. */
    join_allocated(f, b1, "room-b", "Dave", 50);
    char *chromium = load_fixture("chromium-answer-4-audio-only.sdp");
    send_answer(f, b1, chromium ? chromium : "", 1);
    free(chromium);
    json_t *cfg = EXPECT_REQ("configure", "room-b", b1->id);
    CHECK_CONFIGURE(cfg, "+QmS", "aD7487WaF9AE8q9uBTTbXnIB",
                    "sha-256 E7:D0:F9:C3:1F:7B:B3:F6:0B:60:9F:9A:51:80:37:50:D5:FA:C0:54:59:4F:51:F2:3E:AC:AE:02:E5:AC:50:81",
                    2494571587u, 0);
    reply_ok(f, cfg);

    json_t *oa1 = join_allocated(f, a1, "Room-A", "Alice", 51);
    answer_spec sa1 = spec("ua1a", 51, 6001u, 6002u);
    answer_offer(f, a1, "room-a", oa1, &sa1);

    json_t *ob2 = join_allocated(f, b2, "room-b", "Carol", 52);
    EXPECT(b1, "participant-joined");
    /* Only Dave's audio: he has no camera. */
    parsed_offer *po = malloc(sizeof *po);
    parse_offer(ob2 ? str(ob2, "sdp") : "", po);
    CHECK_EQ_INT(po->n, 3);
    CHECK(section(po, "2") && strcmp(section(po, "2")->kind, "audio") == 0 &&
          section(po, "2")->ssrc == 2494571587u);
    CHECK_EQ_INT(mids_count(ob2), 3);
    CHECK_MID(ob2, "2", b1->id, "audio");
    answer_spec sb2 = spec("ub2b", 52, 7001u, 7002u);
    answer_offer(f, b2, "room-b", ob2, &sb2);
    json_t *o = EXPECT(b1, "offer");
    CHECK_EQ_INT(version_of(o), 2);
    CHECK_MID(o, "2", b2->id, "audio");
    CHECK_MID(o, "3", b2->id, "video");
    answer_spec sb1 = spec("ub1b", 50, 2494571587u, 0);
    answer_offer(f, b1, "room-b", o, &sb1);

    json_t *oa2 = join_allocated(f, a2, "room-a", "Bob", 53);
    EXPECT(a1, "participant-joined");
    CHECK_EQ_INT(mids_count(oa2), 4);
    answer_spec sa2 = spec("ua2a", 53, 8001u, 8002u);
    answer_offer(f, a2, "room-a", oa2, &sa2);
    o = EXPECT(a1, "offer");
    CHECK_EQ_INT(mids_count(o), 4);
    answer_offer(f, a1, "room-a", o, &sa1);

    CHECK_EQ_INT(focus_room_count(f), 2);
    CHECK_EQ_INT(focus_participant_count(f), 4);

    /* Room B's activity, then B2 leaves. */
    send_text(f, b1, "{\"type\":\"media-state\",\"audio\":false,\"video\":false}");
    EXPECT(b2, "participant-updated");
    send_text(f, b2, "{\"type\":\"leave\"}");
    EXPECT(b2, "bye");
    EXPECT(b1, "participant-left");
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
              *d = conn_open(f, "d12");
    json_t *offer = join_allocated(f, a, "lab", "A", 60);           /* negotiated */
    answer_spec as = spec("aaaa", 60, 9001u, 9002u);
    answer_offer(f, a, "lab", offer, &as);
    join_allocated(f, b, "other", "B", 61);                          /* offer outstanding */
    send_join(f, c, "lab", "C");                                     /* allocation in flight */
    json_t *joined = EXPECT(c, "joined");
    snprintf(c->id, sizeof c->id, "%s", joined ? str(joined, "id") : "none");
    json_t *alloc_c = EXPECT_REQ("allocate", "lab", c->id);
    EXPECT(a, "participant-joined");
    /* d never joined */

    focus_shutdown(f);
    fake_conn *all[] = { a, b, c, d };
    for (size_t i = 0; i < 4; i++) {
        json_t *bye = EXPECT(all[i], "bye");
        CHECK_EQ_STR(str(bye, "reason"), "server-shutdown");
        EXPECT_NOTHING(all[i]);
        CHECK_EQ_INT(all[i]->closes, 1);
    }

    /* Late messages and bridge responses reach nobody. */
    send_text(f, d, "{\"type\":\"ping\"}");
    reply_allocate_ok(f, alloc_c, 62);
    /* The transport closes every socket. */
    for (size_t i = 0; i < 4; i++)
        conn_gone(f, all[i]);
    for (size_t i = 0; i < 4; i++) {
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
    for (size_t i = 0; i < 4; i++)
        conn_free(all[i]);
}

/* ------------------------------------------------------------------ */
/* 13. a large room with a bridge that advertises 8 addresses          */
/* ------------------------------------------------------------------ */

/* Answers every offer waiting at the connections (participant i sends
 * SSRCs 20000 + 2i, 20001 + 2i) until none is left; other messages are
 * consumed. Errors are failures. */
static void answer_everything(focus *f, fake_conn **c, size_t n)
{
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < n; i++) {
            while (c[i]->s && unread(c[i]) > 0) {
                json_t *m = json_array_get(c[i]->inbox, c[i]->seen++);
                if (strcmp(str(m, "type"), "error") == 0)
                    fail_at(__LINE__, "%s got error %s", c[i]->label, str(m, "code"));
                if (strcmp(str(m, "type"), "offer") != 0)
                    continue;
                answer_spec a = spec("bigU", (unsigned)i, 20000u + 2 * (unsigned)i, 20001u + 2 * (unsigned)i);
                char *sdp = build_answer(str(m, "sdp"), &a);
                send_answer(f, c[i], sdp, version_of(m));
                free(sdp);
                again = true;
            }
        }
        while (unread_requests() > 0) {
            json_t *r = json_array_get(g_requests, g_requests_seen++);
            if (strcmp(str(r, "type"), "configure") == 0 || strcmp(str(r, "type"), "expire") == 0)
                reply_ok(f, r);
        }
    }
}

/* The bridge may advertise up to 8 addresses (CONFIG_MAX_PUBLIC_IPS) and the
 * focus keeps up to SDP_MAX_CANDIDATES = 8; a room of 27 needs 54 m=
 * sections, fewer than SDP_MAX_MEDIA = 64. Per docs/protocol.md every
 * participant gets an offer after joining, versions start at 1 and go up by
 * one per offer. */
#define BIG_ROOM 27
static void test_big_room(void)
{
    focus *f = new_focus();
    fake_conn *c[BIG_ROOM];
    for (size_t i = 0; i < BIG_ROOM; i++) {
        char label[16];
        snprintf(label, sizeof label, "big%zu", i);
        c[i] = conn_open(f, label);
        send_join(f, c[i], "big", label);
        json_t *joined = EXPECT(c[i], "joined");
        snprintf(c[i]->id, sizeof c[i]->id, "%s", joined ? str(joined, "id") : "none");
        json_t *alloc = EXPECT_REQ("allocate", "big", c[i]->id);
        reply_allocate_ok_cands(f, alloc, 200 + (unsigned)i, 8);
        if (i + 1 < BIG_ROOM)
            answer_everything(f, c, i + 1);
    }
    fake_conn *last = c[BIG_ROOM - 1];
    /* The newest participant's first offer. */
    json_t *first = unread(last) > 0 ? json_array_get(last->inbox, last->seen) : NULL;
    if (!first || strcmp(str(first, "type"), "offer") != 0)
        fail_at(__LINE__, "participant %d of a room got no offer after allocate-ok", BIG_ROOM);
    else
        check_passed++;
    /* If it comes only once the room shrinks, it must still be version 1. */
    send_text(f, c[0], "{\"type\":\"leave\"}");
    json_int_t first_version = 0;
    for (size_t k = last->seen; k < json_array_size(last->inbox); k++) {
        json_t *m = json_array_get(last->inbox, k);
        if (strcmp(str(m, "type"), "offer") == 0) {
            first_version = version_of(m);
            break;
        }
    }
    CHECK_EQ_INT(first_version, 1);
    answer_everything(f, c, BIG_ROOM);
    for (size_t i = 0; i < BIG_ROOM; i++)
        conn_gone(f, c[i]);
    g_requests_seen = json_array_size(g_requests);
    CHECK_EQ_INT(focus_room_count(f), 0);
    focus_free(f);
    for (size_t i = 0; i < BIG_ROOM; i++)
        conn_free(c[i]);
}

/* ------------------------------------------------------------------ */

int main(void)
{
    log_set_level(LOG_ERROR);
    g_requests = json_array();

    test_one_room();
    test_join_order();
    test_endpoint_expired();
    test_allocate_error();
    test_leave_during_allocate();
    test_protocol_errors();
    test_two_rooms();
    test_shutdown();
    test_big_room();

    CHECK_EQ_INT(g_invalid_sends, 0);
    json_decref(g_requests);
    return check_report("focus_flow");
}
