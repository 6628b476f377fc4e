/* Roles and moderator commands: mute, kick, end the meeting, grant the role,
 * password lock and the lobby. Every rule is checked here, on the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "focus/focus_internal.h"

static void announce(focus *f, participant *p)
{
    focus_broadcast(f, p->room, NULL, json_pack("{s:s, s:o}", "type", "participant-updated", "participant",
                                                 focus_participant_json(p)));
}

static void make_moderator(focus *f, participant *p)
{
    if (p->moderator)
        return;
    p->moderator = true;
    log_info("focus", "%s is now a moderator of %s", p->id, p->room->name);
    announce(f, p);
    moderation_send_lobby(f, p->room, p);
}

void moderation_ensure_moderator(focus *f, room *r)
{
    for (participant *p = r->participants; p; p = p->next)
        if (p->moderator)
            return;
    if (r->participants)
        make_moderator(f, r->participants);   /* the list is oldest first */
}

static json_t *room_state_json(const room *r)
{
    return json_pack("{s:b, s:b}", "locked", r->locked, "lobby", r->lobby);
}

static void room_updated(focus *f, room *r)
{
    focus_broadcast(f, r, NULL, json_pack("{s:s, s:o}", "type", "room-updated", "room_state", room_state_json(r)));
}

void moderation_send_lobby(focus *f, room *r, participant *to)
{
    json_t *waiting = json_array();
    for (lobby_entry *e = r->waiting; e; e = e->next)
        json_array_append_new(waiting, json_pack("{s:s, s:s}", "id", e->id, "name", e->name));
    focus_send(f, to->session, json_pack("{s:s, s:o}", "type", "lobby-changed", "waiting", waiting));
}

/* Changes go out as deltas: the whole queue to every moderator at each knock
 * would cost the square of the lobby's length. */
void moderation_lobby_added(focus *f, room *r, const lobby_entry *e)
{
    focus_to_moderators(f, r, json_pack("{s:s, s:s, s:s}", "type", "lobby-added", "id", e->id, "name", e->name));
}

void moderation_lobby_removed(focus *f, room *r, const char *id)
{
    focus_to_moderators(f, r, json_pack("{s:s, s:s}", "type", "lobby-removed", "id", id));
}

static lobby_entry *take_waiting(room *r, const char *id)
{
    for (lobby_entry **pe = &r->waiting; *pe; pe = &(*pe)->next) {
        if (strcmp((*pe)->id, id) == 0) {
            lobby_entry *e = *pe;
            *pe = e->next;
            return e;
        }
    }
    return NULL;
}

/* Lets a newcomer in; when the room is full it is told so and may try
 * again later (its connection stays open, out of the lobby). */
static void admit(focus *f, room *r, lobby_entry *e)
{
    focus_session *s = e->session;
    if (focus_room_size(r) >= (size_t)f->room_capacity) {
        s->waiting = NULL;
        free(e);
        focus_send_error(f, s, "room-full", "this room is full", "join");
        return;
    }
    s->waiting = NULL;
    char id[PARTICIPANT_ID_MAX], name[DISPLAY_NAME_MAX + 1];
    snprintf(id, sizeof id, "%s", e->id);
    snprintf(name, sizeof name, "%s", e->name);
    free(e);
    focus_enter_room(f, s, r, id, name);
}

void moderation_close_lobby(focus *f, room *r, const char *reason)
{
    while (r->waiting) {
        lobby_entry *e = r->waiting;
        r->waiting = e->next;
        e->session->waiting = NULL;
        focus_close(f, e->session, reason);
        free(e);
    }
}

/* Turns off one of target's sources on a moderator's word. */
static void mute(focus *f, participant *by, participant *target, media_source source)
{
    if (!target->on[source])
        return;
    target->on[source] = false;
    negotiation_update_pause(f, target, source);
    focus_send(f, target->session, json_pack("{s:s, s:s, s:s}", "type", "muted", "kind",
                                             source == SOURCE_MIC ? "audio" : "video", "by", by->id));
    announce(f, target);
}

static void end_meeting(focus *f, room *r)
{
    log_info("focus", "meeting %s ended by a moderator", r->name);
    moderation_close_lobby(f, r, "meeting-ended");
    /* Removing the last participant frees the room: stop before touching it. */
    while (r->participants) {
        participant *p = r->participants;
        focus_session *s = p->session;
        bool last = p->next == NULL;
        focus_remove_participant(f, p, "left");
        focus_close(f, s, "meeting-ended");
        if (last)
            break;
    }
}

/* Commands that name a participant of the room. */
static bool needs_target(enum signal_type t)
{
    return t == SIGNAL_MUTE || t == SIGNAL_ASK_UNMUTE || t == SIGNAL_KICK || t == SIGNAL_GRANT_MODERATOR;
}

void moderation_handle(focus *f, focus_session *s, const signal_msg *msg)
{
    participant *p = s->p;
    room *r = p->room;
    const char *re = signal_type_name(msg->type);
    if (!p->moderator) {
        focus_send_error(f, s, "not-moderator", "only a moderator may do this", re);
        return;
    }
    if (!focus_rate_ok(f, p, RATE_MODERATION, re))
        return;
    participant *target = NULL;
    if (needs_target(msg->type) && !(target = focus_find_in_room(r, msg->id))) {
        focus_send_error(f, s, "unknown-participant", "nobody with this id is in the room", re);
        return;
    }
    switch (msg->type) {
    case SIGNAL_MUTE:
        mute(f, p, target, msg->mute_video ? SOURCE_CAMERA : SOURCE_MIC);
        break;
    case SIGNAL_MUTE_ALL:
        for (participant *o = r->participants; o; o = o->next)
            if (o != p)
                mute(f, p, o, SOURCE_MIC);
        break;
    case SIGNAL_ASK_UNMUTE:
        focus_send(f, target->session, json_pack("{s:s, s:s}", "type", "unmute-request", "by", p->id));
        break;
    case SIGNAL_KICK: {
        focus_session *ts = target->session;
        log_info("focus", "%s kicked %s from %s", p->id, target->id, r->name);
        focus_remove_participant(f, target, "kicked");
        focus_close(f, ts, "kicked");
        break;
    }
    case SIGNAL_END_MEETING:
        end_meeting(f, r);
        break;
    case SIGNAL_GRANT_MODERATOR:
        make_moderator(f, target);
        break;
    case SIGNAL_LOCK:
        r->locked = true;
        snprintf(r->password, sizeof r->password, "%s", msg->password);
        room_updated(f, r);
        break;
    case SIGNAL_UNLOCK:
        r->locked = false;
        memset(r->password, 0, sizeof r->password);
        room_updated(f, r);
        break;
    case SIGNAL_LOBBY:
        r->lobby = msg->enabled;
        room_updated(f, r);
        while (!r->lobby && r->waiting) {
            lobby_entry *e = r->waiting;
            r->waiting = e->next;
            moderation_lobby_removed(f, r, e->id);
            admit(f, r, e);
        }
        break;
    case SIGNAL_LOBBY_ADMIT:
    case SIGNAL_LOBBY_REJECT: {
        lobby_entry *e = take_waiting(r, msg->id);
        if (!e) {
            focus_send_error(f, s, "unknown-participant", "nobody with this id is waiting in the lobby", re);
            return;
        }
        moderation_lobby_removed(f, r, e->id);
        if (msg->type == SIGNAL_LOBBY_ADMIT) {
            admit(f, r, e);
        } else {
            e->session->waiting = NULL;
            focus_close(f, e->session, "rejected");
            free(e);
        }
        break;
    }
    default:
        break;
    }
}
