/* The Janus VideoRoom API (Janus 1.x, multistream) over WebSocket,
 * subprotocol "janus-protocol", for one simulated participant:
 *   create session -> attach janus.plugin.videoroom (publisher handle)
 *   -> create the room (427 "already exists" is fine) -> join as publisher
 *   -> publish with our offer, apply Janus's answer
 *   -> attach a second handle, join as subscriber to every known feed,
 *      answer Janus's offer with "start"; later feeds are added with
 *      "subscribe" and the renegotiation answered the same way.
 * Keepalives every 20 s; "destroy" on leave. Learned from the Janus
 * documentation of its JSON API and VideoRoom plugin. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_load.h"
#include "sig.h"
#include "core/random.h"

#define SDP_CAP (256 * 1024)
#define MAX_FEEDS 1024
#define KEEPALIVE_NS 20000000000LL

typedef struct janus_state {
    json_int_t session, pub_handle, sub_handle;
    bool attaching_sub;
    bool sub_joined;                     /* "join" as subscriber sent */
    bool negotiating;                    /* a subscriber offer/answer round is open */
    json_int_t own_feed;
    json_int_t feeds[MAX_FEEDS];         /* known publishers' feed ids */
    bool subscribed[MAX_FEEDS];
    int n_feeds;
    int64_t next_keepalive_ns;
    unsigned tx;
    pc *sub_pc;
} janus_state;

