/* The focus: rooms and participants, the signalling state machine of each
 * participant, and the bridge-control requests that give it media. */
#include "focus/focus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/random.h"
#include "focus/offer.h"
#include "focus/signal_msg.h"

/* Each participant needs two m= sections in everyone else's offer. */
#define FOCUS_ROOM_CAPACITY (SDP_MAX_MEDIA / 2)

typedef struct room room;
typedef struct participant participant;

struct participant {
    char id[PARTICIPANT_ID_MAX];
    char name[DISPLAY_NAME_MAX + 1];
    bool audio, video;
    room *room;
    participant *next;             /* in the room, oldest first */
    focus_session *session;

    bool allocated;                /* the bridge gave transport parameters */
    offer_transport transport;
    slot_list slots;
    uint64_t sdp_session_id;
    uint32_t version;              /* of the last offer sent */
    bool awaiting_answer;
    bool dirty;                    /* the sections changed since the last offer */
    char offered_mids[SDP_MAX_MEDIA][SDP_MID_MAX];  /* of the offer awaiting its answer */
    size_t n_offered;
    uint32_t own_ssrc[2];          /* indexed by sdp_kind; 0: not sending */
};

struct room {
    char name[ROOM_NAME_MAX + 1];
    participant *participants;
    room *next;
};

struct focus_session {
    void *conn;
    participant *p;
    bool closing;
    focus_session *next;
};

/* A bridge request waiting for its response. */
typedef struct pending {
    json_int_t id;
    char type[16];
    char room[ROOM_NAME_MAX + 1];
    char participant[PARTICIPANT_ID_MAX];
    struct pending *next;
} pending;

struct focus {
    focus_callbacks cb;
    bool freeing;                  /* focus_free: nothing is sent any more */
    room *rooms;
    focus_session *sessions;
    pending *pending;
    json_int_t next_request_id;
};

/* ---- sending ---- */

static void send_json(focus *f, focus_session *s, json_t *msg)
{
    if (!s || s->closing || f->freeing || !msg) {
        json_decref(msg);
        return;
    }
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (text) {
        f->cb.send(s->conn, text, strlen(text));
        free(text);
    }
}

static void send_error(focus *f, focus_session *s, const char *code, const char *message, const char *re)
{
    send_json(f, s, json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", code, "message",
                              message, "re", re ? re : ""));
}

static json_t *participant_json(const participant *p)
{
    return json_pack("{s:s, s:s, s:b, s:b}", "id", p->id, "name", p->name, "audio", p->audio,
                     "video", p->video);
}

static void broadcast(focus *f, room *r, const participant *except, json_t *msg)
{
    for (participant *p = r->participants; p; p = p->next)
        if (p != except)
            send_json(f, p->session, json_incref(msg));
    json_decref(msg);
}

static void bridge_request(focus *f, const char *type, const char *room_name, const char *endpoint,
                           json_t *req)
{
    pending *pd = calloc(1, sizeof *pd);
    if (!pd) {
        json_decref(req);
        return;
    }
    pd->id = ++f->next_request_id;
    snprintf(pd->type, sizeof pd->type, "%s", type);
    snprintf(pd->room, sizeof pd->room, "%s", room_name);
    snprintf(pd->participant, sizeof pd->participant, "%s", endpoint);
    pd->next = f->pending;
    f->pending = pd;
    json_object_set_new(req, "type", json_string(type));
    json_object_set_new(req, "id", json_integer(pd->id));
    json_object_set_new(req, "conference", json_string(room_name));
    json_object_set_new(req, "endpoint", json_string(endpoint));
    if (f->freeing)
        json_decref(req);
    else
        f->cb.bridge_send(f->cb.user, req);
}

/* ---- lookup ---- */

