/* The focus: sessions, rooms and participants, joining (password, lobby)
 * and leaving, the dispatch of signalling messages, and the bridge's
 * responses and events. */
#include "focus/focus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/random.h"
#include "focus/focus_internal.h"
#include "focus/turn_credentials.h"

/* ---- sending ---- */

void focus_send(focus *f, focus_session *s, json_t *msg)
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

void focus_send_error(focus *f, focus_session *s, const char *code, const char *message, const char *re)
{
    focus_send(f, s, json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", code, "message", message,
                               "re", re ? re : ""));
}

void focus_broadcast(focus *f, room *r, const participant *except, json_t *msg)
{
    for (participant *p = r->participants; p; p = p->next)
        if (p != except)
            focus_send(f, p->session, json_incref(msg));
    json_decref(msg);
}

void focus_to_moderators(focus *f, room *r, json_t *msg)
{
    for (participant *p = r->participants; p; p = p->next)
        if (p->moderator)
            focus_send(f, p->session, json_incref(msg));
    json_decref(msg);
}

void focus_close(focus *f, focus_session *s, const char *bye_reason)
{
    if (!s || s->closing)
        return;
    if (bye_reason)
        focus_send(f, s, json_pack("{s:s, s:s}", "type", "bye", "reason", bye_reason));
    s->closing = true;
    if (!f->freeing)
        f->cb.close(s->conn);
}

json_t *focus_participant_json(const participant *p)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b}", "id", p->id, "name", p->name, "role",
                     p->moderator ? "moderator" : "participant", "audio", p->on[SOURCE_MIC], "video",
                     p->on[SOURCE_CAMERA], "screen", p->on[SOURCE_SCREEN], "hand", p->hand_order != 0);
}

/* ---- lookup ---- */