static const char *jstr(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static janus_state *st(sig_conn *s)
{
    return s->state;
}

/* Sends a request; the transaction id starts with what it is for. */
static void request(sig_conn *s, const char *janus, const char *what, json_int_t handle, json_t *body, json_t *jsep)
{
    janus_state *j = st(s);
    char tx[48];
    snprintf(tx, sizeof tx, "%s-%u", what, ++j->tx);
    json_t *m = json_pack("{s:s, s:s}", "janus", janus, "transaction", tx);
    if (j->session)
        json_object_set_new(m, "session_id", json_integer(j->session));
    if (handle)
        json_object_set_new(m, "handle_id", json_integer(handle));
    if (body)
        json_object_set_new(m, "body", body);
    if (jsep)
        json_object_set_new(m, "jsep", jsep);
    if (sig_send(s, m) < 0)
        participant_fail(s->p, "cannot queue a Janus request");
}

static void attach(sig_conn *s, const char *what)
{
    janus_state *j = st(s);
    char tx[48];
    snprintf(tx, sizeof tx, "%s-%u", what, ++j->tx);
    if (sig_send(s, json_pack("{s:s, s:s, s:s, s:I}", "janus", "attach", "plugin", "janus.plugin.videoroom",
                              "transaction", tx, "session_id", j->session)) < 0)
        participant_fail(s->p, "cannot queue a Janus request");
}

static bool tx_is(json_t *msg, const char *what)
{
    const char *tx = jstr(msg, "transaction");
    size_t n = strlen(what);
    return tx && strncmp(tx, what, n) == 0 && tx[n] == '-';
}

static int room_id(const participant *p)
{
    return g_run->cfg.janus_room_base + p->room;
}

static void janus_open(sig_conn *s)
{
    s->state = calloc(1, sizeof(janus_state));
    if (!s->state) {
        participant_fail(s->p, "out of memory");
        return;
    }
    st(s)->next_keepalive_ns = mono_ns() + KEEPALIVE_NS;
    request(s, "create", "create", 0, NULL, NULL);
}

static void add_feed(janus_state *j, json_int_t id)
{
    if (id == j->own_feed)
        return;
    for (int i = 0; i < j->n_feeds; i++)
        if (j->feeds[i] == id)
            return;
    if (j->n_feeds < MAX_FEEDS)
        j->feeds[j->n_feeds++] = id;
}

static void add_publishers(janus_state *j, json_t *list)
{
    size_t i;
    json_t *pub;
    json_array_foreach(list, i, pub) {
        json_t *id = json_object_get(pub, "id");
        if (json_is_integer(id))
            add_feed(j, json_integer_value(id));
    }
}

static void maybe_subscribe(sig_conn *s)
{
    janus_state *j = st(s);
    participant *p = s->p;
    if (j->negotiating || p->failed)
        return;
    json_t *streams = json_array();
    for (int i = 0; i < j->n_feeds; i++)
        if (!j->subscribed[i])
            json_array_append_new(streams, json_pack("{s:I}", "feed", j->feeds[i]));
    if (json_array_size(streams) == 0) {
        json_decref(streams);
        return;
    }
    if (!j->sub_handle) {
        json_decref(streams);
        if (!j->attaching_sub) {
            j->attaching_sub = true;
            attach(s, "attsub");
        }
        return;
    }
    for (int i = 0; i < j->n_feeds; i++)
        j->subscribed[i] = true;
    j->negotiating = true;
    if (!j->sub_joined) {
        j->sub_joined = true;
        request(s, "message", "sjoin", j->sub_handle,
                json_pack("{s:s, s:s, s:i, s:o}", "request", "join", "ptype", "subscriber", "room", room_id(p),
                          "streams", streams), NULL);
    } else {
        request(s, "message", "ssub", j->sub_handle, json_pack("{s:s, s:o}", "request", "subscribe", "streams",
                                                               streams), NULL);
    }
}

static int fill_remote(pc *c, const lsdp *d)
{
    if (d->n_candidates == 0)
        return -1;
    c->remote.sin_family = AF_INET;
    c->remote.sin_port = htons(d->candidates[0].port);
    if (inet_pton(AF_INET, d->candidates[0].ip, &c->remote.sin_addr) != 1 ||
        sdp_fingerprint_decode(d->fingerprint, c->remote_fp) < 0)
        return -1;
    snprintf(c->remote_ufrag, sizeof c->remote_ufrag, "%s", d->ice_ufrag);
    snprintf(c->remote_pwd, sizeof c->remote_pwd, "%s", d->ice_pwd);
    c->dtls_server = strcmp(d->setup, "active") == 0;
    c->have_remote = true;
    return 0;
}

static void publish(sig_conn *s)
{
    participant *p = s->p;
    if (p->n_pcs >= LOAD_MAX_PCS)
        return;
    pc *c = pc_new(p, g_run->cfg.bind_ip);
    if (!c) {
        participant_fail(p, "cannot create a UDP socket");
        return;
    }
    p->pcs[p->n_pcs++] = c;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->local.sin_addr, ip, sizeof ip);
    lsdp_local l = { .ufrag = c->local_ufrag, .pwd = c->local_pwd, .fingerprint = dtls_ctx_fingerprint(g_run->dtls),
                     .setup = "actpass", .audio_ssrc = p->audio_ssrc, .video_ssrc = p->video_ssrc,
                     .cname = p->name, .stream_id = p->name, .candidate_ip = ip,
                     .candidate_port = ntohs(c->local.sin_port), .session_id = (uint64_t)p->index + 1 };
    static char sdp[SDP_CAP];
    int len = lsdp_write_offer(&l, !g_run->cfg.audio_only, sdp, sizeof sdp);
    if (len < 0) {
        participant_fail(p, "offer too large");
        return;
    }
    request(s, "message", "pub", st(s)->pub_handle,
            json_pack("{s:s, s:b, s:b}", "request", "publish", "audio", 1, "video", !g_run->cfg.audio_only),
            json_pack("{s:s, s:s%}", "type", "offer", "sdp", sdp, (size_t)len));
}

static void on_publisher_answer(sig_conn *s, json_t *jsep)
{
    participant *p = s->p;
    const char *sdp = jstr(jsep, "sdp");
    static lsdp d;
    char err[160];
    if (!sdp || p->n_pcs == 0 || lsdp_parse(sdp, strlen(sdp), &d, err, sizeof err) < 0) {
        participant_fail(p, "unusable answer from Janus: %s", sdp ? err : "no sdp");
        return;
    }
    pc *c = p->pcs[0];
    if (c->have_remote)
        return;
    if (fill_remote(c, &d) < 0) {
        participant_fail(p, "no usable candidate or fingerprint in Janus's answer");
        return;
    }
    c->controlling = true;               /* we offered */
    c->send = true;
    pc_start(g_run, c);
}

