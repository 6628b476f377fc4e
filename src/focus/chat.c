/* The social side of a room: chat messages (public, with history for late
 * joiners, and private), the raised-hand queue, and reactions. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "focus/focus_internal.h"

static json_int_t epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void chat_handle(focus *f, participant *p, const signal_msg *msg)
{
    room *r = p->room;
    participant *to = NULL;
    if (msg->id[0] && !(to = focus_find_in_room(r, msg->id))) {
        focus_send_error(f, p->session, "unknown-participant", "nobody with this id is in the room", "chat");
        return;
    }
    json_t *message = json_pack("{s:I, s:s, s:s, s:s%, s:o, s:I}", "id", ++r->next_chat_id, "from", p->id,
                                "name", p->name, "text", msg->text, msg->text_len, "to",
                                to ? json_string(to->id) : json_null(), "ts", epoch_ms());
    if (!message)
        return;
    if (to) {
        focus_send(f, to->session, json_pack("{s:s, s:O}", "type", "chat", "message", message));
        if (to != p)
            focus_send(f, p->session, json_pack("{s:s, s:O}", "type", "chat", "message", message));
        json_decref(message);
        return;
    }
    if (!r->chat)
        r->chat = json_array();
    json_array_append(r->chat, message);
    if (json_array_size(r->chat) > FOCUS_CHAT_HISTORY)
        json_array_remove(r->chat, 0);
    json_t *out = json_pack("{s:s, s:o}", "type", "chat", "message", message);
    for (participant *o = r->participants; o; o = o->next) {
        /* A receiver far behind misses live chat (it stays in the history)
         * rather than being pushed to the transport's cap and cut off. */
        if (o != p && o->session && f->cb.queued && f->cb.queued(o->session->conn) > FOCUS_CHAT_RECEIVER_QUEUE_MAX) {
            refusal_note(f->refused, REFUSED_SLOW_RECEIVER, "focus", "chat not sent to %s/%s, which reads too slowly",
                         r->name, o->id);
            continue;
        }
        focus_send(f, o->session, json_incref(out));
    }
    json_decref(out);
}

json_t *hands_queue_json(const room *r)
{
    /* The queue is short (one room): order by selection, no allocation games. */
    json_t *queue = json_array();
    uint64_t last = 0;
    for (;;) {
        const participant *next = NULL;
        for (const participant *p = r->participants; p; p = p->next)
            if (p->hand_order > last && (!next || p->hand_order < next->hand_order))
                next = p;
        if (!next)
            return queue;
        json_array_append_new(queue, json_string(next->id));
        last = next->hand_order;
    }
}

void hands_broadcast(focus *f, room *r)
{
    focus_broadcast(f, r, NULL, json_pack("{s:s, s:o}", "type", "hands", "queue", hands_queue_json(r)));
}

void hands_handle(focus *f, participant *p, const signal_msg *msg)
{
    participant *target = p;
    if (msg->id[0] && strcmp(msg->id, p->id) != 0) {
        if (!p->moderator || msg->raised) {
            focus_send_error(f, p->session, "not-moderator",
                             "only a moderator may lower someone else's hand; nobody may raise it", "hand");
            return;
        }
        if (!(target = focus_find_in_room(p->room, msg->id))) {
            focus_send_error(f, p->session, "unknown-participant", "nobody with this id is in the room", "hand");
            return;
        }
    }
    bool raised = target->hand_order != 0;
    if (raised == msg->raised)
        return;
    target->hand_order = msg->raised ? ++p->room->next_hand_order : 0;
    focus_broadcast(f, p->room, NULL, json_pack("{s:s, s:o}", "type", "participant-updated", "participant",
                                                 focus_participant_json(target)));
    hands_broadcast(f, p->room);
}

void reaction_handle(focus *f, participant *p, const signal_msg *msg, int64_t now_ms)
{
    /* p->reactions holds the last FOCUS_REACTION_BURST times, oldest first. */
    if (p->reactions[0] != 0 && now_ms - p->reactions[0] < FOCUS_REACTION_WINDOW_MS) {
        focus_send_error(f, p->session, "rate-limited", "too many reactions; wait a few seconds", "reaction");
        return;
    }
    memmove(p->reactions, p->reactions + 1, sizeof p->reactions[0] * (FOCUS_REACTION_BURST - 1));
    p->reactions[FOCUS_REACTION_BURST - 1] = now_ms;
    focus_broadcast(f, p->room, NULL, json_pack("{s:s, s:s, s:s}", "type", "reaction", "from", p->id, "emoji",
                                                 signal_reactions[msg->reaction]));
}