static room *find_room(focus *f, const char *name)
{
    for (room *r = f->rooms; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

participant *focus_find_in_room(room *r, const char *id)
{
    for (participant *p = r ? r->participants : NULL; p; p = p->next)
        if (strcmp(p->id, id) == 0)
            return p;
    return NULL;
}

participant *focus_find_participant(focus *f, const char *room_name, const char *id)
{
    return focus_find_in_room(find_room(f, room_name), id);
}

static bool id_taken(room *r, const char *id)
{
    if (focus_find_in_room(r, id))
        return true;
    for (lobby_entry *e = r->waiting; e; e = e->next)
        if (strcmp(e->id, id) == 0)
            return true;
    return false;
}

int64_t focus_now_ms(const focus *f)
{
    if (f->clock_ms)
        return f->clock_ms();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- budgets ---- */

/* Bursts a person produces by hand (a quick exchange of chat lines, toggling
 * the microphone, a layout that keeps changing) pass; a script does not. */
const bucket_rate focus_rates[RATE_COUNT] = {
    [RATE_CHAT] = { 10, 1000 },
    [RATE_HAND] = { 5, 2000 },
    [RATE_MEDIA_STATE] = { 10, 500 },
    [RATE_RENEGOTIATE] = { 5, 2000 },
    [RATE_CONSTRAINTS] = { 20, 200 },
    [RATE_MODERATION] = { 20, 500 },
};

bool focus_rate_ok(focus *f, participant *p, enum rate_kind kind, const char *re)
{
    if (token_bucket_take(&p->rates[kind], &focus_rates[kind], focus_now_ms(f)))
        return true;
    refusal_note(f->refused, REFUSED_RATE_LIMITED, "focus", "%s/%s sends %s too often", p->room->name, p->id, re);
    focus_send_error(f, p->session, "rate-limited", "too many of these messages; wait a few seconds", re);
    return false;
}

static size_t lobby_length(const room *r)
{
    size_t n = 0;
    for (const lobby_entry *e = r->waiting; e; e = e->next)
        n++;
    return n;
}

/* The password check of a join to a locked room; false when refused (the
 * error is sent, and the socket closed once its budget is spent). */
static bool password_accepted(focus *f, focus_session *s, const room *r, const signal_msg *msg)
{
    int64_t now = focus_now_ms(f);
    int64_t wait = password_budget_wait_ms(f->passwords, s->address, now);
    if (wait > 0) {
        refusal_note(f->refused, REFUSED_PASSWORD_ATTEMPTS, "focus", "%s must wait %lld ms before another password",
                     s->address, (long long)wait);
        focus_send_error(f, s, "too-many-attempts", "too many wrong passwords from this address; wait and try again",
                         "join");
        return false;
    }
    if (!msg->has_password) {
        focus_send_error(f, s, "password-required", "this room is locked: a password is needed", "join");
        return false;
    }
    if (password_equal(msg->password, r->password))
        return true;
    password_budget_failed(f->passwords, s->address, now);
    refusal_note(f->refused, REFUSED_WRONG_PASSWORD, "focus", "wrong password for room %s from %s", r->name,
                 s->address[0] ? s->address : "an unknown address");
    if (++s->wrong_passwords >= PASSWORD_TRIES_PER_CONNECTION) {
        refusal_note(f->refused, REFUSED_PASSWORD_ATTEMPTS, "focus", "closing a connection after %d wrong passwords",
                     s->wrong_passwords);
        focus_send_error(f, s, "too-many-attempts", "too many wrong passwords on this connection", "join");
        focus_close(f, s, NULL);
        return false;
    }
    focus_send_error(f, s, "wrong-password", "the password is not right", "join");
    return false;
}

/* ---- rooms ---- */

static room *room_new(focus *f, const char *name)
{
    room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->opened_ms = focus_now_ms(f);
    r->next = f->rooms;
    f->rooms = r;
    log_info("focus", "room %s opened", r->name);
    return r;
}

static void room_free(room *r)
{
    while (r->participants) {
        participant *p = r->participants;
        r->participants = p->next;
        json_decref(p->heights);
        free(p);
    }
    while (r->waiting) {
        lobby_entry *e = r->waiting;
        r->waiting = e->next;
        free(e);
    }
    json_decref(r->chat);
    free(r);
}

/* A room lasts while someone is in it; those still in its lobby are sent away. */
static void close_room_if_empty(focus *f, room *r)
{
    if (r->participants)
        return;
    moderation_close_lobby(f, r, "meeting-ended");
    for (room **pr = &f->rooms; *pr; pr = &(*pr)->next) {
        if (*pr == r) {
            *pr = r->next;
            log_info("focus", "room %s closed", r->name);
            room_free(r);
            return;
        }
    }
}

size_t focus_room_size(const room *r)
{
    size_t n = 0;
    for (const participant *p = r->participants; p; p = p->next)
        n++;
    return n;
}

/* ---- joining and leaving ---- */

void focus_remove_participant(focus *f, participant *p, const char *reason)
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
        focus_bridge_request(f, p->bridge, "expire", r->name, p->id, json_object());
    relays_participant_left(f, p);
    relays_sync(f, r);
    log_info("focus", "%s left room %s (%s)", p->id, r->name, reason);
    focus_broadcast(f, r, NULL, json_pack("{s:s, s:s, s:s}", "type", "participant-left", "id", p->id,
                                          "reason", reason));
    negotiation_withdraw(f, p);
    bool had_hand = p->hand_order != 0;
    if (strcmp(r->dominant, p->id) == 0)
        r->dominant[0] = '\0';
    if (p->session)
        p->session->p = NULL;
    json_decref(p->heights);
    free(p);
    if (had_hand)
        hands_broadcast(f, r);
    moderation_ensure_moderator(f, r);
    close_room_if_empty(f, r);
}

/* The ICE servers for a participant: TURN with fresh credentials. */
static json_t *ice_servers_json(focus *f, const char *participant_id)
{
    json_t *servers = json_array();
    char username[TURN_USERNAME_MAX], password[TURN_PASSWORD_MAX];
    if (f->n_turn_uris == 0 || !f->turn_secret ||
        turn_credentials(f->turn_secret, participant_id, (int64_t)time(NULL) + f->turn_ttl, username, password) < 0)
        return servers;
    json_t *urls = json_array();
    for (int i = 0; i < f->n_turn_uris; i++)
        json_array_append_new(urls, json_string(f->turn_uris[i]));
    json_array_append_new(servers, json_pack("{s:o, s:s, s:s}", "urls", urls, "username", username,
                                             "credential", password));
    return servers;
}

/* Who spoke how long (as the bridge's dominant speaker), for the app's
 * speaker statistics: the current speaker's running time included. */
static json_t *talk_times_json(const focus *f, const room *r)
{
    json_t *o = json_object();
    for (const participant *q = r->participants; q; q = q->next) {
        int64_t ms = q->talk_ms;
        if (strcmp(r->dominant, q->id) == 0)
            ms += focus_now_ms(f) - r->dominant_since_ms;
        if (ms > 0)
            json_object_set_new(o, q->id, json_integer((json_int_t)ms));
    }
    return o;
}

void focus_enter_room(focus *f, focus_session *s, room *r, const char *id, const char *name)
{
    participant *p = calloc(1, sizeof *p);
    if (!p) {
        focus_send_error(f, s, "bridge-error", "out of memory", "join");
        close_room_if_empty(f, r);
        return;
    }
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->name, sizeof p->name, "%s", name);
    /* Devices are assumed on until media-state says otherwise; a screen
     * share only once announced. */
    p->on[SOURCE_MIC] = p->on[SOURCE_CAMERA] = true;
    p->last_n = f->default_last_n;
    p->room = r;
    p->session = s;
    p->moderator = r->participants == NULL;
    random_bytes(&p->sdp_session_id, sizeof p->sdp_session_id);
    p->sdp_session_id &= 0x7FFFFFFFFFFFFFFFull;  /* o= wants a 63-bit number */
    s->p = p;

    json_t *others = json_array();
    participant **tail = &r->participants;
    for (; *tail; tail = &(*tail)->next)
        json_array_append_new(others, focus_participant_json(*tail));
    *tail = p;
    json_t *history = r->chat ? json_incref(r->chat) : json_array();
    /* How long the meeting has run, not when it began: the browser's clock
     * need not agree with ours. */
    json_int_t elapsed = (json_int_t)(focus_now_ms(f) - r->opened_ms);
    json_t *talk = talk_times_json(f, r);
    focus_send(f, s, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:b, s:b}, s:o, s:o, s:o, s:o, s:I, s:o}", "type",
                               "joined", "id", p->id, "room", r->name, "name", p->name, "role",
                               p->moderator ? "moderator" : "participant", "participants", others,
                               "room_state", "locked", r->locked, "lobby", r->lobby, "chat", history,
                               "hands", hands_queue_json(r), "dominant",
                               r->dominant[0] ? json_string(r->dominant) : json_null(), "ice_servers",
                               ice_servers_json(f, p->id), "elapsed_ms", elapsed < 0 ? 0 : elapsed, "talk_ms", talk));
    focus_broadcast(f, r, p, json_pack("{s:s, s:o}", "type", "participant-joined", "participant",
                                       focus_participant_json(p)));
    log_info("focus", "%s (%s) joined room %s%s", p->id, p->name, r->name, p->moderator ? " as moderator" : "");
    if (p->moderator && r->waiting)
        moderation_send_lobby(f, r, p);
    bridges_allocate(f, p);
}