static void on_subscriber_offer(sig_conn *s, json_t *jsep)
{
    participant *p = s->p;
    janus_state *j = st(s);
    const char *sdp = jstr(jsep, "sdp");
    static lsdp d;
    static char answer[SDP_CAP];
    static enum lsdp_role roles[LSDP_MAX_MEDIA];
    char err[160];
    if (!sdp || lsdp_parse(sdp, strlen(sdp), &d, err, sizeof err) < 0) {
        participant_fail(p, "unusable offer from Janus: %s", sdp ? err : "no sdp");
        return;
    }
    for (size_t i = 0; i < d.n_media; i++)
        roles[i] = d.media[i].port ? LSDP_RECVONLY : LSDP_REJECT;
    pc *c = j->sub_pc;
    if (!c) {
        if (p->n_pcs >= LOAD_MAX_PCS || !(c = pc_new(p, g_run->cfg.bind_ip))) {
            participant_fail(p, "cannot create a UDP socket");
            return;
        }
        p->pcs[p->n_pcs++] = c;
        j->sub_pc = c;
    }
    for (size_t i = 0; i < d.n_media; i++)
        if (strcmp(d.media[i].kind, "video") == 0 && d.media[i].pt_vp8 >= 0) {
            c->remote_video_pt = (uint8_t)d.media[i].pt_vp8;
            break;
        }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->local.sin_addr, ip, sizeof ip);
    lsdp_local l = { .ufrag = c->local_ufrag, .pwd = c->local_pwd, .fingerprint = dtls_ctx_fingerprint(g_run->dtls),
                     .setup = "active", .cname = p->name, .stream_id = p->name, .candidate_ip = ip,
                     .candidate_port = ntohs(c->local.sin_port), .session_id = (uint64_t)p->index + 1000001 };
    int len = lsdp_write_answer(&d, roles, &l, answer, sizeof answer);
    if (len < 0) {
        participant_fail(p, "answer too large");
        return;
    }
    request(s, "message", "start", j->sub_handle, json_pack("{s:s}", "request", "start"),
            json_pack("{s:s, s:s%}", "type", "answer", "sdp", answer, (size_t)len));
    if (!c->have_remote) {
        if (fill_remote(c, &d) < 0) {
            participant_fail(p, "no usable candidate or fingerprint in Janus's offer");
            return;
        }
        c->controlling = d.ice_lite;     /* Janus offered: it controls unless it is ICE-lite */
        c->dtls_server = false;          /* we answered setup:active */
        c->send = false;
        pc_start(g_run, c);
    }
}

static void on_plugin_event(sig_conn *s, json_t *msg, json_int_t sender)
{
    participant *p = s->p;
    janus_state *j = st(s);
    json_t *data = json_object_get(json_object_get(msg, "plugindata"), "data");
    json_t *jsep = json_object_get(msg, "jsep");
    const char *vr = jstr(data, "videoroom");
    json_t *code = json_object_get(data, "error_code");
    if (json_is_integer(code)) {
        if (tx_is(msg, "room") && json_integer_value(code) == 427) {
            /* the room exists already: fine, join it */
        } else {
            participant_fail(p, "Janus error %" JSON_INTEGER_FORMAT ": %s", json_integer_value(code),
                             jstr(data, "error") ? jstr(data, "error") : "");
            return;
        }
    }
    if (tx_is(msg, "room")) {
        request(s, "message", "join", j->pub_handle,
                json_pack("{s:s, s:s, s:i, s:s}", "request", "join", "ptype", "publisher", "room", room_id(p),
                          "display", p->name), NULL);
        return;
    }
    if (sender == j->pub_handle) {
        if (vr && strcmp(vr, "joined") == 0) {
            j->own_feed = json_integer_value(json_object_get(data, "id"));
            snprintf(p->id, sizeof p->id, "%" JSON_INTEGER_FORMAT, j->own_feed);
            p->joined = true;
            add_publishers(j, json_object_get(data, "publishers"));
            if (p->publishes)
                publish(s);
        } else if (vr && strcmp(vr, "event") == 0) {
            add_publishers(j, json_object_get(data, "publishers"));
        }
        if (jsep && jstr(jsep, "type") && strcmp(jstr(jsep, "type"), "answer") == 0)
            on_publisher_answer(s, jsep);
        maybe_subscribe(s);
        return;
    }
    if (sender == j->sub_handle) {
        if (jsep && jstr(jsep, "type") && strcmp(jstr(jsep, "type"), "offer") == 0)
            on_subscriber_offer(s, jsep);
        else if (tx_is(msg, "start")) {
            j->negotiating = false;
            maybe_subscribe(s);
        }
    }
}

