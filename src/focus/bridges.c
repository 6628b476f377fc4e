/* The focus's bridges: which ones it has, which serves each participant
 * (placement.c decides), the requests in flight to them with their
 * deadlines, and moving participants off a bridge that is lost or drained. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/random.h"
#include "focus/focus_internal.h"

#define LATE_ANSWER_MS 60000   /* how long a failed request is remembered, to expire what it made */

static focus_bridge *find_bridge(focus *f, int handle)
{
    for (int i = 0; handle > 0 && i < FOCUS_MAX_BRIDGES; i++)
        if (f->bridges[i].handle == handle)
            return &f->bridges[i];
    return NULL;
}

bool bridges_known(const focus *f, int bridge)
{
    return find_bridge((focus *)f, bridge) != NULL;
}

bool focus_bridge_known(const focus *f, int bridge)
{
    return bridges_known(f, bridge);
}

size_t focus_bridge_count(const focus *f)
{
    size_t n = 0;
    for (int i = 0; i < FOCUS_MAX_BRIDGES; i++)
        n += f->bridges[i].handle > 0;
    return n;
}

int focus_bridge_add(focus *f, const focus_bridge_info *info)
{
    focus_bridge *slot = NULL;
    for (int i = 0; i < FOCUS_MAX_BRIDGES; i++) {
        focus_bridge *b = &f->bridges[i];
        if (b->handle > 0 && strcmp(b->id, info->id) == 0)
            return -1;
        if (b->handle == 0 && !slot)
            slot = b;
    }
    if (!slot)
        return -1;
    memset(slot, 0, sizeof *slot);
    slot->handle = ++f->next_bridge_handle;
    snprintf(slot->id, sizeof slot->id, "%s", info->id);
    snprintf(slot->region, sizeof slot->region, "%s", info->region ? info->region : "");
    slot->capacity = info->capacity > 0 ? info->capacity : 1;
    log_info("focus", "bridge %s (region %s, %d endpoints) registered as %d", slot->id,
             slot->region[0] ? slot->region : "none", slot->capacity, slot->handle);
    return slot->handle;
}

void focus_bridge_report(focus *f, int bridge, int endpoints, double cpu, bool draining)
{
    focus_bridge *b = find_bridge(f, bridge);
    if (!b)
        return;
    if (draining != b->draining)
        log_info("focus", "bridge %s %s", b->id, draining ? "is draining: it takes no new participants"
                                                           : "takes participants again");
    b->reported_endpoints = endpoints < 0 ? 0 : endpoints;
    b->cpu = cpu < 0 ? 0 : cpu > 1 ? 1 : cpu;
    b->draining = draining;
}

void focus_set_session_region(focus *f, focus_session *s, const char *region)
{
    (void)f;
    snprintf(s->region, sizeof s->region, "%s", region && placement_region_valid(region) ? region : "");
}

/* ---- requests ---- */

void focus_bridge_request(focus *f, int bridge, const char *type, const char *room_name, const char *endpoint,
                          json_t *req)
{
    pending *pd = f->freeing || !bridges_known(f, bridge) ? NULL : calloc(1, sizeof *pd);
    if (!pd) {
        json_decref(req);
        return;
    }
    pd->id = ++f->next_request_id;
    pd->bridge = bridge;
    pd->deadline_ms = focus_now_ms(f) + FOCUS_BRIDGE_TIMEOUT_MS;
    snprintf(pd->type, sizeof pd->type, "%s", type);
    snprintf(pd->room, sizeof pd->room, "%s", room_name ? room_name : "");
    snprintf(pd->participant, sizeof pd->participant, "%s", endpoint ? endpoint : "");
    pd->next = f->pending;
    f->pending = pd;
    json_object_set_new(req, "type", json_string(type));
    json_object_set_new(req, "id", json_integer(pd->id));
    if (room_name)
        json_object_set_new(req, "conference", json_string(room_name));
    if (endpoint)
        json_object_set_new(req, "endpoint", json_string(endpoint));
    f->cb.bridge_send(f->cb.user, bridge, req);
}

pending *bridges_take_pending(focus *f, int bridge, json_int_t id)
{
    for (pending **pp = &f->pending; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            pending *pd = *pp;
            if (pd->bridge != bridge)
                return NULL;   /* another bridge's request: not this one's to answer */
            *pp = pd->next;
            return pd;
        }
    }
    return NULL;
}

void bridges_free_pending(focus *f)
{
    while (f->pending) {
        pending *pd = f->pending;
        f->pending = pd->next;
        free(pd);
    }
}

/* ---- placement ---- */

static bool excluded(const participant *p, int handle)
{
    for (int i = 0; i < p->allocate_attempts && i < FOCUS_ALLOCATE_ATTEMPTS; i++)
        if (p->excluded_bridges[i] == handle)
            return true;
    return false;
}