static room *find_room(focus *f, const char *name)
{
    for (room *r = f->rooms; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static participant *find_participant(focus *f, const char *room_name, const char *id)
{
    room *r = find_room(f, room_name);
    for (participant *p = r ? r->participants : NULL; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

/* ---- negotiation ---- */

/* Sends a new offer when one is due and none is outstanding (no glare:
 * the focus always offers, one offer at a time). */
static void maybe_offer(focus *f, participant *p)
{
    if (!p->allocated || p->awaiting_answer || !p->dirty)
        return;
    sdp_offer *offer = malloc(sizeof *offer);
    /* Room for the largest offer: every section with every candidate. */
    size_t cap = 4096 + SDP_MAX_MEDIA * (2048 + 160 * SDP_MAX_CANDIDATES);
    char *sdp = malloc(cap);
    if (!offer || !sdp) {
        free(offer);
        free(sdp);
        return;
    }
    slots_build_offer(&p->slots, &p->transport, p->sdp_session_id, p->version + 1, offer);
    int len = sdp_write_offer(offer, sdp, cap);
    if (len < 0) {
        log_error("focus", "cannot write the offer for %s/%s", p->room->name, p->id);
    } else {
        p->version++;
        p->n_offered = p->slots.n;
        for (size_t i = 0; i < p->slots.n; i++)
            memcpy(p->offered_mids[i], p->slots.slots[i].mid, SDP_MID_MAX);
        p->awaiting_answer = true;
        p->dirty = false;
        send_json(f, p->session, json_pack("{s:s, s:s%, s:I, s:o}", "type", "offer", "sdp", sdp,
                                           (size_t)len, "version", (json_int_t)p->version, "mids",
                                           slots_mids_json(&p->slots)));
    }
    free(offer);
    free(sdp);
}

/* Gives every other participant a section for each source p sends. */
static void publish_sources(focus *f, participant *p)
{
    for (participant *o = p->room->participants; o; o = o->next) {
        if (o == p)
            continue;
        bool changed = false;
        for (int k = SDP_AUDIO; k <= SDP_VIDEO; k++) {
            int rc = p->own_ssrc[k] ? slots_set_source(&o->slots, p->id, (sdp_kind)k, p->own_ssrc[k])
                                    : slots_remove_source(&o->slots, p->id, true, (sdp_kind)k);
            if (rc < 0)
                log_warn("focus", "%s/%s has no free m= section for %s", o->room->name, o->id, p->id);
            changed |= rc > 0;
        }
        if (changed) {
            o->dirty = true;
            maybe_offer(f, o);
        }
    }
}

static void remove_participant(focus *f, participant *p, const char *reason);

/* No media for this participant: tell it and close its connection. */
static void allocation_failed(focus *f, participant *p)
{
    focus_session *s = p->session;
    remove_participant(f, p, "disconnected");
    send_error(f, s, "bridge-error", "no media bridge could serve this participant", "join");
    if (s) {
        s->closing = true;
        f->cb.close(s->conn);
    }
}

static void on_allocated(focus *f, participant *p, json_t *msg)
{
    json_t *ice = json_object_get(msg, "ice"), *dtls = json_object_get(msg, "dtls");
    const char *ufrag = json_string_value(json_object_get(ice, "ufrag"));
    const char *pwd = json_string_value(json_object_get(ice, "pwd"));
    const char *fingerprint = json_string_value(json_object_get(dtls, "fingerprint"));
    json_t *cands = json_object_get(msg, "candidates");
    if (!ufrag || !pwd || !fingerprint || !json_is_array(cands)) {
        log_error("focus", "malformed allocate-ok from the bridge");
        p->allocated = true;       /* the bridge holds an endpoint: expire it */
        allocation_failed(f, p);
        return;
    }
    offer_transport *t = &p->transport;
    snprintf(t->ice_ufrag, sizeof t->ice_ufrag, "%s", ufrag);
    snprintf(t->ice_pwd, sizeof t->ice_pwd, "%s", pwd);
    snprintf(t->fingerprint, sizeof t->fingerprint, "%s", fingerprint);
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c) {
        const char *ip = json_string_value(json_object_get(c, "ip"));
        const char *foundation = json_string_value(json_object_get(c, "foundation"));
        const char *protocol = json_string_value(json_object_get(c, "protocol"));
        if (!ip || !foundation || !protocol || t->n_candidates == SDP_MAX_CANDIDATES)
            continue;
        sdp_candidate *sc = &t->candidates[t->n_candidates++];
        snprintf(sc->ip, sizeof sc->ip, "%s", ip);
        snprintf(sc->foundation, sizeof sc->foundation, "%s", foundation);
        sc->port = (uint16_t)json_integer_value(json_object_get(c, "port"));
        sc->priority = (uint32_t)json_integer_value(json_object_get(c, "priority"));
        sc->tcp = strcmp(protocol, "tcp") == 0;
    }
    p->allocated = true;
    slots_init(&p->slots, p->id);
    for (participant *o = p->room->participants; o; o = o->next)
        for (int k = SDP_AUDIO; o != p && k <= SDP_VIDEO; k++)
            if (o->own_ssrc[k])
                slots_set_source(&p->slots, o->id, (sdp_kind)k, o->own_ssrc[k]);
    p->dirty = true;
    maybe_offer(f, p);
}

/* The SSRC the browser sends on its own section of this mid, or 0. */
static uint32_t own_ssrc(const sdp_answer *a, const char *mid)
{
    for (size_t i = 0; i < a->n_media; i++) {
        const sdp_answer_media *m = &a->media[i];
        if (strcmp(m->mid, mid) != 0)
            continue;
        bool sending = m->dir == SDP_SENDONLY || m->dir == SDP_SENDRECV;
        return !m->rejected && sending && m->n_ssrcs > 0 ? m->ssrcs[0] : 0;
    }
    return 0;
}

/* JSEP: an answer has the offer's m= sections, in the same order. */
static bool answer_matches_offer(const participant *p, const sdp_answer *a)
{
    if (a->n_media != p->n_offered)
        return false;
    for (size_t i = 0; i < a->n_media; i++)
        if (strcmp(a->media[i].mid, p->offered_mids[i]) != 0)
            return false;
    return true;
}

static void on_answer(focus *f, focus_session *s, const signal_msg *msg)
{
    participant *p = s->p;
    if (!p->awaiting_answer || msg->version != p->version) {
        send_error(f, s, "stale-answer", "this answer does not match the current offer", "answer");
        return;
    }
    sdp_answer *a = malloc(sizeof *a);
    char err[128];
    if (!a) {
        send_error(f, s, "bad-answer", "out of memory", "answer");
        return;
    }
    if (sdp_parse_answer(msg->sdp, msg->sdp_len, a, err, sizeof err) < 0) {
        send_error(f, s, "bad-answer", err, "answer");
        free(a);
        return;
    }
    if (strcmp(a->setup, "active") != 0) {
        send_error(f, s, "bad-answer", "the answer must say a=setup:active", "answer");
        free(a);
        return;
    }
    if (!answer_matches_offer(p, a)) {
        send_error(f, s, "bad-answer", "the answer's m= sections do not match the offer's", "answer");
        free(a);
        return;
    }
    p->awaiting_answer = false;
    uint32_t audio = own_ssrc(a, OFFER_OWN_AUDIO_MID), video = own_ssrc(a, OFFER_OWN_VIDEO_MID);
    json_t *sources = json_array();
    if (audio)
        json_array_append_new(sources, json_pack("{s:I, s:s}", "ssrc", (json_int_t)audio, "kind", "audio"));
    if (video)
        json_array_append_new(sources, json_pack("{s:I, s:s}", "ssrc", (json_int_t)video, "kind", "video"));
    bridge_request(f, "configure", p->room->name, p->id,
                   json_pack("{s:{s:s, s:s}, s:{s:s}, s:o}", "ice", "ufrag", a->ice_ufrag, "pwd",
                             a->ice_pwd, "dtls", "fingerprint", a->fingerprint, "sources", sources));
    free(a);
    bool changed = audio != p->own_ssrc[SDP_AUDIO] || video != p->own_ssrc[SDP_VIDEO];
    p->own_ssrc[SDP_AUDIO] = audio;
    p->own_ssrc[SDP_VIDEO] = video;
    if (changed)
        publish_sources(f, p);
    maybe_offer(f, p);
}

/* ---- joining and leaving ---- */

static void free_room_if_empty(focus *f, room *r)
{
    if (r->participants)
        return;
    for (room **pr = &f->rooms; *pr; pr = &(*pr)->next) {
        if (*pr == r) {
            *pr = r->next;
            log_info("focus", "room %s closed", r->name);
            free(r);
            return;
        }
    }
}

static void remove_participant(focus *f, participant *p, const char *reason)
{
    room *r = p->room;
    for (participant **pp = &r->participants; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    /* An allocation still in flight is expired when its response arrives
     * and finds no participant. */
    if (p->allocated)
        bridge_request(f, "expire", r->name, p->id, json_object());
    log_info("focus", "%s left room %s (%s)", p->id, r->name, reason);
    broadcast(f, r, NULL, json_pack("{s:s, s:s, s:s}", "type", "participant-left", "id", p->id,
                                    "reason", reason));
    for (participant *o = r->participants; o; o = o->next) {
        if (slots_remove_source(&o->slots, p->id, false, SDP_AUDIO) > 0) {
            o->dirty = true;
            maybe_offer(f, o);
        }
    }
    if (p->session)
        p->session->p = NULL;
    free(p);
    free_room_if_empty(f, r);
}

static size_t room_size(const room *r)
{
    size_t n = 0;
    for (const participant *p = r->participants; p; p = p->next)
        n++;
    return n;
}

static void on_join(focus *f, focus_session *s, const signal_msg *msg)
{
    room *r = find_room(f, msg->room);
    if (r && room_size(r) >= FOCUS_ROOM_CAPACITY) {
        send_error(f, s, "room-full", "this room is full", "join");
        return;
    }
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) {
            send_error(f, s, "bridge-error", "out of memory", "join");
            return;
        }
        snprintf(r->name, sizeof r->name, "%s", msg->room);
        r->next = f->rooms;
        f->rooms = r;
        log_info("focus", "room %s opened", r->name);
    }
    participant *p = calloc(1, sizeof *p);
    if (!p) {
        free_room_if_empty(f, r);
        send_error(f, s, "bridge-error", "out of memory", "join");
        return;
    }
    do
        random_hex(p->id, 8);
    while (find_participant(f, r->name, p->id));
    snprintf(p->name, sizeof p->name, "%s", msg->name);
    p->audio = p->video = true;
    p->room = r;
    p->session = s;
    random_bytes(&p->sdp_session_id, sizeof p->sdp_session_id);
    p->sdp_session_id &= 0x7FFFFFFFFFFFFFFFull;  /* o= wants a 63-bit number */
    s->p = p;

    json_t *others = json_array();
    participant **tail = &r->participants;
    for (; *tail; tail = &(*tail)->next)
        json_array_append_new(others, participant_json(*tail));
    *tail = p;
    send_json(f, s, json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", "joined", "id", p->id, "room",
                              r->name, "name", p->name, "participants", others));
    broadcast(f, r, p, json_pack("{s:s, s:o}", "type", "participant-joined", "participant",
                                 participant_json(p)));
    log_info("focus", "%s (%s) joined room %s", p->id, p->name, r->name);
    bridge_request(f, "allocate", r->name, p->id, json_object());
}

/* ---- public API ---- */

focus *focus_new(const focus_callbacks *cb)
{
    focus *f = calloc(1, sizeof *f);
    if (f)
        f->cb = *cb;
    return f;
}

void focus_free(focus *f)
{
    if (!f)
        return;
    f->freeing = true;
    while (f->sessions)
        focus_disconnect(f, f->sessions);
    while (f->rooms) {
        room *r = f->rooms;
        while (r->participants) {
            participant *p = r->participants;
            r->participants = p->next;
            free(p);
        }
        f->rooms = r->next;
        free(r);
    }
    while (f->pending) {
        pending *pd = f->pending;
        f->pending = pd->next;
        free(pd);
    }
    free(f);
}

focus_session *focus_connect(focus *f, void *conn)
{
    focus_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->conn = conn;
    s->next = f->sessions;
    f->sessions = s;
    return s;
}

void focus_message(focus *f, focus_session *s, const char *text, size_t len)
{
    signal_msg msg;
    signal_error err;
    if (s->closing)
        return;
    if (signal_msg_decode(text, len, &msg, &err) < 0) {
        send_error(f, s, err.code, err.message, err.re);
        return;
    }
    if (msg.type == SIGNAL_PING) {
        send_json(f, s, json_pack("{s:s}", "type", "pong"));
    } else if (msg.type == SIGNAL_JOIN) {
        if (s->p)
            send_error(f, s, "already-joined", "this connection is already in a room", "join");
        else
            on_join(f, s, &msg);
    } else if (!s->p) {
        send_error(f, s, "not-joined", "join a room first", msg.type == SIGNAL_ANSWER ? "answer"
                   : msg.type == SIGNAL_LEAVE ? "leave" : "media-state");
    } else if (msg.type == SIGNAL_ANSWER) {
        on_answer(f, s, &msg);
    } else if (msg.type == SIGNAL_MEDIA_STATE) {
        s->p->audio = msg.audio;
        s->p->video = msg.video;
        broadcast(f, s->p->room, s->p, json_pack("{s:s, s:o}", "type", "participant-updated",
                                                 "participant", participant_json(s->p)));
    } else if (msg.type == SIGNAL_LEAVE) {
        remove_participant(f, s->p, "left");
        send_json(f, s, json_pack("{s:s, s:s}", "type", "bye", "reason", "left"));
        s->closing = true;
        f->cb.close(s->conn);
    }
    signal_msg_free(&msg);
}

void focus_refuse(focus *f, focus_session *s, const char *code, const char *message)
{
    send_error(f, s, code, message, "");
}

void focus_disconnect(focus *f, focus_session *s)
{
    if (s->p)
        remove_participant(f, s->p, "disconnected");
    for (focus_session **ps = &f->sessions; *ps; ps = &(*ps)->next) {
        if (*ps == s) {
            *ps = s->next;
            break;
        }
    }
    free(s);
}

static pending *take_pending(focus *f, json_int_t id)
{
    for (pending **pp = &f->pending; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            pending *pd = *pp;
            *pp = pd->next;
            return pd;
        }
    }
    return NULL;
}

