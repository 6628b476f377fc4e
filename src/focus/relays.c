/* Relays between the bridges of one conference, as the focus drives them
 * (docs/protocol.md, "Relays"): which pairs a room needs (relay_plan.c:
 * every pair of its bridges), the three-step opening (relay-open to one
 * side, relay-open with its address to the other, relay-peer back), the
 * proxies each side is given of the other's participants, and closing. */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "core/log.h"
#include "core/random.h"
#include "focus/focus_internal.h"
#include "focus/relay_plan.h"

#define RELAY_KEY_HEX 56           /* AES-128-GCM key (16) and salt (12) */
#define RELAY_CHANNEL_MAX 0xFFFFFF

static void relay_id_for(int peer, char out[PARTICIPANT_ID_MAX])
{
    snprintf(out, PARTICIPANT_ID_MAX, "relay-%d", peer);
}

static void fresh_key(char out[RELAY_KEY_HEX + 1])
{
    uint8_t k[RELAY_KEY_HEX / 2];
    random_bytes(k, sizeof k);
    for (size_t i = 0; i < sizeof k; i++)
        snprintf(out + 2 * i, 3, "%02x", k[i]);
    memset(k, 0, sizeof k);
}

static room_relay *find_relay(room *r, int a, int b)
{
    for (int i = 0; i < r->n_relays; i++)
        if (r->relays[i].a == a && r->relays[i].b == b)
            return &r->relays[i];
    return NULL;
}

static void send_proxy(focus *f, room *r, participant *q, int to_bridge)
{
    char relay[PARTICIPANT_ID_MAX];
    relay_id_for(q->bridge, relay);
    focus_bridge_request(f, to_bridge, "proxy", r->name, q->id,
                         json_pack("{s:s, s:o}", "relay", relay, "sources", negotiation_sources_json(q)));
}

/* Every participant of one side, as proxies on the other. */
static void send_proxies(focus *f, room *r, int from_bridge, int to_bridge)
{
    for (participant *q = r->participants; q; q = q->next)
        if (q->allocated && q->bridge == from_bridge)
            send_proxy(f, r, q, to_bridge);
}

static void open_relay(focus *f, room *r, relay_pair pair)
{
    if (r->n_relays == FOCUS_ROOM_RELAYS) {
        log_warn("focus", "%s: more than %d relays needed; bridges %d and %d stay apart", r->name,
                 FOCUS_ROOM_RELAYS, pair.a, pair.b);
        return;
    }
    room_relay *rl = &r->relays[r->n_relays++];
    memset(rl, 0, sizeof *rl);
    rl->a = pair.a;
    rl->b = pair.b;
    rl->state = ROOM_RELAY_OPENING_A;
    fresh_key(rl->key_ab);
    fresh_key(rl->key_ba);
    char relay[PARTICIPANT_ID_MAX];
    relay_id_for(rl->b, relay);
    focus_bridge_request(f, rl->a, "relay-open", r->name, relay,
                         json_pack("{s:{s:s, s:s}}", "keys", "send", rl->key_ab, "receive", rl->key_ba));
    rl->request = f->next_request_id;
}

static void close_relay(focus *f, room *r, room_relay *rl)
{
    char relay[PARTICIPANT_ID_MAX];
    relay_id_for(rl->b, relay);
    focus_bridge_request(f, rl->a, "expire", r->name, relay, json_object());
    if (rl->b_asked) {
        relay_id_for(rl->a, relay);
        focus_bridge_request(f, rl->b, "expire", r->name, relay, json_object());
    }
    log_info("focus", "%s: relay between bridges %d and %d closed", r->name, rl->a, rl->b);
    memset(rl->key_ab, 0, sizeof rl->key_ab);
    memset(rl->key_ba, 0, sizeof rl->key_ba);
    *rl = r->relays[--r->n_relays];
}

void relays_sync(focus *f, room *r)
{
    int bridges[FOCUS_MAX_ROOM_CAPACITY];
    size_t n = 0;
    for (participant *q = r->participants; q && n < FOCUS_MAX_ROOM_CAPACITY; q = q->next)
        if (q->allocated && q->bridge > 0)
            bridges[n++] = q->bridge;
    relay_pair pairs[RELAY_MAX_CONF_PAIRS];
    size_t n_pairs = relay_pairs_of(bridges, n, pairs, RELAY_MAX_CONF_PAIRS);
    if (n_pairs > RELAY_MAX_CONF_PAIRS)
        n_pairs = RELAY_MAX_CONF_PAIRS;
    for (int i = 0; i < r->n_relays;) {
        bool needed = false;
        for (size_t k = 0; k < n_pairs && !needed; k++)
            needed = pairs[k].a == r->relays[i].a && pairs[k].b == r->relays[i].b;
        if (needed)
            i++;
        else
            close_relay(f, r, &r->relays[i]);   /* moves the last one here */
    }
    for (size_t k = 0; k < n_pairs; k++)
        if (!find_relay(r, pairs[k].a, pairs[k].b))
            open_relay(f, r, pairs[k]);
}

void relays_publish(focus *f, participant *p)
{
    room *r = p->room;
    for (int i = 0; i < r->n_relays; i++) {
        room_relay *rl = &r->relays[i];
        if (rl->state == ROOM_RELAY_OPEN && (rl->a == p->bridge || rl->b == p->bridge))
            send_proxy(f, r, p, rl->a == p->bridge ? rl->b : rl->a);
    }
}

