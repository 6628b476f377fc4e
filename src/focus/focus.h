/* The focus: rooms, participants and the signalling protocol
 * (docs/protocol.md). It runs on the control thread only, speaks to browsers
 * through the callbacks given to focus_new, and to bridges only through
 * bridge-control messages. */
#ifndef STOA_FOCUS_H
#define STOA_FOCUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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
/* Whether offers ask browsers for three simulcast camera layers (default on). */
void focus_set_simulcast(focus *f, bool on);
/* Configures TURN (copied); without it `joined` carries no ICE servers. */
void focus_set_turn(focus *f, const focus_turn *turn);
/* Frees rooms and sessions without sending anything. */
void focus_free(focus *f);

/* A signalling connection opened; conn is the transport's handle. */
focus_session *focus_connect(focus *f, void *conn);
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