static void on_join(focus *f, focus_session *s, const signal_msg *msg)
{
    room *r = find_room(f, msg->room);
    if (r && r->locked && !password_accepted(f, s, r, msg))
        return;
    if (r && focus_room_size(r) >= (size_t)f->room_capacity) {
        focus_send_error(f, s, "room-full", "this room is full", "join");
        return;
    }
    if (r && r->lobby && lobby_length(r) >= FOCUS_LOBBY_CAPACITY) {
        refusal_note(f->refused, REFUSED_LOBBY_FULL, "focus", "the lobby of %s is full", r->name);
        focus_send_error(f, s, "lobby-full", "too many people are waiting to enter this room; try again later", "join");
        return;
    }
    if (!r && focus_room_count(f) >= (size_t)f->max_rooms) {
        refusal_note(f->refused, REFUSED_ROOMS, "focus", "%d rooms are open, the most allowed", f->max_rooms);
        focus_send_error(f, s, "too-many-rooms", "the server holds as many rooms as it may; try again later", "join");
        return;
    }
    if (!r && !(r = room_new(f, msg->room))) {
        focus_send_error(f, s, "bridge-error", "out of memory", "join");
        return;
    }
    char id[PARTICIPANT_ID_MAX];
    do
        random_hex(id, 8);
    while (id_taken(r, id));
    if (!r->lobby) {
        focus_enter_room(f, s, r, id, msg->name);
        return;
    }
    lobby_entry *e = calloc(1, sizeof *e);
    if (!e) {
        focus_send_error(f, s, "bridge-error", "out of memory", "join");
        return;
    }
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->name, sizeof e->name, "%s", msg->name);
    e->session = s;
    lobby_entry **tail = &r->waiting;
    while (*tail)
        tail = &(*tail)->next;
    *tail = e;
    s->waiting = e;
    focus_send(f, s, json_pack("{s:s}", "type", "lobby-waiting"));
    moderation_lobby_added(f, r, e);
}