void relays_participant_left(focus *f, participant *p)
{
    room *r = p->room;
    if (!p->allocated)
        return;
    for (int i = 0; i < r->n_relays; i++) {
        room_relay *rl = &r->relays[i];
        if (rl->state == ROOM_RELAY_OPEN && (rl->a == p->bridge || rl->b == p->bridge))
            focus_bridge_request(f, rl->a == p->bridge ? rl->b : rl->a, "expire", r->name, p->id, json_object());
    }
}

/* A relay-open-ok's address, port and channel, checked as hostile input. */
static json_t *peer_of(json_t *msg)
{
    const char *address = json_string_value(json_object_get(msg, "address"));
    json_t *port = json_object_get(msg, "port"), *channel = json_object_get(msg, "channel");
    struct in_addr ignored;
    if (!address || strlen(address) > 15 || inet_pton(AF_INET, address, &ignored) != 1 || !json_is_integer(port) ||
        json_integer_value(port) < 1 || json_integer_value(port) > 65535 || !json_is_integer(channel) ||
        json_integer_value(channel) < 1 || json_integer_value(channel) > RELAY_CHANNEL_MAX)
        return NULL;
    return json_pack("{s:s, s:I, s:I}", "address", address, "port", json_integer_value(port), "channel",
                     json_integer_value(channel));
}

void relays_on_response(focus *f, int bridge, const pending *pd, json_t *msg)
{
    room *r = NULL;
    for (room *q = f->rooms; q && !r; q = q->next)
        if (strcmp(q->name, pd->room) == 0)
            r = q;
    int peer = -1;
    if (!r || sscanf(pd->participant, "relay-%d", &peer) != 1)
        return;
    room_relay *rl = find_relay(r, bridge < peer ? bridge : peer, bridge < peer ? peer : bridge);
    if (!rl)
        return;   /* closed meanwhile: the expire sent then removes it */
    const char *type = msg ? json_string_value(json_object_get(msg, "type")) : "timeout";
    json_t *addr = type && strcmp(type, "relay-open-ok") == 0 ? peer_of(msg) : NULL;
    bool expected = pd->id == rl->request && ((rl->state == ROOM_RELAY_OPENING_A && bridge == rl->a) ||
                                              (rl->state == ROOM_RELAY_OPENING_B && bridge == rl->b));
    if (!expected) {
        json_decref(addr);
        return;
    }
    if (!addr) {
        log_warn("focus", "%s: bridge %d could not open its relay to bridge %d (%s); trying again", r->name, bridge,
                 peer, type && strcmp(type, "relay-open-ok") == 0 ? "unusable answer" : msg ? "refused" : "no answer");
        rl->state = ROOM_RELAY_FAILED;
        return;
    }
    char relay[PARTICIPANT_ID_MAX];
    if (rl->state == ROOM_RELAY_OPENING_A) {
        rl->state = ROOM_RELAY_OPENING_B;
        rl->b_asked = true;
        relay_id_for(rl->a, relay);
        focus_bridge_request(f, rl->b, "relay-open", r->name, relay,
                             json_pack("{s:{s:s, s:s}, s:o}", "keys", "send", rl->key_ba, "receive", rl->key_ab,
                                       "peer", addr));
        rl->request = f->next_request_id;
        return;
    }
    rl->state = ROOM_RELAY_OPEN;
    memset(rl->key_ab, 0, sizeof rl->key_ab);
    memset(rl->key_ba, 0, sizeof rl->key_ba);
    relay_id_for(rl->b, relay);
    focus_bridge_request(f, rl->a, "relay-peer", r->name, relay, json_pack("{s:o}", "peer", addr));
    log_info("focus", "%s: relay between bridges %d and %d open", r->name, rl->a, rl->b);
    send_proxies(f, r, rl->a, rl->b);
    send_proxies(f, r, rl->b, rl->a);
}

void relays_tick(focus *f)
{
    /* A relay that failed to open is closed and opened again (fresh keys)
     * while the room still needs it. */
    for (room *r = f->rooms; r; r = r->next) {
        bool failed = false;
        for (int i = 0; i < r->n_relays;) {
            if (r->relays[i].state == ROOM_RELAY_FAILED) {
                close_relay(f, r, &r->relays[i]);
                failed = true;
            } else {
                i++;
            }
        }
        if (failed)
            relays_sync(f, r);
    }
}

int relays_primary_bridge(const room *r)
{
    for (const participant *q = r->participants; q; q = q->next)
        if (q->bridge > 0)
            return q->bridge;
    return 0;
}

json_t *relays_json(const focus *f, const room *r)
{
    json_t *list = json_array();
    static const char *const states[] = { "opening", "opening", "open", "failed" };
    for (int i = 0; i < r->n_relays; i++) {
        const room_relay *rl = &r->relays[i];
        const char *a = NULL, *b = NULL;
        for (int k = 0; k < FOCUS_MAX_BRIDGES; k++) {
            if (f->bridges[k].handle == rl->a)
                a = f->bridges[k].id;
            if (f->bridges[k].handle == rl->b)
                b = f->bridges[k].id;
        }
        json_array_append_new(list, json_pack("{s:s?, s:s?, s:s}", "a", a, "b", b, "state", states[rl->state]));
    }
    return list;
}