/* Endpoints the focus has placed on each bridge slot. */
static void placed_counts(const focus *f, int counts[FOCUS_MAX_BRIDGES])
{
    memset(counts, 0, sizeof(int) * FOCUS_MAX_BRIDGES);
    for (const room *r = f->rooms; r; r = r->next)
        for (const participant *q = r->participants; q; q = q->next)
            for (int i = 0; q->bridge > 0 && i < FOCUS_MAX_BRIDGES; i++)
                if (f->bridges[i].handle == q->bridge) {
                    counts[i]++;
                    break;
                }
}

/* A participant goes to a bridge of its region, one already serving its
 * conference first (placement.c); the bridges of a conference relay to
 * each other (relays.c). Draining bridges and those that failed this
 * participant are never chosen. */
static int choose_bridge(const focus *f, const participant *p)
{
    placement_bridge cand[FOCUS_MAX_BRIDGES];
    int handles[FOCUS_MAX_BRIDGES], counts[FOCUS_MAX_BRIDGES];
    size_t n = 0;
    placed_counts(f, counts);
    for (int i = 0; i < FOCUS_MAX_BRIDGES; i++) {
        const focus_bridge *b = &f->bridges[i];
        if (b->handle <= 0)
            continue;
        int endpoints = counts[i] > b->reported_endpoints ? counts[i] : b->reported_endpoints;
        bool serves = false;
        for (const participant *q = p->room->participants; q && !serves; q = q->next)
            serves = q != p && q->bridge == b->handle;
        cand[n] = (placement_bridge){ .region = b->region, .load = placement_load(endpoints, b->capacity, b->cpu),
                                      .draining = b->draining || b->syncing || excluded(p, b->handle),
                                      .full = endpoints >= b->capacity, .serves_conference = serves };
        handles[n++] = b->handle;
    }
    int k = placement_choose(cand, n, p->session ? p->session->region : "", PLACEMENT_OVERLOAD);
    return k < 0 ? 0 : handles[k];
}

void bridges_allocate(focus *f, participant *p)
{
    if (bridge_sync_pending(f)) {
        p->bridge = 0;
        p->needs_bridge = true;   /* placed when the bridge is cleared (bridge_sync.c) */
        return;
    }
    int bridge = p->allocate_attempts < FOCUS_ALLOCATE_ATTEMPTS ? choose_bridge(f, p) : 0;
    if (!bridge) {
        log_warn("focus", "%s/%s: no media bridge can take this participant (%d tried)", p->room->name, p->id,
                 p->allocate_attempts);
        focus_session *s = p->session;
        p->bridge = 0;
        focus_send_error(f, s, "bridge-error", "no media bridge could serve this participant", "join");
        focus_remove_participant(f, p, "disconnected");
        focus_close(f, s, NULL);
        return;
    }
    p->bridge = bridge;
    const focus_bridge *b = find_bridge(f, bridge);
    log_info("focus", "%s/%s placed on bridge %s (region %s)", p->room->name, p->id, b->id,
             p->session && p->session->region[0] ? p->session->region : "none");
    focus_bridge_request(f, bridge, "allocate", p->room->name, p->id, json_object());
}

void bridges_allocate_failed(focus *f, participant *p)
{
    if (p->allocate_attempts < FOCUS_ALLOCATE_ATTEMPTS)
        p->excluded_bridges[p->allocate_attempts] = p->bridge;
    p->allocate_attempts++;
    bridges_allocate(f, p);
}

/* ---- moving participants ---- */

/* Forgets p's endpoint and media, and tells its app to start a new peer
 * connection; the offer for the new endpoint follows. Room state (role,
 * hand, chat, Last-N choices, devices on or off) is not touched. */
static void reset_media(focus *f, participant *p, int old_bridge_alive, const char *reason)
{
    relays_participant_left(f, p);
    if (p->allocated && old_bridge_alive)
        focus_bridge_request(f, p->bridge, "expire", p->room->name, p->id, json_object());
    p->allocated = false;
    p->awaiting_answer = false;
    p->dirty = false;
    p->negotiation_failures = 0;
    p->bad_answers = 0;
    p->n_offered = 0;
    memset(p->own_ssrc, 0, sizeof p->own_ssrc);
    memset(p->own_rtx, 0, sizeof p->own_rtx);
    p->n_camera_rids = 0;
    p->n_camera_layer_ssrcs = 0;
    p->n_camera_layer_fids = 0;
    random_bytes(&p->sdp_session_id, sizeof p->sdp_session_id);
    p->sdp_session_id &= 0x7FFFFFFFFFFFFFFFull;
    focus_send(f, p->session, json_pack("{s:s, s:s}", "type", "media-reset", "reason", reason));
}

/* One at a time: an allocation may remove a participant and free its room. */
void bridges_place_waiting(focus *f)
{
    while (!bridge_sync_pending(f)) {
        participant *next = NULL;
        for (room *r = f->rooms; r && !next; r = r->next)
            for (participant *q = r->participants; q && !next; q = q->next)
                if (q->needs_bridge)
                    next = q;
        if (!next)
            return;
        next->needs_bridge = false;
        bridges_allocate(f, next);
    }
}

/* Marks p for a new bridge other than the one it has. */
static void mark_for_move(participant *p)
{
    p->allocate_attempts = 1;
    memset(p->excluded_bridges, 0, sizeof p->excluded_bridges);
    p->excluded_bridges[0] = p->bridge;
    p->bridge = 0;
    p->needs_bridge = true;
}