/* A newcomer left the lobby on its own (socket closed). */
static void leave_lobby(focus *f, focus_session *s)
{
    for (room *r = f->rooms; r; r = r->next) {
        for (lobby_entry **pe = &r->waiting; *pe; pe = &(*pe)->next) {
            if (*pe == s->waiting) {
                lobby_entry *e = *pe;
                *pe = e->next;
                s->waiting = NULL;
                moderation_lobby_removed(f, r, e->id);
                free(e);
                return;
            }
        }
    }
}

/* ---- public API ---- */

focus *focus_new(const focus_callbacks *cb)
{
    focus *f = calloc(1, sizeof *f);
    if (f) {
        f->cb = *cb;
        f->default_last_n = -1;
        f->room_capacity = FOCUS_ROOM_CAPACITY;
        f->max_rooms = FOCUS_MAX_ROOMS;
        f->refused = &f->own_refusals;
        f->simulcast = true;
        f->passwords = password_budget_new();
        if (!f->passwords) {
            free(f);
            return NULL;
        }
    }
    return f;
}

void focus_set_default_last_n(focus *f, int last_n)
{
    f->default_last_n = last_n < 0 ? -1 : last_n;
}

void focus_set_room_capacity(focus *f, int capacity)
{
    f->room_capacity = capacity < 2 ? 2 : capacity > FOCUS_MAX_ROOM_CAPACITY ? FOCUS_MAX_ROOM_CAPACITY : capacity;
}

void focus_set_clock(focus *f, int64_t (*now_ms)(void))
{
    f->clock_ms = now_ms;
}

void focus_set_max_rooms(focus *f, int max_rooms)
{
    f->max_rooms = max_rooms > 0 ? max_rooms : 1;
}

void focus_set_refusals(focus *f, refusals *r)
{
    f->refused = r ? r : &f->own_refusals;
}

const refusals *focus_refusals(const focus *f)
{
    return f->refused;
}

void focus_set_session_address(focus *f, focus_session *s, const char *address)
{
    (void)f;
    snprintf(s->address, sizeof s->address, "%s", address ? address : "");
}

bool focus_join_timeout(focus *f, focus_session *s)
{
    if (s->p || s->waiting || s->closing)
        return false;
    refusal_note(f->refused, REFUSED_JOIN_TIMEOUT, "focus", "closing a signalling connection that never joined%s%s",
                 s->address[0] ? " from " : "", s->address);
    focus_close(f, s, "join-timeout");
    return true;
}

void focus_set_simulcast(focus *f, bool on)
{
    f->simulcast = on;
}

void focus_set_turn(focus *f, const focus_turn *turn)
{
    for (int i = 0; i < turn->n_uris && f->n_turn_uris < FOCUS_MAX_TURN_URIS; i++)
        f->turn_uris[f->n_turn_uris++] = strdup(turn->uris[i]);
    free(f->turn_secret);
    f->turn_secret = turn->secret ? strdup(turn->secret) : NULL;
    f->turn_ttl = turn->ttl_seconds > 0 ? turn->ttl_seconds : 86400;
}

void focus_free(focus *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n_turn_uris; i++)
        free(f->turn_uris[i]);
    free(f->turn_secret);
    password_budget_free(f->passwords);
    f->freeing = true;
    while (f->sessions)
        focus_disconnect(f, f->sessions);
    while (f->rooms) {
        room *r = f->rooms;
        f->rooms = r->next;
        room_free(r);
    }
    bridges_free_pending(f);
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

static void on_media_state(focus *f, participant *p, const signal_msg *msg)
{
    const bool next[SOURCE_COUNT] = { msg->audio, msg->video, msg->screen };
    bool changed = false;
    for (int k = 0; k < SOURCE_COUNT; k++) {
        if (p->on[k] == next[k])
            continue;
        p->on[k] = next[k];
        negotiation_update_pause(f, p, (media_source)k);
        changed = true;
    }
    if (changed)
        focus_broadcast(f, p->room, NULL, json_pack("{s:s, s:o}", "type", "participant-updated",
                                                     "participant", focus_participant_json(p)));
}