static void janus_message(sig_conn *s, json_t *msg)
{
    participant *p = s->p;
    janus_state *j = st(s);
    const char *type = jstr(msg, "janus");
    if (!type || !j)
        return;
    json_int_t sender = json_integer_value(json_object_get(msg, "sender"));
    if (strcmp(type, "success") == 0) {
        json_t *data = json_object_get(msg, "data");
        json_int_t id = json_integer_value(json_object_get(data, "id"));
        if (tx_is(msg, "create")) {
            j->session = id;
            attach(s, "attpub");
        } else if (tx_is(msg, "attpub")) {
            j->pub_handle = id;
            /* Every participant asks for the room; all but the first get 427. */
            int pubs = g_run->cfg.participants + 1;
            request(s, "message", "room", j->pub_handle,
                    json_pack("{s:s, s:i, s:i, s:s, s:s, s:i, s:b}", "request", "create", "room", room_id(p),
                              "publishers", pubs, "audiocodec", "opus", "videocodec", "vp8", "bitrate", 0,
                              "notify_joining", 0), NULL);
        } else if (tx_is(msg, "attsub")) {
            j->sub_handle = id;
            j->attaching_sub = false;
            maybe_subscribe(s);
        } else if (json_object_get(msg, "plugindata")) {
            on_plugin_event(s, msg, sender ? sender : j->pub_handle);
        }
    } else if (strcmp(type, "event") == 0) {
        on_plugin_event(s, msg, sender);
    } else if (strcmp(type, "error") == 0) {
        json_t *e = json_object_get(msg, "error");
        participant_fail(p, "Janus error %" JSON_INTEGER_FORMAT ": %s",
                         json_integer_value(json_object_get(e, "code")),
                         jstr(e, "reason") ? jstr(e, "reason") : "");
    } else if (strcmp(type, "hangup") == 0) {
        participant_fail(p, "Janus hung up a PeerConnection: %s", jstr(msg, "reason") ? jstr(msg, "reason") : "");
    } else if (strcmp(type, "timeout") == 0) {
        participant_fail(p, "Janus session timed out");
    }
    /* webrtcup, media, slowlink, keepalive acks, ... need nothing. */
}

static void janus_tick(sig_conn *s, int64_t now)
{
    janus_state *j = st(s);
    if (!j || !j->session || now < j->next_keepalive_ns)
        return;
    j->next_keepalive_ns = now + KEEPALIVE_NS;
    request(s, "keepalive", "ka", 0, NULL, NULL);
}

static void janus_close(sig_conn *s)
{
    if (!s->closing)
        participant_fail(s->p, "Janus closed the signalling connection");
}

static void janus_leave(sig_conn *s)
{
    if (st(s) && st(s)->session)
        request(s, "destroy", "bye", 0, NULL, NULL);
    sig_close(s);
}

const sig_proto sig_janus = {
    .name = "janus-protocol",
    .on_open = janus_open,
    .on_message = janus_message,
    .on_close = janus_close,
    .on_tick = janus_tick,
    .leave = janus_leave,
};
