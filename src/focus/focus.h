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
    /* Sends one bridge-control request (the callee takes the reference).
     * The response must come back through focus_bridge_message later, never
     * from inside this call. */
    void (*bridge_send)(void *user, json_t *request);
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
/* A response or event from the bridge (takes the reference). */
void focus_bridge_message(focus *f, json_t *msg);
/* Tells every participant the server is going away and asks every
 * connection to close. */
void focus_shutdown(focus *f);

/* Counts for logs and tests. */
size_t focus_room_count(const focus *f);
size_t focus_participant_count(const focus *f);

#endif