/* Messages of a participant in a room. */
static void on_participant_message(focus *f, focus_session *s, const signal_msg *msg)
{
    participant *p = s->p;
    switch (msg->type) {
    case SIGNAL_ANSWER:
        negotiation_on_answer(f, s, msg);
        break;
    case SIGNAL_OFFER_FAILED:
        negotiation_on_offer_failed(f, s, msg);
        break;
    case SIGNAL_RENEGOTIATE:
        if (!focus_rate_ok(f, p, RATE_RENEGOTIATE, "renegotiate"))
            break;
        p->dirty = true;
        negotiation_offer_if_due(f, p);
        break;
    case SIGNAL_MEDIA_STATE:
        if (focus_rate_ok(f, p, RATE_MEDIA_STATE, "media-state"))
            on_media_state(f, p, msg);
        break;
    case SIGNAL_CHAT:
        if (focus_rate_ok(f, p, RATE_CHAT, "chat"))
            chat_handle(f, p, msg);
        break;
    case SIGNAL_HAND:
        if (focus_rate_ok(f, p, RATE_HAND, "hand"))
            hands_handle(f, p, msg);
        break;
    case SIGNAL_REACTION:
        reaction_handle(f, p, msg, focus_now_ms(f));
        break;
    case SIGNAL_LEAVE:
        focus_remove_participant(f, p, "left");
        focus_close(f, s, "left");
        break;
    case SIGNAL_RECEIVER_CONSTRAINTS:
        if (!focus_rate_ok(f, p, RATE_CONSTRAINTS, "receiver-constraints"))
            break;
        p->last_n = msg->has_last_n ? msg->last_n : f->default_last_n;
        p->n_selected = msg->n_selected;
        for (int i = 0; i < msg->n_selected; i++)
            snprintf(p->selected[i], sizeof p->selected[i], "%s", msg->selected[i]);
        if (msg->n_heights >= 0) {
            json_decref(p->heights);
            p->heights = json_object();
            for (int i = 0; i < msg->n_heights; i++)
                json_object_set_new(p->heights, msg->heights[i].id, json_integer(msg->heights[i].height));
        }
        negotiation_send_constraints(f, p);
        break;
    default:
        moderation_handle(f, s, msg);
        break;
    }
}

void focus_message(focus *f, focus_session *s, const char *text, size_t len)
{
    signal_msg msg;
    signal_error err;
    if (s->closing)
        return;
    if (signal_msg_decode(text, len, &msg, &err) < 0) {
        focus_send_error(f, s, err.code, err.message, err.re);
        return;
    }
    if (msg.type == SIGNAL_PING)
        focus_send(f, s, json_pack("{s:s}", "type", "pong"));
    else if (msg.type == SIGNAL_JOIN && (s->p || s->waiting))
        focus_send_error(f, s, "already-joined", "this connection is already in a room", "join");
    else if (msg.type == SIGNAL_JOIN)
        on_join(f, s, &msg);
    else if (msg.type == SIGNAL_LEAVE && s->waiting) {
        leave_lobby(f, s);              /* gave up waiting */
        focus_close(f, s, "left");
    } else if (!s->p)
        focus_send_error(f, s, "not-joined", "join a room first", signal_type_name(msg.type));
    else
        on_participant_message(f, s, &msg);
    signal_msg_free(&msg);
}

void focus_refuse(focus *f, focus_session *s, const char *code, const char *message)
{
    focus_send_error(f, s, code, message, "");
}

void focus_disconnect(focus *f, focus_session *s)
{
    if (s->p)
        focus_remove_participant(f, s->p, "disconnected");
    if (s->waiting)
        leave_lobby(f, s);
    for (focus_session **ps = &f->sessions; *ps; ps = &(*ps)->next) {
        if (*ps == s) {
            *ps = s->next;
            break;
        }
    }
    free(s);
}

/* The participant ids of room among a bridge's list (anything else in it,
 * hostile or stale, left out): what a browser is told comes from the
 * focus's own records only. */
static json_t *room_ids(const room *r, const json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *id = json_string_value(v);
        for (const participant *q = id ? r->participants : NULL; q; q = q->next)
            if (strcmp(q->id, id) == 0) {
                json_array_append_new(out, json_string(q->id));
                break;
            }
    }
    return out;
}