static void on_bridge_event(focus *f, const char *type, json_t *msg)
{
    const char *conf = json_string_value(json_object_get(msg, "conference"));
    const char *ep = json_string_value(json_object_get(msg, "endpoint"));
    participant *p = conf && ep ? find_participant(f, conf, ep) : NULL;
    if (!p)
        return;
    if (strcmp(type, "endpoint-expired") == 0) {
        focus_session *s = p->session;
        p->allocated = false;      /* the bridge has already forgotten it */
        remove_participant(f, p, "timeout");
        send_json(f, s, json_pack("{s:s, s:s}", "type", "bye", "reason", "media-timeout"));
        if (s) {
            s->closing = true;
            f->cb.close(s->conn);
        }
    } else if (strcmp(type, "endpoint-connected") == 0) {
        log_info("focus", "%s/%s media connected", conf, ep);
    }
}

void focus_bridge_message(focus *f, json_t *msg)
{
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    if (!type) {
        json_decref(msg);
        return;
    }
    if (!json_is_integer(id)) {
        on_bridge_event(f, type, msg);
        json_decref(msg);
        return;
    }
    pending *pd = take_pending(f, json_integer_value(id));
    if (!pd) {
        json_decref(msg);
        return;
    }
    participant *p = find_participant(f, pd->room, pd->participant);
    if (strcmp(type, "error") == 0) {
        log_warn("focus", "bridge refused %s for %s/%s: %s", pd->type, pd->room, pd->participant,
                 json_string_value(json_object_get(msg, "message")));
        if (p && strcmp(pd->type, "allocate") == 0)
            allocation_failed(f, p);
        else if (p && strcmp(pd->type, "configure") == 0)
            send_error(f, p->session, "bridge-error", "the media bridge refused this answer", "answer");
    } else if (strcmp(type, "allocate-ok") == 0) {
        if (p)
            on_allocated(f, p, msg);
        else  /* left while the bridge was allocating */
            bridge_request(f, "expire", pd->room, pd->participant, json_object());
    }
    free(pd);
    json_decref(msg);
}

void focus_shutdown(focus *f)
{
    for (focus_session *s = f->sessions; s; s = s->next) {
        send_json(f, s, json_pack("{s:s, s:s}", "type", "bye", "reason", "server-shutdown"));
        s->closing = true;
        f->cb.close(s->conn);
    }
}

size_t focus_room_count(const focus *f)
{
    size_t n = 0;
    for (room *r = f->rooms; r; r = r->next)
        n++;
    return n;
}

size_t focus_participant_count(const focus *f)
{
    size_t n = 0;
    for (room *r = f->rooms; r; r = r->next)
        for (participant *p = r->participants; p; p = p->next)
            n++;
    return n;
}
