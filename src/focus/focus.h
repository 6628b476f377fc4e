/* The focus: rooms, participants and the signalling protocol
 * (docs/protocol.md). It runs on the control thread only, speaks to browsers
 * through the callbacks given to focus_new, and to bridges only through
 * bridge-control messages. */
#ifndef STOA_FOCUS_H
#define STOA_FOCUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "focus/refusals.h"

typedef struct focus focus;
typedef struct focus_session focus_session;

typedef struct focus_callbacks {
    /* Queues one text message for the connection; the callee copies it. */
    void (*send)(void *conn, const char *text, size_t len);
    /* Asks the transport to close the connection after the queued messages;
     * focus_disconnect follows when it is gone. */
    void (*close)(void *conn);
    /* Sends one bridge-control request to the bridge with this handle
     * (focus_bridge_add; the callee takes the reference). The response must
     * come back through focus_bridge_message later, never from inside this
     * call. */
    void (*bridge_send)(void *user, int bridge, json_t *request);
    void *user;
    /* Optional: bytes queued for the connection and not yet written. */
    size_t (*queued)(void *conn);
} focus_callbacks;

#define FOCUS_MAX_TURN_URIS 4

/* A TURN server (e.g. coturn with use-auth-secret) whose time-limited
 * credentials the focus hands to each participant in `joined`. */
typedef struct focus_turn {
    const char *uris[FOCUS_MAX_TURN_URIS];   /* "turn:host:3478?transport=udp", ... */
    int n_uris;
    const char *secret;                      /* coturn's static-auth-secret */
    int ttl_seconds;                         /* how long the credentials stay valid */
} focus_turn;

/* Returns NULL when out of memory. */
focus *focus_new(const focus_callbacks *cb);
/* How many other cameras a participant receives unless it says otherwise
 * (receiver-constraints); -1 (the default): all. */
void focus_set_default_last_n(focus *f, int last_n);
/* Participants one room holds (default FOCUS_ROOM_CAPACITY, 40). */
void focus_set_room_capacity(focus *f, int capacity);
/* Rooms open at once (default FOCUS_MAX_ROOMS, 1000); a join that would
 * open one more is refused (too-many-rooms). */
void focus_set_max_rooms(focus *f, int max_rooms);
/* Counts refusals into r (shared with the transport) instead of the
 * focus's own counters; r must outlive the focus. */
void focus_set_refusals(focus *f, refusals *r);
/* The counters refusals go to. */
const refusals *focus_refusals(const focus *f);
/* Replaces the monotonic clock (milliseconds) the focus's rate limits and
 * budgets run on; for tests. NULL: CLOCK_MONOTONIC. */
void focus_set_clock(focus *f, int64_t (*now_ms)(void));
/* Whether offers ask browsers for three simulcast camera layers (default on). */
void focus_set_simulcast(focus *f, bool on);
/* Configures TURN (copied); without it `joined` carries no ICE servers. */
void focus_set_turn(focus *f, const focus_turn *turn);
/* Frees rooms and sessions without sending anything. */
void focus_free(focus *f);

/* A signalling connection opened; conn is the transport's handle. */
focus_session *focus_connect(focus *f, void *conn);
/* The peer's address key (IPv4, or an IPv6 /64): wrong passwords count
 * against it across connections. Unset: only the per-connection budget. */
void focus_set_session_address(focus *f, focus_session *s, const char *address);
/* The join timeout of s ran out: when it is neither in a room nor in a
 * lobby it is sent bye join-timeout and closed (counted); returns whether
 * it was. */
bool focus_join_timeout(focus *f, focus_session *s);
/* One text message from the connection. */
void focus_message(focus *f, focus_session *s, const char *text, size_t len);
/* Answers a message the transport refused before decoding (too large,
 * binary) with an error; the connection stays open. */
void focus_refuse(focus *f, focus_session *s, const char *code, const char *message);
/* The connection is gone; the session is freed (the participant leaves). */
void focus_disconnect(focus *f, focus_session *s);
/* ---- bridges (src/focus/bridges.c) ---- */
#define FOCUS_MAX_BRIDGES 64
#define FOCUS_BRIDGE_TIMEOUT_MS 5000   /* a request unanswered this long has failed */
#define FOCUS_ALLOCATE_ATTEMPTS 3      /* bridges tried for one participant's endpoint */

/* What a bridge said of itself in its hello (strings copied). */
typedef struct focus_bridge_info {
    const char *id;                /* unique among the focus's bridges */
    const char *region;            /* "" when none */
    int capacity;                  /* endpoints it takes at most */
} focus_bridge_info;

/* Registers a bridge that takes participants from now on. Returns its
 * handle (> 0, never reused), or -1 when its id is taken or
 * FOCUS_MAX_BRIDGES are registered. */
int focus_bridge_add(focus *f, const focus_bridge_info *info);
/* A bridge registered over the network is linked: it may hold conferences
 * from before (it was declared lost and came back). They are listed and
 * expired before anyone is placed on any bridge (bridge_sync.c). */
void focus_bridge_linked(focus *f, int bridge);
/* The load a bridge's heartbeat reports. Unknown handles are ignored. */
void focus_bridge_report(focus *f, int bridge, int endpoints, double cpu, bool draining);
/* An operator's drain: the bridge takes no new participants; with
 * move_now its participants are moved to other bridges at once (each gets
 * media-reset and a fresh session). Returns how many were moved, or -1 for
 * an unknown handle. */
int focus_bridge_drain(focus *f, int bridge, bool move_now);
/* The bridge is gone (its link closed or its heartbeats stopped): it is
 * forgotten, its requests fail, and its participants are moved to other
 * bridges with media-reset and a fresh session; those no bridge can take
 * are told bridge-error and leave. Unknown handles are ignored. */
void focus_bridge_lost(focus *f, int bridge);
/* A response or event from the bridge with this handle (takes the
 * reference). A response to a request sent to another bridge, or an event
 * about an endpoint of another bridge, is dropped. */
void focus_bridge_message(focus *f, int bridge, json_t *msg);
/* Fails requests past FOCUS_BRIDGE_TIMEOUT_MS (an allocate is tried on
 * another bridge). Call it every few hundred milliseconds. */
void focus_tick(focus *f);
/* The region placement prefers for this session's participant
 * (placement_region); "" or NULL: none. */
void focus_set_session_region(focus *f, focus_session *s, const char *region);
/* For an operator: {"bridges":[{handle,id,region,capacity,endpoints,
 * participants,cpu,draining}], "rooms":[{name,participants:[{id,bridge}]}]}. */
json_t *focus_topology(const focus *f);
size_t focus_bridge_count(const focus *f);
/* Whether handle is a bridge the focus has (not lost). */
bool focus_bridge_known(const focus *f, int bridge);
/* Tells every participant the server is going away and asks every
 * connection to close. */
void focus_shutdown(focus *f);

/* Counts for logs and tests. */
size_t focus_room_count(const focus *f);
size_t focus_participant_count(const focus *f);

#endif