static void on_bridge_event(focus *f, int bridge, const char *type, json_t *msg)
{
    const char *conf = json_string_value(json_object_get(msg, "conference"));
    const char *ep = json_string_value(json_object_get(msg, "endpoint"));
    participant *p = conf && ep ? focus_find_participant(f, conf, ep) : NULL;
    /* Each bridge of a room detects the speaker among all of it (audio
     * always crosses the relays); the room follows one of them. */
    bool speaker = type && strcmp(type, "dominant-speaker") == 0;
    if (!p || (speaker ? relays_primary_bridge(p->room) != bridge : p->bridge != bridge))
        return;   /* not this bridge's to speak of */
    if (strcmp(type, "endpoint-expired") == 0) {
        focus_session *s = p->session;
        p->allocated = false;      /* the bridge has already forgotten it */
        /* close_notify: the browser closed its peer connection (the page
         * went away), which is no silence past the consent timeout. */
        const char *reason = json_string_value(json_object_get(msg, "reason"));
        bool closed = reason && strcmp(reason, "dtls-closed") == 0;
        focus_remove_participant(f, p, closed ? "disconnected" : "timeout");
        focus_close(f, s, closed ? "media-closed" : "media-timeout");
    } else if (strcmp(type, "endpoint-connected") == 0) {
        log_info("focus", "%s/%s media connected", conf, ep);
    } else if (strcmp(type, "forwarded") == 0) {
        focus_send(f, p->session, json_pack("{s:s, s:o, s:o}", "type", "forwarded", "ids",
                                            room_ids(p->room, json_object_get(msg, "endpoints")), "bandwidth",
                                            room_ids(p->room, json_object_get(msg, "bandwidth"))));
    } else if (strcmp(type, "dominant-speaker") == 0) {
        room *r = p->room;
        int64_t now = focus_now_ms(f);
        for (participant *q = r->participants; q && r->dominant[0]; q = q->next)
            if (strcmp(q->id, r->dominant) == 0)
                q->talk_ms += now - r->dominant_since_ms;
        r->dominant_since_ms = now;
        snprintf(r->dominant, sizeof r->dominant, "%s", p->id);
        focus_broadcast(f, p->room, NULL, json_pack("{s:s, s:s}", "type", "dominant-speaker", "id", p->id));
    }
}

static void on_bridge_error(focus *f, const pending *pd, participant *p, json_t *msg)
{
    const char *message = json_string_value(json_object_get(msg, "message"));
    log_warn("focus", "bridge %d refused %s for %s/%s: %.200s", pd->bridge, pd->type, pd->room, pd->participant,
             message ? message : "(no message)");
    if (!p || p->bridge != pd->bridge)
        return;
    if (strcmp(pd->type, "allocate") == 0) {
        bridges_allocate_failed(f, p);
    } else if (strcmp(pd->type, "configure") == 0) {
        focus_send_error(f, p->session, "bridge-error", "the media bridge refused this answer", "answer");
    }
}

void focus_bridge_message(focus *f, int bridge, json_t *msg)
{
    const char *type = json_string_value(json_object_get(msg, "type"));
    json_t *id = json_object_get(msg, "id");
    pending *pd = NULL;
    if (!bridges_known(f, bridge) || !json_is_object(msg))
        ;
    else if (type && !json_is_integer(id))
        on_bridge_event(f, bridge, type, msg);
    else if (type && (pd = bridges_take_pending(f, bridge, json_integer_value(id))) != NULL) {
        participant *p = focus_find_participant(f, pd->room, pd->participant);
        /* Still the request this participant waits for: not one that timed
         * out while it moved on to another bridge. */
        bool current = p && !pd->timed_out && p->bridge == bridge && !p->allocated;
        if (strcmp(pd->type, "relay-open") == 0)
            relays_on_response(f, bridge, pd, msg);
        else if (strcmp(pd->type, "conferences") == 0)
            bridge_sync_on_answer(f, bridge, msg);
        else if (strcmp(type, "error") == 0)
            on_bridge_error(f, pd, pd->timed_out ? NULL : p, msg);
        else if (strcmp(type, "allocate-ok") == 0 && current)
            negotiation_on_allocated(f, p, msg);
        else if (strcmp(type, "allocate-ok") == 0)   /* left, or moved on, while the bridge allocated */
            focus_bridge_request(f, bridge, "expire", pd->room, pd->participant, json_object());
        free(pd);
    }
    json_decref(msg);
}

void focus_shutdown(focus *f)
{
    for (focus_session *s = f->sessions; s; s = s->next)
        focus_close(f, s, "server-shutdown");
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
        n += focus_room_size(r);
    return n;
}