static int move_off(focus *f, int bridge, bool alive, const char *reason)
{
    int moved = 0;
    for (room *r = f->rooms; r; r = r->next)
        for (participant *q = r->participants; q; q = q->next)
            if (q->bridge == bridge) {
                reset_media(f, q, alive, reason);
                mark_for_move(q);
                moved++;
            }
    /* Only now are their sections withdrawn from the others' offers: none
     * of those moving gets an offer for a session it is about to drop. */
    for (room *r = f->rooms; r; r = r->next)
        for (participant *q = r->participants; q; q = q->next)
            if (q->needs_bridge)
                negotiation_withdraw(f, q);
    for (room *r = f->rooms; moved && r; r = r->next)
        relays_sync(f, r);
    return moved;
}

int focus_bridge_drain(focus *f, int bridge, bool move_now)
{
    focus_bridge *b = find_bridge(f, bridge);
    if (!b)
        return -1;
    b->draining = true;
    if (!move_now)
        return 0;
    int moved = move_off(f, bridge, true, "bridge-drained");
    log_info("focus", "bridge %s drained: moving %d participants", b->id, moved);
    bridges_place_waiting(f);
    return moved;
}

void focus_bridge_lost(focus *f, int bridge)
{
    focus_bridge *b = find_bridge(f, bridge);
    if (!b)
        return;
    log_warn("focus", "bridge %s is lost", b->id);
    b->handle = 0;   /* from here on nothing is sent to it and nothing it sent counts */
    for (pending **pp = &f->pending; *pp;) {
        pending *pd = *pp;
        if (pd->bridge != bridge) {
            pp = &pd->next;
            continue;
        }
        *pp = pd->next;
        free(pd);
    }
    int moved = move_off(f, bridge, false, "bridge-lost");
    if (moved)
        log_info("focus", "moving %d participants off the lost bridge", moved);
    bridges_place_waiting(f);
}

void focus_tick(focus *f)
{
    int64_t now = focus_now_ms(f);
    for (pending **pp = &f->pending; *pp;) {
        pending *pd = *pp;
        if (pd->timed_out && now >= pd->deadline_ms) {
            *pp = pd->next;
            free(pd);
            continue;
        }
        if (!pd->timed_out && now >= pd->deadline_ms) {
            pd->timed_out = true;
            pd->deadline_ms = now + LATE_ANSWER_MS;
            focus_bridge *b = find_bridge(f, pd->bridge);
            log_warn("focus", "bridge %s did not answer %s%s%s%s%s within %d ms", b ? b->id : "?", pd->type,
                     pd->room[0] ? " for " : "", pd->room, pd->participant[0] ? "/" : "", pd->participant,
                     FOCUS_BRIDGE_TIMEOUT_MS);
            if (strcmp(pd->type, "relay-open") == 0)
                relays_on_response(f, pd->bridge, pd, NULL);
            if (strcmp(pd->type, "conferences") == 0)
                bridge_sync_on_answer(f, pd->bridge, NULL);
            participant *p = strcmp(pd->type, "allocate") == 0
                                 ? focus_find_participant(f, pd->room, pd->participant) : NULL;
            if (p && p->bridge == pd->bridge && !p->allocated) {
                if (p->allocate_attempts < FOCUS_ALLOCATE_ATTEMPTS)
                    p->excluded_bridges[p->allocate_attempts] = p->bridge;
                p->allocate_attempts++;
                p->needs_bridge = true;
            }
        }
        pp = &pd->next;
    }
    relays_tick(f);
    bridges_place_waiting(f);
}

/* ---- for operators ---- */

json_t *focus_topology(const focus *f)
{
    int counts[FOCUS_MAX_BRIDGES];
    placed_counts(f, counts);
    json_t *bridges = json_array(), *rooms = json_array();
    for (int i = 0; i < FOCUS_MAX_BRIDGES; i++) {
        const focus_bridge *b = &f->bridges[i];
        if (b->handle > 0)
            json_array_append_new(bridges, json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:f, s:b, s:b}", "handle",
                                                     b->handle, "id", b->id, "region", b->region, "capacity",
                                                     b->capacity, "endpoints", b->reported_endpoints, "participants",
                                                     counts[i], "cpu", b->cpu, "draining", b->draining, "syncing",
                                                     b->syncing));
    }
    for (const room *r = f->rooms; r; r = r->next) {
        json_t *list = json_array();
        for (const participant *q = r->participants; q; q = q->next) {
            const focus_bridge *b = find_bridge((focus *)f, q->bridge);
            json_array_append_new(list, json_pack("{s:s, s:s?, s:b}", "id", q->id, "bridge", b ? b->id : NULL,
                                                  "media", q->allocated));
        }
        json_array_append_new(rooms, json_pack("{s:s, s:o, s:o}", "name", r->name, "participants", list, "relays",
                                               relays_json(f, r)));
    }
    return json_pack("{s:o, s:o}", "bridges", bridges, "rooms", rooms);
}
